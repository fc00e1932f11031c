from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mederp.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from mederp.api import schema  # noqa: F401  (registers OpenAPI extensions)
