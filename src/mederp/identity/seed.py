"""Keep the permission table and the seeded roles in step with permissions.py (post_migrate)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from mederp.identity.permissions import DEVICE_BOUND_ROLES, PERMISSIONS, SEED_ROLES


def sync_permissions_and_roles(using: str = "default", **kwargs: Any) -> None:
    from mederp.identity.models import Permission, Role

    with transaction.atomic(using=using):
        for code, description in PERMISSIONS.items():
            Permission.objects.using(using).update_or_create(
                code=code, defaults={"domain": code.split(".", 1)[0], "description": description}
            )
        perms = {p.code: p for p in Permission.objects.using(using).all()}
        for code, (name, name_zh, privileged, granted) in SEED_ROLES.items():
            role, _ = Role.objects.using(using).update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_zh": name_zh,
                    "privileged": privileged,
                    "is_system": True,
                },
                # Only when the role is first created: an administrator's later choice stays.
                create_defaults={
                    "name": name,
                    "name_zh": name_zh,
                    "privileged": privileged,
                    "is_system": True,
                    "device_bound": code in DEVICE_BOUND_ROLES,
                },
            )
            # Seeded roles gain new codes as apps add them; grants made by hand are kept.
            role.permissions.add(*(perms[c] for c in granted))
