"""CSV and PDF exports of the audit trail: audited, scoped, capped, safe in spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from mederp import audit
from mederp.audit import exports, services
from mederp.audit.models import AuditEntry
from mederp.audit.selectors import EntryFilter

pytestmark = pytest.mark.django_db


def record(action: str = "update", *, site: Any = None, **kw: Any) -> Any:
    kw.setdefault("object_type", "test.thing")
    kw.setdefault("object_id", "1")
    kw.setdefault("object_repr", "Thing 1")
    return audit.record(action, None, actor=None, site=site, **kw)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def last_export() -> AuditEntry:
    return AuditEntry.objects.filter(action="export").latest("seq")


def pdf_title(data: bytes) -> str:
    """The document title from the PDF's Info dictionary (a PDF literal string)."""
    match = re.search(rb"/Title \((.*?)(?<!\\)\)", data, re.S)
    assert match, "no /Title in the PDF"
    raw = re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else m.group(1),
        match.group(1),
    )
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be")
    return raw.decode("latin-1")


# --- the service ------------------------------------------------------------------------------
def test_csv_export_writes_an_export_entry_with_the_row_count(
    site_a: Any, site_b: Any, make_user: Any
) -> None:
    for i in range(4):
        record(site=site_a, object_type="test.lot", object_id=str(i))
    record(site=site_b, object_type="test.lot", object_id="b")  # another site: not exported
    record(site=site_a, object_type="test.other")  # filtered out
    qa = make_user("qa_specialist", site_a)
    flt = EntryFilter(object_type="test.lot")

    data = services.export_entries(qa, flt, "csv")

    rows = read_csv(data)
    assert len(rows) == 1 + 4
    entry = last_export()
    assert entry.actor_username == qa.username
    assert entry.object_type == "audit.auditentry"
    assert entry.changes["rows"] == [None, 4]
    assert entry.changes["format"] == [None, "csv"]
    assert entry.changes["columns"][1] == [c.key for c in exports.CSV_COLUMNS]
    assert entry.changes["filter"][1]["object_type"] == "test.lot"
    assert entry.changes["filter"][1]["sort"] == "-seq"
    assert "time_zone" in entry.changes["filter"][1]
    assert "4 rows" in entry.object_repr


def test_csv_columns_and_values(site_a: Any, make_user: Any) -> None:
    e = record(
        site=site_a,
        object_type="identity.user",
        object_id="9",
        object_repr="张伟 (zhangwei)",
        changes={"full_name": ["张 伟", "张伟"], "email": [None, {"[restricted]": "aaaa1111"}]},
        reason="更正姓名",
    )
    qa = make_user("qa_specialist", site_a)
    rows = read_csv(services.export_entries(qa, EntryFilter(object_type="identity.user"), "csv"))
    header, *body = rows
    assert header[0] == "Sequence"
    line = next(r for r in body if r[0] == str(e.seq))
    values = dict(zip([c.key for c in exports.CSV_COLUMNS], line, strict=True))
    assert values["site"] == "SA01"
    assert values["object"] == "张伟 (zhangwei)"
    assert values["reason"] == "更正姓名"
    assert "full name: 张 伟 → 张伟" in values["changes"]
    assert "[restricted]" in values["changes"]
    assert "aaaa1111" not in values["changes"]
    assert values["action"] == "update"
    assert values["action_label"] == "Changed"


def test_csv_neutralises_spreadsheet_formulas(site_a: Any, make_user: Any) -> None:
    payloads = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"]
    for text in payloads:
        record(site=site_a, object_type="test.evil", object_repr=text)
        record(site=site_a, object_type="test.evil", object_repr="ok", reason=text.strip())
    qa = make_user("qa_specialist", site_a)
    rows = read_csv(services.export_entries(qa, EntryFilter(object_type="test.evil"), "csv"))
    keys = [c.key for c in exports.CSV_COLUMNS]
    cells = [dict(zip(keys, r, strict=True)) for r in rows[1:]]
    objects = sorted(c["object"] for c in cells if c["object"] != "ok")
    assert objects == sorted("'" + t for t in payloads)
    reasons = sorted(c["reason"] for c in cells if c["reason"])
    assert reasons == sorted("'" + t.strip() for t in payloads)
    assert all(not c[k].startswith(("=", "+", "-", "@", "\t")) for c in cells for k in keys)
    assert exports.neutralise("plain") == "plain"
    assert exports.neutralise(42) == 42


def test_pdf_export_has_title_and_is_audited(site_a: Any, make_user: Any) -> None:
    for _i in range(3):
        record(site=site_a, object_type="test.pdf", reason="Recounted")
    qa = make_user("qa_specialist", site_a)
    data = services.export_entries(qa, EntryFilter(object_type="test.pdf"), "pdf")
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_title(data) == "Audit trail"
    entry = last_export()
    assert entry.changes["format"] == [None, "pdf"]
    assert entry.changes["rows"] == [None, 3]
    assert entry.changes["columns"][1] == [c.key for c in exports.PDF_COLUMNS]


def test_pdf_with_chinese_text_and_many_pages(site_a: Any, make_user: Any) -> None:
    for i in range(120):
        record(site=site_a, object_type="test.zh", object_repr=f"批次 {i}", reason="复核后放行")
    qa = make_user("qa_specialist", site_a)
    data = services.export_entries(qa, EntryFilter(object_type="test.zh"), "pdf")
    assert data.startswith(b"%PDF-")
    assert b"STSong-Light" in data  # the CID font carrying the Chinese text
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 2
    assert last_export().changes["rows"] == [None, 120]


def test_pdf_title_is_chinese_when_the_catalogue_has_it(site_a: Any, make_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    with translation.override("zh-hans"):
        expected = translation.gettext("Audit trail")
        data = services.export_entries(qa, EntryFilter(), "pdf")
    assert pdf_title(data) == expected  # English when no catalogue is compiled yet


def test_empty_pdf_export(site_a: Any, make_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    data = services.export_entries(qa, EntryFilter(object_type="test.none"), "pdf")
    assert data.startswith(b"%PDF-")
    assert last_export().changes["rows"] == [None, 0]


def test_export_above_the_cap_is_refused_and_not_recorded(
    site_a: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_AUDIT_EXPORT_MAX_ROWS = {"csv": 3, "pdf": 2}
    for i in range(4):
        record(site=site_a, object_type="test.cap", object_id=str(i))
    qa = make_user("qa_specialist", site_a)
    before = AuditEntry.objects.filter(action="export").count()
    with pytest.raises(ValidationError, match=r"matches 4 entries.*at most 3"):
        services.export_entries(qa, EntryFilter(object_type="test.cap"), "csv")
    with pytest.raises(ValidationError, match=r"at most 2"):
        services.export_entries(qa, EntryFilter(object_type="test.cap"), "pdf")
    assert AuditEntry.objects.filter(action="export").count() == before
    # exactly at the cap is fine
    data = services.export_entries(qa, EntryFilter(object_type="test.cap", object_id="1"), "pdf")
    assert data.startswith(b"%PDF-")


def test_export_needs_the_export_permission(site_a: Any, make_user: Any) -> None:
    dpo = make_user("dpo", site_a)  # may view the trail, may not export it
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied, match=r"audit\.export"):
        services.export_entries(dpo, EntryFilter(), "csv")
    assert AuditEntry.objects.count() == before


def test_unknown_format_is_refused(site_a: Any, make_user: Any) -> None:
    with pytest.raises(ValidationError, match="format"):
        services.export_entries(make_user("qa_specialist", site_a), EntryFilter(), "xlsx")


def test_failed_rendering_leaves_no_export_entry(
    site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(site=site_a)
    qa = make_user("qa_specialist", site_a)
    before = AuditEntry.objects.filter(action="export").count()

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "to_csv", broken)
    with pytest.raises(RuntimeError):
        services.export_entries(qa, EntryFilter(), "csv")
    assert AuditEntry.objects.filter(action="export").count() == before


def test_failed_ledger_write_gives_no_export(
    site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(site=site_a)
    qa = make_user("qa_specialist", site_a)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(RuntimeError):
        services.export_entries(qa, EntryFilter(), "csv")


def test_export_scope_needs_both_view_and_export_at_the_site(
    site_a: Any, site_b: Any, make_user: Any
) -> None:
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    at_a = record(site=site_a, object_type="test.scope")
    at_b = record(site=site_b, object_type="test.scope")
    user = make_user("qa_specialist", site_a)  # view + export at A
    identity.assign_role(
        SYSTEM, user, Role.objects.get(code="dpo"), site_b, reason="t"
    )  # view at B
    rows = read_csv(services.export_entries(user, EntryFilter(object_type="test.scope"), "csv"))
    exported = {int(r[0]) for r in rows[1:]}
    assert exported == {at_a.seq}
    assert at_b.seq not in exported


# --- the view ---------------------------------------------------------------------------------
def test_export_view_downloads_the_current_filter(
    client: Client, site_a: Any, make_user: Any
) -> None:
    for i in range(2):
        record(site=site_a, object_type="test.view", object_id=str(i))
    client.force_login(make_user("qa_specialist", site_a))
    page = client.get("/audit/", {"object_type": "test.view"}).content.decode()
    # the export form carries the filter as hidden inputs
    assert re.search(r'<input type="hidden" name="object_type" value="test.view"', page)

    response = client.post("/audit/export/", {"object_type": "test.view", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    assert response["Cache-Control"] == "no-store"
    assert len(read_csv(response.content)) == 3
    assert last_export().changes["rows"] == [None, 2]

    pdf = client.post("/audit/export/", {"object_type": "test.view", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_export_view_over_the_cap_explains_and_goes_back(
    client: Client, site_a: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_AUDIT_EXPORT_MAX_ROWS = {"csv": 1, "pdf": 1}
    for _i in range(2):
        record(site=site_a, object_type="test.big")
    client.force_login(make_user("qa_specialist", site_a))
    response = client.post(
        "/audit/export/", {"object_type": "test.big", "format": "csv"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/audit/?object_type=test.big"
    assert "at most 1" in response.content.decode()


def test_export_view_permissions(client: Client, site_a: Any, make_user: Any) -> None:
    assert client.get("/audit/export/").status_code in (302, 405)  # POST only
    client.force_login(make_user("dpo", site_a))
    response = client.post("/audit/export/", {"format": "csv"})
    assert response.status_code == 403
    denial = AuditEntry.objects.filter(action="permission_denied").latest("seq")
    assert "audit.export" in denial.reason
    assert 'action="/audit/export/"' not in client.get("/audit/").content.decode()
    other = Client()
    other.force_login(make_user("production_operator", site_a))
    assert other.post("/audit/export/", {"format": "csv"}).status_code == 403


def test_export_view_needs_csrf(site_a: Any, make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("qa_specialist", site_a))
    assert client.post("/audit/export/", {"format": "csv"}).status_code == 403
