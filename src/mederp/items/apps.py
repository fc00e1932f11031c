from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "mederp.items"
    label = "items"
    verbose_name = "Items: item master, units of measure, UDI"
