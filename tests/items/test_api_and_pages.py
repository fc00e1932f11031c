"""Items over the API and in the pages: filters, problem details, reasons, language, tabs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.items import services
from mederp.testing import materials as m


def make(code: str, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "code": code,
        "name_en": f"Name {code}",
        "name_zh": f"名称 {code}",
        "item_type": "component",
        "uom": "EA",
    }
    values.update(fields)
    return services.create_item(SYSTEM, **values)


@pytest.fixture
def engineer(client: Client, site_a: Any, make_user: Any) -> Any:
    user = make_user("engineer", site_a)
    client.force_login(user)
    return user


def test_list_filters_and_search(client: Client, engineer: Any) -> None:
    make("CMP-00001", name_en="Luer lock")
    make("RM-00001", item_type="raw_material", uom="KG", tracking="none")
    services.release_item(SYSTEM, make("CMP-00002", name_zh="三通阀"))
    codes = lambda url: [r["code"] for r in client.get(url).json()["results"]]  # noqa: E731
    assert codes("/api/v1/items") == ["CMP-00001", "CMP-00002", "RM-00001"]
    assert codes("/api/v1/items?item_type=raw_material") == ["RM-00001"]
    assert codes("/api/v1/items?status=released") == ["CMP-00002"]
    assert codes("/api/v1/items?tracking=none") == ["RM-00001"]
    assert codes("/api/v1/items?q=luer") == ["CMP-00001"]
    assert codes("/api/v1/items?q=三通") == ["CMP-00002"]
    assert codes("/api/v1/items?page_size=1&page=2") == ["CMP-00002"]
    bad = client.get("/api/v1/items?status=approved")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


def test_list_query_count_is_flat(
    client: Client, engineer: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        make(f"CMP-{n + 100:05d}")
    with django_assert_max_num_queries(20):
        assert client.get("/api/v1/items").status_code == 200


def test_create_and_bad_input_give_problem_details(client: Client, engineer: Any) -> None:
    body = {"code": "CMP-00009", "name_en": "A", "name_zh": "甲", "item_type": "component"}
    response = client.post("/api/v1/items", {**body, "uom": "EA"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    response = client.post(
        "/api/v1/items", {**body, "code": "x", "uom": "EA"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "code" in response.json()["errors"]
    response = client.post("/api/v1/items", {**body, "uom": "ZZ"}, content_type="application/json")
    assert response.status_code == 400
    assert "uom" in response.json()["errors"]


def test_patch_released_needs_release_and_reason(
    client: Client, site_a: Any, make_user: Any, engineer: Any
) -> None:
    item = services.release_item(SYSTEM, make("CMP-00003"))
    url = f"/api/v1/items/{item.pk}"
    response = client.patch(url, {"name_en": "New"}, content_type="application/json")
    assert response.status_code == 403  # the engineer lacks items.release
    client.force_login(make_user("quality_manager", site_a))
    response = client.patch(url, {"name_en": "New"}, content_type="application/json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = client.patch(
        url, {"name_en": "New", "reason": "Spelling"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 3
    stale = client.patch(
        url, {"name_en": "Newer", "reason": "x", "version": 2}, content_type="application/json"
    )
    assert stale.status_code == 400
    assert "changed by someone else" in stale.json()["detail"]


def test_release_api_names_what_is_missing(client: Client, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    item = make("FG-00001", item_type="finished_device", nmpa_class="II")
    response = client.post(f"/api/v1/items/{item.pk}/release", {}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"gtin", "registration_no"}


def test_unknown_item_is_404(client: Client, engineer: Any) -> None:
    assert client.get("/api/v1/items/999999").status_code == 404
    assert client.get("/items/999999/").status_code == 404


def test_uoms(client: Client, engineer: Any) -> None:
    codes = {u["code"] for u in client.get("/api/v1/uoms").json()}
    assert {"EA", "KG", "G", "BOX"} <= codes


def test_name_follows_the_language(client: Client, engineer: Any) -> None:
    item = make("CMP-00004", name_en="Clamp", name_zh="夹子")
    from mederp.items.selectors import display_name

    with translation.override("zh-hans"):
        assert display_name(item) == "夹子"
    with translation.override("en"):
        assert display_name(item) == "Clamp"


def test_record_page_tabs(client: Client, site_a: Any, site_b: Any, make_user: Any) -> None:
    user = make_user("quality_manager", site_a)
    client.force_login(user)
    item = m.item()
    supplier = m.supplier(name="Acme Medical")
    m.approve(supplier, item, part_no="ACME-77")
    here = m.lot(item, site_a)
    there = m.lot(item, site_b)
    services.add_conversion(
        SYSTEM, from_uom="BOX", to_uom="EA", factor="50", item=item, reason="Supplier packs 50"
    )
    page = lambda tab: client.get(f"/items/{item.pk}/?tab={tab}").content.decode()  # noqa: E731
    assert item.code in page("details")
    assert "1 BOX = 50 EA" in page("units")
    assert "ACME-77" in page("suppliers")
    lots = page("lots")
    assert here.number in lots
    assert there.number not in lots  # the other site's lot is not shown
    assert "Audit trail" in page("audit")


def test_edit_page_released_needs_reason(client: Client, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    item = services.release_item(SYSTEM, make("CMP-00005"))
    form = {
        "name_en": "Changed",
        "name_zh": item.name_zh,
        "item_type": "component",
        "tracking": "lot",
        "storage_condition": "ambient",
        "revision": "A",
        "version": item.version,
    }
    response = client.post(f"/items/{item.pk}/edit/", form)
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.name_en == "Name CMP-00005"
    response = client.post(f"/items/{item.pk}/edit/", {**form, "reason": "Rename"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name_en == "Changed"
    assert item.code == "CMP-00005"  # disabled on a released item, whatever is posted


def test_obsolete_page_needs_reason(client: Client, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    item = make("CMP-00006")
    response = client.post(f"/items/{item.pk}/obsolete/", {"obsolete-reason": ""})
    assert response.status_code == 400
    response = client.post(f"/items/{item.pk}/obsolete/", {"obsolete-reason": "Replaced"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "obsolete"


def test_list_page_filters(client: Client, engineer: Any) -> None:
    make("CMP-00007", name_en="Spike")
    make("CMP-00008", name_en="Chamber")
    body = client.get("/items/?q=spike").content.decode()
    assert "CMP-00007" in body
    assert "CMP-00008" not in body


def test_conversion_page_released_item_needs_release_and_a_reason(
    client: Client, site_a: Any, make_user: Any
) -> None:
    from mederp.items.models import UnitOfMeasure, UomConversion

    item = services.release_item(SYSTEM, make("CMP-00031"))
    box = UnitOfMeasure.objects.get(code="BOX").pk
    each = UnitOfMeasure.objects.get(code="EA").pk
    form = {"conversion-from_uom": box, "conversion-to_uom": each, "conversion-factor": "20"}
    url = f"/items/{item.pk}/conversions/"
    client.force_login(make_user("engineer", site_a))  # items.manage only
    assert client.post(url, form).status_code == 403
    client.force_login(make_user("quality_manager", site_a))
    units = client.get(f"/items/{item.pk}/?tab=units").content.decode()
    assert 'name="conversion-reason"' in units
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "field-error" in refused.content.decode()
    assert not UomConversion.objects.filter(item=item).exists()
    done = client.post(url, {**form, "conversion-reason": "Supplier now packs 20 a box"})
    assert done.status_code == 302
    conversion = UomConversion.objects.get(item=item)
    entry = AuditEntry.objects.filter(
        action="create", object_type="items.uomconversion", object_id=str(conversion.pk)
    ).get()
    assert entry.reason == "Supplier now packs 20 a box"


def test_conversion_page_draft_item_with_items_manage(
    client: Client, site_a: Any, make_user: Any
) -> None:
    from mederp.items.models import UnitOfMeasure, UomConversion

    item = make("CMP-00032")
    client.force_login(make_user("engineer", site_a))
    form = {
        "conversion-from_uom": UnitOfMeasure.objects.get(code="BOX").pk,
        "conversion-to_uom": UnitOfMeasure.objects.get(code="EA").pk,
        "conversion-factor": "20",
    }
    assert client.post(f"/items/{item.pk}/conversions/", form).status_code == 302
    assert UomConversion.objects.filter(item=item).exists()
