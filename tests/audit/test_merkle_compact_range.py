"""CompactRange gives the same roots as the RFC 9162 definition at every prefix."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mederp.audit.merkle import CompactRange, leaf_hash, root_from_leaf_hashes


@given(st.lists(st.binary(max_size=40), max_size=70))
def test_every_prefix_root_matches(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    acc = CompactRange()
    assert acc.root() == hashlib.sha256(b"").digest()
    for i, h in enumerate(hashes, 1):
        acc.append(h)
        assert acc.size == i
        assert acc.root() == root_from_leaf_hashes(hashes[:i])


def test_rejects_non_hashes() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        CompactRange().append(b"short")
