from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from mederp.identity.authz import has_perm
from mederp.identity.selectors import user_sites
from mederp.ui.navigation import NAVIGATION


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: navigation, sites for the switcher, company name."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"company_name": settings.MEDERP_COMPANY_NAME}
    site = getattr(request, "mederp_site", None)
    sections = []
    for section in NAVIGATION:
        items = [
            i for i in section.items if i.permission is None or has_perm(user, i.permission, site)
        ]
        if items:
            sections.append({"label": section.label, "items": items})
    return {
        "company_name": settings.MEDERP_COMPANY_NAME,
        "nav_sections": sections,
        "switcher_sites": list(user_sites(user)),
        "current_site": site,
    }
