from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "mederp.signatures"
    label = "signatures"
    verbose_name = "Electronic signatures"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_reinstall_triggers, sender=self)


def _reinstall_triggers(using: str = "default", **kwargs: object) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: put them back."""
    from django.db import connections

    from mederp.signatures.triggers import install

    install(connections[using])
