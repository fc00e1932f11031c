"""Users, sites, roles and site-scoped role assignments."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL, PUBLIC, personal


class BilingualName(models.Model):
    """Records named in English and Chinese; `label` picks by the active language."""

    name = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = (get_language() or "en").lower()
        if lang.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name


class Site(BilingualName):
    """A plant or warehouse location of the company. Users and records belong to sites."""

    class Kind(models.TextChoices):
        PLANT = "plant", _("Plant")
        WAREHOUSE = "warehouse", _("Warehouse")
        OFFICE = "office", _("Office")

    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PLANT)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    data_domain = "organisation"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": PUBLIC,
        "code": PUBLIC,
        "name": PUBLIC,
        "name_zh": PUBLIC,
        "kind": PUBLIC,
        "time_zone": PUBLIC,
        "address": INTERNAL,
        "is_active": INTERNAL,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        """`mederp createsuperuser` works, but there is no superuser: it makes an audited
        administrator through the service layer, like `mederp create_admin`."""
        from mederp.identity.services import bootstrap_admin

        if not password:
            raise ValueError("a password is required")
        return bootstrap_admin(
            username=username,
            password=password,
            full_name=extra.get("full_name") or username,
            email=extra.get("email") or "",
        )


class User(AbstractBaseUser):
    """A person who signs in. No Django superuser flag: all power comes from roles."""

    username_validator = UnicodeUsernameValidator()

    username = models.CharField(
        _("username"), max_length=150, unique=True, validators=[username_validator]
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    default_site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default site"),
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "username": personal(INTERNAL),
        "full_name": personal(INTERNAL),
        "email": personal(CONFIDENTIAL),
        "is_active": INTERNAL,
        "date_joined": INTERNAL,
        "preferred_language": INTERNAL,
        "time_zone": INTERNAL,
        "default_site": INTERNAL,
        "password": CONFIDENTIAL,
        "last_login": personal(INTERNAL),
    }

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name or self.username


class Permission(models.Model):
    """A permission code `domain.action` (e.g. `inventory.release_lot`). Data, not code."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    domain = models.CharField(_("domain"), max_length=50)
    description = models.CharField(_("description"), max_length=300)

    data_classification: ClassVar[dict[str, Any]] = {
        "id": PUBLIC,
        "code": PUBLIC,
        "domain": PUBLIC,
        "description": PUBLIC,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")

    def __str__(self) -> str:
        return self.code


class Role(BilingualName):
    code = models.CharField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(
        Permission, related_name="roles", blank=True, verbose_name=_("permissions")
    )
    is_system = models.BooleanField(_("seeded by mederp"), default=False)
    # Holders of a privileged role can change who may do what (two-person rule applies).
    privileged = models.BooleanField(_("privileged"), default=False)
    # Holders may act only from devices an administrator approved (trusted devices).
    device_bound = models.BooleanField(_("device-bound"), default=False)

    data_classification: ClassVar[dict[str, Any]] = {
        "id": PUBLIC,
        "code": PUBLIC,
        "name": PUBLIC,
        "name_zh": PUBLIC,
        "description": PUBLIC,
        "permissions": INTERNAL,
        "is_system": INTERNAL,
        "privileged": INTERNAL,
        "device_bound": INTERNAL,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=now)
        )


class RoleAssignment(models.Model):
    """A role held by a user at one site, or at every site when `site` is empty."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("role")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("site"),
        help_text=_("Empty: the role applies at every site."),
    )
    granted_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = RoleAssignmentQuerySet.as_manager()

    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "user": INTERNAL,
        "role": INTERNAL,
        "site": INTERNAL,
        "granted_by": INTERNAL,
        "granted_at": INTERNAL,
        "reason": INTERNAL,
        "valid_until": INTERNAL,
        "revoked_at": INTERNAL,
        "revoked_by": INTERNAL,
    }

    class Meta:
        ordering = ["user_id", "role_id"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "site"],
                condition=models.Q(revoked_at__isnull=True, site__isnull=False),
                name="uniq_active_role_at_site",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(revoked_at__isnull=True, site__isnull=True),
                name="uniq_active_role_all_sites",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site is not None else _("all sites")
        return f"{self.user} – {self.role} @ {where}"


# Security records of sign-in (devices, lockout, notices) live in their own module.
from mederp.identity.security_models import (  # noqa: E402, F401
    Device,
    LoginThrottle,
    SecurityNotice,
)
