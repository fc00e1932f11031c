"""GTIN check digits and GS1 scans, against published GS1 examples and biip's own test data.

Sources of the examples:

* GS1: the example GTIN 09506000134352 (GS1 Global Office prefix 950, used throughout the GS1
  Digital Link standard) and the SSCC 106141412345678908 of the GS1 General Specifications.
* GS1 DataMatrix Guideline example, as reproduced by Morovia ("Input format for creating GS1
  DataMatrix"): (01)03453120000011(17)120508(10)ABCD1234(410)9501101020917.
* Solidsoft Reply, GS1-AI-Validating-Parser wiki, "GS1 Data Example":
  010506091751001110628S93R<GS>17241000218898847482518646 (expiry with day 00).
* biip's test suite (github.com/jodal/biip, tests/test_gs1_messages.py) and documentation.
* BWIPP's GS1-128 example (01)95012345678903(3103)000123.
* Wikipedia's EAN-13 (4006381333931) and UPC-A (036000291452) examples.
"""

from __future__ import annotations

import calendar
import datetime as dt
import doctest
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mederp.items import gs1
from mederp.items.gs1 import GS, check_digit, gtin14, gtin_is_valid, parse

# --- GTIN -----------------------------------------------------------------------------------

VALID_GTINS = [
    "09506000134352",  # GS1 example GTIN-14 (GTIN-13 9506000134352 padded)
    "9506000134352",
    "03453120000011",  # GS1 DataMatrix Guideline
    "05060917510011",  # Solidsoft example
    "07032069804988",  # biip
    "95012345678903",  # BWIPP GS1-128 example
    "00614141123452",  # biip Digital Link example (GTIN-12 614141123452)
    "614141123452",
    "4006381333931",  # Wikipedia EAN-13
    "036000291452",  # Wikipedia UPC-A
    "96385074",  # biip GTIN-8
    "40170725",
    "10614141000415",
]

INVALID_GTINS = [
    "09506000134353",  # check digit off by one
    "09506000134342",  # one digit changed
    "90506000134352",  # two digits swapped
    "0950600013435",  # 13 digits whose check digit is wrong
    "950600013435",  # 12 digits: wrong check digit
    "1234567",  # 7 digits
    "123456789",  # 9 digits
    "1234567890",  # 10
    "12345678901",  # 11
    "009506000134352",  # 15
    "",
    " 9506000134352",
    "9506000134352\n",
    "950600013435 2",
    "950600013435X",
    "+950600013435",
    "9506000134.52",
    "٩٥٠٦٠٠٠١٣٤٣٥٢",  # Arabic-Indic digits: str.isdigit() is true, still not a GTIN
    "９５０６０００１３４３５２",  # fullwidth digits
]


@pytest.mark.parametrize("code", VALID_GTINS)
def test_valid_gtins(code: str) -> None:
    assert gtin_is_valid(code) is True
    assert gtin14(code) == code.zfill(14)


@pytest.mark.parametrize("code", INVALID_GTINS)
def test_invalid_gtins(code: str) -> None:
    assert gtin_is_valid(code) is False
    with pytest.raises(ValueError, match="not a valid GTIN"):
        gtin14(code)


@pytest.mark.parametrize("code", [None, 9506000134352, 9.5, b"9506000134352", ["9506000134352"]])
def test_gtin_is_valid_never_raises(code: object) -> None:
    assert gtin_is_valid(code) is False  # type: ignore[arg-type]


def test_check_digit() -> None:
    assert check_digit("950600013435") == 2
    assert check_digit("10614141234567890") == 8  # SSCC 106141412345678908
    assert check_digit("950110102091") == 7  # GLN 9501101020917
    with pytest.raises(ValueError, match="ASCII digits"):
        check_digit("12a")
    with pytest.raises(ValueError, match="ASCII digits"):
        check_digit("")


payloads = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)


@given(payloads)
def test_appending_the_check_digit_makes_a_valid_gtin(payload: str) -> None:
    code = payload + str(check_digit(payload))
    assert gtin_is_valid(code)
    for wrong in set("0123456789") - {code[-1]}:
        assert not gtin_is_valid(code[:-1] + wrong)


@given(payloads, st.data())
def test_any_single_digit_error_is_detected(payload: str, data: st.DataObject) -> None:
    code = payload + str(check_digit(payload))
    position = data.draw(st.integers(0, len(code) - 1))
    digit = data.draw(st.sampled_from(sorted(set("0123456789") - {code[position]})))
    assert not gtin_is_valid(code[:position] + digit + code[position + 1 :])


@given(st.text(max_size=20))
def test_gtin_is_valid_never_raises_on_any_text(text: str) -> None:
    assert gtin_is_valid(text) in (True, False)


# --- Parsing: published examples ------------------------------------------------------------

PUBLISHED_SCANS = [
    # GS1 example GTIN with expiry, lot and serial, as GS1 DataMatrix with FNC1 as GS.
    (
        "]d201095060001343521726123110LOT42" + GS + "21SN001",
        {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42", "21": "SN001"},
    ),
    (
        "(01)09506000134352(17)201225(10)ABC123",
        {"01": "09506000134352", "17": "2020-12-25", "10": "ABC123"},
    ),
    # GS1 DataMatrix Guideline (via Morovia): GTIN, expiry, lot, ship-to GLN.
    (
        "(01)03453120000011(17)120508(10)ABCD1234(410)9501101020917",
        {"01": "03453120000011", "17": "2012-05-08", "10": "ABCD1234", "410": "9501101020917"},
    ),
    (
        "0103453120000011171205081" + "0ABCD1234" + GS + "4109501101020917",
        {"01": "03453120000011", "17": "2012-05-08", "10": "ABCD1234", "410": "9501101020917"},
    ),
    # Solidsoft: the expiry 241000 has day 00, the last day of October 2024.
    (
        "010506091751001110628S93R" + GS + "17241000218898847482518646",
        {"01": "05060917510011", "10": "628S93R", "17": "2024-10-31", "21": "8898847482518646"},
    ),
    # biip: best before date (15) and lot, variable field last or ended by GS.
    (
        "010703206980498815210526100329",
        {"01": "07032069804988", "15": "2021-05-26", "10": "0329"},
    ),
    (
        "0107032069804988100329" + GS + "15210526",
        {"01": "07032069804988", "10": "0329", "15": "2021-05-26"},
    ),
    (
        "(01)07032069804988(15)210526(10)0329",
        {"01": "07032069804988", "15": "2021-05-26", "10": "0329"},
    ),
    ("800307071324001022085952", {"8003": "07071324001022085952"}),
    (
        "7230EM123" + GS + "7231EM456" + GS + "7232EM789",
        {"7230": "EM123", "7231": "EM456", "7232": "EM789"},
    ),
    ("(17)221231", {"17": "2022-12-31"}),
    ("(10)123(17)221231", {"10": "123", "17": "2022-12-31"}),
    ("(17)221231(10)123", {"17": "2022-12-31", "10": "123"}),
    # biip: redundant separators are ignored.
    ("15210526100329" + GS, {"15": "2021-05-26", "10": "0329"}),
    ("15210526" + GS + "100329", {"15": "2021-05-26", "10": "0329"}),
    (
        "0107032069804988100329" + GS + GS + "15210526",
        {"01": "07032069804988", "10": "0329", "15": "2021-05-26"},
    ),
    # SSCC of the GS1 General Specifications; BWIPP's GS1-128 example with a net weight.
    ("(00)106141412345678908", {"00": "106141412345678908"}),
    ("00106141412345678908", {"00": "106141412345678908"}),
    ("(01)95012345678903(3103)000123", {"01": "95012345678903", "3103": "000123"}),
    # biip documentation: GS1 Digital Link URI.
    (
        "https://id.gs1.org/00/106141412345678908?02=00614141123452&37=25&10=ABC123",
        {"00": "106141412345678908", "02": "00614141123452", "37": "25", "10": "ABC123"},
    ),
    (
        "https://id.gs1.org/01/09506000134352/10/ABC123?17=201225",
        {"01": "09506000134352", "10": "ABC123", "17": "2020-12-25"},
    ),
    # Plain GTIN symbols with their symbology identifier.
    ("]E09506000134352", {"01": "09506000134352"}),
    ("]E0036000291452", {"01": "00036000291452"}),
    ("]E001234565", {"01": "00012345000065"}),  # UPC-E 01234565 = UPC-A 012345000065
    ("]E496385074", {"01": "00000096385074"}),
    ("]I110614141000415", {"01": "10614141000415"}),
]


@pytest.mark.parametrize(("scan", "expected"), PUBLISHED_SCANS)
def test_published_scans(scan: str, expected: dict[str, str]) -> None:
    result = parse(scan)
    assert result == expected
    assert list(result) == list(expected)  # in the order of the scan


MESSAGE = "0109506000134352172612311" + "0LOT42" + GS + "21SN001"
EXPECTED = {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42", "21": "SN001"}


@pytest.mark.parametrize("prefix", ["", "]C1", "]d2", "]Q3", "]e0", "]J1"])
def test_symbology_identifiers(prefix: str) -> None:
    assert parse(prefix + MESSAGE) == EXPECTED


@pytest.mark.parametrize(
    "scan",
    [
        GS + MESSAGE,  # FNC1 in first position transmitted as GS
        MESSAGE + GS,
        "]C1" + GS + MESSAGE,
        f"  {MESSAGE}\r\n",  # keyboard wedge: Enter at the end
        MESSAGE.replace(GS, GS + GS),
        "(01)09506000134352(17)261231(10)LOT42(21)SN001",
        "(01) 09506000134352 (17) 261231 (10) LOT42 (21) SN001",
        "https://id.gs1.org/01/09506000134352/10/LOT42/21/SN001?17=261231",
        "]Q1https://id.gs1.org/01/09506000134352/10/LOT42/21/SN001?17=261231",
    ],
)
def test_equivalent_forms_of_one_scan(scan: str) -> None:
    assert parse(scan) == EXPECTED


def test_custom_separator_for_keyboard_wedges() -> None:
    assert parse(MESSAGE.replace(GS, "|"), separators="|") == EXPECTED
    assert parse(MESSAGE.replace(GS, "~"), separators=["|", "~"]) == EXPECTED
    assert parse(MESSAGE, separators="|") == EXPECTED  # GS is always accepted
    # Without the separator, "|" is data: not a valid lot number character.
    with pytest.raises(ValueError, match="malformed GS1 scan"):
        parse(MESSAGE.replace(GS, "|"))


@pytest.mark.parametrize("separator", ["A", "1", "-", "(", "#", "]", " ", "\t", "||", ""])
def test_separator_that_can_be_data_is_refused(separator: str) -> None:
    with pytest.raises(ValueError, match="separator"):
        parse(MESSAGE, separators=[separator])


def test_variable_length_field_without_separator_takes_the_rest() -> None:
    # As the standard says: FNC1 is mandatory after a variable-length field that is not last.
    assert parse("010950600013435210LOT4221SN001") == {
        "01": "09506000134352",
        "10": "LOT4221SN001",
    }


@pytest.mark.parametrize(
    ("scan", "expected"),
    [
        ("17241000", "2024-10-31"),
        ("17280200", "2028-02-29"),  # leap year
        ("17270200", "2027-02-28"),
        ("17261200", "2026-12-31"),
        ("15300400", "2030-04-30"),  # best before, day 00
        ("(17)260615", "2026-06-15"),
    ],
)
def test_dates_with_day_00_are_the_last_day_of_the_month(scan: str, expected: str) -> None:
    assert list(parse(scan).values()) == [expected]


def test_date_and_time() -> None:
    assert parse("70032612311430") == {"7003": "2026-12-31T14:30:00"}
    assert parse("(4324)2612319999") == {"4324": "2026-12-31"}  # 9999: no time given


# --- Parsing: malformed scans ---------------------------------------------------------------

MALFORMED = [
    # Wrong check digits, in every form.
    ("0109506000134353", r"AI \(01\): Invalid GTIN check digit"),
    ("(01)09506000134353(17)261231", r"AI \(01\): Invalid GTIN check digit"),
    ("]d20109506000134353" + "10LOT", r"AI \(01\): Invalid GTIN check digit"),
    ("]E09506000134353", r"AI \(01\): Invalid GTIN check digit"),
    ("https://id.gs1.org/01/09506000134353", r"AI \(01\): Invalid GTIN check digit"),
    ("(02)09506000134353(37)10", r"AI \(02\): Invalid GTIN check digit"),
    ("00106141412345678907", r"AI \(00\): Invalid SSCC check digit"),
    ("4109501101020918", r"AI \(410\): Invalid GLN check digit"),
    # Formats and dates.
    ("(01)0950600013435", "Failed to match"),
    ("17261301", "Failed to match"),  # month 13
    ("17260231", "date"),  # 31 February
    ("7007260101260131", "date"),  # harvest date range: biip 5.2 limit (documented)
    ("1022222222222222222222aaa", "Failed to get GS1 Application Identifier from 'aaa'"),
    ("(1)15210526", "Unknown GS1 Application Identifier '1'"),
    # Human readable interpretation.
    ("(01)", r"AI \(01\) has no value"),
    ("(10)(17)261231", r"AI \(10\) has no value"),
    ("(01)09506000134352(10)ABC(garbage", "each AI being digits in parentheses"),
    ("x(17)261231", "Failed to get GS1 Application Identifier"),
    # Symbology identifiers.
    ("]", "incomplete symbology identifier"),
    ("]C", "incomplete symbology identifier"),
    ("]C1", "no data after"),
    ("]C1" + GS, "no data after"),
    ("]C0ABC123", r"symbology \]C0 does not carry GS1 data"),
    ("]X9ABC", r"symbology \]X9 does not carry GS1 data"),
    ("]A0CODE39", "does not carry GS1 data"),
    ("]E0123", r"GTIN of 8, 12, 13 digits"),
    ("]E4950600013435", "GTIN of 8 digits"),
    ("]I1ABC", "GTIN of 14 digits"),
    # Repeated AI with another value.
    ("10ABC" + GS + "10DEF", r"AI \(10\) appears twice"),
    # Garbage.
    ("hello", "Failed to get GS1 Application Identifier"),
    ("ftp://example.com/01/09506000134352", "Failed to get GS1 Application Identifier"),
    ("https://example.com/no/identifier", "primary identifier"),
    ("\x00\x01\x02", "Failed to get GS1 Application Identifier"),
]


@pytest.mark.parametrize(("scan", "message"), MALFORMED)
def test_malformed_scans_raise_value_error(scan: str, message: str) -> None:
    with pytest.raises(ValueError, match="malformed GS1 scan") as error:
        parse(scan)
    assert error.match(message)


@pytest.mark.parametrize("scan", ["", "   ", GS, GS + GS, "\r\n"])
def test_empty_scans(scan: str) -> None:
    with pytest.raises(ValueError, match="empty GS1 scan"):
        parse(scan)


def test_same_ai_twice_with_the_same_value_is_kept_once() -> None:
    assert parse("10ABC" + GS + "10ABC") == {"10": "ABC"}


@pytest.mark.parametrize("scan", [None, 123, b"0109506000134352"])
def test_scan_of_the_wrong_type(scan: object) -> None:
    with pytest.raises(TypeError, match="scan must be a string"):
        parse(scan)  # type: ignore[arg-type]


scan_text = st.lists(
    st.sampled_from(
        [
            *"0123456789()]|-/ ABCdeQEI",
            *(GS, "]C1", "]d2", "]E0", "01", "17", "10", "21", "00", "(01)", "(17)"),
            *("410", "7007", "3103", "https://", "/01/", "?17="),
        ]
    ),
    max_size=14,
).map("".join)


@given(st.one_of(scan_text, st.text(max_size=40)))
def test_any_input_gives_a_dict_or_value_error(scan: str) -> None:
    try:
        result = parse(scan)
    except ValueError:
        return
    assert isinstance(result, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())


# --- Round trip: any well-formed message parses back, as element string and as HRI ----------

lot_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_"


@st.composite
def messages(draw: st.DrawFn) -> tuple[list[tuple[str, str]], dict[str, str]]:
    payload = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    gtin = payload + str(check_digit(payload))
    year = draw(st.integers(2010, 2040))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(0, 28))
    last = calendar.monthrange(year, month)[1]
    expiry = dt.date(year, month, day or last).isoformat()
    lot = draw(st.text(alphabet=lot_chars, min_size=1, max_size=20))
    serial = draw(st.text(alphabet=lot_chars, min_size=1, max_size=20))
    fields = [
        ("01", gtin, gtin),
        ("17", f"{year % 100:02d}{month:02d}{day:02d}", expiry),
        ("10", lot, lot),
        ("21", serial, serial),
    ]
    fields = draw(st.permutations(fields))
    return [(ai, raw) for ai, raw, _ in fields], {ai: value for ai, _, value in fields}


@given(messages())
def test_round_trip(message: tuple[list[tuple[str, str]], dict[str, str]]) -> None:
    fields, expected = message
    element_string = GS.join(ai + raw for ai, raw in fields)  # GS after every field is allowed
    hri = "".join(f"({ai}){raw}" for ai, raw in fields)
    assert parse(element_string) == expected
    assert parse("]d2" + element_string) == expected
    assert parse(hri) == expected


# --- Module --------------------------------------------------------------------------------


def test_docstring_examples() -> None:
    result = doctest.testmod(gs1)
    assert result.attempted >= 5
    assert result.failed == 0


def test_imports_without_django() -> None:
    code = (
        "import sys; sys.modules['django'] = None; "
        "from mederp.items.gs1 import parse; print(parse('(01)09506000134352')['01'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "09506000134352"
