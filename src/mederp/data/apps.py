from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "mederp.data"
    label = "data"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from mederp.data import checks  # noqa: F401  (registers the system checks)
