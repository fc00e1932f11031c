from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "mederp.items"
    label = "items"
    verbose_name = "Items: item master, units of measure, UDI"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from mederp.items.units import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)
