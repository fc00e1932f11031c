"""Render ledger entries as CSV (for spreadsheets) or PDF (for reading and handing over).

Pure rendering: no queries, no authorization and no ledger writes; `services.export_entries`
does those around it in one transaction. See docs/adr/0002-pdf-with-reportlab.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mederp.audit import display
from mederp.audit.models import AuditEntry

FORMATS = ("csv", "pdf")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise


CSV_COLUMNS: tuple[Column, ...] = (
    Column("seq", gettext_lazy("Sequence")),
    Column("time", gettext_lazy("Time")),
    Column("site", gettext_lazy("Site")),
    Column("username", gettext_lazy("Username")),
    Column("full_name", gettext_lazy("Full name")),
    Column("action", gettext_lazy("Action code")),
    Column("action_label", gettext_lazy("Action")),
    Column("object_type", gettext_lazy("Object type")),
    Column("object_id", gettext_lazy("Object id")),
    Column("object", gettext_lazy("Object")),
    Column("changes", gettext_lazy("Changes")),
    Column("reason", gettext_lazy("Reason")),
    Column("request_id", gettext_lazy("Request id")),
)

PDF_COLUMNS: tuple[Column, ...] = (
    Column("seq", gettext_lazy("Seq.")),
    Column("time", gettext_lazy("Time")),
    Column("site", gettext_lazy("Site")),
    Column("who", gettext_lazy("Who")),
    Column("action_label", gettext_lazy("Action")),
    Column("object", gettext_lazy("Object")),
    Column("changes", gettext_lazy("Changes")),
    Column("reason", gettext_lazy("Reason")),
)

COLUMNS = {"csv": CSV_COLUMNS, "pdf": PDF_COLUMNS}


def local_time(value: dt.datetime, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).isoformat(sep=" ", timespec="seconds")


def entry_values(entry: AuditEntry, tz: dt.tzinfo) -> dict[str, Any]:
    """Every column's value for one entry (plain strings, except the sequence number)."""
    return {
        "seq": entry.seq,
        "time": local_time(entry.created_at, tz),
        "site": entry.site_code,
        "username": entry.actor_username,
        "full_name": entry.actor_name,
        "who": display.actor_display(entry),
        "action": entry.action,
        "action_label": display.label_for(entry),
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object": display.object_display(entry),
        "changes": [str(line) for line in display.change_lines(entry)],
        "reason": entry.reason,
        "request_id": entry.request_id,
    }


# --- CSV ----------------------------------------------------------------------------------------
# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, and tab / CR,
# which some spreadsheets strip before looking at the first character.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text cell that starts like a formula with an apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(entries: Iterable[AuditEntry], tz: dt.tzinfo) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(c.label)) for c in CSV_COLUMNS])
    for entry in entries:
        values = entry_values(entry, tz)
        values["changes"] = "; ".join(values["changes"])
        writer.writerow([neutralise(values[c.key]) for c in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- PDF ----------------------------------------------------------------------------------------
# Latin text in Helvetica, everything else (Chinese, arrows, Greek, Cyrillic) in reportlab's
# built-in CID font STSong-Light: both ship with reportlab, so nothing is installed or embedded.
LATIN_FONT = "Helvetica"
CJK_FONT = "STSong-Light"
_CHUNK = 250  # rows per table flowable: splitting one huge table is quadratic in reportlab
_CJK_START = 0x2E80  # from here on (CJK radicals, kana, ideographs, Hangul): break anywhere


def _cp1252_chars() -> frozenset[str]:
    chars = set()
    for byte in range(0x20, 0x100):
        try:
            chars.add(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            continue
    return frozenset(chars)


_LATIN = _cp1252_chars()  # what Helvetica (WinAnsiEncoding) can show


def font_runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font, run) pairs: Helvetica where it has the glyphs, else STSong."""
    runs: list[tuple[str, list[str]]] = []
    for ch in text:
        font = LATIN_FONT if ch in _LATIN else CJK_FONT
        if runs and runs[-1][0] == font:
            runs[-1][1].append(ch)
        else:
            runs.append((font, [ch]))
    return [(font, "".join(chars)) for font, chars in runs]


def markup(text: str) -> str:
    """Paragraph markup for `text`: escaped, with non-Latin runs in the CJK font."""
    return "".join(
        escape(run) if font == LATIN_FONT else f'<font name="{CJK_FONT}">{escape(run)}</font>'
        for font, run in font_runs(text)
    )


@cache
def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(sum(stringWidth(run, font, size) for font, run in font_runs(text)))


def _draw(canvas: Any, x: float, y: float, text: str, size: float, right: bool = False) -> None:
    """drawString with the same font switching as `markup`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    runs = font_runs(text)
    if right:
        x -= sum(stringWidth(run, font, size) for font, run in runs)
    for font, run in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += stringWidth(run, font, size)


def _para_text(value: Any) -> str:
    if isinstance(value, list):
        return "<br/>".join(markup(str(v)) for v in value)
    return markup(str(value))


@dataclass(frozen=True)
class PdfHeader:
    title: str
    generated_by: str
    generated_at: str
    filter_text: str
    row_count_text: str


def to_pdf(entries: Iterable[AuditEntry], tz: dt.tzinfo, header: PdfHeader) -> bytes:
    """A landscape A4 report: title, who generated it and when, the filter, the table, and
    "page X of Y" with the column headings on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        Flowable,
        Frame,
        NextPageTemplate,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    _register_font()
    page_w, page_h = landscape(A4)
    margin = 12 * mm
    widths = [14 * mm, 32 * mm, 15 * mm, 38 * mm, 30 * mm, 45 * mm, 65 * mm, 34 * mm]
    head_h = 6 * mm  # the column heading band drawn on pages after the first
    labels = [str(c.label) for c in PDF_COLUMNS]
    page_label = _("Page %(page)s of %(pages)s")

    # CJK line breaking (any character may end a line) costs ~2x the Latin one: use it only
    # for cells that hold CJK text.
    cell = ParagraphStyle("cell", fontName=LATIN_FONT, fontSize=7, leading=8.6)
    cell_cjk = ParagraphStyle("cell_cjk", parent=cell, wordWrap="CJK")
    body = ParagraphStyle("body", fontName=LATIN_FONT, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle(
        "title", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=6
    )
    grid = [
        ("FONT", (0, 0), (-1, -1), LATIN_FONT, 7),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]

    class Lines(Flowable):
        """Lines that fit their column as they are: drawn directly, ~20x cheaper than a
        Paragraph, which is kept for the text that must wrap."""

        def __init__(self, texts: list[str]) -> None:
            super().__init__()
            self.texts = texts

        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return avail_w, cell.leading * len(self.texts)

        def draw(self) -> None:
            y = cell.leading * (len(self.texts) - 1) + (cell.leading - cell.fontSize)
            for text in self.texts:
                _draw(self.canv, 0, y, text, cell.fontSize)
                y -= cell.leading

    def make_cell(value: Any, width: float) -> Any:
        texts = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if all(_width(text, cell.fontSize) <= width - 4 for text in texts):
            return Lines(texts)
        cjk = any(ord(ch) >= _CJK_START for text in texts for ch in text)
        return Paragraph(_para_text(value), cell_cjk if cjk else cell)

    def draw_headings(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        top = page_h - margin
        canvas.setFillColor(colors.HexColor("#e3eef7"))
        canvas.setStrokeColor(colors.HexColor("#9aa5b1"))
        canvas.setLineWidth(0.25)
        canvas.rect(margin, top - head_h, sum(widths), head_h, stroke=1, fill=1)
        canvas.setFillColor(colors.black)
        x = margin
        for label, width in zip(labels, widths, strict=True):
            _draw(canvas, x + 2, top - head_h + 2 * mm, label, 7)
            x += width
        canvas.restoreState()

    class NumberedCanvas(Canvas):
        """Holds every page until the end so each can say "page X of Y"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFillColor(colors.HexColor("#4a5560"))
                _draw(self, margin, margin / 2, header.title, 7)
                _draw(
                    self,
                    page_w - margin,
                    margin / 2,
                    page_label % {"page": self._pageNumber, "pages": total},
                    7,
                    right=True,
                )
                super().showPage()
            super().save()

    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=(page_w, page_h),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=header.title,
        author=header.generated_by,
        creator="mederp",
    )
    frame_w, frame_h = page_w - 2 * margin, page_h - 2 * margin
    doc.addPageTemplates(
        [
            PageTemplate(
                "first",
                [
                    Frame(
                        margin, margin, frame_w, frame_h, id="first", leftPadding=0, rightPadding=0
                    )
                ],
            ),
            PageTemplate(
                "later",
                [
                    Frame(
                        margin,
                        margin,
                        frame_w,
                        frame_h - head_h,
                        id="later",
                        leftPadding=0,
                        rightPadding=0,
                        topPadding=0,
                        bottomPadding=0,
                    )
                ],
                onPage=draw_headings,
            ),
        ]
    )

    story: list[Any] = [
        NextPageTemplate("later"),
        Paragraph(markup(header.title), title),
        Paragraph(markup(header.generated_by), body),
        Paragraph(markup(header.generated_at), body),
        Paragraph(markup(header.filter_text), body),
        Paragraph(markup(header.row_count_text), body),
        Spacer(1, 4 * mm),
        Table(
            [[Paragraph(markup(label), cell) for label in labels]],
            colWidths=widths,
            style=TableStyle([*grid, ("BACKGROUND", (0, 0), (-1, -1), "#e3eef7")]),
        ),
    ]
    rows = 0
    for chunk in _chunks(entries, _CHUNK):
        data = []
        for entry in chunk:
            values = entry_values(entry, tz)
            data.append(
                [make_cell(values[c.key], w) for c, w in zip(PDF_COLUMNS, widths, strict=True)]
            )
        rows += len(data)
        story.append(Table(data, colWidths=widths, style=TableStyle(grid)))
    if rows == 0:
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(markup(_("No entries match this filter.")), body))
    doc.build(story, canvasmaker=NumberedCanvas)
    return buf.getvalue()


def _chunks(items: Iterable[AuditEntry], size: int) -> Iterator[Sequence[AuditEntry]]:
    chunk: list[AuditEntry] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
