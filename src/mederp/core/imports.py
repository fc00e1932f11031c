"""Import master data from CSV or XLSX: the whole file or nothing.

    result = imports.run(
        actor, upload, filename="items.xlsx", kind="items",
        columns=ItemImport.columns, required=ItemImport.required,
        clean_row=ItemImport.clean_row,     # dict of strings -> what create needs; raises
        create=lambda actor, cleaned: services.create_item(actor, **cleaned),
        key=lambda cleaned: cleaned["code"], # duplicate keys inside the file are errors
    )
    if not result.ok: show result.errors (row number, column, message)

Every row is cleaned first, and every row's errors are collected (not just the first). If any
row has an error nothing is written. Otherwise every row is created through the domain's
service (which authorizes, validates again and writes its own ledger entry) inside one
transaction with one `import` ledger entry for the file; an error raised by a service at that
point rolls the whole file back and is reported against its row.

Why not django-import-export: it writes through `Model.save()`, which would bypass the
services, the only path that authorizes and audits a change (ARCHITECTURE.md §1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mederp import audit

MAX_ROWS = 20_000
MAX_COLUMNS = 64  # every import template has far fewer; a wider sheet is read up to here
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int  # the row number a spreadsheet shows: the header is row 1
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "errors": [e.as_dict() for e in self.errors],
        }


class ImportFileError(ValidationError):
    """The file as a whole cannot be read (format, size, header)."""


def _normalise_header(name: Any) -> str:
    return str(name or "").strip().lower().replace(" ", "_")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):  # openpyxl gives dates and datetimes
        text = value.isoformat()
        return str(text[:10] if text.endswith("T00:00:00") else text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; comma or semicolon) or XLSX file (first
    sheet) as dicts keyed by the normalised header."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    name = filename.lower()
    if name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(data)
    elif name.endswith(".csv"):
        raw_rows = _csv_rows(data)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    if not raw_rows:
        raise ImportFileError(_("The file is empty."))
    header = [_normalise_header(h) for h in raw_rows[0]]
    if len(raw_rows) - 1 > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(max)d rows; split it.") % {"max": MAX_ROWS}
        )
    rows: list[dict[str, str]] = []
    for raw in raw_rows[1:]:
        values = [_cell(v) for v in raw]
        if not any(values):
            rows.append({})  # kept so that row numbers stay those of the file
            continue
        rows.append({h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h})
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The CSV file is not UTF-8 text.")) from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text), dialect):
        rows.append(row[:MAX_COLUMNS])
        if len(rows) > MAX_ROWS + 1:
            break
    return rows


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError(_("The XLSX file cannot be read.")) from exc
    try:
        sheet = book.worksheets[0]
        # Bounded: a few kilobytes of XLSX can declare a cell at XFD1048576, and reading the
        # sheet's declared extent would build billions of empty cells. One row past the
        # limit is enough to say the file is too long.
        rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
        return [list(row) for row in rows]
    finally:
        book.close()


def _messages(exc: ValidationError, default_column: str) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (col if col != "__all__" else default_column, str(m))
            for col, errs in exc.message_dict.items()
            for m in errs
        ]
    return [(default_column, str(m)) for m in exc.messages]


def run(
    actor: Any,
    data: bytes,
    *,
    filename: str,
    kind: str,
    columns: Sequence[str],
    required: Iterable[str],
    clean_row: Callable[[dict[str, str]], dict[str, Any]],
    create: Callable[[Any, dict[str, Any]], Any],
    key: Callable[[dict[str, Any]], Hashable] | None = None,
    permission: Callable[[Any], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then create every row in one transaction, or nothing.

    `permission(actor)` runs first and may raise PermissionDenied (the caller records it).
    A file that cannot be read raises ImportFileError; row problems are in the result."""
    if permission is not None:
        permission(actor)
    rows = read_table(data, filename)
    result = ImportResult(kind=kind, rows=sum(1 for r in rows if r))
    missing = [c for c in required if rows and c not in _header_of(rows)]
    if missing:
        raise ImportFileError(
            _("Missing columns: %(columns)s. Expected: %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ", ".join(columns)}
        )
    if not result.rows:
        raise ImportFileError(_("The file has a header but no rows."))
    cleaned: list[tuple[int, dict[str, Any]]] = []
    seen: dict[Hashable, int] = {}
    for index, row in enumerate(rows, start=2):
        if not row:
            continue
        unknown = sorted(set(row) - set(columns))
        if unknown:
            result.errors.append(
                RowError(index, unknown[0], _("Unknown column (expected one of the template's)."))
            )
            continue
        absent = [c for c in required if not row.get(c)]
        for column in absent:
            result.errors.append(RowError(index, column, _("This value is required.")))
        if absent:
            continue
        try:
            value = clean_row(row)
        except ValidationError as exc:
            result.errors += [RowError(index, c, m) for c, m in _messages(exc, "")]
            continue
        if key is not None:
            k = key(value)
            if k in seen:
                result.errors.append(
                    RowError(index, "", _("Same record as row %(row)d.") % {"row": seen[k]})
                )
                continue
            seen[k] = index
        cleaned.append((index, value))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for index, value in cleaned:
                try:
                    create(actor, value)
                except ValidationError as exc:
                    result.errors += [RowError(index, c, m) for c, m in _messages(exc, "")]
                    raise
                result.created += 1
            audit.record(
                "import",
                object_type=kind,
                object_id=filename[:64],
                object_repr=filename,
                changes={"rows": [None, result.created]},
                actor=actor,
            )
    except ValidationError:
        result.created = 0
    except PermissionDenied:
        result.created = 0
        raise
    return result


def _header_of(rows: list[dict[str, str]]) -> set[str]:
    for row in rows:
        if row:
            return set(row)
    return set()
