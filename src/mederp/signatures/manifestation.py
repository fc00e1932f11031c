"""Signature manifestation (21 CFR 11.50): printed name, date and time, meaning.

On screen: `{% load signatures %}{% signature_manifestation record %}`. On paper: every
printout or PDF of a signed record includes `manifestation_lines(record, tz)` (plain text
lines) or `manifestation_flowables(record, tz)` (reportlab paragraphs, CJK-safe).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mederp.signatures.services import CURRENT, SignatureCheck, check_all


@dataclass(frozen=True)
class Manifestation:
    meaning: str
    printed_name: str
    username: str
    signed_at_iso: str
    signed_at_utc: str
    signed_at_local: str
    zone: str
    state: str
    state_label: str
    content_hash: str
    comment: str

    @property
    def current(self) -> bool:
        return self.state == CURRENT

    def line(self) -> str:
        text = _("%(meaning)s by %(name)s (%(username)s) on %(utc)s UTC (%(local)s %(zone)s)") % {
            "meaning": self.meaning,
            "name": self.printed_name,
            "username": self.username,
            "utc": self.signed_at_utc,
            "local": self.signed_at_local,
            "zone": self.zone,
        }
        if not self.current:
            text = f"{text} — {self.state_label}"
        return text


def zone_name(tz: dt.tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz.tzname(None) or "UTC")


def manifest(check: SignatureCheck, tz: dt.tzinfo | None = None) -> Manifestation:
    tz = tz or timezone.get_current_timezone()
    sig = check.signature
    return Manifestation(
        meaning=sig.get_meaning_display(),
        printed_name=sig.printed_name,
        username=sig.signer_username,
        signed_at_iso=sig.signed_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        signed_at_utc=sig.signed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        signed_at_local=sig.signed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        zone=zone_name(tz),
        state=check.state,
        state_label=check.state_label,
        content_hash=sig.content_hash,
        comment=sig.reason,
    )


def manifestations(record: Any, tz: dt.tzinfo | None = None) -> list[Manifestation]:
    return [manifest(check, tz) for check in check_all(record)]


def manifestation_lines(record: Any, tz: dt.tzinfo | None = None) -> list[str]:
    """One line per signature, for a printout or PDF of `record`: a heading, then
    "Approved by Chen Jing (qm) on 2026-05-04 08:15:02 UTC (2026-05-04 16:15:02 Asia/Shanghai)",
    with the state when the signature no longer applies to this version."""
    items = manifestations(record, tz)
    if not items:
        return [_("Electronic signatures: none")]
    return [_("Electronic signatures"), *(m.line() for m in items)]


def manifestation_flowables(record: Any, tz: dt.tzinfo | None = None) -> list[Any]:
    """The same lines as reportlab Paragraphs (Latin and CJK fonts as the audit PDF)."""
    from reportlab.lib.styles import ParagraphStyle

    from mederp.audit.exports import LATIN_FONT, _register_font, markup

    _register_font()
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("esign", fontName=LATIN_FONT, fontSize=9, leading=12, wordWrap="CJK")
    lines = manifestation_lines(record, tz)
    heading = ParagraphStyle("esign_h", parent=style, fontName="Helvetica-Bold")
    return [Paragraph(markup(lines[0]), heading), *(Paragraph(markup(t), style) for t in lines[1:])]
