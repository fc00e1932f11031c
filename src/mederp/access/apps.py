from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "mederp.access"
    label = "access"
    verbose_name = "Access control: segregation of duties, privileged grants, access reviews"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from mederp.access.rules import sync_rules

        post_migrate.connect(sync_rules, sender=self)
