"""Segregation of duties: `check(rule, actor, ...)`, called by services before they write.

    from mederp.access import sod

    sod.check("author_not_approver", actor, record=document)
    sod.check("no_self_grant", actor, people=[grantee])
    sod.check("it_admin_not_quality_approver", actor, user=grantee, role=role)

The rules are rows of `SodRule` (seeded by `access.rules`, configurable). A violation raises
`SodViolation`, a `PermissionDenied` whose message names the rule ("Segregation of duties
(rule author_not_approver): ..."); with `@audited_refusals` on the service it is recorded in
the ledger as `sod_violation` after the transaction has rolled back.

Kinds of rule:

- `distinct_person`: the actor may not be one of the persons of the record: those named by
  the rule's `person_fields` (e.g. `created_by`), those who signed the record with one of its
  `person_meanings` (e.g. "authored"), those the record names itself through a method
  `sod_persons(rule_code)`, and any `people` the caller passes. E-signatures with one of the
  rule's `applies_to_meanings` apply it by themselves (`rules_for_meaning`).
- `role_conflict`: nobody holds a role of `roles_a` and one of `roles_b` at the same time
  (at any site; pending privileged grants count as held).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access.models import SodRule
from mederp.access.refusals import AuditedRefusal
from mederp.identity.models import Role, RoleAssignment, User

_UNSET: Any = object()


class SodViolation(PermissionDenied, AuditedRefusal):
    """A segregation-of-duties rule refused the action. `str()` is the user-facing message."""

    def __init__(
        self,
        rule: SodRule,
        actor: Any,
        detail: str = "",
        *,
        obj: Any = None,
        site: Any = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.rule = rule
        self.rule_code = rule.code
        self.actor = actor
        self.obj = obj
        self.site = site
        self.changes = changes or {}
        message = _("Segregation of duties (rule %(code)s): %(message)s") % {
            "code": rule.code,
            "message": rule.message_label,
        }
        if detail:
            message = f"{message} {detail}"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def record(self) -> None:
        target: dict[str, Any] = {}
        if self.obj is None:  # nothing acted on yet: the entry is about the rule
            target = {
                "object_type": "access.sodrule",
                "object_id": self.rule.pk,
                "object_repr": self.rule_code,
            }
        audit.record(
            "sod_violation",
            self.obj,
            actor=self.actor,
            site=self.site,
            reason=self.message,
            changes={"rule": [None, self.rule_code], **self.changes},
            **target,
        )


def get_rule(code: str) -> SodRule:
    rule = SodRule.objects.filter(code=code).first()
    if rule is None:
        raise ImproperlyConfigured(f"unknown segregation-of-duties rule {code!r}")
    return rule


def rules_for_meaning(meaning: str) -> list[SodRule]:
    """Enforced rules that every e-signature with `meaning` applies by itself."""
    return [
        rule
        for rule in SodRule.objects.filter(is_active=True, kind=SodRule.Kind.DISTINCT_PERSON)
        if meaning in rule.applies_to_meaning_list
    ]


def _person_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    pk = getattr(value, "pk", None)
    return int(pk) if pk is not None else None


def _field_person(record: Any, name: str) -> Any:
    try:
        field = record._meta.get_field(name)
    except Exception:  # not a model field: a property or plain attribute, or absent
        return getattr(record, name, None)
    if getattr(field, "many_to_many", False) or getattr(field, "one_to_many", False):
        return list(getattr(record, name).all()) if record.pk else []
    if getattr(field, "is_relation", False):
        return getattr(record, field.attname, None)
    return getattr(record, name, None)


def persons_of(rule: SodRule, record: Any = None, people: Iterable[Any] = ()) -> set[int]:
    """User ids the rule keeps apart from the actor."""
    found: set[int] = set()
    values: list[Any] = list(people)
    if record is not None:
        for name in rule.person_field_list:
            value = _field_person(record, name)
            values.extend(value if isinstance(value, list | tuple | set) else [value])
        hook = getattr(record, "sod_persons", None)
        if callable(hook):
            values.extend(hook(rule.code) or ())
        meanings = rule.person_meaning_list
        if meanings and getattr(record, "pk", None) is not None:
            from mederp.signatures.selectors import signer_ids

            values.extend(signer_ids(record, meanings))
    for value in values:
        pid = _person_id(value)
        if pid is not None:
            found.add(pid)
    return found


def _site_of(record: Any) -> Any:
    from mederp.identity.models import Site

    if isinstance(record, Site):
        return record
    site = getattr(record, "site", None)
    return site if isinstance(site, Site) else None


def check(
    rule: str | SodRule,
    actor: Any,
    *,
    record: Any = None,
    people: Iterable[Any] = (),
    user: User | None = None,
    role: Role | None = None,
    site: Any = _UNSET,
    obj: Any = _UNSET,
) -> None:
    """Raise SodViolation if `actor` doing this would break `rule`; a rule switched off
    passes. `record` is what is acted on; `user` and `role` are the grantee and the role
    being granted (role conflicts); `obj`/`site` say what the ledger entry is about."""
    r = rule if isinstance(rule, SodRule) else get_rule(rule)
    if not r.is_active:
        return
    where = _site_of(record) if site is _UNSET else site
    about = (record if record is not None else user) if obj is _UNSET else obj
    if r.kind == SodRule.Kind.DISTINCT_PERSON:
        actor_id = getattr(actor, "pk", None)
        if actor_id is None:  # the system actor is nobody's author, approver or grantee
            return
        if int(actor_id) in persons_of(r, record, people):
            raise SodViolation(
                r, actor, obj=about, site=where, changes={"actor": [None, int(actor_id)]}
            )
        return
    if r.kind == SodRule.Kind.ROLE_CONFLICT:
        if user is None:
            raise ImproperlyConfigured(f"rule {r.code} needs the user whose roles it checks")
        _check_roles(r, actor, user, role, about, where)
        return
    raise ImproperlyConfigured(f"rule {r.code} has an unknown kind {r.kind!r}")


def held_role_ids(user: User) -> set[int]:
    """Roles the user holds (at any site) or has been proposed for (pending grants)."""
    from mederp.access.models import PendingGrant

    held = set(RoleAssignment.objects.active().filter(user=user).values_list("role_id", flat=True))
    held |= set(
        PendingGrant.objects.filter(user=user, status=PendingGrant.Status.PENDING).values_list(
            "role_id", flat=True
        )
    )
    return held


def _check_roles(
    rule: SodRule, actor: Any, user: User, role: Role | None, about: Any, where: Any
) -> None:
    side_a = {r.pk: r for r in rule.roles_a.all()}
    side_b = {r.pk: r for r in rule.roles_b.all()}
    held = held_role_ids(user)
    if role is not None:
        held.add(role.pk)
    if not (held & side_a.keys() and held & side_b.keys()):
        return
    if role is not None and role.pk not in side_a and role.pk not in side_b:
        return  # an existing conflict is not this grant's doing
    names_a = ", ".join(side_a[i].label for i in sorted(side_a))
    names_b = ", ".join(side_b[i].label for i in sorted(side_b))
    held_names = ", ".join(
        sorted(
            {
                *(side_a[i].label for i in held & side_a.keys()),
                *(side_b[i].label for i in held & side_b.keys()),
            }
        )
    )
    detail = _("%(user)s would hold %(held)s. Conflicting roles: %(a)s ↔ %(b)s.") % {
        "user": user,
        "held": held_names,
        "a": names_a,
        "b": names_b,
    }
    raise SodViolation(
        rule,
        actor,
        detail,
        obj=about,
        site=where,
        changes={
            "user": [None, user.pk],
            "role": [None, role.pk if role is not None else None],
        },
    )


def role_conflict_rules() -> list[SodRule]:
    return list(SodRule.objects.filter(is_active=True, kind=SodRule.Kind.ROLE_CONFLICT))


def check_role_conflicts(actor: Any, user: User, role: Role, *, site: Any = None) -> None:
    """Every enforced role-conflict rule, for granting `role` to `user`."""
    for rule in role_conflict_rules():
        check(rule, actor, user=user, role=role, site=site)
