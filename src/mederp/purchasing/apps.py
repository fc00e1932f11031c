from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "mederp.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing: purchase orders and receiving"
