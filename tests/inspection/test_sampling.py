"""ISO 2859-1 / GB/T 2828.1 single sampling plans, normal inspection: published values.

Each expected plan below was read off a published reproduction of Table 1 and Table 2-A
(full references in the docstring of ``mederp.inspection.sampling``):

* Z14   AQLSchemes ``AAZ14Single`` (J. S. Lawson): MIL-STD-105E / ANSI/ASQ Z1.4 Tables I and
        II-A with the arrows resolved, every code letter and AQL.
* NBR   NBR 5426 Table 2 (ISO 2859-1 adopted in Brazil), AQL 0.40 to 25, with its arrows.
* NIBS  NIBS Table 1-A, general level II, single normal, AQL 0.65 to 15 (from MIL-STD-105E).
* AIR   AQL Inspector's Rule, AQLs below 0.065 (R at 0.015 moves to P, 800, 0/1; 0/1 under Q
        for 0.010).
* MIN   minmen.co worked example: 3 000 units, level II, AQL 2.5 -> K, 125 samples, Ac 7, Re 8.

Where a plan follows an arrow, the source column shows the arrow cell and the plan cell.
"""

from __future__ import annotations

import dataclasses
import doctest
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mederp.inspection import sampling
from mederp.inspection.sampling import (
    AQL_VALUES,
    CODE_LETTERS,
    LEVELS,
    SAMPLE_SIZES,
    TABLE_2A,
    SamplingPlan,
    code_letter,
    normalize_aql,
    normalize_level,
    plan,
)

# (lot size, AQL, level, Table 1 letter, plan letter, sample size, Ac, Re, 100 %, sources)
PUBLISHED = [
    # General level II, the usual case; no arrow.
    (1000, "1.0", "II", "J", "J", 80, 2, 3, False, "Z14 NIBS"),
    (2000, "0.65", "II", "K", "K", 125, 2, 3, False, "Z14 NBR NIBS"),
    (3000, "2.5", "II", "K", "K", 125, 7, 8, False, "MIN Z14 NBR NIBS"),
    (1200, "4.0", "II", "J", "J", 80, 7, 8, False, "Z14 NBR NIBS"),
    (1201, "4.0", "II", "K", "K", 125, 10, 11, False, "Z14 NBR NIBS"),
    (500000, "0.65", "II", "P", "P", 800, 10, 11, False, "Z14 NBR NIBS"),
    (500001, "0.65", "II", "Q", "Q", 1250, 14, 15, False, "Z14 NBR NIBS"),
    (600000, "1.0", "II", "Q", "Q", 1250, 21, 22, False, "Z14 NBR NIBS"),
    (8, "6.5", "II", "A", "A", 2, 0, 1, False, "Z14 NBR NIBS"),
    # Arrow down: the code letter and the sample size change.
    (50, "0.65", "II", "D", "F", 20, 0, 1, False, "Z14 NBR NIBS"),
    (20, "6.5", "II", "C", "D", 8, 1, 2, False, "Z14 NBR NIBS"),
    (100, "1.5", "II", "F", "G", 32, 1, 2, False, "Z14 NBR NIBS"),
    (400, "0.65", "II", "H", "J", 80, 1, 2, False, "Z14 NBR NIBS"),
    (10, "10", "II", "B", "C", 5, 1, 2, False, "Z14 NBR NIBS"),
    # Arrow up.
    (10, "6.5", "II", "B", "A", 2, 0, 1, False, "Z14 NBR NIBS"),
    (20, "4.0", "II", "C", "B", 3, 0, 1, False, "Z14 NBR NIBS"),
    (100, "1.0", "II", "F", "E", 13, 0, 1, False, "Z14 NBR NIBS"),
    (200, "0.65", "II", "G", "F", 20, 0, 1, False, "Z14 NBR NIBS"),
    (5000, "10", "II", "L", "K", 125, 21, 22, False, "Z14 NBR NIBS"),
    (20000, "6.5", "II", "M", "L", 200, 21, 22, False, "Z14 NBR NIBS"),
    (600000, "1.5", "II", "Q", "P", 800, 21, 22, False, "Z14 NBR NIBS"),
    (100, "100", "II", "F", "E", 13, 21, 22, False, "Z14"),
    (150, "150", "II", "F", "E", 13, 30, 31, False, "Z14"),
    # The 30/31 and 44/45 plans exist only for AQL 150 and above.
    (50, "250", "II", "D", "D", 8, 30, 31, False, "Z14"),
    (90, "250", "II", "E", "E", 13, 44, 45, False, "Z14"),
    # AQL extremes.
    (600000, "0.010", "II", "Q", "Q", 1250, 0, 1, False, "Z14 AIR"),
    (600000, "0.010", "III", "R", "Q", 1250, 0, 1, False, "Z14 AIR"),
    (600000, "0.015", "III", "R", "P", 800, 0, 1, False, "Z14 AIR"),
    (600000, "0.025", "III", "R", "R", 2000, 1, 2, False, "Z14"),
    (5, "1000", "II", "A", "A", 2, 30, 31, False, "Z14"),
    (20, "1000", "II", "C", "B", 3, 44, 45, False, "Z14"),
    (600000, "1000", "III", "R", "B", 3, 44, 45, False, "Z14"),
    # Huge lot.
    (10**9, "0.65", "III", "R", "R", 2000, 21, 22, False, "Z14 NBR"),
    # Every level on the same lot (501 to 1 200).
    (1000, "2.5", "S-1", "C", "C", 5, 0, 1, False, "Z14 NBR"),
    (1000, "2.5", "S-2", "C", "C", 5, 0, 1, False, "Z14 NBR"),
    (1000, "2.5", "S-3", "E", "F", 20, 1, 2, False, "Z14 NBR"),
    (1000, "2.5", "S-4", "F", "F", 20, 1, 2, False, "Z14 NBR"),
    (1000, "2.5", "I", "G", "G", 32, 2, 3, False, "Z14 NBR"),
    (1000, "2.5", "III", "K", "K", 125, 7, 8, False, "Z14 NBR"),
    # More special levels.
    (600000, "4.0", "S-4", "K", "K", 125, 10, 11, False, "Z14 NBR"),
    (600000, "0.40", "S-1", "D", "G", 32, 0, 1, False, "Z14 NBR"),
    (35001, "1.5", "S-3", "G", "G", 32, 1, 2, False, "Z14 NBR"),
    (151, "0.25", "S-2", "C", "H", 50, 0, 1, False, "Z14"),
    # Sample size >= lot size: 100 % inspection, Ac/Re of the plan kept.
    (2, "6.5", "II", "A", "A", 2, 0, 1, True, "Z14 NBR NIBS"),
    (100, "0.010", "II", "F", "Q", 100, 0, 1, True, "Z14"),
    (2, "0.010", "II", "A", "Q", 2, 0, 1, True, "Z14"),
    (5, "10", "II", "A", "C", 5, 1, 2, True, "Z14 NBR"),
    (3, "15", "II", "A", "B", 3, 1, 2, True, "Z14 NBR NIBS"),
    (10, "0.10", "II", "B", "K", 10, 0, 1, True, "Z14"),
    # A lot of one unit (documented extension of Table 1's first row): always 100 %.
    (1, "1.0", "II", "A", "E", 1, 0, 1, True, "Z14"),
]


def test_enough_published_values() -> None:
    assert len(PUBLISHED) >= 30
    levels = {row[2] for row in PUBLISHED}
    assert levels == set(LEVELS)
    assert {"0.010", "1000"} <= {row[1] for row in PUBLISHED}


@pytest.mark.parametrize(
    ("lot", "aql", "level", "table_letter", "letter", "n", "ac", "re", "full", "sources"),
    PUBLISHED,
    ids=[f"{row[0]}-{row[1]}-{row[2]}" for row in PUBLISHED],
)
def test_published_plan(
    lot: int,
    aql: str,
    level: str,
    table_letter: str,
    letter: str,
    n: int,
    ac: int,
    re: int,
    full: bool,
    sources: str,
) -> None:
    result = plan(lot, aql, level)
    assert result.table_code_letter == table_letter
    assert result.code_letter == letter
    assert result.sample_size == n
    assert (result.accept, result.reject) == (ac, re)
    assert result.hundred_percent is full
    assert result.plan_sample_size == SAMPLE_SIZES[letter]
    assert (result.lot_size, result.aql, result.level) == (lot, aql, level)


def test_example_from_the_brief() -> None:
    assert plan(1000, "1.0", "II") == SamplingPlan(
        code_letter="J",
        sample_size=80,
        accept=2,
        reject=3,
        table_code_letter="J",
        plan_sample_size=80,
        hundred_percent=False,
        lot_size=1000,
        aql="1.0",
        level="II",
    )


# Table 1 rows: first and last lot size of each range, letters for S-1 .. S-4, I, II, III.
TABLE_1 = [
    (2, 8, "AAAAAAB"),
    (9, 15, "AAAAABC"),
    (16, 25, "AABBBCD"),
    (26, 50, "ABBCCDE"),
    (51, 90, "BBCCCEF"),
    (91, 150, "BBCDDFG"),
    (151, 280, "BCDEEGH"),
    (281, 500, "BCDEFHJ"),
    (501, 1200, "CCEFGJK"),
    (1201, 3200, "CDEGHKL"),
    (3201, 10000, "CDFGJLM"),
    (10001, 35000, "CDFHKMN"),
    (35001, 150000, "DEGJLNP"),
    (150001, 500000, "DEGJMPQ"),
    (500001, 10**12, "DEHKNQR"),
]


@pytest.mark.parametrize(("low", "high", "letters"), TABLE_1)
def test_table_1_boundaries(low: int, high: int, letters: str) -> None:
    for level, letter in zip(LEVELS, letters, strict=True):
        assert code_letter(low, level) == letter
        assert code_letter(high, level) == letter


def test_a_single_unit_uses_the_first_row_of_table_1() -> None:
    assert [code_letter(1, level) for level in LEVELS] == list("AAAAAAB")


# --- The transcription of Table 2-A keeps the structure of the printed master table --------

ACCEPTANCE_NUMBERS = [0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44]


def _cell(letter_index: int, aql_index: int) -> str:
    return TABLE_2A[CODE_LETTERS[letter_index]][AQL_VALUES[aql_index]]


def _is_plan(cell: str) -> bool:
    return cell not in ("↓", "↑")


def test_table_2a_cells_are_plans_or_arrows() -> None:
    for letter in CODE_LETTERS:
        row = TABLE_2A[letter]
        assert list(row) == list(AQL_VALUES)
        for cell in row.values():
            if _is_plan(cell):
                ac, re = (int(x) for x in cell.split("/"))
                assert ac in ACCEPTANCE_NUMBERS
                assert re == ac + 1


def test_table_2a_diagonals_hold_the_same_plan() -> None:
    # One code letter down and one AQL column left is the same plan in the master table.
    for i in range(len(CODE_LETTERS) - 1):
        for j in range(1, len(AQL_VALUES)):
            here, diagonal = _cell(i, j), _cell(i + 1, j - 1)
            if _is_plan(here) and _is_plan(diagonal):
                assert here == diagonal, (CODE_LETTERS[i], AQL_VALUES[j])


def test_table_2a_acceptance_numbers_increase_along_rows_and_columns() -> None:
    for i in range(len(CODE_LETTERS)):
        row = [int(c.split("/")[0]) for j in range(len(AQL_VALUES)) if _is_plan(c := _cell(i, j))]
        assert row == sorted(set(row)), CODE_LETTERS[i]
    for j in range(len(AQL_VALUES)):
        col = [int(c.split("/")[0]) for i in range(len(CODE_LETTERS)) if _is_plan(c := _cell(i, j))]
        assert col == sorted(set(col)), AQL_VALUES[j]


def test_table_2a_arrows_lead_to_a_plan_without_turning() -> None:
    for i in range(len(CODE_LETTERS)):
        for j in range(len(AQL_VALUES)):
            arrow = _cell(i, j)
            if _is_plan(arrow):
                continue
            step = 1 if arrow == "↓" else -1
            k = i + step
            while 0 <= k < len(CODE_LETTERS) and not _is_plan(_cell(k, j)):
                assert _cell(k, j) == arrow, (CODE_LETTERS[i], AQL_VALUES[j])
                k += step
            assert 0 <= k < len(CODE_LETTERS), (CODE_LETTERS[i], AQL_VALUES[j])


def test_table_2a_large_acceptance_numbers_only_for_high_aqls() -> None:
    # The printed table stops at Ac 21 up to AQL 100; 30/31 from AQL 150, 44/45 from AQL 250.
    for letter in CODE_LETTERS:
        for aql, cell in TABLE_2A[letter].items():
            if cell == "30/31":
                assert Decimal(aql) >= 150
            if cell == "44/45":
                assert Decimal(aql) >= 250


def test_table_2a_zero_acceptance_diagonal() -> None:
    # Ac 0/Re 1 runs from A under 6.5 to Q under 0.010 (AIR: Q 0.010, P 0.015, N 0.025, M 0.040).
    zero = [
        (letter, aql)
        for letter in CODE_LETTERS
        for aql, c in TABLE_2A[letter].items()
        if c == "0/1"
    ]
    assert zero == list(zip(CODE_LETTERS[:15], reversed(AQL_VALUES[:15]), strict=True))


# --- Inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("0.1", "0.10"),
        ("1", "1.0"),
        ("4", "4.0"),
        ("0.01", "0.010"),
        ("0.04", "0.040"),
        ("0.4", "0.40"),
        ("1000.0", "1000"),
        ("10.00", "10"),
        (".65", "0.65"),
        (" 2.5 ", "2.5"),
        ("2.5%", "2.5"),
        (Decimal("0.650"), "0.65"),
        (Decimal("1E+3"), "1000"),
        (25, "25"),
    ],
)
def test_equivalent_aql_spellings(spelling: str, canonical: str) -> None:
    assert normalize_aql(spelling) == canonical
    assert plan(1000, spelling) == plan(1000, canonical)


@pytest.mark.parametrize("aql", AQL_VALUES)
def test_printed_aql_spellings_are_canonical(aql: str) -> None:
    assert normalize_aql(aql) == aql


@pytest.mark.parametrize(
    "aql", ["", "0.5", "3", "2.0.1", "abc", "-1.0", "1e1", "1,000", "0,65", "NaN", "inf", "∞", "١"]
)
def test_unknown_aql_is_refused(aql: str) -> None:
    with pytest.raises(ValueError, match=r"unknown AQL .* columns 0\.010, 0\.015"):
        plan(1000, aql)


@pytest.mark.parametrize("aql", [Decimal("NaN"), Decimal("0.5"), 3])
def test_unknown_numeric_aql_is_refused(aql: Decimal | int) -> None:
    with pytest.raises(ValueError, match="unknown AQL"):
        normalize_aql(aql)


@pytest.mark.parametrize("aql", [0.65, None, True, b"1.0"])
def test_aql_of_the_wrong_type_is_refused(aql: object) -> None:
    with pytest.raises(TypeError, match="aql must be a string"):
        plan(1000, aql)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("II", "II"),
        ("ii", "II"),
        (" III ", "III"),
        ("G2", "II"),
        ("GII", "II"),
        ("g-ii", "II"),
        ("G1", "I"),
        ("S1", "S-1"),
        ("s-2", "S-2"),
        ("S 3", "S-3"),
        ("S-4", "S-4"),
    ],
)
def test_level_spellings(spelling: str, canonical: str) -> None:
    assert normalize_level(spelling) == canonical


@pytest.mark.parametrize("level", ["", "IV", "S-5", "S-0", "2", "G4", "normal"])
def test_unknown_level_is_refused(level: str) -> None:
    with pytest.raises(ValueError, match=r"unknown inspection level .* S-1, S-2"):
        plan(1000, "1.0", level)


def test_level_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="level must be a string"):
        plan(1000, "1.0", 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("lot_size", [0, -1, -1000])
def test_lot_size_below_one_is_refused(lot_size: int) -> None:
    with pytest.raises(ValueError, match="lot_size must be 1 or more"):
        plan(lot_size, "1.0")


@pytest.mark.parametrize("lot_size", ["100", 100.0, True, None])
def test_lot_size_of_the_wrong_type_is_refused(lot_size: object) -> None:
    with pytest.raises(TypeError, match="lot_size must be an int"):
        plan(lot_size, "1.0")  # type: ignore[arg-type]


# --- The plan object ------------------------------------------------------------------------


def test_accepts() -> None:
    p = plan(1000, "1.0")  # Ac 2, Re 3
    assert p.accepts(0)
    assert p.accepts(2)
    assert not p.accepts(3)
    assert not p.accepts(80)
    with pytest.raises(ValueError, match="0 or more"):
        p.accepts(-1)
    with pytest.raises(TypeError, match="must be an int"):
        p.accepts(True)


def test_plan_is_frozen() -> None:
    p = plan(1000, "1.0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.accept = 5  # type: ignore[misc]


def test_hundred_percent_when_the_sample_equals_the_lot() -> None:
    assert plan(80, "1.0", "III").hundred_percent is False  # F -> E, n = 13, on a lot of 80
    equal = plan(20, "0.65")  # C -> F, n = 20, on a lot of 20
    assert (equal.code_letter, equal.plan_sample_size) == ("F", 20)
    assert equal.hundred_percent is True
    assert equal.sample_size == 20
    larger = plan(21, "0.65")  # C -> F, n = 20, on a lot of 21
    assert larger.hundred_percent is False
    assert larger.sample_size == 20


def test_docstring_examples() -> None:
    result = doctest.testmod(sampling)
    assert result.attempted >= 5
    assert result.failed == 0


def test_imports_without_django() -> None:
    code = (
        "import sys; sys.modules['django'] = None; "
        "from mederp.inspection.sampling import plan; print(plan(1000, '1.0').sample_size)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "80"


# --- Properties -----------------------------------------------------------------------------

lots = st.integers(min_value=1, max_value=10**7)
aqls = st.sampled_from(AQL_VALUES)
levels = st.sampled_from(LEVELS)


@given(lot=lots, aql=aqls, level=levels)
def test_plan_invariants(lot: int, aql: str, level: str) -> None:
    p = plan(lot, aql, level)
    assert p.reject == p.accept + 1
    assert 1 <= p.sample_size <= lot
    assert p.plan_sample_size == SAMPLE_SIZES[p.code_letter]
    assert p.sample_size == min(p.plan_sample_size, lot)
    assert p.hundred_percent == (p.plan_sample_size >= lot)
    assert TABLE_2A[p.code_letter][aql] == f"{p.accept}/{p.reject}"
    assert p.table_code_letter == code_letter(lot, level)


@given(lot=lots, aql=aqls, level=levels)
def test_plan_is_the_first_one_in_the_direction_of_the_arrow(
    lot: int, aql: str, level: str
) -> None:
    p = plan(lot, aql, level)
    start = CODE_LETTERS.index(p.table_code_letter)
    end = CODE_LETTERS.index(p.code_letter)
    cell = TABLE_2A[p.table_code_letter][aql]
    if _is_plan(cell):
        assert end == start
    else:
        assert (end > start) if cell == "↓" else (end < start)
        between = range(min(start, end) + 1, max(start, end))
        assert all(_cell(i, AQL_VALUES.index(aql)) == cell for i in between)


@given(a=lots, b=lots, aql=aqls, level=levels)
def test_monotonic_in_lot_size(a: int, b: int, aql: str, level: str) -> None:
    small, large = plan(min(a, b), aql, level), plan(max(a, b), aql, level)
    assert small.sample_size <= large.sample_size
    assert small.plan_sample_size <= large.plan_sample_size
    assert small.accept <= large.accept
    assert CODE_LETTERS.index(small.table_code_letter) <= CODE_LETTERS.index(
        large.table_code_letter
    )


@given(lot=lots, aql=aqls)
def test_more_discriminating_levels_never_sample_less(lot: int, aql: str) -> None:
    plans = [plan(lot, aql, level) for level in LEVELS]
    letters = [CODE_LETTERS.index(p.table_code_letter) for p in plans]
    assert letters == sorted(letters)
    sizes = [p.plan_sample_size for p in plans]
    assert sizes == sorted(sizes)


@given(lot=lots, level=levels)
def test_acceptance_number_grows_with_the_aql(lot: int, level: str) -> None:
    accepts = [plan(lot, aql, level).accept for aql in AQL_VALUES]
    assert accepts == sorted(accepts)


@given(lot=lots, aql=aqls, level=levels)
def test_numeric_spellings_give_the_same_plan(lot: int, aql: str, level: str) -> None:
    short = format(Decimal(aql).normalize(), "f")  # "0.010" -> "0.01", "1.0" -> "1"
    assert plan(lot, short, level.lower()) == plan(lot, aql, level)
    assert plan(lot, Decimal(aql), level) == plan(lot, aql, level)
