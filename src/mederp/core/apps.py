from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mederp.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from mederp.core import checks  # noqa: F401  (registers the system checks)
        from mederp.core.logging import configure_structlog

        configure_structlog()
