"""Data keys: created, wrapped by the KEK provider, stored in `data.DataKey`, unwrapped on use.

Scopes: a data key belongs to (purpose, domain, subject). `enc` keys seal field values; the
subject is "" for a domain key and e.g. "person:<uuid>" for a per-subject (shreddable) key.
`index` and `hash` keys (domain-wide) key the blind indexes and the one-way hashes. Each scope
has generations; the newest (`is_current`) seals new values, older ones still open theirs
until `mederp keys reencrypt` has moved every row.

Unwrapped keys are cached in process memory (LRU, MEDERP_DATA_KEY_CACHE_SECONDS, default 300 s),
by key id. Key ids are random 63-bit numbers, never reused, so a key cached by a transaction
that later rolled back can never be mistaken for another key.
A destroyed key leaves the cache at once in the process that shredded it, and within a second
in every other process (they watch the destruction list).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction

from mederp.data import crypto, destruction
from mederp.data.fields import SubjectErased
from mederp.data.providers import KeyProviderError, Wrapped, get_provider

PURPOSES = ("enc", "index", "hash")


class KeyDestroyed(Exception):
    """The data key was destroyed (crypto-shredding): its values read as "[erased]"."""


@dataclass
class KeyHandle:
    id: int
    uid: str
    purpose: str
    domain: str
    subject: str
    generation: int
    material: bytes = field(repr=False)
    _aead: AESGCM | None = field(default=None, repr=False)
    _derived: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def aead(self) -> AESGCM:
        if self._aead is None:
            self._aead = AESGCM(self.material)
        return self._aead

    def derived(self, info: str) -> bytes:
        key = self._derived.get(info)
        if key is None:
            key = self._derived[info] = crypto.derive(self.material, info)
        return key


def wrap_context(uid: str, purpose: str, domain: str, subject: str, generation: int) -> bytes:
    return "\x00".join(
        ["mederp-data-key-v1", str(uid), purpose, domain, subject, str(generation)]
    ).encode("utf-8")


def row_context(row: Any) -> bytes:
    return wrap_context(str(row.uid), row.purpose, row.domain, row.subject, row.generation)


# --- the cache -------------------------------------------------------------------------------
_lock = threading.Lock()
_cache: OrderedDict[int, tuple[KeyHandle, float]] = OrderedDict()
_seen_destroyed: list[frozenset[str]] = [frozenset()]


def _ttl() -> float:
    return float(getattr(settings, "MEDERP_DATA_KEY_CACHE_SECONDS", 300))


def _max_entries() -> int:
    return int(getattr(settings, "MEDERP_DATA_KEY_CACHE_SIZE", 100_000))


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def evict(key_ids: Iterable[int]) -> None:
    with _lock:
        for key_id in key_ids:
            _cache.pop(key_id, None)


def _destroyed() -> frozenset[str]:
    current = destruction.destroyed_uids()
    if current is not _seen_destroyed[0]:
        with _lock:
            for key_id in [k for k, (h, _) in _cache.items() if h.uid in current]:
                del _cache[key_id]
            _seen_destroyed[0] = current
    return current


def _cached(key_id: int) -> KeyHandle | None:
    entry = _cache.get(key_id)
    if entry is None:
        return None
    handle, expires = entry
    if expires < time.monotonic():
        with _lock:
            _cache.pop(key_id, None)
        return None
    return handle


def _remember(handle: KeyHandle) -> None:
    with _lock:
        _cache[handle.id] = (handle, time.monotonic() + _ttl())
        _cache.move_to_end(handle.id)
        while len(_cache) > _max_entries():
            _cache.popitem(last=False)


# --- loading ---------------------------------------------------------------------------------
def _handle(row: Any, material: bytes) -> KeyHandle:
    return KeyHandle(
        id=row.id,
        uid=str(row.uid),
        purpose=row.purpose,
        domain=row.domain,
        subject=row.subject,
        generation=row.generation,
        material=material,
    )


def _check_alive(row: Any, destroyed: frozenset[str]) -> None:
    if row.destroyed_at is not None or row.wrapped is None or str(row.uid) in destroyed:
        raise KeyDestroyed(f"data key {row.id} was destroyed")


def preload(key_ids: Iterable[int | None]) -> None:
    """Unwrap every key of `key_ids` not yet cached, with one query (and one batch call to the
    provider where it supports batches). Destroyed keys are skipped."""
    from mederp.data.models import DataKey

    destroyed = _destroyed()
    wanted = {k for k in key_ids if k is not None and _cached(k) is None}
    if not wanted:
        return
    rows = [
        row
        for row in DataKey.objects.filter(id__in=wanted)
        if row.destroyed_at is None and row.wrapped is not None and str(row.uid) not in destroyed
    ]
    provider = get_provider()
    materials = provider.unwrap_many(
        [(Wrapped(row.kek_version, bytes(row.wrapped or b"")), row_context(row)) for row in rows]
    )
    for row, material in zip(rows, materials, strict=True):
        _remember(_handle(row, material))


def load(key_id: int) -> KeyHandle:
    from mederp.data.models import DataKey

    destroyed = _destroyed()
    handle = _cached(key_id)
    if handle is not None:
        if handle.uid in destroyed:  # pragma: no cover - _destroyed() already evicted it
            raise KeyDestroyed(f"data key {key_id} was destroyed")
        return handle
    row = DataKey.objects.filter(id=key_id).first()
    if row is None:
        raise crypto.DecryptionFailed(f"no data key {key_id}")
    _check_alive(row, destroyed)
    material = get_provider().unwrap(
        Wrapped(row.kek_version, bytes(row.wrapped or b"")), row_context(row)
    )
    handle = _handle(row, material)
    _remember(handle)
    return handle


# --- creating and choosing -------------------------------------------------------------------
def guard_first_kek() -> None:
    """Refuse to create a first local KEK while wrapped keys exist: the key directory is
    missing (an unmounted volume, a lost backup), and a new KEK would hide that."""
    from mederp.data.models import DataKey
    from mederp.data.providers.local import LocalFileKeyProvider

    provider = get_provider()
    if isinstance(provider, LocalFileKeyProvider) and not provider.exists():
        held = DataKey.objects.filter(kek_provider=provider.name, wrapped__isnull=False).count()
        if held:
            raise KeyProviderError(
                f"the key-encryption key directory {provider.directory} is empty while "
                f"{held} wrapped data keys exist: restore it from the key backup"
            )


def create(purpose: str, domain: str, subject: str = "", generation: int = 1) -> KeyHandle:
    from mederp.data.models import DataKey, random_key_id

    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    guard_first_kek()
    material = crypto.new_key()
    uid = str(uuid.uuid4())
    provider = get_provider()
    wrapped = provider.wrap(material, wrap_context(uid, purpose, domain, subject, generation))
    key_id = random_key_id()
    while DataKey.objects.filter(id=key_id).exists():  # pragma: no cover - 1 in 2**53
        key_id = random_key_id()
    row = DataKey.objects.create(
        id=key_id,
        uid=uid,
        purpose=purpose,
        domain=domain,
        subject=subject,
        generation=generation,
        is_current=True,
        kek_provider=provider.name,
        kek_version=wrapped.version,
        wrapped=wrapped.blob,
    )
    handle = _handle(row, material)
    _remember(handle)
    return handle


def subject_erased(domain: str, subject: str) -> bool:
    from mederp.data.models import DataKey

    if not subject:
        return False
    rows = DataKey.objects.filter(domain=domain, subject=subject).only("uid", "destroyed_at")
    destroyed = _destroyed()
    return any(r.destroyed_at is not None or str(r.uid) in destroyed for r in rows)


_scope_ids: dict[tuple[str, str, str, str], int] = {}


def current(
    purpose: str, domain: str, subject: str = "", *, create_missing: bool = True
) -> KeyHandle:
    """The newest key of a scope, created (generation 1) on first use. Raises SubjectErased
    for a subject whose keys were destroyed."""
    from mederp.data.models import DataKey

    # index and hash keys never change generation: their id is remembered per process.
    stable = purpose != "enc"
    memo = (str(getattr(settings, "MEDERP_KEYS_DIR", "")), purpose, domain, subject)
    if stable and memo in _scope_ids:
        try:
            return load(_scope_ids[memo])
        except (KeyDestroyed, crypto.DecryptionFailed):
            _scope_ids.pop(memo, None)
    if subject and subject_erased(domain, subject):
        raise SubjectErased(f"the keys of {subject} were destroyed")
    key_id = (
        DataKey.objects.filter(purpose=purpose, domain=domain, subject=subject, is_current=True)
        .values_list("id", flat=True)
        .first()
    )
    if key_id is None:
        if not create_missing:
            raise KeyDestroyed(f"no {purpose} key for {domain}/{subject or '-'}")
        try:
            with transaction.atomic():
                handle = create(purpose, domain, subject)
        except IntegrityError:  # another process created it first
            key_id = DataKey.objects.get(
                purpose=purpose, domain=domain, subject=subject, is_current=True
            ).id
            handle = load(key_id)
    else:
        handle = load(key_id)
    if stable:
        _scope_ids[memo] = handle.id
    return handle


def new_generation(purpose: str, domain: str, subject: str = "") -> KeyHandle:
    """Start the next generation of a scope (the old one keeps opening its values)."""
    from mederp.data.models import DataKey

    old = (
        DataKey.objects.select_for_update()
        .filter(purpose=purpose, domain=domain, subject=subject, is_current=True)
        .first()
    )
    generation = 1
    if old is not None:
        generation = old.generation + 1
        DataKey.objects.filter(pk=old.pk).update(is_current=False)
    return create(purpose, domain, subject, generation)


# --- using -----------------------------------------------------------------------------------
def seal_field(key: KeyHandle, label: str, record_id: str, field_name: str, data: bytes) -> bytes:
    aad = crypto.field_aad(label, record_id, field_name, key.id, key.generation)
    return crypto.seal(key.aead, key.id, data, aad)


def open_field(label: str, record_id: str, field_name: str, sealed: bytes) -> bytes:
    key = load(crypto.header_key_id(sealed))
    aad = crypto.field_aad(label, record_id, field_name, key.id, key.generation)
    return crypto.open_sealed(key.aead, sealed, aad)


def fingerprint_for(instance: Any, data: bytes) -> str:
    """Audit fingerprint of an encrypted value: keyed by the subject's first data key for
    subject-scoped rows (so shredding makes old fingerprints untestable), else by the
    ledger's fingerprint key."""
    from mederp.audit.changes import fingerprint
    from mederp.data.models import DataKey

    scope = getattr(instance, "encryption_scope", None)
    domain, subject = scope() if scope is not None else ("", "")
    if not subject:
        return fingerprint(data.decode("utf-8", "replace"))
    first = (
        DataKey.objects.filter(purpose="enc", domain=domain, subject=subject)
        .order_by("generation")
        .values_list("id", flat=True)
        .first()
    )
    key = load(first) if first is not None else current("enc", domain, subject)
    return crypto.mac(key.derived("mederp audit fingerprint v1"), data).hex()[:16]


def _domain_of(model: Any) -> str:
    return str(getattr(model, "data_domain", "") or "default")


def blind_index(model: Any, field_name: str, text: str, digest_bytes: int) -> str:
    key = current("index", _domain_of(model))
    sub = key.derived(f"mederp blind index v1|{model._meta.label}|{field_name}")
    return crypto.mac(sub, text.encode("utf-8"))[:digest_bytes].hex()


def keyed_hash(model: Any, field_name: str, text: str) -> str:
    key = current("hash", _domain_of(model))
    sub = key.derived(f"mederp keyed hash v1|{model._meta.label}|{field_name}")
    return crypto.mac(sub, text.encode("utf-8")).hex()
