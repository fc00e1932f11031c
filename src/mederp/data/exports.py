"""Render a table as CSV, XLSX or PDF. Pure rendering: the service decides what is masked,
authorizes and records the export."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula stays text (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in headers])
    for row in rows:
        writer.writerow([neutralise("" if v is None else str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "export")
    sheet.append([str(h) for h in headers])
    for row in rows:
        sheet.append([neutralise("" if v is None else str(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_CJK_FONT = "STSong-Light"


def _markup(text: str) -> str:
    """Latin-1 text in Helvetica, anything else in reportlab's built-in CJK font."""
    parts: list[str] = []
    run: list[str] = []
    cjk = False
    for ch in text:
        is_cjk = ord(ch) > 0xFF
        if run and is_cjk != cjk:
            chunk = escape("".join(run))
            parts.append(f'<font name="{_CJK_FONT}">{chunk}</font>' if cjk else chunk)
            run = []
        cjk = is_cjk
        run.append(ch)
    if run:
        chunk = escape("".join(run))
        parts.append(f'<font name="{_CJK_FONT}">{chunk}</font>' if cjk else chunk)
    return "".join(parts)


def to_pdf(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    if _CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    cell = ParagraphStyle("cell", fontName="Helvetica", fontSize=7, leading=8.6, wordWrap="CJK")
    head = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=14, leading=18)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        creator="mederp",
    )
    data = [[Paragraph(_markup(str(h)), cell) for h in headers]]
    data += [[Paragraph(_markup("" if v is None else str(v)), cell) for v in row] for row in rows]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3eef7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    doc.build([Paragraph(_markup(title), head), table])
    return buf.getvalue()


def render(fmt: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    if fmt == "csv":
        return to_csv(headers, rows)
    if fmt == "xlsx":
        return to_xlsx(title, headers, rows)
    if fmt == "pdf":
        return to_pdf(title, headers, rows)
    raise ValueError(f"unknown export format {fmt!r}")
