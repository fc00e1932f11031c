"""Segregation-of-duties rules, privileged grants awaiting a second administrator, access
reviews and the accounts disabled for inactivity.

None of these rows is deleted by normal use: grants and reviews change status, and every
change goes through `access.services` with a ledger entry.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL, PUBLIC, personal
from mederp.core.querysets import SiteScopedManager
from mederp.identity.models import BilingualName, Role, RoleAssignment, Site, User


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class SodRule(BilingualName):
    """One segregation-of-duties rule. Data, seeded by `access.rules`, configurable."""

    class Kind(models.TextChoices):
        DISTINCT_PERSON = "distinct_person", _("Different person")
        ROLE_CONFLICT = "role_conflict", _("Conflicting roles")

    code = models.CharField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    message = models.CharField(_("message (English)"), max_length=300)
    message_zh = models.CharField(_("message (Chinese)"), max_length=300, blank=True)
    # DISTINCT_PERSON: the actor may not be a person named by these fields of the record ...
    person_fields = models.CharField(
        _("record fields naming the persons"), max_length=200, blank=True
    )
    # ... nor a person who signed the record with one of these meanings ...
    person_meanings = models.CharField(
        _("signature meanings naming the persons"), max_length=100, blank=True
    )
    # ... and e-signatures with these meanings apply the rule by themselves.
    applies_to_meanings = models.CharField(
        _("signature meanings the rule applies to"), max_length=100, blank=True
    )
    # ROLE_CONFLICT: nobody holds a role of `roles_a` and a role of `roles_b` at the same time.
    roles_a = models.ManyToManyField(Role, related_name="+", blank=True, verbose_name=_("roles"))
    roles_b = models.ManyToManyField(
        Role, related_name="+", blank=True, verbose_name=_("conflicting roles")
    )
    is_active = models.BooleanField(_("enforced"), default=True)
    is_system = models.BooleanField(_("seeded by mederp"), default=False)

    data_classification: ClassVar[dict[str, Any]] = {
        "id": PUBLIC,
        "code": PUBLIC,
        "name": PUBLIC,
        "name_zh": PUBLIC,
        "kind": PUBLIC,
        "message": PUBLIC,
        "message_zh": PUBLIC,
        "person_fields": INTERNAL,
        "person_meanings": INTERNAL,
        "applies_to_meanings": INTERNAL,
        "roles_a": INTERNAL,
        "roles_b": INTERNAL,
        "is_active": INTERNAL,
        "is_system": INTERNAL,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("segregation-of-duties rule")
        verbose_name_plural = _("segregation-of-duties rules")

    @property
    def person_field_list(self) -> list[str]:
        return _split(self.person_fields)

    @property
    def person_meaning_list(self) -> list[str]:
        return _split(self.person_meanings)

    @property
    def applies_to_meaning_list(self) -> list[str]:
        return _split(self.applies_to_meanings)

    @property
    def message_label(self) -> str:
        from django.utils.translation import get_language

        lang = (get_language() or "en").lower()
        if lang.startswith("zh") and self.message_zh:
            return self.message_zh
        return self.message


class PendingGrant(models.Model):
    """A privileged role requested for a user; it becomes a RoleAssignment only when a second
    administrator approves it (two-person rule)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="+", verbose_name=_("role")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
        help_text=_("Empty: the role applies at every site."),
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    assignment = models.OneToOneField(
        RoleAssignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role assignment"),
    )

    objects = SiteScopedManager["PendingGrant"]()

    # What an approval or rejection signature attests: the request as it was made.
    signature_fields = ("id", "user", "role", "site", "reason", "requested_by", "requested_at")

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "user": INTERNAL,
        "role": INTERNAL,
        "site": INTERNAL,
        "reason": INTERNAL,
        "requested_by": INTERNAL,
        "requested_at": INTERNAL,
        "status": INTERNAL,
        "decided_by": INTERNAL,
        "decided_at": INTERNAL,
        "decision_reason": INTERNAL,
        "assignment": INTERNAL,
    }

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("privileged role grant")
        verbose_name_plural = _("privileged role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "site"],
                condition=models.Q(status="pending", site__isnull=False),
                name="uniq_pending_grant_at_site",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(status="pending", site__isnull=True),
                name="uniq_pending_grant_all_sites",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site is not None else _("all sites")
        return _("%(role)s for %(user)s @ %(site)s") % {
            "role": self.role.label,
            "user": self.user,
            "site": where,
        }


class AccessReviewCampaign(models.Model):
    """A periodic review: every active role assignment (of one site, or of every site) is
    listed for the site's owner or manager to confirm or revoke."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")

    name = models.CharField(_("name"), max_length=200)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
        help_text=_("Empty: every site and the company-wide roles."),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    started_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
        help_text=_("Empty: started by mederp (a scheduled review)."),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    completed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    unreviewed_at_completion = models.PositiveIntegerField(
        _("items left unreviewed"), null=True, blank=True
    )

    objects = SiteScopedManager["AccessReviewCampaign"]()

    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "name": INTERNAL,
        "site": INTERNAL,
        "due_date": INTERNAL,
        "status": INTERNAL,
        "started_by": INTERNAL,
        "started_at": INTERNAL,
        "completed_by": INTERNAL,
        "completed_at": INTERNAL,
        "unreviewed_at_completion": INTERNAL,
    }

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("access review")
        verbose_name_plural = _("access reviews")

    def __str__(self) -> str:
        return self.name

    def signature_content(self) -> dict[str, Any]:
        """A sign-off attests the campaign and every decision in it."""
        items = self.items.order_by("id").values_list(
            "id", "assignment_id", "user_id", "role_id", "site_id", "decision", "decided_by_id"
        )
        return {
            "name": self.name,
            "site": self.site_id,
            "due_date": self.due_date.isoformat(),
            "started_by": self.started_by_id,
            "items": [list(row) for row in items],
        }


class AccessReviewItem(models.Model):
    """One role assignment in a campaign, with the reviewer's decision."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not reviewed")
        CONFIRMED = "confirmed", _("Confirmed")
        REVOKED = "revoked", _("Revoked")

    campaign = models.ForeignKey(
        AccessReviewCampaign,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("access review"),
    )
    assignment = models.ForeignKey(
        RoleAssignment,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("role assignment"),
    )
    # Copies of the assignment's user, role and site: the review is scoped and reported by them.
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="+", verbose_name=_("role")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    decided_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = SiteScopedManager["AccessReviewItem"]()

    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "campaign": INTERNAL,
        "assignment": INTERNAL,
        "user": INTERNAL,
        "role": INTERNAL,
        "site": INTERNAL,
        "decision": INTERNAL,
        "decided_by": INTERNAL,
        "decided_at": INTERNAL,
        "note": INTERNAL,
    }

    class Meta:
        ordering = ["campaign_id", "site_id", "user_id", "role_id", "id"]
        verbose_name = _("access review item")
        verbose_name_plural = _("access review items")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "assignment"], name="uniq_review_item_per_assignment"
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site is not None else _("all sites")
        return f"{self.campaign}: {self.user} – {self.role} @ {where}"


class InactiveAccountDisablement(models.Model):
    """An account disabled by the inactivity job: what the report lists."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    disabled_at = models.DateTimeField(_("disabled at"), default=timezone.now)
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    inactive_days = models.PositiveIntegerField(_("inactivity limit (days)"))

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "user": INTERNAL,
        "disabled_at": INTERNAL,
        "last_login": personal(INTERNAL),
        "inactive_days": INTERNAL,
    }

    class Meta:
        ordering = ["-disabled_at", "-id"]
        verbose_name = _("account disabled for inactivity")
        verbose_name_plural = _("accounts disabled for inactivity")

    def __str__(self) -> str:
        return f"{self.user} ({self.disabled_at:%Y-%m-%d})"
