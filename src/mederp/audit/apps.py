from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mederp.audit"
    label = "audit"
    verbose_name = "Audit ledger"

    def ready(self) -> None:
        from mederp.audit import receivers  # noqa: F401
