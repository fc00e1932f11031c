"""GS1 identifiers: GTIN check digits and GS1 barcode scans (a thin layer over ``biip``).

* ``gtin_is_valid(code)`` checks a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 (length, digits only,
  GS1 mod-10 check digit) and returns ``False`` for anything else; it never raises.
* ``check_digit(digits)`` computes the GS1 mod-10 check digit of any GS1 key without its check
  digit (GTIN, GLN, SSCC); ``gtin14(code)`` left-pads a valid GTIN to the 14 digits of a UDI-DI.
* ``parse(scan)`` reads what a barcode scanner sends for a GS1-128, GS1 DataMatrix, GS1 QR
  Code, GS1 DataBar or GS1 DotCode symbol and returns a ``dict`` of application identifier (AI)
  -> value, in the order of the scan:

    >>> parse("]d201095060001343521726123110LOT42\\x1d21SN001")
    {'01': '09506000134352', '17': '2026-12-31', '10': 'LOT42', '21': 'SN001'}

  Accepted forms:

  - the raw element string, with FNC1 transmitted as GS (``"\\x1d"``) after each
    variable-length field that is not last (a leading or trailing GS is ignored);
  - the same preceded by a symbology identifier: ``]C1`` (GS1-128), ``]d2`` (GS1 DataMatrix),
    ``]Q3`` (GS1 QR Code), ``]e0`` (GS1 DataBar), ``]J1`` (GS1 DotCode);
  - the human readable interpretation printed under the symbol, ``"(01)…(17)…(10)…"``
    (white space is ignored);
  - a GS1 Digital Link URI (``https://…/01/…/10/…?17=…``), bare or after ``]Q1``/``]Q3``/
    ``]d1``/``]d2``;
  - a plain GTIN symbol with its symbology identifier: ``]E0`` (EAN-13, UPC-A, UPC-E),
    ``]E4`` (EAN-8) or ``]I1`` (ITF-14), returned as ``{"01": <GTIN-14>}``.

  Values are returned as encoded, except dates: AIs holding a date (11, 12, 13, 15, 16, 17,
  7006, 7007, ...) give ``YYYY-MM-DD``, with the two-digit year placed by the GS1 sliding
  window and day ``00`` meaning the last day of the month (GS1 General Specifications 7.12);
  AIs holding a date and time (7003, 8008, and 4324/4325 unless the time is ``9999``) give
  ``YYYY-MM-DDTHH:MM:SS``. Measures keep their implied decimal point in the AI (``"3103":
  "000525"`` is 0.525 kg).

  A malformed scan raises ``ValueError`` with a message naming what is wrong: unknown AI,
  value not matching the AI's format, impossible date, wrong check digit of a GTIN (AI 01, 02,
  03), SSCC (00) or GLN (410 to 417), the same AI twice with different values, text left over.
  A variable-length field that is not last and not ended by GS cannot be detected: it takes
  the rest of the scan (``"10LOT4221SN001"`` is lot ``LOT4221SN001``), as in the standard.

Keyboard-wedge scanners often cannot type GS; configure them to send another character for
FNC1 and pass it as ``parse(scan, separators="|")`` (any character that cannot occur in GS1
data: not a letter, digit or one of ``!"%&'()*+,-./:;<=>?_#``, nor ``]`` or white space).

This module imports nothing from Django, so other tools and tests can call it directly.
Known limit of biip 5.2: a harvest date range in AI 7007 (``YYMMDDYYMMDD``) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from biip import BiipException, ParseConfig
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.upc import Upc

__all__ = ["check_digit", "gtin14", "gtin_is_valid", "parse"]

GS = "\x1d"  # ASCII group separator: how scanners transmit FNC1 used as a field separator
GTIN_LENGTHS = (8, 12, 13, 14)

_DIGITS = re.compile(r"[0-9]+")
_SYMBOLOGY_IDENTIFIER = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# GS1 AI encodable character set 82 plus "#" (set 39): characters that can occur in data.
_DATA_CHARACTERS = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz#"
)
_HRI_PAIR = re.compile(r"\(([0-9]+)\)([^(]*)")
_URI_SCHEMES = ("http://", "https://")
# Symbology identifiers (ISO/IEC 15424, GS1 General Specifications 5.1.2) without the "]".
_MESSAGE_SYMBOLOGIES = frozenset({"C1", "d2", "Q3", "e0", "J1"})  # GS1-128, DataMatrix, QR...
_LINK_SYMBOLOGIES = frozenset({"Q1", "Q3", "d1", "d2"})  # QR Code and DataMatrix
_GTIN_SYMBOLOGIES = {"E0": (8, 12, 13), "E4": (8,), "I1": (14,)}


def check_digit(digits: str) -> int:
    """Return the GS1 mod-10 check digit for ``digits`` (a GS1 key without its check digit).

    >>> check_digit("950600013435"), check_digit("0950600013435")
    (2, 2)
    """
    if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
        raise ValueError(f"expected ASCII digits, got {digits!r}")
    # From the right: weight 3 for the digit next to the check digit, then 1, 3, 1, ...
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gtin_is_valid(code: str) -> bool:
    """Whether ``code`` is a GTIN-8, -12, -13 or -14 with a correct check digit.

    Anything else gives ``False``, never an exception: another type, another length, white
    space or any character other than the ASCII digits 0-9, a wrong check digit. Only the
    syntax is checked, not whether the number has been allocated.

    >>> gtin_is_valid("09506000134352"), gtin_is_valid("9506000134352")
    (True, True)
    >>> gtin_is_valid("09506000134353"), gtin_is_valid("0950600013435"), gtin_is_valid(None)
    (False, False, False)
    """
    if not isinstance(code, str) or len(code) not in GTIN_LENGTHS:
        return False
    if not _DIGITS.fullmatch(code):
        return False
    return check_digit(code[:-1]) == int(code[-1])


def gtin14(code: str) -> str:
    """Return a valid GTIN as the 14 digits of a GTIN-14 (left-padded with zeros).

    >>> gtin14("9506000134352")
    '09506000134352'
    """
    if not gtin_is_valid(code):
        raise ValueError(
            f"{code!r} is not a valid GTIN: expected 8, 12, 13 or 14 digits "
            "ending with the GS1 mod-10 check digit"
        )
    return code.zfill(14)


def parse(scan: str, *, separators: str | Iterable[str] = GS) -> dict[str, str]:
    """Parse a GS1 barcode scan into ``{AI: value}`` (see the module documentation).

    ``separators`` are the characters accepted as the FNC1 field separator besides GS.
    Raises ``ValueError`` for a malformed scan and ``TypeError`` if ``scan`` is not a string.
    """
    if not isinstance(scan, str):
        raise TypeError(f"scan must be a string, not {type(scan).__name__}")
    seps = _separators(separators)
    text = scan.strip().strip("".join(seps)).strip()
    if not text:
        raise ValueError("empty GS1 scan")
    try:
        element_strings = _element_strings(text, seps)
    except BiipException as exc:
        raise ValueError(f"malformed GS1 scan {scan!r}: {exc}") from exc
    return _as_dict(scan, element_strings)


def _separators(separators: str | Iterable[str]) -> tuple[str, ...]:
    chosen = [separators] if isinstance(separators, str) else list(separators)
    result = [GS]
    for sep in chosen:
        if not isinstance(sep, str) or len(sep) != 1:
            raise ValueError(f"each separator must be a single character, got {sep!r}")
        if sep in _DATA_CHARACTERS or sep == "]" or (sep.isspace() and sep != GS):
            raise ValueError(
                f"separator {sep!r} can occur in GS1 data, starts a symbology identifier or "
                "is white space: use GS or a character such as '|', '~' or '^'"
            )
        if sep not in result:
            result.append(sep)
    return tuple(result)


def _element_strings(text: str, seps: tuple[str, ...]) -> list[GS1ElementString]:
    config = ParseConfig(separator_chars=seps)
    if text.startswith("]"):
        return _after_symbology_identifier(text, seps, config)
    if text.startswith("("):
        return _from_hri(text, config)
    if text.lower().startswith(_URI_SCHEMES):
        return list(GS1DigitalLinkURI.parse(text, config=config).element_strings)
    return list(GS1Message.parse(text, config=config).element_strings)


def _after_symbology_identifier(
    text: str, seps: tuple[str, ...], config: ParseConfig
) -> list[GS1ElementString]:
    # ISO/IEC 15424: "]", a code character, a modifier character.
    if not _SYMBOLOGY_IDENTIFIER.match(text):
        raise ValueError(f"malformed GS1 scan {text!r}: incomplete symbology identifier")
    code, data = text[1:3], text[3:].strip("".join(seps))
    if not data:
        raise ValueError(f"malformed GS1 scan {text!r}: no data after ]{code}")
    if code in _LINK_SYMBOLOGIES and data.lower().startswith(_URI_SCHEMES):
        return list(GS1DigitalLinkURI.parse(data, config=config).element_strings)
    if code in _MESSAGE_SYMBOLOGIES:
        return list(GS1Message.parse(data, config=config).element_strings)
    if code in _GTIN_SYMBOLOGIES:
        return [GS1ElementString.parse("01" + _gtin_from_symbol(code, data), config=config)]
    raise ValueError(
        f"malformed GS1 scan {text!r}: symbology ]{code} does not carry GS1 data "
        "(expected ]C1, ]d2, ]Q3, ]e0 or ]J1 for GS1 element strings, ]E0, ]E4 or ]I1 for "
        "a GTIN, or a GS1 Digital Link URI)"
    )


def _gtin_from_symbol(code: str, data: str) -> str:
    if not _DIGITS.fullmatch(data) or len(data) not in _GTIN_SYMBOLOGIES[code]:
        lengths = ", ".join(str(n) for n in _GTIN_SYMBOLOGIES[code])
        raise ValueError(
            f"malformed GS1 scan: a ]{code} symbol holds a GTIN of {lengths} digits, got {data!r}"
        )
    if code == "E0" and len(data) == 8:  # UPC-E: expand to UPC-A first
        return Upc.parse(data).as_gtin_14()
    return data.zfill(14)  # the check digit is verified with the element string


def _from_hri(text: str, config: ParseConfig) -> list[GS1ElementString]:
    hri = "".join(text.split())
    pairs = _HRI_PAIR.findall(hri)
    if "".join(f"({ai}){value}" for ai, value in pairs) != hri:
        raise ValueError(
            f"malformed GS1 scan {text!r}: expected '(AI)value(AI)value...', "
            "each AI being digits in parentheses"
        )
    for ai, value in pairs:
        if not value:
            raise ValueError(f"malformed GS1 scan {text!r}: AI ({ai}) has no value")
    return list(GS1Message.parse_hri(hri, config=config).element_strings)


def _as_dict(scan: str, element_strings: Iterable[GS1ElementString]) -> dict[str, str]:
    result: dict[str, str] = {}
    for element in element_strings:
        ai = element.ai.ai
        error = element.gtin_error or element.sscc_error or element.gln_error
        if error:
            raise ValueError(f"malformed GS1 scan {scan!r}: AI ({ai}): {error}")
        if element.datetime is not None:
            value = element.datetime.isoformat()
        elif element.date is not None:
            value = element.date.isoformat()
        else:
            value = element.value
        if result.setdefault(ai, value) != value:
            raise ValueError(
                f"malformed GS1 scan {scan!r}: AI ({ai}) appears twice with different values "
                f"({result[ai]!r} and {value!r})"
            )
    if not result:  # pragma: no cover - biip returns at least one element or raises
        raise ValueError(f"malformed GS1 scan {scan!r}: no element string found")
    return result
