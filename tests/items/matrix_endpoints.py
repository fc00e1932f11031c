"""The items endpoints in the permission matrix (tests/test_permission_matrix.py loads them).

Items are company-wide master data, so there is no "wrong site": the endpoints have no site
factory, and the URL builds its item itself when the check starts.
"""

from __future__ import annotations

import itertools
from typing import Any

from mederp.identity.authz import SYSTEM
from mederp.testing.matrix import Endpoint

_n = itertools.count(1)


def draft_item(_: Any = None) -> Any:
    from mederp.items import services

    n = next(_n)
    return services.create_item(
        SYSTEM,
        code=f"MX-{n:05d}",
        name_en=f"Matrix item {n}",
        name_zh=f"矩阵物料 {n}",
        item_type="component",
        uom="EA",
    )


def released_item(_: Any = None) -> Any:
    from mederp.items import services

    return services.release_item(SYSTEM, draft_item())


def new_item(obj: Any, user: Any) -> dict[str, Any]:
    n = next(_n)
    return {
        "code": f"MN-{n:05d}",
        "name_en": f"New {n}",
        "name_zh": f"新 {n}",
        "item_type": "raw_material",
        "uom": "KG",
    }


def new_item_form(obj: Any, user: Any) -> dict[str, Any]:
    from mederp.items.models import UnitOfMeasure

    data = new_item(obj, user)
    data["uom"] = UnitOfMeasure.objects.get(code=data["uom"]).pk
    return {**data, "tracking": "lot", "storage_condition": "ambient", "revision": "A"}


def _api(path: str) -> Any:
    return lambda _obj: f"/api/v1/items/{draft_item().pk}{path}"


def _page(path: str, make: Any = draft_item) -> Any:
    return lambda _obj: f"/items/{make().pk}/{path}"


ENDPOINTS: list[Endpoint] = [
    # API
    Endpoint("api:items", "/api/v1/items", "items.view"),
    Endpoint("api:uoms", "/api/v1/uoms", "items.view"),
    Endpoint(
        "api:items",
        "/api/v1/items",
        "items.manage",
        method="post",
        data=new_item,
        success=201,
    ),
    Endpoint("api:item", _api(""), "items.view"),
    Endpoint("api:item", _api(""), "items.manage", method="patch", data={"name_en": "Changed"}),
    Endpoint(
        "api:item",
        lambda _obj: f"/api/v1/items/{released_item().pk}",
        "items.release",
        method="patch",
        data={"name_en": "Changed", "reason": "Matrix"},
    ),
    Endpoint("api:item-release", _api("/release"), "items.release", method="post", data={}),
    Endpoint(
        "api:item-obsolete",
        _api("/obsolete"),
        "items.release",
        method="post",
        data={"reason": "Matrix"},
    ),
    # A request without a file: the right role gets past the permission to the 400 that
    # names the missing file (the import itself: tests/core/test_imports.py).
    Endpoint(
        "api:items-import",
        "/api/v1/items/import",
        "items.import",
        method="post",
        success=400,
    ),
    # Pages
    Endpoint("items:list", "/items/", "items.view"),
    Endpoint("items:create", "/items/new/", "items.manage"),
    Endpoint(
        "items:create",
        "/items/new/",
        "items.manage",
        method="post",
        data=new_item_form,
        success=302,
    ),
    Endpoint("items:detail", _page(""), "items.view"),
    Endpoint("items:edit", _page("edit/"), "items.manage"),
    Endpoint("items:edit", _page("edit/", released_item), "items.release"),
    Endpoint(
        "items:release", _page("release/"), "items.release", method="post", data={}, success=302
    ),
    Endpoint(
        "items:obsolete",
        _page("obsolete/"),
        "items.release",
        method="post",
        data={"obsolete-reason": "Matrix"},
        success=302,
    ),
    Endpoint(
        "items:conversion_add",
        _page("conversions/"),
        "items.manage",
        method="post",
        data={"conversion-from_uom": "", "conversion-to_uom": "", "conversion-factor": "2"},
        success=(302, 400),
    ),
    Endpoint(
        "items:conversion_add",
        _page("conversions/", released_item),
        "items.release",
        method="post",
        data={"conversion-from_uom": "", "conversion-to_uom": "", "conversion-factor": "2"},
        success=(302, 400),
    ),
    Endpoint("items:import", "/items/import/", "items.import"),
    Endpoint("items:import_template", "/items/import/template.csv", "items.import"),
]
