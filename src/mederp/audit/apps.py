from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mederp.audit"
    label = "audit"
    verbose_name = "Audit ledger"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        import mederp.audit
        from mederp.audit import changes, ledger, receivers  # noqa: F401

        post_migrate.connect(_reinstall_triggers, sender=self)
        # Once models are loaded, `audit.record` & co. are the functions themselves rather than
        # the lazy wrappers: they are on the path of every business change.
        mederp.audit.record = ledger.record  # type: ignore[assignment]
        mederp.audit.snapshot = changes.snapshot
        mederp.audit.diff = changes.diff


def _reinstall_triggers(using: str = "default", **kwargs: object) -> None:
    """SQLite rebuilds a table to alter it, which drops its triggers: put them back after
    every migrate, whatever the migration did."""
    from django.db import connections

    from mederp.audit.triggers import install

    install(connections[using])
