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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction

from mederp.data import crypto, destruction
from mederp.data.fields import LOADED_PK, SubjectErased
from mederp.data.providers import KeyProviderError, Wrapped, get_provider

PURPOSES = ("enc", "index", "hash")


class KeyDestroyed(Exception):
    """The data key was destroyed (crypto-shredding): its values read as "[erased]"."""


@dataclass(slots=True)
class KeyHandle:
    id: int
    uid: str
    purpose: str
    domain: str
    subject: str
    generation: int
    material: bytes = field(repr=False)
    _aead: AESGCM | None = field(default=None, repr=False)
    _derived: dict[str, bytes] | None = field(default=None, repr=False)
    _opener: tuple[AESGCM, bytes, bytes] | None = field(default=None, repr=False)

    @property
    def aead(self) -> AESGCM:
        if self._aead is None:
            self._aead = AESGCM(self.material)
        return self._aead

    @property
    def opener(self) -> tuple[AESGCM, bytes, bytes]:
        """What opening a value needs, made once per key: the AEAD, the key's part of the
        associated data (crypto.FieldAAD.key_part) and the header its values start with."""
        if self._opener is None:
            self._opener = (
                self.aead,
                crypto.FieldAAD.key_part(self.id, self.generation),
                crypto.HEADER.pack(crypto.FORMAT, self.id),
            )
        return self._opener

    def derived(self, info: str) -> bytes:
        if self._derived is None:
            self._derived = {}
        key = self._derived.get(info)
        if key is None:
            key = self._derived[info] = crypto.derive(self.material, info)
        return key


def wrap_context(uid: str, purpose: str, domain: str, subject: str, generation: int) -> bytes:
    text = f"mederp-data-key-v1\x00{uid}\x00{purpose}\x00{domain}\x00{subject}\x00{generation}"
    return text.encode("utf-8")


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


PRELOAD_CHUNK = 5000  # key ids per query (well under SQLite's 32,766 bound parameters)


def _uid_text(uid: Any) -> str:
    """A uid column as str(uuid): PostgreSQL gives a UUID, SQLite the 32 hex digits."""
    if not isinstance(uid, str):
        return str(uid)
    if len(uid) == 32:
        return f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
    return uid


def _uid_sql(vendor: str, column: str) -> str:
    """The uid column as the text of str(uuid) where the database formats it faster than
    Python does (PostgreSQL); SQLite keeps a UUIDField as 32 hex digits, which _uid_text()
    formats (cheaper there than substr() in SQL)."""
    if vendor == "postgresql":
        return f"{column}::text"
    return column


def _key_rows(ids: list[int]) -> list[tuple[Any, ...]]:
    """(id, uid, purpose, domain, subject, generation, kek version, wrapped, destroyed) of the
    keys `ids`, one query per PRELOAD_CHUNK ids. Plain SQL on purpose: for a page of 1,000
    keys the ORM spends more preparing the IN list than the database spends answering."""
    from django.db import connections

    from mederp.data.models import DataKey

    opts = DataKey._meta
    connection = connections[DataKey.objects.db]
    qn = connection.ops.quote_name
    names = ("id", "uid", "purpose", "domain", "subject", "generation", "kek_version", "wrapped")
    col = {name: qn(str(opts.get_field(name).column)) for name in (*names, "destroyed_at")}  # type: ignore[union-attr]
    col["uid"] = _uid_sql(connection.vendor, col["uid"])
    columns = ", ".join(col[name] for name in names)
    destroyed = f"{col['destroyed_at']} IS NOT NULL"
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), PRELOAD_CHUNK):
            chunk = ids[start : start + PRELOAD_CHUNK]
            cursor.execute(
                f"SELECT {columns}, {destroyed} FROM {qn(opts.db_table)} "  # noqa: S608 - names from the model
                f"WHERE {col['id']} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            out.extend(cursor.fetchall())
    return out


def preload(key_ids: Iterable[int | None]) -> frozenset[int]:
    """Unwrap every key of `key_ids` not yet cached: one query (per 5,000 keys) and one batch
    call to the provider, whatever the number of rows that use them.

    Returns the ids among them that were destroyed (in the database or on the destruction
    list): their values read "[erased]", and the caller can say so without asking again.
    Destroyed keys are never cached."""
    destroyed = _destroyed()
    now = time.monotonic()
    cache = _cache
    wanted: set[int] = set()
    stale: list[int] = []
    for key_id in key_ids:
        if key_id is None or key_id in wanted:
            continue
        entry = cache.get(key_id)
        if entry is None:
            wanted.add(key_id)
        elif entry[1] < now:
            wanted.add(key_id)
            stale.append(key_id)
    if not wanted:
        return frozenset()
    items = []
    keep = []
    dead = []
    for key_id, uid, purpose, domain, subject, generation, version, wrapped, gone in _key_rows(
        sorted(wanted)
    ):
        if uid.__class__ is not str or len(uid) != 36:
            uid = _uid_text(uid)
        if gone or wrapped is None or uid in destroyed:
            dead.append(key_id)
            continue
        items.append(
            (
                Wrapped(version, bytes(wrapped)),
                wrap_context(uid, purpose, domain, subject, generation),
            )
        )
        keep.append((key_id, uid, purpose, domain, subject, generation))
    if stale:  # expired: unwrapped again below (and put at the young end), or dead
        with _lock:
            for key_id in stale:
                cache.pop(key_id, None)
    if items:
        materials = get_provider().unwrap_many(items)
        expires = time.monotonic() + _ttl()
        limit = _max_entries()
        with _lock:
            for (key_id, uid, purpose, domain, subject, generation), material in zip(
                keep, materials, strict=True
            ):
                if key_id in cache:  # pragma: no cover - another thread loaded it meanwhile
                    cache.move_to_end(key_id)
                cache[key_id] = (
                    KeyHandle(key_id, uid, purpose, domain, subject, generation, material),
                    expires,
                )
            while len(cache) > limit:
                cache.popitem(last=False)
    return frozenset(dead)


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


_UNUSABLE = (KeyDestroyed, crypto.DecryptionFailed, KeyProviderError)
_ROW_KEY = "enc_key_id"  # EncryptedModel.enc_key: the key every encrypted value of a row names


def open_rows(
    rows: list[Any], fields: list[Any], destroyed_ids: frozenset[int] = frozenset()
) -> int:
    """Open the encrypted `fields` of `rows` (instances of one model) in one pass, each data
    key taken from the cache once per call (`preload` has unwrapped the page's keys), and keep
    the plaintexts on the instances, exactly as reading each attribute would. A value that
    cannot be opened here (destroyed key: it reads "[erased]"; altered value; provider outage)
    stays sealed, so that reading it behaves as it always does. `destroyed_ids` (from
    `preload`) are keys known to be destroyed: not looked up again. Returns the values opened.

    The loop is written for speed (it runs for every value of every listed row); the format
    it reads is the one crypto.seal writes and crypto.open_sealed reads. Every value of a row
    is sealed with the row's key (`enc_key`), so the key and the record's part of the
    associated data are found once per row; a value whose header names another key (a row
    half-way through `keys reencrypt`), or that was sealed under another identity, takes the
    general path, value by value."""
    if not rows or not fields:
        return 0
    from mederp.data.fields import EncryptedField

    meta = type(rows[0])._meta
    pk_name = meta.pk.attname
    specs = []
    for f in fields:
        # None: the base class's UTF-8 text, decoded inline
        decode = None if type(f).decode is EncryptedField.decode else f.decode
        specs.append((f.attname, crypto.FieldAAD(meta.label, f.name).infix, decode))
    aad_of = crypto.FieldAAD(meta.label, "")
    prefix = aad_of.prefix  # the model's part, the same for all its fields
    record_of = aad_of.record
    unpack = crypto.HEADER.unpack_from
    start = crypto.HEADER.size
    nonce_end = start + crypto.NONCE_BYTES
    shortest = crypto.OVERHEAD + crypto.PAD_BLOCK
    sealed_type = crypto.Sealed
    # The checks load() makes, once for the page: expiry, and the destruction list (reading
    # it evicts destroyed keys from the cache).
    destroyed = _destroyed()
    now = time.monotonic()
    openers: dict[int | None, tuple[AESGCM, bytes, bytes] | None] = {None: None}

    def opener(key_id: int) -> tuple[AESGCM, bytes, bytes] | None:
        entry = _cache.get(key_id)
        handle: KeyHandle | None
        if entry is not None and entry[1] >= now and entry[0].uid not in destroyed:
            handle = entry[0]
        elif key_id in destroyed_ids:
            handle = None
        else:
            try:
                handle = load(key_id)
            except _UNUSABLE:
                handle = None
        found = openers[key_id] = None if handle is None else handle.opener
        return found

    opened = 0
    for row in rows:
        values = row.__dict__
        row_key = values.get(_ROW_KEY)
        key = openers[row_key] if row_key in openers else opener(row_key)
        head: bytes | None = None  # prefix + this record's id
        if key is not None:
            row_aead, row_key_part, header = key
            loaded = values[LOADED_PK] if LOADED_PK in values else values[pk_name]
            head = prefix + record_of(str(loaded))
        else:
            header = None
        for attname, infix, decode in specs:
            sealed = values.get(attname)
            if sealed.__class__ is not sealed_type:
                continue
            data = sealed.data
            if header is not None and sealed.record_id is None and data.startswith(header):
                aead = row_aead
                aad = head + infix + row_key_part  # type: ignore[operator]
            else:  # the general case: the key the value names, the identity it was loaded under
                if len(data) < shortest:
                    continue
                version, key_id = unpack(data)
                if version != crypto.FORMAT:
                    continue
                this = openers[key_id] if key_id in openers else opener(key_id)
                if this is None:
                    continue
                if sealed.record_id is not None:
                    record = prefix + record_of(sealed.record_id)
                else:
                    if head is None:
                        loaded = values[LOADED_PK] if LOADED_PK in values else values[pk_name]
                        head = prefix + record_of(str(loaded))
                    record = head
                aead = this[0]
                aad = record + infix + this[1]
            try:
                padded = aead.decrypt(data[start:nonce_end], data[nonce_end:], aad)
                end = padded.rstrip(b"\x00")
                if not end or end[-1] != 0x80:
                    continue  # bad padding: reading the attribute raises DecryptionFailed
                values[attname] = end[:-1].decode() if decode is None else decode(end[:-1])
            except (InvalidTag, ValueError):
                continue  # reading the attribute raises DecryptionFailed with the details
            opened += 1
    return opened


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
