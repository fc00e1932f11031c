"""The whole-file import runner (mederp.core.imports) and the item import end to end."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from mederp.audit.models import AuditEntry
from mederp.core import imports
from mederp.items import imports as item_imports
from mederp.items.models import Item

HEADER = "code,name_en,name_zh,item_type,uom"


def run(data: bytes, filename: str = "f.csv", create: Any = None) -> imports.ImportResult:
    made: list[dict[str, Any]] = []

    def clean(row: dict[str, str]) -> dict[str, Any]:
        if row.get("qty") and not row["qty"].isdigit():
            raise ValidationError({"qty": "Enter a whole number."})
        return dict(row)

    return imports.run(
        None,
        data,
        filename=filename,
        kind="test.thing",
        columns=["code", "name", "qty"],
        required=["code", "name"],
        clean_row=clean,
        create=create or (lambda actor, value: made.append(value)),
        key=lambda value: value["code"],
    )


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the runner -------------------------------------------------------------------------------
def test_csv_with_bom_and_semicolons(db: None) -> None:
    data = "\ufeffCode;Name;Qty\r\nA1;Alpha;3\r\nB2;Béta 贝塔;4\r\n".encode()
    result = run(data)
    assert result.ok
    assert result.created == 2
    assert imports.read_table(data, "x.csv")[1] == {"code": "B2", "name": "Béta 贝塔", "qty": "4"}


def test_xlsx_first_sheet(db: None) -> None:
    data = xlsx([["code", "name", "qty"], ["A1", "Alpha", 3], [None, None, None], ["B2", "B", 4.0]])
    rows = imports.read_table(data, "x.xlsx")
    assert rows[0] == {"code": "A1", "name": "Alpha", "qty": "3"}
    assert rows[1] == {}  # the blank row keeps the numbering of the sheet
    assert rows[2]["qty"] == "4"
    assert run(data, "x.xlsx").created == 2


def test_a_bad_row_writes_nothing_and_every_error_is_reported(db: None) -> None:
    created: list[Any] = []
    data = b"code,name,qty\nA1,Alpha,3\nB2,,x\nC3,Gamma,y\n"
    result = run(data, create=lambda actor, value: created.append(value))
    assert not result.ok
    assert created == []
    assert result.created == 0
    assert [e.as_dict() for e in result.errors] == [
        {"row": 3, "column": "name", "message": "This value is required."},
        {"row": 4, "column": "qty", "message": "Enter a whole number."},
    ]


def test_a_service_error_rolls_the_whole_file_back(db: None) -> None:
    before = AuditEntry.objects.count()

    def create(actor: Any, value: dict[str, Any]) -> None:
        if value["code"] == "B2":
            raise ValidationError({"code": "Taken."})
        from mederp import audit

        audit.record("create", object_type="test.thing", object_id=value["code"])

    result = run(b"code,name\nA1,Alpha\nB2,Beta\n", create=create)
    assert [e.as_dict() for e in result.errors] == [
        {"row": 3, "column": "code", "message": "Taken."}
    ]
    assert result.created == 0
    assert AuditEntry.objects.count() == before  # A1's entry was rolled back with it


def test_duplicate_keys_inside_the_file(db: None) -> None:
    result = run(b"code,name\nA1,Alpha\nB2,Beta\nA1,Again\n")
    assert [e.as_dict() for e in result.errors] == [
        {"row": 4, "column": "", "message": "Same record as row 2."}
    ]


def test_unknown_column(db: None) -> None:
    result = run(b"code,name,colour\nA1,Alpha,red\n")
    assert result.errors[0].column == "colour"
    assert "Unknown column" in result.errors[0].message


def test_missing_required_column(db: None) -> None:
    with pytest.raises(imports.ImportFileError, match="Missing columns: name"):
        run(b"code,qty\nA1,3\n")


@pytest.mark.parametrize(
    ("data", "filename", "match"),
    [
        (b"", "f.csv", "empty"),
        (b"code,name\n", "f.csv", "header but no rows"),
        (b"code,name\n", "f.txt", "Upload a .csv or .xlsx"),
        ("code,name\nA1,Ä\n".encode("latin-1"), "f.csv", "not UTF-8"),
        (b"not a zip", "f.xlsx", "cannot be read"),
    ],
)
def test_unreadable_files(data: bytes, filename: str, match: str, db: None) -> None:
    with pytest.raises(imports.ImportFileError, match=match):
        run(data, filename)


def test_too_many_rows_and_too_many_bytes(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    with pytest.raises(imports.ImportFileError, match="more than 2 rows"):
        run(b"code,name\nA,a\nB,b\nC,c\n")
    monkeypatch.setattr(imports, "MAX_BYTES", 10)
    with pytest.raises(imports.ImportFileError, match="larger than 10 MB"):
        run(b"code,name\nA,a\n")


def test_the_file_gets_one_import_entry(db: None) -> None:
    run(b"code,name\nA1,Alpha\nB2,Beta\n", filename="things.csv")
    entry = AuditEntry.objects.filter(action="import").latest("seq")
    assert entry.object_type == "test.thing"
    assert entry.object_repr == "things.csv"
    assert entry.changes == {"rows": [None, 2]}


# --- items end to end -------------------------------------------------------------------------
GOOD = (
    f"{HEADER},tracking,gtin,nmpa_class,registration_no,implantable\n"
    "RM-00001,PVC compound,PVC 粒料,raw_material,kg,lot,,,,no\n"
    "FG-00001,Infusion set,输液器,finished_device,EA,lot,06901234567892,III,国械注准20233140001,\n"
)


def test_template_is_the_header_row() -> None:
    text = item_imports.template_csv().decode("utf-8-sig")
    assert text.strip() == ",".join(item_imports.COLUMNS)


def test_items_import_creates_drafts(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    result = item_imports.import_items(engineer, GOOD.encode(), filename="items.csv")
    assert result.ok, result.errors
    assert result.created == 2
    rm = Item.objects.get(code="RM-00001")
    assert rm.uom.code == "KG"
    assert rm.status == "draft"
    assert rm.created_by == engineer
    assert Item.objects.get(code="FG-00001").gtin == "06901234567892"
    assert AuditEntry.objects.filter(action="create", object_type="items.item").count() == 2
    assert AuditEntry.objects.filter(action="import", object_type="items.item").count() == 1


def test_items_import_bad_rows_import_nothing(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    item_imports.import_items(engineer, GOOD.encode(), filename="items.csv")
    data = (
        f"{HEADER},gtin,implantable\n"
        "RM-00002,Good,好,raw_material,KG,,\n"
        "RM-00001,Exists,已有,raw_material,KG,,\n"  # code already in the database
        "bad,Bad code,坏,component,EA,,\n"
        "CMP-00003,Bad type,坏,gadget,XX,,\n"
        "FG-00009,Bad GTIN,坏,finished_device,EA,06901234567891,maybe\n"
    ).encode()
    result = item_imports.import_items(engineer, data, filename="items.csv")
    assert not Item.objects.filter(code="RM-00002").exists()
    found = {(e.row, e.column) for e in result.errors}
    assert {(3, "code"), (4, "code"), (5, "item_type"), (5, "uom"), (6, "implantable")} <= found
    messages = " ".join(e.message for e in result.errors)
    assert "already exists" in messages
    assert "gadget is not one of" in messages


def test_items_import_gtin_checked_before_writing(site_a: Any, make_user: Any) -> None:
    data = f"{HEADER},gtin\nFG-00009,Bad GTIN,坏,finished_device,EA,06901234567891\n".encode()
    result = item_imports.import_items(make_user("engineer", site_a), data, filename="i.csv")
    assert [(e.row, e.column) for e in result.errors] == [(2, "gtin")]


def test_items_import_xlsx(site_a: Any, make_user: Any) -> None:
    data = xlsx([HEADER.split(","), ["CMP-00010", "Clamp", "夹子", "component", "EA"]])
    result = item_imports.import_items(make_user("engineer", site_a), data, filename="i.xlsx")
    assert result.created == 1


def test_items_import_needs_items_import(site_a: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"items\.import"):
        item_imports.import_items(
            make_user("regulatory_affairs", site_a), GOOD.encode(), filename="i.csv"
        )
    assert not Item.objects.exists()


def test_items_import_api(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("engineer", site_a))
    bad = SimpleUploadedFile("i.csv", f"{HEADER}\nRM-00001,A,甲,raw_material,LB\n".encode())
    response = client.post("/api/v1/items/import", {"file": bad})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["errors"] == [
        {"row": 2, "column": "uom", "message": "There is no unit of measure LB."}
    ]
    assert "nothing was imported" in body["detail"]
    good = SimpleUploadedFile("i.csv", GOOD.encode())
    response = client.post("/api/v1/items/import", {"file": good})
    assert response.status_code == 201
    assert response.json()["created"] == 2
    empty = SimpleUploadedFile("i.csv", b"")
    response = client.post("/api/v1/items/import", {"file": empty})
    assert response.status_code == 400


def test_items_import_page(client: Any, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("engineer", site_a))
    bad = SimpleUploadedFile("i.csv", f"{HEADER}\nRM-00001,A,甲,raw_material,LB\n".encode())
    response = client.post("/items/import/", {"file": bad})
    assert response.status_code == 400
    assert "There is no unit of measure LB." in response.content.decode()
    assert not Item.objects.exists()
    response = client.post("/items/import/", {"file": SimpleUploadedFile("i.csv", GOOD.encode())})
    assert response.status_code == 302
    assert Item.objects.count() == 2
    template = client.get("/items/import/template.csv")
    assert template.content.decode("utf-8-sig").startswith("code,name_en,name_zh")


def test_a_sheet_declaring_a_huge_extent_is_read_only_to_the_limits(monkeypatch: Any) -> None:
    """A few kilobytes of XLSX can put one cell at column XFD and one a million rows down:
    reading stops at MAX_COLUMNS and one row past MAX_ROWS, so the file is refused quickly
    instead of building billions of empty cells."""
    import time

    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name_en"])
    sheet.cell(row=1, column=16384, value="far right")
    sheet.cell(row=1_048_576, column=1, value="far down")
    out = io.BytesIO()
    book.save(out)
    assert len(out.getvalue()) < 20_000
    start = time.perf_counter()
    with pytest.raises(ValidationError, match="more than 50 rows"):
        imports.read_table(out.getvalue(), "huge.xlsx")
    assert time.perf_counter() - start < 5
    header_only = Workbook()
    sheet = header_only.active
    assert sheet is not None
    sheet.append(["code", "name_en"])
    sheet.cell(row=1, column=16384, value="far right")
    out = io.BytesIO()
    header_only.save(out)
    assert imports.read_table(out.getvalue(), "wide.xlsx") == []
