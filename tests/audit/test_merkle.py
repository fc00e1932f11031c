"""Tests for mederp.audit.merkle (RFC 9162 section 2.1 Merkle trees).  No Django imports.

Reference vectors are copied verbatim from Google's transparency-dev/merkle (Apache-2.0):

* leaf inputs, level-0 node hashes and roots for sizes 0..8:
  github.com/transparency-dev/merkle  testonly/constants.go
  (LeafInputs, NodeHashes, RootHashes, EmptyRootHash;
  commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1)
* inclusion and consistency proofs:
  github.com/transparency-dev/merkle  proof/verify_test.go
  (inclusionProofs, consistencyProofs, roots; commit 02194e9afb6c1d95b5381350007963aa70fff472)

These are the RFC 6962 test vectors also used by certificate-transparency-go; RFC 9162 keeps
the same tree hashing.  NOTE: verify_test.go numbers leaves from 1 ({leaf, size, proof}); the
tables below use 0-based indexes (index = leaf - 1).  The corruption probes mirror
corruptInclusionProof / corruptConsistencyProof from that file.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mederp.audit.merkle import (
    consistency_proof,
    consistency_proof_from_hashes,
    inclusion_proof,
    inclusion_proof_from_hashes,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def h(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr)


# testonly/constants.go LeafInputs()
LEAVES: list[bytes] = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# testonly/constants.go NodeHashes()[0] (leaf hashes) and NodeHashes()[1] (pairs)
LEAF_HASHES: list[bytes] = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
LEVEL1_HASHES: list[bytes] = [
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
]

# testonly/constants.go RootHashes(): indexed by tree size, starting with the empty tree.
EMPTY_ROOT = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
ROOTS: list[bytes] = [
    EMPTY_ROOT,
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# proof/verify_test.go sha256SomeHash
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

# proof/verify_test.go inclusionProofs, as (0-based index, tree size, proof).
# The upstream entries {0, 0, nil} (invalid) and {1, 1, nil} are covered separately.
INCLUSION_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        3,
        [
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        ],
    ),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# proof/verify_test.go consistencyProofs, as (size1, size2, proof).
CONSISTENCY_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


# --------------------------------------------------------------------------------------
# Independent, deliberately naive transcription of the recursive RFC 9162 definitions
# (2.1.1 MTH, 2.1.3.1 PATH, 2.1.4.1 PROOF/SUBPROOF), used as an oracle on small trees.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


# --------------------------------------------------------------------------------------
# Corruption probes (after proof/verify_test.go).


def flip(b: bytes, byte: int = 0, mask: int = 8) -> bytes:
    return b[:byte] + bytes([b[byte] ^ mask]) + b[byte + 1 :]


def corrupt_inclusion(
    index: int, size: int, proof: list[bytes], root: bytes, lh: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    probes = [
        ("index - 1", index - 1, size, proof, root, lh),
        ("index + 1", index + 1, size, proof, root, lh),
        ("index ^ 2", index ^ 2, size, proof, root, lh),
        ("size * 2", index, size * 2, proof, root, lh),
        ("size // 2", index, size // 2, proof, root, lh),
        ("wrong leaf", index, size, proof, root, leaf_hash(b"WrongLeaf")),
        ("short leaf", index, size, proof, root, b"WrongLeaf"),
        ("empty root", index, size, proof, EMPTY_ROOT, lh),
        ("random root", index, size, proof, SOME_HASH, lh),
        ("trailing garbage", index, size, [*proof, b""], root, lh),
        ("trailing root", index, size, [*proof, root], root, lh),
        ("preceding garbage", index, size, [b"", *proof], root, lh),
        ("preceding root", index, size, [root, *proof], root, lh),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 0, 8)
        probes.append((f"modified proof[{i}] bit 3", index, size, wrong, root, lh))
    if proof:
        probes.append(("removed component", index, size, proof[:-1], root, lh))
    if len(proof) > 1:
        probes.append(
            ("inserted component", index, size, [proof[0], SOME_HASH, *proof[1:]], root, lh)
        )
    return probes


def corrupt_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    probes = [
        ("size1 - 1", size1 - 1, size2, root1, root2, proof),
        ("size1 + 1", size1 + 1, size2, root1, root2, proof),
        ("size1 ^ 2", size1 ^ 2, size2, root1, root2, proof),
        ("size2 * 2", size1, size2 * 2, root1, root2, proof),
        ("size2 // 2", size1, size2 // 2, root1, root2, proof),
        ("wrong root1", size1, size2, b"WrongRoot", root2, proof),
        ("wrong root2", size1, size2, root1, b"WrongRoot", proof),
        ("hashed wrong root1", size1, size2, SOME_HASH, root2, proof),
        ("hashed wrong root2", size1, size2, root1, SOME_HASH, proof),
        ("swapped roots", size1, size2, root2, root1, proof),
        ("empty proof", size1, size2, root1, root2, []),
        ("trailing garbage", size1, size2, root1, root2, [*proof, b""]),
        ("trailing root1", size1, size2, root1, root2, [*proof, root1]),
        ("trailing root2", size1, size2, root1, root2, [*proof, root2]),
        ("preceding garbage", size1, size2, root1, root2, [b"", *proof]),
        ("preceding root1", size1, size2, root1, root2, [root1, *proof]),
        ("preceding root2", size1, size2, root1, root2, [root2, *proof]),
        ("preceding proof[0]", size1, size2, root1, root2, [proof[0], *proof]),
    ]
    if proof:
        probes.append(("truncated proof", size1, size2, root1, root2, proof[:-1]))
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip(wrong[i], 0, 16)
        probes.append((f"modified proof[{i}] bit 4", size1, size2, root1, root2, wrong))
    return probes


# --------------------------------------------------------------------------------------
# Reference vectors


def test_module_is_pure_python() -> None:
    """Importing the module must not pull in Django (outside verifiers reuse it)."""
    src = Path(__file__).resolve().parents[2] / "src"
    code = "import sys, mederp.audit.merkle; sys.exit('django' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=src, check=False, timeout=60)
    assert done.returncode == 0


def test_hash_primitives() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert [leaf_hash(d) for d in LEAVES] == LEAF_HASHES
    assert [
        node_hash(LEAF_HASHES[2 * i], LEAF_HASHES[2 * i + 1]) for i in range(4)
    ] == LEVEL1_HASHES


def test_empty_tree() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert tree_root([]) == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_reference_roots(size: int) -> None:
    assert tree_root(LEAVES[:size]) == ROOTS[size]
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == ROOTS[size]
    assert root_from_leaf_hashes(iter(LEAF_HASHES[:size])) == ROOTS[size]
    assert tree_root(tuple(LEAVES[:size])) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert inclusion_proof_from_hashes(LEAF_HASHES[:size], index) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size])
    assert verify_inclusion(LEAF_HASHES[index], index, size, tuple(proof), ROOTS[size])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_reference_inclusion_corruptions_fail(index: int, size: int, proof: list[bytes]) -> None:
    probes = corrupt_inclusion(index, size, proof, ROOTS[size], LEAF_HASHES[index])
    wrongly_ok = [p[0] for p in probes if verify_inclusion(p[5], p[1], p[2], p[3], p[4])]
    assert wrongly_ok == []


def test_single_entry_inclusion() -> None:
    # proof/verify_test.go TestVerifyInclusionSingleEntry
    lh = leaf_hash(b"data")
    assert inclusion_proof([b"data"], 0) == []
    assert verify_inclusion(lh, 0, 1, [], lh)
    assert not verify_inclusion(b"", 0, 1, [], lh)
    assert not verify_inclusion(lh, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], b"")
    # the {1, 1, nil} upstream vector: leaf 0 of the size-1 reference tree
    assert verify_inclusion(LEAF_HASHES[0], 0, 1, [], ROOTS[1])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_invalid_root_or_leaf(index: int, size: int) -> None:
    # proof/verify_test.go TestVerifyInclusion probes
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_VECTORS)
def test_reference_consistency_proofs(size1: int, size2: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES[:size2], size1) == proof
    assert consistency_proof_from_hashes(LEAF_HASHES[:size2], size1) == proof
    assert verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)
    assert verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], tuple(proof))


@pytest.mark.parametrize(("size1", "size2", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_reference_consistency_corruptions_fail(size1: int, size2: int, proof: list[bytes]) -> None:
    probes = corrupt_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)
    wrongly_ok = [p[0] for p in probes if verify_consistency(p[1], p[2], p[3], p[4], p[5])]
    assert wrongly_ok == []


R1 = b"don't care 1".ljust(32, b".")
R2 = b"don't care 2".ljust(32, b".")


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "ok"),
    [
        # Adapted from proof/verify_test.go TestVerifyConsistency, with this module's
        # documented rule that a size-0 tree must have root SHA-256("").
        (0, 0, R1, R2, [], False),
        (1, 1, R1, R2, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 0, R1, R1, [], False),  # equal, but not the empty-tree hash
        (0, 1, EMPTY_ROOT, R2, [], True),  # the empty tree is a prefix of every tree
        (0, 1, R1, R2, [], False),
        (1, 1, R2, R2, [], True),
        (1, 0, R1, R2, [], False),  # time travel to the past
        (2, 1, R1, R2, [], False),
        (1, 2, R1, R2, [], False),  # empty proof
        (0, 0, EMPTY_ROOT, R2, [], False),
        (1, 1, EMPTY_ROOT, R2, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # roots match, proof not empty
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (8, 8, ROOTS[8], ROOTS[8], [], True),
        (0, 8, EMPTY_ROOT, ROOTS[8], [], True),
    ],
)
def test_consistency_trivial_cases(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    assert verify_consistency(size1, size2, root1, root2, proof) is ok


# --------------------------------------------------------------------------------------
# Exhaustive small trees against the naive oracle


def _distinct_leaves(n: int) -> list[bytes]:
    return [b"entry-%d" % i for i in range(n)]


@pytest.mark.parametrize("n", [*range(1, 34), 64, 65, 100])
def test_exhaustive_against_oracle(n: int) -> None:
    leaves = _distinct_leaves(n)
    hashes = [leaf_hash(x) for x in leaves]
    roots = [ref_mth(leaves[:m]) for m in range(n + 1)]
    assert tree_root(leaves) == roots[n]
    assert root_from_leaf_hashes(hashes) == roots[n]
    for i in range(n):
        proof = inclusion_proof(leaves, i)
        assert proof == ref_path(i, leaves)
        assert inclusion_proof_from_hashes(hashes, i) == proof
        assert verify_inclusion(hashes[i], i, n, proof, roots[n])
    for m in range(n + 1):
        proof = consistency_proof(leaves, m)
        assert proof == ([] if m in (0, n) else ref_proof(m, leaves))
        assert consistency_proof_from_hashes(hashes, m) == proof
        assert verify_consistency(m, n, roots[m], roots[n], proof)


def test_larger_tree_spot_checks() -> None:
    n = 1_337
    leaves = _distinct_leaves(n)
    hashes = [leaf_hash(x) for x in leaves]
    root = tree_root(leaves)
    assert root == ref_mth(leaves)
    for i in (0, 1, 511, 512, 1023, 1024, 1335, 1336):
        proof = inclusion_proof_from_hashes(hashes, i)
        assert proof == ref_path(i, leaves)
        assert verify_inclusion(hashes[i], i, n, proof, root)
        assert not verify_inclusion(hashes[i], i, n, proof[:-1], root)
    for m in (1, 2, 3, 512, 513, 1024, 1025, 1336):
        proof = consistency_proof_from_hashes(hashes, m)
        assert proof == ref_proof(m, leaves)
        assert verify_consistency(m, n, tree_root(leaves[:m]), root, proof)


# --------------------------------------------------------------------------------------
# Generator errors


def test_inclusion_proof_bad_index() -> None:
    for bad in (-1, 8, 100):
        with pytest.raises(ValueError, match="out of range"):
            inclusion_proof(LEAVES, bad)
        with pytest.raises(ValueError, match="out of range"):
            inclusion_proof_from_hashes(LEAF_HASHES, bad)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof([], 0)
    for wrong_type in (1.0, "1", None, True):
        with pytest.raises(TypeError):
            inclusion_proof(LEAVES, wrong_type)  # type: ignore[arg-type]


def test_consistency_proof_bad_size() -> None:
    for bad in (-1, 9, 100):
        with pytest.raises(ValueError, match="out of range"):
            consistency_proof(LEAVES, bad)
        with pytest.raises(ValueError, match="out of range"):
            consistency_proof_from_hashes(LEAF_HASHES, bad)
    assert consistency_proof([], 0) == []
    for wrong_type in (1.0, "1", None, False):
        with pytest.raises(TypeError):
            consistency_proof(LEAVES, wrong_type)  # type: ignore[arg-type]


def test_bad_leaf_hashes_rejected() -> None:
    for bad in (b"\x00" * 31, b"\x00" * 33, bytearray(32), "x" * 32):
        with pytest.raises(ValueError, match="32-byte"):
            root_from_leaf_hashes([LEAF_HASHES[0], bad])  # type: ignore[list-item]
        with pytest.raises(ValueError, match="32-byte"):
            inclusion_proof_from_hashes([bad, LEAF_HASHES[0]], 1)  # type: ignore[list-item]


# --------------------------------------------------------------------------------------
# Property tests

unique_leaves = st.lists(st.binary(max_size=24), min_size=1, max_size=70, unique=True)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(leaves=unique_leaves, data=st.data())
def test_prop_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1), label="index")
    root = tree_root(leaves)
    lh = leaf_hash(leaves[i])
    proof = inclusion_proof(leaves, i)
    assert verify_inclusion(lh, i, n, proof, root)

    # a flipped bit anywhere (proof element, leaf hash, root) fails
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1), label="element")
        byte = data.draw(st.integers(0, 31), label="byte")
        bit = data.draw(st.integers(0, 7), label="bit")
        wrong = list(proof)
        wrong[j] = flip(wrong[j], byte, 1 << bit)
        assert not verify_inclusion(lh, i, n, wrong, root)
    assert not verify_inclusion(flip(lh, 31, 1), i, n, proof, root)
    assert not verify_inclusion(lh, i, n, proof, flip(root, 5, 2))

    # any other index fails (leaves are unique)
    other = data.draw(st.integers(-2, n + 2).filter(lambda x: x != i), label="other index")
    assert not verify_inclusion(lh, other, n, proof, root)

    # wrong sizes that change the tree height fail (RFC 9162 verification does not bind
    # tree_size on its own within one height; the signed tree head binds size and root)
    assert not verify_inclusion(lh, i, 2 * n, proof, root)
    assert not verify_inclusion(lh, i, n // 2, proof, root)
    assert not verify_inclusion(lh, i, 0, proof, root)

    # truncated / extended / reordered proofs fail
    if proof:
        assert not verify_inclusion(lh, i, n, proof[:-1], root)
        assert not verify_inclusion(lh, i, n, proof[1:], root)
    assert not verify_inclusion(lh, i, n, [*proof, SOME_HASH], root)
    assert not verify_inclusion(lh, i, n, [SOME_HASH, *proof], root)
    if len(proof) > 1 and proof[0] != proof[1]:
        assert not verify_inclusion(lh, i, n, [proof[1], proof[0], *proof[2:]], root)


@PROPS
@given(leaves=unique_leaves, data=st.data())
def test_prop_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    m = data.draw(st.integers(0, n), label="old size")
    old_root, new_root = tree_root(leaves[:m]), tree_root(leaves)
    proof = consistency_proof(leaves, m)
    assert verify_consistency(m, n, old_root, new_root, proof)
    assert proof == consistency_proof_from_hashes([leaf_hash(x) for x in leaves], m)
    assume(0 < m < n)  # below: the non-trivial case, where the proof is non-empty
    assert proof

    j = data.draw(st.integers(0, len(proof) - 1), label="element")
    byte = data.draw(st.integers(0, 31), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    wrong = list(proof)
    wrong[j] = flip(wrong[j], byte, 1 << bit)
    assert not verify_consistency(m, n, old_root, new_root, wrong)
    assert not verify_consistency(m, n, flip(old_root, 0, 1), new_root, proof)
    assert not verify_consistency(m, n, old_root, flip(new_root, 31, 128), proof)
    assert not verify_consistency(m, n, new_root, old_root, proof)

    # a different old size fails (its root is bound by the proof)
    other = data.draw(st.integers(0, n + 2).filter(lambda x: x != m), label="other old size")
    assert not verify_consistency(other, n, old_root, new_root, proof)
    # new sizes that change the tree height fail (see note in test_prop_inclusion)
    assert not verify_consistency(m, 2 * n, old_root, new_root, proof)
    if n // 2 >= m:
        assert not verify_consistency(m, n // 2, old_root, new_root, proof)
    assert not verify_consistency(m, m - 1, old_root, new_root, proof)

    assert not verify_consistency(m, n, old_root, new_root, [])
    assert not verify_consistency(m, n, old_root, new_root, proof[:-1])
    assert not verify_consistency(m, n, old_root, new_root, proof[1:])
    assert not verify_consistency(m, n, old_root, new_root, [*proof, SOME_HASH])
    assert not verify_consistency(m, n, old_root, new_root, [SOME_HASH, *proof])


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.binary(min_size=32, max_size=32),
    st.just(EMPTY_ROOT),
    st.just(ROOTS[8]),
    st.just(LEAF_HASHES[0]),
    st.lists(st.binary(min_size=31, max_size=33), max_size=5),
    st.lists(st.one_of(st.none(), st.integers(), st.text(), st.just(SOME_HASH)), max_size=5),
    st.tuples(st.just(SOME_HASH), st.just(SOME_HASH)),
    st.dictionaries(st.integers(), st.binary(), max_size=3),
    st.just(bytearray(32)),
)


@settings(max_examples=400, deadline=None)
@given(a=garbage, b=garbage, c=garbage, d=garbage, e=garbage)
def test_prop_verifiers_never_raise(a: object, b: object, c: object, d: object, e: object) -> None:
    res1 = verify_inclusion(a, b, c, d, e)  # type: ignore[arg-type]
    res2 = verify_consistency(a, b, c, d, e)  # type: ignore[arg-type]
    assert isinstance(res1, bool)
    assert isinstance(res2, bool)


@pytest.mark.parametrize(
    "args",
    [
        (LEAF_HASHES[0], 0, 1, [], bytearray(ROOTS[1])),
        (bytearray(LEAF_HASHES[0]), 0, 1, [], ROOTS[1]),
        (LEAF_HASHES[0], 0.0, 1, [], ROOTS[1]),
        (LEAF_HASHES[0], False, True, [], ROOTS[1]),
        (LEAF_HASHES[0], 0, 1, None, ROOTS[1]),
        (LEAF_HASHES[0], 0, 1, b"", ROOTS[1]),
        (LEAF_HASHES[0], 0, 2**200, [SOME_HASH] * 10_000, ROOTS[1]),
        (LEAF_HASHES[0], -1, 1, [], ROOTS[1]),
        (LEAF_HASHES[0], 0, -1, [], ROOTS[1]),
        (LEAF_HASHES[0], 0, 8, [*INCLUSION_VECTORS[0][2][:2], None], ROOTS[8]),
        (LEAF_HASHES[0], 0, 8, [*INCLUSION_VECTORS[0][2][:2], "x" * 32], ROOTS[8]),
        (LEAF_HASHES[0], 0, 8, iter(INCLUSION_VECTORS[0][2]), ROOTS[8]),
    ],
)
def test_inclusion_wrong_types_false(args: tuple[object, ...]) -> None:
    assert verify_inclusion(*args) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (6, 8, bytearray(ROOTS[6]), ROOTS[8], CONSISTENCY_VECTORS[2][2]),
        (6, 8, ROOTS[6], ROOTS[8][:31], CONSISTENCY_VECTORS[2][2]),
        (6.0, 8, ROOTS[6], ROOTS[8], CONSISTENCY_VECTORS[2][2]),
        (True, True, ROOTS[1], ROOTS[1], []),
        (6, 8, ROOTS[6], ROOTS[8], None),
        (6, 8, ROOTS[6], ROOTS[8], b"".join(CONSISTENCY_VECTORS[2][2])),
        (6, 8, ROOTS[6], ROOTS[8], iter(CONSISTENCY_VECTORS[2][2])),
        (6, 8, ROOTS[6], ROOTS[8], [*CONSISTENCY_VECTORS[2][2][:2], None]),
        (-1, 8, ROOTS[6], ROOTS[8], CONSISTENCY_VECTORS[2][2]),
        (6, -8, ROOTS[6], ROOTS[8], CONSISTENCY_VECTORS[2][2]),
        (6, 2**200, ROOTS[6], ROOTS[8], [SOME_HASH] * 10_000),
    ],
)
def test_consistency_wrong_types_false(args: tuple[object, ...]) -> None:
    assert verify_consistency(*args) is False  # type: ignore[arg-type]
