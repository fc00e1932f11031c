"""Configuration checks of the sign-in policy.

The relaxations (MFA exemptions for everyone, device binding off) are for tests and the demo:
`mederp check --deploy` warns about them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register("mederp")
def check_lockout_threshold(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    value = int(getattr(settings, "MEDERP_LOCKOUT_THRESHOLD", 10))
    if not 1 <= value <= 10:
        return [
            checks.Error(
                f"MEDERP_LOCKOUT_THRESHOLD is {value}; it must be between 1 and 10.",
                id="mederp.E201",
            )
        ]
    return []


@checks.register("mederp", deploy=True)
def check_relaxations(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if "*" in (getattr(settings, "MEDERP_MFA_EXEMPT_ROLES", []) or []):
        found.append(
            checks.Warning(
                "MEDERP_MFA_EXEMPT_ROLES contains '*': nobody has to use two-factor sign-in.",
                hint="List only the role codes that may sign in without MFA (tests/demo only).",
                id="mederp.W101",
            )
        )
    if not getattr(settings, "MEDERP_DEVICE_BINDING", True):
        found.append(
            checks.Warning(
                "MEDERP_DEVICE_BINDING is off: device-bound roles may act from any device.",
                id="mederp.W102",
            )
        )
    return found
