"""Supplier and customer import, API answers and pages beyond the permission matrix."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.partners import imports, services
from mederp.partners.models import Customer, Supplier
from mederp.testing import materials as m

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
GOOD = "code,name,name_zh,country\nACME01,ACME Tubing,艾克米,CN\nBETA02,Beta Moulding,,DE\n"


def _csv(text: str, name: str = "s.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- import --------------------------------------------------------------------------------------
def test_supplier_import_creates_every_row(site_a: Any, make_user: Any) -> None:
    purchaser = make_user("purchaser", site_a)
    result = imports.import_suppliers(purchaser, GOOD.encode(), filename="s.csv")
    assert result.ok, result.errors
    assert result.created == 2
    acme = Supplier.objects.get(code="ACME01")
    assert (acme.name_zh, acme.status) == ("艾克米", "pending")
    assert AuditEntry.objects.filter(action="import", object_type="partners.supplier").exists()


def test_supplier_import_with_a_bad_row_imports_nothing(site_a: Any, make_user: Any) -> None:
    purchaser = make_user("purchaser", site_a)
    m.supplier(code="OLD01")
    text = (
        "code,name,country\n"
        "GOOD01,Good,CN\n"
        "OLD01,Exists,CN\n"
        "bad code,Bad,China\n"
        "GOOD01,Twice,CN\n"
        "NONAME,,CN\n"
    )
    result = imports.import_suppliers(purchaser, text.encode(), filename="s.csv")
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert (3, "code") in found  # exists already
    assert (4, "code") in found
    assert (4, "country") in found  # every error of the row, not just the first
    assert (5, "") in found  # same code as row 2
    assert (6, "name") in found
    assert not Supplier.objects.filter(code="GOOD01").exists()


def test_customer_import_needs_import_and_manage_customers(site_a: Any, make_user: Any) -> None:
    text = (
        b"code,name,kind,licence_type,licence_no,licence_expires_on\n"
        b"H01,City Hospital,hospital,practice_licence,PDY-1,2027-05-01\n"
    )
    with pytest.raises(PermissionDenied, match="manage_customers"):
        imports.import_customers(make_user("purchaser", site_a), text, filename="c.csv")
    with pytest.raises(PermissionDenied, match="import"):
        imports.import_customers(make_user("engineer", None), text, filename="c.csv")
    # Sales holds both: the seeded role that keeps customers imports them.
    result = imports.import_customers(make_user("sales", site_a), text, filename="c.csv")
    assert result.ok, result.errors
    customer = Customer.objects.get(code="H01")
    assert customer.licence_expires_on == dt.date(2027, 5, 1)


@pytest.mark.django_db
def test_customer_import_reports_bad_choices_and_dates() -> None:
    text = (
        b"code,name,kind,licence_type,licence_no,licence_expires_on\n"
        b"H01,X,clinic,,,\n"
        b"H02,Y,hospital,operating_licence,,01/05/2027\n"
    )
    result = imports.import_customers(SYSTEM, text, filename="c.csv")
    found = {(e.row, e.column) for e in result.errors}
    assert (2, "kind") in found
    assert (3, "licence_expires_on") in found
    assert not Customer.objects.exists()


def test_xlsx_template_round_trip(site_a: Any, make_user: Any) -> None:
    from openpyxl import load_workbook

    data = imports.template_xlsx("suppliers")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    sheet.append(["XL01", "From Excel", "", "CN", "", ""])
    out = io.BytesIO()
    sheet.parent.save(out)
    result = imports.import_suppliers(
        make_user("purchaser", site_a), out.getvalue(), filename="s.xlsx"
    )
    assert result.ok, result.errors
    assert Supplier.objects.filter(code="XL01").exists()


def test_import_api_answers_201_or_a_problem_with_rows(
    client: Any, site_a: Any, make_user: Any
) -> None:
    client.force_login(make_user("purchaser", site_a))
    ok = client.post("/api/v1/suppliers/import", {"file": _csv(GOOD)})
    assert ok.status_code == 201, ok.content
    assert ok.json()["created"] == 2
    bad = client.post("/api/v1/suppliers/import", {"file": _csv(GOOD)})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    assert {e["row"] for e in bad.json()["errors"]} == {2, 3}
    wrong = client.post("/api/v1/suppliers/import", {"file": _csv("x", name="s.txt")})
    assert wrong.status_code == 400
    assert "csv" in wrong.json()["detail"]


def test_import_page_lists_row_errors(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("purchaser", site_a))
    response = client.post("/partners/import/suppliers/", {"file": _csv("code,name\nbad code,X\n")})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="import-errors"' in body
    assert "2 to 20 characters" in body
    ok = client.post("/partners/import/suppliers/", {"file": _csv(GOOD)})
    assert ok.status_code == 302
    template = client.get("/partners/import/suppliers/template.csv")
    assert template.content.decode("utf-8-sig").startswith("code,name,name_zh")


# --- API -----------------------------------------------------------------------------------------
def test_api_status_change_and_bad_input(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    sup = m.supplier(status="pending")
    url = f"/api/v1/suppliers/{sup.pk}/status"
    missing = client.post(url, {"to_status": "approved"}, content_type="application/json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    unknown = client.post(
        url, {"to_status": "great", "reason": "r"}, content_type="application/json"
    )
    assert unknown.status_code == 400
    assert "to_status" in unknown.json()["errors"]
    done = client.post(
        url,
        {"to_status": "disqualified", "reason": "audit failed"},
        content_type="application/json",
    )
    assert done.json()["status"] == "disqualified"
    again = client.post(
        url, {"to_status": "approved", "reason": "r"}, content_type="application/json"
    )
    assert again.status_code == 400
    assert "cannot go from" in str(again.json()["errors"])


def test_api_approved_items_show_blocked_and_refuse_disqualified(
    client: Any, site_a: Any, make_user: Any
) -> None:
    client.force_login(make_user("quality_manager", site_a))
    sup = m.supplier(status="disqualified")
    m.approve(sup, m.item())
    listed = client.get(f"/api/v1/suppliers/{sup.pk}/approved-items").json()
    assert listed[0]["blocked"] is True
    refused = client.post(
        f"/api/v1/suppliers/{sup.pk}/approved-items",
        {"item": m.item().code, "manufacturer_part_no": "X"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "disqualified" in refused.content.decode()


def test_api_supplier_list_filters_by_certificate_state(
    client: Any, site_a: Any, make_user: Any
) -> None:
    client.force_login(make_user("auditor", site_a))
    today = timezone.localdate()
    expired, soon, fine = m.supplier(), m.supplier(), m.supplier()
    m.certificate(expired, expires_on=today - dt.timedelta(days=1))
    m.certificate(soon, expires_on=today + dt.timedelta(days=10))
    m.certificate(fine, expires_on=today + dt.timedelta(days=400))
    codes = lambda state: {  # noqa: E731
        r["code"] for r in client.get(f"/api/v1/suppliers?certificate={state}").json()["results"]
    }
    assert codes("expired") == {expired.code}
    assert codes("expiring") == {soon.code}
    assert codes("valid") == {fine.code}
    assert client.get("/api/v1/suppliers?certificate=weird").status_code == 400


def test_api_customer_licence_state(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("sales", site_a))
    created = client.post(
        "/api/v1/customers",
        {
            "code": "D01",
            "name": "Distributor",
            "kind": "distributor",
            "licence_type": "operating_licence",
            "licence_no": "沪食药监械经营许20230001号",
            "licence_expires_on": str(timezone.localdate() - dt.timedelta(days=1)),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["licence_state"] == "expired"
    bad = client.post(
        "/api/v1/customers",
        {"code": "D02", "name": "X", "kind": "pharmacy"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "kind" in bad.json()["errors"]


# --- pages ---------------------------------------------------------------------------------------
def test_contacts_are_masked_for_those_who_may_not_see_them(
    client: Any, site_a: Any, make_user: Any
) -> None:
    purchaser = make_user("purchaser", site_a, default_site=site_a)
    sup = m.supplier()
    services.add_supplier_contact(
        purchaser, sup, name="张三丰", role="quality", phone="13812345678", email="zs@acme.cn"
    )
    client.force_login(purchaser)
    body = client.get(f"/partners/suppliers/{sup.pk}/?tab=contacts").content.decode()
    assert "张**" in body
    assert "138****5678" in body
    assert "13812345678" not in body
    assert "zs@acme.cn" not in body
    dpo = make_user("dpo", site_a)
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    identity.assign_role(SYSTEM, dpo, Role.objects.get(code="auditor"), site_a, reason="t")
    client.force_login(dpo)
    body = client.get(f"/partners/suppliers/{sup.pk}/?tab=contacts").content.decode()
    assert "13812345678" in body  # people.view_restricted at the record's site


def test_certificate_upload_and_download(
    client: Any, site_a: Any, make_user: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(make_user("purchaser", site_a))
    sup = m.supplier()
    response = client.post(
        f"/partners/suppliers/{sup.pk}/certificates/",
        {
            "kind": "iso13485",
            "number": "ISO-1",
            "expires_on": "2030-01-01",
            "upload": SimpleUploadedFile("iso.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    cert = sup.certificates.get()
    download = client.get(f"/partners/certificates/{cert.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    bad = client.post(
        f"/partners/suppliers/{sup.pk}/certificates/",
        {
            "kind": "iso9001",
            "number": "X",
            "expires_on": "2030-01-01",
            "upload": SimpleUploadedFile("iso.pdf", b"GIF89a", content_type="application/pdf"),
        },
    )
    assert bad.status_code == 400
    assert "PDF, PNG or JPEG" in bad.content.decode()
    assert sup.certificates.count() == 1


def test_supplier_page_flags_and_blocked_entries(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    sup = m.supplier(status="disqualified")
    m.approve(sup, m.item())
    m.certificate(sup, expires_on=timezone.localdate() - dt.timedelta(days=3))
    body = client.get(f"/partners/suppliers/{sup.pk}/?tab=items").content.decode()
    assert "badge-blocked" in body
    assert "badge-expired" in body
    listed = client.get("/partners/suppliers/?certificate=expired").content.decode()
    assert sup.code in listed
    assert sup.code not in client.get("/partners/suppliers/?certificate=valid").content.decode()


def test_status_form_without_reason_shows_the_error(
    client: Any, site_a: Any, make_user: Any
) -> None:
    client.force_login(make_user("quality_manager", site_a))
    sup = m.supplier(status="pending")
    response = client.post(f"/partners/suppliers/{sup.pk}/status/", {"to_status": "approved"})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert Supplier.objects.get(pk=sup.pk).status == "pending"


def test_certificate_needs_its_file_in_the_form_and_the_api(
    client: Any, site_a: Any, make_user: Any
) -> None:
    client.force_login(make_user("purchaser", site_a))
    sup = m.supplier()
    data = {"kind": "iso13485", "number": "ISO-1", "expires_on": "2030-01-01"}
    page = client.post(f"/partners/suppliers/{sup.pk}/certificates/", data)
    assert page.status_code == 400
    assert "field-error" in page.content.decode()
    api = client.post(f"/api/v1/suppliers/{sup.pk}/certificates", data)
    assert api.status_code == 400
    assert "file" in api.json()["errors"]
    as_json = client.post(
        f"/api/v1/suppliers/{sup.pk}/certificates", data, content_type="application/json"
    )
    assert as_json.status_code == 400
    assert "file" in as_json.json()["errors"]
    bad = client.post(
        f"/api/v1/suppliers/{sup.pk}/certificates",
        {**data, "file": SimpleUploadedFile("iso.pdf", b"GIF89a")},
    )
    assert bad.status_code == 400
    assert "PDF, PNG or JPEG" in str(bad.json()["errors"]["file"])
    assert not sup.certificates.exists()


def _uploaded_certificate(sup: Any) -> Any:
    return services.add_certificate(
        SYSTEM,
        sup,
        kind="iso13485",
        number="ISO-7",
        expires_on=dt.date(2030, 1, 1),
        upload=SimpleUploadedFile("iso.pdf", PDF),
    )


def test_certificate_download_is_recorded_as_an_export(
    client: Any, site_a: Any, make_user: Any
) -> None:
    auditor = make_user("auditor", site_a)
    client.force_login(auditor)
    cert = _uploaded_certificate(m.supplier())
    download = client.get(f"/partners/certificates/{cert.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    entry = AuditEntry.objects.filter(
        action="export", object_type="partners.suppliercertificate", object_id=str(cert.pk)
    ).get()
    assert entry.actor_id == auditor.pk
    assert entry.changes["file"] == [None, "iso.pdf"]
    assert entry.changes["sha256"] == [None, cert.attachment.sha256]


def test_altered_certificate_file_is_not_served(client: Any, site_a: Any, make_user: Any) -> None:
    from django.core.files.base import ContentFile
    from structlog.testing import capture_logs

    client.force_login(make_user("auditor", site_a))
    cert = _uploaded_certificate(m.supplier())
    # The file swapped in storage behind mederp's back (same name, other content).
    storage, name = cert.attachment.file.storage, cert.attachment.file.name
    storage.delete(name)
    assert storage.save(name, ContentFile(b"%PDF-1.4\n% swapped on disk\n%%EOF\n")) == name
    with capture_logs() as logs:
        response = client.get(f"/partners/certificates/{cert.pk}/file/")
    assert response.status_code == 409
    assert "does not match the checksum" in response.content.decode()
    assert b"swapped" not in response.content
    assert any(e["event"] == "certificate_file_altered" for e in logs)
    assert not AuditEntry.objects.filter(action="export", object_id=str(cert.pk)).exists()


@pytest.mark.parametrize("url", ["/partners/suppliers/", "/api/v1/suppliers"])
def test_supplier_list_queries_do_not_grow_with_suppliers(
    url: str, client: Any, site_a: Any, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_user("auditor", site_a))
    today = timezone.localdate()
    m.certificate(m.supplier(), expires_on=today + dt.timedelta(days=400))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(30):
        sup = m.supplier()
        m.certificate(sup, expires_on=today + dt.timedelta(days=n * 10 - 50))
        m.certificate(sup, expires_on=today + dt.timedelta(days=500), kind="iso9001")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "expired" in body
    assert "expiring" in body
