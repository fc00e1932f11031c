"""Key operations: rotate the KEK (re-wrap data keys), start new data-key generations,
re-encrypt rows to the newest data keys, status, and the destruction list after a restore.

All of them run while the application serves requests: each batch is one short transaction
that locks only the rows it changes and writes its own ledger entry, so an interrupted run
is resumed by running the command again.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from mederp import audit
from mederp.data import crypto, destruction, keyring
from mederp.data.models import DataKey, EncryptedModel
from mederp.data.providers import Wrapped, get_provider
from mederp.identity.authz import authorize

PERM = "keys.manage"
Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


def _locked(qs: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs.select_for_update()


# --- KEK rotation ----------------------------------------------------------------------------
@dataclass
class RotationResult:
    provider: str
    old_version: int
    new_version: int
    rewrapped: int = 0
    new_data_keys: int = 0


def rotate(
    actor: Any,
    *,
    reason: str,
    batch: int = 1000,
    data_keys: bool = False,
    progress: Progress = _quiet,
) -> RotationResult:
    """A new KEK version, then every live data key re-wrapped under it (no field value is
    touched). With `data_keys`, also a new generation of every encryption key, which
    `reencrypt` then moves the rows to."""
    authorize(actor, PERM)
    keyring.guard_first_kek()
    provider = get_provider()
    with transaction.atomic():
        old = provider.current_version()
        new = provider.rotate()
        audit.record(
            "key_rotated",
            None,
            actor=actor,
            object_type="data.kek",
            object_id=provider.name,
            object_repr=f"key-encryption key ({provider.name}) version {old} -> {new}",
            changes={"kek_version": [old, new]},
            reason=reason,
        )
    progress(f"key-encryption key ({provider.name}): version {old} -> {new}")
    result = RotationResult(provider.name, old, new)
    while True:
        done = rewrap_batch(actor, batch=batch, reason=reason)
        if not done:
            break
        result.rewrapped += done
        progress(f"re-wrapped {result.rewrapped} data keys")
    if data_keys:
        result.new_data_keys = new_generations(actor, reason=reason, batch=batch, progress=progress)
    return result


def rewrap_batch(actor: Any, *, batch: int, reason: str = "") -> int:
    """Re-wrap up to `batch` data keys still wrapped under an older KEK version."""
    provider = get_provider()
    version = provider.current_version()
    with transaction.atomic():
        rows = list(
            _locked(
                DataKey.objects.filter(kek_provider=provider.name, wrapped__isnull=False)
                .exclude(kek_version=version)
                .order_by("id")
            )[:batch]
        )
        if not rows:
            return 0
        rewrapped = provider.rewrap_many(
            [(Wrapped(r.kek_version, bytes(r.wrapped)), keyring.row_context(r)) for r in rows]
        )
        table = connection.ops.quote_name(DataKey._meta.db_table)
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {table} SET wrapped = %s, kek_version = %s WHERE id = %s",  # noqa: S608
                [(w.blob, w.version, r.id) for r, w in zip(rows, rewrapped, strict=True)],
            )
        from_versions = dict(sorted(Counter(str(r.kek_version) for r in rows).items()))
        audit.record(
            "key_rotated",
            None,
            actor=actor,
            object_type="data.datakey",
            object_id="",
            object_repr=f"{len(rows)} data keys re-wrapped under key-encryption key "
            f"version {version}",
            changes={
                "rewrapped": [None, len(rows)],
                "kek_version": [from_versions, version],
            },
            reason=reason,
        )
        return len(rows)


def new_generations(
    actor: Any, *, reason: str, batch: int = 1000, progress: Progress = _quiet
) -> int:
    """A new generation of every live encryption key scope (domains and subjects)."""
    authorize(actor, PERM)
    provider = get_provider()
    started = timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            old = list(
                _locked(
                    DataKey.objects.filter(
                        purpose="enc",
                        is_current=True,
                        destroyed_at__isnull=True,
                        created_at__lt=started,
                    ).order_by("id")
                )[:batch]
            )
            if not old:
                break
            DataKey.objects.filter(pk__in=[k.pk for k in old]).update(is_current=False)
            fresh = []
            for key in old:
                uid = uuid.uuid4()
                generation = key.generation + 1
                material = crypto.new_key()
                ctx = keyring.wrap_context(str(uid), "enc", key.domain, key.subject, generation)
                wrapped = provider.wrap(material, ctx)
                fresh.append(
                    DataKey(
                        uid=uid,
                        purpose="enc",
                        domain=key.domain,
                        subject=key.subject,
                        generation=generation,
                        is_current=True,
                        kek_provider=provider.name,
                        kek_version=wrapped.version,
                        wrapped=wrapped.blob,
                    )
                )
            DataKey.objects.bulk_create(fresh)
            audit.record(
                "key_rotated",
                None,
                actor=actor,
                object_type="data.datakey",
                object_id="",
                object_repr=f"{len(fresh)} new data key generations",
                changes={"new_generations": [None, len(fresh)]},
                reason=reason,
            )
        total += len(old)
        progress(f"new data key generations: {total}")
    return total


# --- re-encryption ---------------------------------------------------------------------------
def encrypted_models() -> list[type[EncryptedModel]]:
    from mederp.data.services import encrypted_models as models

    return models()


def _stale(model: type[EncryptedModel]) -> Any:
    return model.objects.filter(enc_key__is_current=False, enc_key__destroyed_at__isnull=True)


def _targets(model: type[EncryptedModel], rows: list[Any]) -> dict[Any, keyring.KeyHandle]:
    """The newest key of each row's scope, with one query and one unwrap batch."""
    scopes = {row.pk: row.encryption_scope() for row in rows}
    subjects = {s for _d, s in scopes.values()}
    domains = {d for d, _s in scopes.values()}
    current = {
        (k.domain, k.subject): k.id
        for k in DataKey.objects.filter(
            purpose="enc", is_current=True, domain__in=domains, subject__in=subjects
        ).only("id", "domain", "subject")
    }
    keyring.preload(current.values())
    out = {}
    for pk, scope in scopes.items():
        key_id = current.get(scope)
        out[pk] = keyring.load(key_id) if key_id else keyring.current("enc", *scope)
    return out


def reencrypt_batch(actor: Any, model: type[EncryptedModel], *, batch: int) -> int:
    fields = model.encrypted_fields()
    with transaction.atomic():
        rows = list(_locked(_stale(model).select_related("enc_key").order_by("pk"))[:batch])
        if not rows:
            return 0
        targets = _targets(model, rows)
        params = []
        moves: Counter[str] = Counter()
        pk_field = model._meta.pk
        for row in rows:
            row.__dict__["_mederp_target_key"] = targets[row.pk]
            values = []
            for f in fields:
                sealed = f.pre_save(row, False)
                values.append(None if sealed is None else sealed.data)
            moves[f"g{row.enc_key.generation}->g{targets[row.pk].generation}"] += 1
            params.append(
                (*values, targets[row.pk].id, pk_field.get_db_prep_value(row.pk, connection))
            )
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
        sql = (
            f"UPDATE {qn(model._meta.db_table)} SET {sets}, {qn('enc_key_id')} = %s "  # noqa: S608
            f"WHERE {qn(str(pk_field.column))} = %s"
        )
        with connection.cursor() as cur:
            cur.executemany(sql, params)
        audit.record(
            "key_reencrypted",
            None,
            actor=actor,
            object_type=model._meta.label_lower,
            object_id="",
            object_repr=f"{len(rows)} rows of {model._meta.label} re-encrypted to the "
            "newest data keys",
            changes={
                "rows": [None, len(rows)],
                "fields": [None, [f.name for f in fields]],
                "generations": [None, dict(sorted(moves.items()))],
            },
        )
        return len(rows)


def reencrypt(
    actor: Any, *, batch: int = 500, max_batches: int | None = None, progress: Progress = _quiet
) -> dict[str, int]:
    """Move every row sealed with an older data key generation to the newest, in batches."""
    authorize(actor, PERM)
    done: dict[str, int] = {}
    batches = 0
    for model in encrypted_models():
        label = model._meta.label
        done[label] = 0
        while max_batches is None or batches < max_batches:
            n = reencrypt_batch(actor, model, batch=batch)
            if not n:
                break
            batches += 1
            done[label] += n
            progress(f"{label}: {done[label]} rows re-encrypted")
    return done


# --- status ----------------------------------------------------------------------------------
@dataclass
class Status:
    provider: str
    kek_current: int
    kek_versions: list[int]
    keys: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    destruction_list: int = 0
    listed_but_live: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def status() -> Status:
    provider = get_provider()
    result = Status(provider.name, provider.current_version(), provider.versions())
    for row in (
        DataKey.objects.values("purpose", "kek_provider", "kek_version")
        .annotate(
            live=Count("id", filter=Q(destroyed_at__isnull=True)),
            destroyed=Count("id", filter=Q(destroyed_at__isnull=False)),
        )
        .order_by("purpose", "kek_provider", "kek_version")
    ):
        result.keys.append(dict(row))
    for model in encrypted_models():
        by_gen = (
            model.objects.values("enc_key__generation", "enc_key__is_current")
            .annotate(
                n=Count("pk"), erased=Count("pk", filter=Q(enc_key__destroyed_at__isnull=False))
            )
            .order_by("enc_key__generation")
        )
        current = stale = erased = 0
        generations: dict[str, int] = {}
        for g in by_gen:
            generations[str(g["enc_key__generation"])] = (
                generations.get(str(g["enc_key__generation"]), 0) + g["n"]
            )
            erased += g["erased"]
            if g["enc_key__is_current"]:
                current += g["n"]
            else:
                stale += g["n"] - g["erased"]
        result.rows.append(
            {
                "model": model._meta.label,
                "rows": sum(generations.values()),
                "current": current,
                "stale": stale,
                "erased": erased,
                "by_generation": generations,
            }
        )
    listed = destruction.destroyed_uids(force=True)
    result.destruction_list = len(listed)
    result.listed_but_live = sum(
        1
        for uid in DataKey.objects.filter(wrapped__isnull=False).values_list("uid", flat=True)
        if str(uid) in listed
    )
    return result


# --- after a restore -------------------------------------------------------------------------
def apply_destruction_list(actor: Any, *, reason: str) -> int:
    """Destroy, in this database, every key the destruction list names but the database still
    holds (a backup restored from before a shredding). Their values already read "[erased]"
    before this runs; this wipes the wrapped material and marks the rows erased."""
    from mederp.data.services import destroy_subject_keys

    authorize(actor, PERM)
    listed = destruction.destroyed_uids(force=True)
    live = [
        k
        for k in DataKey.objects.filter(wrapped__isnull=False).only("uid", "domain", "subject")
        if str(k.uid) in listed
    ]
    scopes = sorted({(k.domain, k.subject) for k in live})
    count = 0
    for domain, subject in scopes:
        with transaction.atomic():
            if subject:
                count += len(destroy_subject_keys(actor, domain, subject, reason=reason))
            else:  # pragma: no cover - domain keys are never shredded
                continue
    return count
