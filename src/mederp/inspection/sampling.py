"""Single sampling plans for normal inspection by attributes (ISO 2859-1 / GB/T 2828.1).

``plan(lot_size, aql, level)`` returns the sampling plan that ISO 2859-1:1999 (identical tables
in GB/T 2828.1-2012, ANSI/ASQ Z1.4 and MIL-STD-105E) gives for single sampling under *normal*
inspection:

1. Table 1 gives the sample size code letter from the lot size and the inspection level
   (general levels I, II, III; special levels S-1 to S-4).
2. Table 2-A (the master table) gives, for that code letter and the AQL, the sample size with
   its acceptance number Ac and rejection number Re. Where the table shows an arrow instead of
   Ac/Re, the standard says: use the first sampling plan below (↓) or above (↑) the arrow. The
   plan found there brings its own sample size *and* its Ac/Re, so the code letter changes
   (``SamplingPlan.code_letter`` is the letter used, ``table_code_letter`` the one of Table 1).
3. When the sample size equals or exceeds the lot size, the standard says to inspect 100 %:
   ``sample_size`` is then the lot size, ``hundred_percent`` is true and Ac/Re stay those of the
   plan (the lot is accepted when the sample has at most Ac nonconforming items, or
   nonconformities).

    >>> plan(1000, "1.0")  # doctest: +ELLIPSIS
    SamplingPlan(code_letter='J', sample_size=80, accept=2, reject=3, ...)
    >>> p = plan(50, "0.65")  # Table 1 gives D; D and E have ↓ under 0.65: first plan is F
    >>> p.table_code_letter, p.code_letter, p.sample_size, p.accept, p.reject
    ('D', 'F', 20, 0, 1)
    >>> p = plan(10, "0.10")  # the plan (code K, n = 125) is larger than the lot
    >>> p.sample_size, p.plan_sample_size, p.hundred_percent, p.accept
    (10, 125, True, 0)

Inputs:

* ``lot_size``: an ``int`` ≥ 1. Table 1 starts at 2; a lot of a single unit uses the first row
  (2 to 8), and since every plan samples at least 2 units it is always inspected 100 %.
* ``aql``: one of the 26 AQL columns of Table 2-A, as printed (``"0.010"`` … ``"1000"``), in
  percent nonconforming (up to 10) or nonconformities per 100 units. Equivalent spellings are
  accepted: ``"0.1"``, ``"1"``, ``"4"``, ``"1000.0"``, ``"2.5%"``, or a ``Decimal``/``int``
  of the same value. Any other value is refused, never rounded to a column; a decimal comma
  (``"0,65"``) is refused too, as ``"1,000"`` would be ambiguous.
* ``level``: ``"I"``, ``"II"`` (the default), ``"III"``, ``"S-1"`` … ``"S-4"``; case, spaces and
  hyphens do not matter, and ``"G2"``/``"GII"`` (general level II) or ``"S1"`` are accepted.

Invalid input raises ``ValueError`` (``TypeError`` for a value of the wrong type) with a
message naming the value and what is accepted.

Two cells of Table 2-A have an arrow pointing out of the table: row A under AQL 10 and row R
under AQL 0.015. Some reproductions print ↑ in cell A/10 (e.g. source 3 below); there is no
plan above row A, so the first plan in that column, below, applies (C: n = 5, Ac 1, Re 2), as
in sources 1 and 2. Cell R/0.015 has no row below and resolves upwards to P (n = 800, Ac 0,
Re 1), as source 4 states.

Sources. The standard itself (ISO 2859-1:1999, Tables 1 and 2-A; the same tables are in
GB/T 2828.1-2012, IS 2500 (Part 1):2000, ANSI/ASQ Z1.4-2003 and MIL-STD-105E, Tables I and
II-A) could not be consulted in full for this module. The tables were transcribed from, and
cross-checked cell by cell against, these published reproductions of it; all agree with the
data below, except the cosmetic A/10 arrow noted above:

1. John S. Lawson, R package AQLSchemes (CRAN), function ``AAZ14Single``: the normal single
   sampling tables of MIL-STD-105E / ANSI/ASQ Z1.4 with every arrow already resolved
   (sample size, Ac and Re for all 16 code letters x 26 AQLs) and Table I; read in the fork
   github.com/fjgonzalezmgt/AQLSchemesCust, file R/AAZ14Single.R. All 416 resolved cells and
   all 105 cells of Table 1 match.
2. NBR 5426 (the Brazilian adoption of ISO 2859-1), Table 2 as transcribed with its arrows
   in the QGIS plugin github.com/alxcart/SampleByArea, file main_sample_plan.py
   (``TAB_LQA``: code letters A to R, AQL 0.40 to 25): all 160 cells match.
3. NIBS, "Table 1-A, General Level II, Single Normal", developed from MIL-STD-105E Tables I
   and II-A (nibs.org/FMOC/DPW_AC/AC-TABLE.ASC): code letters A to Q, AQL 0.65 to 15.
4. AQL Inspector's Rule (aqlinspectorsrule.com/below): Ac 0/Re 1 under Q for 0.010, P for
   0.015, N for 0.025, M for 0.040; code letter R at AQL 0.015 moves to P (n = 800, 0/1).
5. Table 1 also against the "AQL sampling chart" (ANSI/ASQC Z1.4 / MIL-STD-105E / BS 6001 /
   DIN 40080 / ISO 2859, pdfcoffee.com) and qualitycontrolpartners.com/aql-tables (ISO 2859-1).

This module imports nothing from Django, so other tools and tests can call it directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

__all__ = [
    "AQL_VALUES",
    "CODE_LETTERS",
    "LEVELS",
    "SAMPLE_SIZES",
    "TABLE_2A",
    "SamplingPlan",
    "code_letter",
    "normalize_aql",
    "normalize_level",
    "plan",
]

#: Sample size code letters in table order (the standard skips I and O).
CODE_LETTERS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPQR")

#: Sample size of each code letter (Table 2-A, "Sample size" column).
SAMPLE_SIZES: Mapping[str, int] = MappingProxyType(
    dict(
        zip(
            CODE_LETTERS,
            (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000),
            strict=True,
        )
    )
)

#: The 26 AQL columns of Table 2-A, spelled as printed in the standard.
AQL_VALUES: tuple[str, ...] = (
    "0.010",
    "0.015",
    "0.025",
    "0.040",
    "0.065",
    "0.10",
    "0.15",
    "0.25",
    "0.40",
    "0.65",
    "1.0",
    "1.5",
    "2.5",
    "4.0",
    "6.5",
    "10",
    "15",
    "25",
    "40",
    "65",
    "100",
    "150",
    "250",
    "400",
    "650",
    "1000",
)

#: Inspection levels in the column order of Table 1: special levels, then general levels.
LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")

# Table 1 - Sample size code letters. One row per lot size range: the upper bound of the range
# (None: "and over") and the code letter for S-1, S-2, S-3, S-4, I, II, III.
_TABLE_1: tuple[tuple[int | None, str], ...] = (
    # lot size            S-1 S-2 S-3 S-4  I  II III
    (8, "A A A A A A B"),  # 2 to 8
    (15, "A A A A A B C"),  # 9 to 15
    (25, "A A B B B C D"),  # 16 to 25
    (50, "A B B C C D E"),  # 26 to 50
    (90, "B B C C C E F"),  # 51 to 90
    (150, "B B C D D F G"),  # 91 to 150
    (280, "B C D E E G H"),  # 151 to 280
    (500, "B C D E F H J"),  # 281 to 500
    (1200, "C C E F G J K"),  # 501 to 1 200
    (3200, "C D E G H K L"),  # 1 201 to 3 200
    (10000, "C D F G J L M"),  # 3 201 to 10 000
    (35000, "C D F H K M N"),  # 10 001 to 35 000
    (150000, "D E G J L N P"),  # 35 001 to 150 000
    (500000, "D E G J M P Q"),  # 150 001 to 500 000
    (None, "D E H K N Q R"),  # 500 001 and over
)

# Table 2-A - Single sampling plans for normal inspection (master table). One row per code
# letter, one cell per AQL column in the order of AQL_VALUES: "Ac/Re", or an arrow:
# ↓ use the first sampling plan below the arrow, ↑ use the first sampling plan above it.
_TABLE_2A: dict[str, tuple[str, str]] = {
    #      0.010 0.015 0.025 0.040 0.065 0.10  0.15  0.25  0.40  0.65  1.0   1.5   2.5
    #      4.0   6.5   10    15    25    40    65    100   150   250   400   650   1000
    "A": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓",
        "↓     0/1   ↓     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31",
    ),
    "B": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓",
        "0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45",
    ),
    "C": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1",
        "↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑",
    ),
    "D": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑",
        "↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑",
    ),
    "E": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓",
        "1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑     ↑",
    ),
    "F": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2",
        "2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "G": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3",
        "3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "H": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4",
        "5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "J": (
        "↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6",
        "7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "K": (
        "↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8",
        "10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "L": (
        "↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11",
        "14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "M": (
        "↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15",
        "21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "N": (
        "↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22",
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "P": (
        "↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑",
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "Q": (
        "0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑",
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
    "R": (
        "↑     ↑     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑",
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑",
    ),
}

_DOWN = "↓"
_UP = "↑"


def _table_2a_cells() -> dict[str, tuple[str, ...]]:
    cells: dict[str, tuple[str, ...]] = {}
    for letter in CODE_LETTERS:
        first, second = _TABLE_2A[letter]
        row = tuple(first.split() + second.split())
        if len(row) != len(AQL_VALUES):  # pragma: no cover - guards the transcription
            raise AssertionError(f"Table 2-A row {letter} has {len(row)} cells")
        cells[letter] = row
    return cells


#: Table 2-A as transcribed: code letter -> AQL -> "Ac/Re", "↓" or "↑". For the tests.
TABLE_2A: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        letter: MappingProxyType(dict(zip(AQL_VALUES, row, strict=True)))
        for letter, row in _table_2a_cells().items()
    }
)


def _resolve(letter: str, aql: str) -> tuple[str, int, int]:
    """Follow the arrows of Table 2-A from (letter, aql) to a plan: (letter, Ac, Re)."""
    index = CODE_LETTERS.index(letter)
    cell = TABLE_2A[letter][aql]
    step = 1 if cell == _DOWN else -1
    while cell in (_DOWN, _UP):
        index += step
        if not 0 <= index < len(CODE_LETTERS):  # pragma: no cover - guards the transcription
            raise AssertionError(f"Table 2-A: no plan for {letter} under AQL {aql}")
        cell = TABLE_2A[CODE_LETTERS[index]][aql]
    accept, reject = (int(number) for number in cell.split("/"))
    return CODE_LETTERS[index], accept, reject


# Every (code letter, AQL) resolved once, at import time.
_PLANS: Mapping[tuple[str, str], tuple[str, int, int]] = MappingProxyType(
    {(letter, aql): _resolve(letter, aql) for letter in CODE_LETTERS for aql in AQL_VALUES}
)

_AQL_BY_VALUE: dict[Decimal, str] = {Decimal(aql): aql for aql in AQL_VALUES}
_AQL_SYNTAX = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_LEVEL_ALIASES: dict[str, str] = {
    "I": "I",
    "II": "II",
    "III": "III",
    "GI": "I",
    "GII": "II",
    "GIII": "III",
    "G1": "I",
    "G2": "II",
    "G3": "III",
    "S1": "S-1",
    "S2": "S-2",
    "S3": "S-3",
    "S4": "S-4",
}


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """A single sampling plan for normal inspection, ready to use on one lot.

    ``code_letter``, ``accept`` and ``reject`` are those of the plan used in Table 2-A, after
    following any arrow; ``table_code_letter`` is the letter Table 1 gave for the lot.
    ``sample_size`` is the number of units to inspect: the plan's sample size
    (``plan_sample_size``), or the whole lot when that is not larger (``hundred_percent``).
    The lot is accepted with at most ``accept`` nonconforming units (or nonconformities, for
    AQLs above 10) in the sample and rejected with ``reject`` or more; for single sampling
    ``reject`` is always ``accept + 1``.
    """

    code_letter: str
    sample_size: int
    accept: int
    reject: int
    table_code_letter: str
    plan_sample_size: int
    hundred_percent: bool
    lot_size: int
    aql: str
    level: str

    def accepts(self, nonconforming: int) -> bool:
        """Whether the lot is accepted with ``nonconforming`` found in the sample.

        ``nonconforming`` counts nonconforming units (AQL up to 10) or nonconformities (any
        AQL); it must be an ``int`` ≥ 0.
        """
        if isinstance(nonconforming, bool) or not isinstance(nonconforming, int):
            raise TypeError(f"nonconforming must be an int, not {type(nonconforming).__name__}")
        if nonconforming < 0:
            raise ValueError(f"nonconforming must be 0 or more, got {nonconforming}")
        return nonconforming <= self.accept


def normalize_aql(aql: str | Decimal | int) -> str:
    """Return the AQL column of Table 2-A for ``aql``, spelled as printed (e.g. ``"1.0"``).

    >>> normalize_aql("1"), normalize_aql("0.1"), normalize_aql("0.01"), normalize_aql("4%")
    ('1.0', '0.10', '0.010', '4.0')
    """
    if isinstance(aql, bool) or not isinstance(aql, str | Decimal | int):
        raise TypeError(
            f"aql must be a string such as '0.65' (or a Decimal), not {type(aql).__name__}"
        )
    if isinstance(aql, str):
        text = aql.strip().removesuffix("%").strip()
        if not _AQL_SYNTAX.fullmatch(text):
            raise ValueError(_aql_error(aql))
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the syntax check already refuses it
            raise ValueError(_aql_error(aql)) from None
    else:
        value = Decimal(aql)
        if not value.is_finite():
            raise ValueError(_aql_error(aql))
    try:
        return _AQL_BY_VALUE[value]
    except KeyError:
        raise ValueError(_aql_error(aql)) from None


def _aql_error(aql: object) -> str:
    return (
        f"unknown AQL {aql!r}: ISO 2859-1 Table 2-A has the columns "
        f"{', '.join(AQL_VALUES)} (percent nonconforming or nonconformities per 100 units)"
    )


def normalize_level(level: str) -> str:
    """Return the inspection level as spelled in Table 1 (``"II"``, ``"S-3"``, ...).

    >>> normalize_level("ii"), normalize_level("G2"), normalize_level("s3")
    ('II', 'II', 'S-3')
    """
    if not isinstance(level, str):
        raise TypeError(f"level must be a string such as 'II', not {type(level).__name__}")
    key = re.sub(r"[\s\-_]", "", level).upper()
    try:
        return _LEVEL_ALIASES[key]
    except KeyError:
        raise ValueError(
            f"unknown inspection level {level!r}: use one of {', '.join(LEVELS)} "
            "(general levels I, II, III; special levels S-1 to S-4)"
        ) from None


def _check_lot_size(lot_size: int) -> None:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise TypeError(f"lot_size must be an int, not {type(lot_size).__name__}")
    if lot_size < 1:
        raise ValueError(f"lot_size must be 1 or more, got {lot_size}")


def code_letter(lot_size: int, level: str = "II") -> str:
    """Return the sample size code letter of Table 1 for ``lot_size`` at ``level``.

    >>> code_letter(1000), code_letter(1000, "S-3"), code_letter(600_000, "III")
    ('J', 'E', 'R')
    """
    _check_lot_size(lot_size)
    column = LEVELS.index(normalize_level(level))
    for upper, letters in _TABLE_1:
        if upper is None or lot_size <= upper:
            return letters.split()[column]
    raise AssertionError("unreachable: the last row of Table 1 is open-ended")  # pragma: no cover


def plan(lot_size: int, aql: str | Decimal | int, level: str = "II") -> SamplingPlan:
    """Return the single sampling plan for normal inspection of a lot (see the module doc).

    ``lot_size`` is the number of units in the lot (an ``int`` ≥ 1), ``aql`` a column of
    Table 2-A (``"0.010"`` to ``"1000"``, equivalent spellings accepted) and ``level`` the
    inspection level (``"I"``, ``"II"``, ``"III"``, ``"S-1"`` to ``"S-4"``).
    """
    _check_lot_size(lot_size)
    canonical_aql = normalize_aql(aql)
    canonical_level = normalize_level(level)
    table_letter = code_letter(lot_size, canonical_level)
    letter, accept, reject = _PLANS[(table_letter, canonical_aql)]
    plan_sample_size = SAMPLE_SIZES[letter]
    hundred_percent = plan_sample_size >= lot_size
    return SamplingPlan(
        code_letter=letter,
        sample_size=lot_size if hundred_percent else plan_sample_size,
        accept=accept,
        reject=reject,
        table_code_letter=table_letter,
        plan_sample_size=plan_sample_size,
        hundred_percent=hundred_percent,
        lot_size=lot_size,
        aql=canonical_aql,
        level=canonical_level,
    )
