from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "mederp.ui"
    label = "ui"
    verbose_name = "User interface"
