from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "mederp.identity"
    label = "identity"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from mederp.identity.seed import sync_permissions_and_roles

        post_migrate.connect(sync_permissions_and_roles, sender=self)

        from mederp.identity import checks, receivers  # noqa: F401  (checks register)

        receivers.connect()
