"""Canonical JSON equals the RFC 8785 reference implementation on every value."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from mederp.audit.canonical import canonical_bytes

SAFE = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_same_bytes_as_rfc8785(value: object) -> None:
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


@given(st.dictionaries(st.text(alphabet=st.characters(codec="ascii"), max_size=8), scalars))
def test_ascii_keys_fast_path(value: dict[str, object]) -> None:
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


def test_published_example_ordering() -> None:
    # RFC 8785 §3.2.3: keys sort by UTF-16 code units, so U+1F600 sorts before U+FB33.
    value = {"\ufb33": 1, "\U0001f600": 2, "a": 3}
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))
    assert canonical_bytes(value).index("\U0001f600".encode()) < canonical_bytes(value).index(
        "\ufb33".encode()
    )


def test_integers_beyond_ijson_are_refused() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_bytes({"n": 2**60})


def test_floats_inside_tuples_take_the_reference_path() -> None:
    """A tuple serialises as an array: the floats in it must be written as RFC 8785 writes
    numbers (1.0 → 1, 1e16 → 10000000000000000), not as orjson writes them."""
    value = {"a": (1.0, 1e16, {"b": (0.5,)})}
    assert canonical_bytes(value) == bytes(rfc8785.dumps({"a": [1.0, 1e16, {"b": [0.5]}]}))
    assert canonical_bytes(value) == b'{"a":[1,10000000000000000,{"b":[0.5]}]}'
