"""Merkle trees as specified by RFC 9162 (Certificate Transparency v2), section 2.1.

Pure standard library; no Django imports.  All hashes are SHA-256 (32 bytes):

* leaf hash:  ``SHA-256(0x00 || data)``
* node hash:  ``SHA-256(0x01 || left || right)``
* empty tree: ``SHA-256("")``

Tree hashing is iterative (a stack of at most ``log2(n) + 1`` complete subtree roots),
so a tree of ``n`` leaves costs exactly ``n`` leaf hashes plus ``n - 1`` node hashes
and ``O(log n)`` extra memory; inputs are never sliced or copied.  Proof generation
hashes every leaf at most once per proof (``O(n)``), since no interior nodes are stored.

Proof generators raise ``ValueError`` for out-of-range indexes/sizes or malformed leaf
hashes, and ``TypeError`` for non-integer indexes/sizes.  The verifiers implement the
algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step and never raise: any
malformed input (wrong types, negative or out-of-range sizes, hashes that are not 32
``bytes``, proofs of the wrong length, ...) yields ``False``.

Edge cases RFC 9162 leaves open (it defines consistency proofs only for
``0 < first < second``) are handled as follows, by both generator and verifier:

* ``old_size == new_size``: the proof is empty and the two roots must be equal.
* ``old_size == 0``: the empty tree is a prefix of every tree, so the proof is empty;
  the verifier additionally requires ``old_root == SHA-256("")`` (and, if
  ``new_size == 0`` too, ``new_root == SHA-256("")``).  Nothing is proven about
  ``new_root`` beyond it being a 32-byte hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "consistency_proof",
    "consistency_proof_from_hashes",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

_HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

_LeafGetter = Callable[[int], bytes]


# --------------------------------------------------------------------------- hashing


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle Tree Hash (RFC 9162 section 2.1.1) of already leaf-hashed entries.

    ``hashes`` may be any iterable (e.g. a list, or a streaming database cursor); each
    element must be a 32-byte ``bytes`` value, otherwise ``ValueError`` is raised.  The
    empty tree hashes to ``SHA-256("")``.
    """
    sha = _sha256
    prefix = _NODE_PREFIX
    # stack[i] is the root of a complete subtree; sizes strictly decrease left to right
    # and follow the binary representation of ``count``.
    stack: list[bytes] = []
    push = stack.append
    pop = stack.pop
    for count, h in enumerate(hashes, 1):
        if not isinstance(h, bytes) or len(h) != _HASH_SIZE:
            raise ValueError(f"leaf hash #{count - 1} is not a {_HASH_SIZE}-byte bytes value")
        # Adding leaf number ``count`` completes one subtree per trailing zero bit.
        c = count
        while not c & 1:
            h = sha(prefix + pop() + h).digest()
            c >>= 1
        push(h)
    if not stack:
        return _EMPTY_ROOT
    # MTH splits at the largest power of two, so fold the remaining subtrees right to left.
    root = pop()
    while stack:
        root = sha(prefix + pop() + root).digest()
    return root


class CompactRange:
    """The running Merkle tree of a stream of leaf hashes: O(log n) memory, O(1) amortised
    per leaf, and the root of the prefix seen so far at any moment (used by the verifier to
    check every checkpoint in one pass)."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    def append(self, h: bytes) -> None:
        if not isinstance(h, bytes) or len(h) != _HASH_SIZE:
            raise ValueError(f"leaf hash #{self.size} is not a {_HASH_SIZE}-byte bytes value")
        stack = self._stack
        self.size += 1
        c = self.size
        while not c & 1:
            h = _sha256(_NODE_PREFIX + stack.pop() + h).digest()
            c >>= 1
        stack.append(h)

    @property
    def stack(self) -> list[bytes]:
        """Roots of the perfect subtrees covering the range, largest (leftmost) first."""
        return list(self._stack)

    def root(self) -> bytes:
        return fold_stack(self._stack)


def fold_stack(stack: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a range given as its perfect-subtree roots, left to right."""
    if not stack:
        return _EMPTY_ROOT
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = _sha256(_NODE_PREFIX + left + root).digest()
    return root


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash MTH(D[n]) of the leaf *data* ``leaves`` (RFC 9162 2.1.1)."""
    return root_from_leaf_hashes(map(leaf_hash, leaves))


# ------------------------------------------------------------------ proof generation


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(get: _LeafGetter, lo: int, hi: int) -> bytes:
    """MTH of the leaves ``[lo, hi)`` without copying the underlying sequence."""
    return root_from_leaf_hashes(map(get, range(lo, hi)))


def _check_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _inclusion_path(get: _LeafGetter, size: int, index: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 section 2.1.3.1, computed top-down iteratively."""
    index = _check_int(index, "index")
    if not 0 <= index < size:
        raise ValueError(f"index {index} out of range for a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            path.append(_subtree_root(get, mid, hi))
            hi = mid
        else:
            path.append(_subtree_root(get, lo, mid))
            lo = mid
    path.reverse()  # RFC order: from the leaf up to the root
    return path


def _consistency_path(get: _LeafGetter, size: int, old_size: int) -> list[bytes]:
    """PROOF(old_size, D[size]) = SUBPROOF(old_size, D[size], true), RFC 9162 2.1.4.1."""
    old_size = _check_int(old_size, "old_size")
    if not 0 <= old_size <= size:
        raise ValueError(f"old_size {old_size} out of range for a tree of size {size}")
    if old_size in (0, size):
        return []  # nothing to prove (see module docstring)
    siblings: list[bytes] = []
    lo, hi, m = 0, size, old_size  # m is relative to lo
    complete = True  # the "b" flag of SUBPROOF
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            siblings.append(_subtree_root(get, lo + k, hi))
            hi = lo + k
        else:
            siblings.append(_subtree_root(get, lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        siblings.append(_subtree_root(get, lo, hi))
    siblings.reverse()  # innermost first, as produced by the recursive definition
    return siblings


def _leaf_getter(leaves: Sequence[bytes]) -> _LeafGetter:
    def get(i: int) -> bytes:
        return leaf_hash(leaves[i])

    return get


def _hash_getter(hashes: Sequence[bytes]) -> _LeafGetter:
    def get(i: int) -> bytes:
        return hashes[i]

    return get


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` of the tree over leaf *data* ``leaves`` (RFC 9162 2.1.3.1).

    Raises ``ValueError`` unless ``0 <= index < len(leaves)``.
    """
    return _inclusion_path(_leaf_getter(leaves), len(leaves), index)


def inclusion_proof_from_hashes(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Like :func:`inclusion_proof`, but ``hashes`` are already leaf hashes."""
    return _inclusion_path(_hash_getter(hashes), len(hashes), index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Consistency proof between the first ``old_size`` leaves and all of ``leaves``.

    RFC 9162 section 2.1.4.1 PROOF/SUBPROOF over leaf *data*.  Returns ``[]`` when
    ``old_size`` is ``0`` or ``len(leaves)``; raises ``ValueError`` unless
    ``0 <= old_size <= len(leaves)``.
    """
    return _consistency_path(_leaf_getter(leaves), len(leaves), old_size)


def consistency_proof_from_hashes(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Like :func:`consistency_proof`, but ``hashes`` are already leaf hashes."""
    return _consistency_path(_hash_getter(hashes), len(hashes), old_size)


# ---------------------------------------------------------------------- verification


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == _HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _proof_list(proof: object, max_len: int) -> list[bytes] | None:
    """Validated copy of ``proof``, or ``None`` if it is malformed or longer than ``max_len``."""
    if isinstance(proof, (str, bytes, bytearray, memoryview)) or not isinstance(proof, Sequence):
        return None
    if len(proof) > max_len:  # bound the work done on attacker-supplied input
        return None
    items = list(proof)
    if len(items) > max_len or not all(_is_hash(p) for p in items):
        return None
    return items


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Verify an inclusion proof exactly as in RFC 9162 section 2.1.3.2.

    ``leaf_hash`` is the *leaf hash* (not the data) of entry ``index`` in a tree of
    ``tree_size`` entries whose Merkle Tree Hash is ``root``.  Returns ``False`` (never
    raises) on any malformed or non-matching input.
    """
    try:
        if not (_is_size(index) and _is_size(tree_size)):
            return False
        if not (_is_hash(leaf_hash) and _is_hash(root)):
            return False
        # A valid path is never longer than the tree height, ceil(log2(tree_size)).
        path = _proof_list(proof, tree_size.bit_length())
        if path is None:
            return False
        # 1. If leaf_index >= tree_size, fail.
        if index >= tree_size:
            return False
        # 2. Set fn to leaf_index and sn to tree_size - 1.
        fn, sn = index, tree_size - 1
        # 3. Set r to hash.
        r = leaf_hash
        # 4. For each value p in the inclusion_path array:
        for p in path:
            # a. If sn is 0, stop the iteration and fail.
            if sn == 0:
                return False
            # b. If LSB(fn) is set, or if fn is equal to sn, then:
            if fn & 1 or fn == sn:
                # i. Set r to HASH(0x01 || p || r).
                r = node_hash(p, r)
                # ii. If LSB(fn) is not set, right-shift both fn and sn equally until
                #     either LSB(fn) is set or fn is 0.
                if not fn & 1:
                    while not (fn & 1 or fn == 0):
                        fn >>= 1
                        sn >>= 1
            else:
                # Otherwise: i. Set r to HASH(0x01 || r || p).
                r = node_hash(r, p)
            # c. Finally, right-shift both fn and sn one time.
            fn >>= 1
            sn >>= 1
        # 5. sn must be 0 and r must equal root_hash.
        return sn == 0 and r == root
    except Exception:  # defensive: a verifier must never raise
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Verify a consistency proof exactly as in RFC 9162 section 2.1.4.2.

    ``old_root``/``new_root`` are the Merkle Tree Hashes of the trees of ``old_size`` and
    ``new_size`` entries.  RFC 9162 only defines the case ``0 < old_size < new_size``;
    additionally (see module docstring):

    * ``old_size == new_size``: valid iff the proof is empty and the roots are equal
      (for size 0 they must both be ``SHA-256("")``);
    * ``old_size == 0 < new_size``: valid iff the proof is empty and
      ``old_root == SHA-256("")``.

    Returns ``False`` (never raises) on any malformed or non-matching input.
    """
    try:
        if not (_is_size(old_size) and _is_size(new_size)):
            return False
        if not (_is_hash(old_root) and _is_hash(new_root)):
            return False
        # A valid proof has at most ceil(log2(new_size)) + 1 elements.
        path = _proof_list(proof, new_size.bit_length() + 1)
        if path is None:
            return False
        if old_size > new_size:
            return False
        if old_size == 0:
            return not path and old_root == _EMPTY_ROOT and (new_size > 0 or new_root == old_root)
        if old_size == new_size:
            return not path and old_root == new_root
        # From here on 0 < first < second, as required by RFC 9162 section 2.1.4.2.
        first, second = old_size, new_size
        # 1. If consistency_path is an empty array, fail.
        if not path:
            return False
        # 2. If first is an exact power of 2, prepend first_hash to consistency_path.
        if first & (first - 1) == 0:
            path.insert(0, old_root)
        # 3. Set fn to first - 1 and sn to second - 1.
        fn, sn = first - 1, second - 1
        # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
        while fn & 1:
            fn >>= 1
            sn >>= 1
        # 5. Set both fr and sr to the first value in the consistency_path array.
        fr = sr = path[0]
        # 6. For each subsequent value c in the consistency_path array:
        for c in path[1:]:
            # a. If sn is 0, stop the iteration and fail.
            if sn == 0:
                return False
            # b. If LSB(fn) is set, or if fn is equal to sn, then:
            if fn & 1 or fn == sn:
                # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                # iii. If LSB(fn) is not set, right-shift both fn and sn equally until
                #      either LSB(fn) is set or fn is 0.
                if not fn & 1:
                    while not (fn & 1 or fn == 0):
                        fn >>= 1
                        sn >>= 1
            else:
                # Otherwise: i. Set sr to HASH(0x01 || sr || c).
                sr = node_hash(sr, c)
            # c. Finally, right-shift both fn and sn one time.
            fn >>= 1
            sn >>= 1
        # 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
        return sn == 0 and fr == old_root and sr == new_root
    except Exception:  # defensive: a verifier must never raise
        return False
