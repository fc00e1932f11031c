"""The first administrator of a new installation, from the command line."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from mederp.audit.models import AuditEntry
from mederp.identity import authz
from mederp.identity.models import User

pytestmark = pytest.mark.django_db


def test_create_admin_reads_password_from_stdin(monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-admin-passphrase\n"))
    call_command(
        "create_admin", "--username", "root1", "--full-name", "First Admin", "--password-stdin"
    )
    user = User.objects.get(username="root1")
    assert user.check_password("a-long-enough-admin-passphrase")
    assert authz.sites_with(user, "identity.assign_role") is authz.ALL_SITES
    actions = list(
        AuditEntry.objects.filter(object_id__in=[str(user.pk)]).values_list("action", flat=True)
    )
    assert "create" in actions
    assert AuditEntry.objects.filter(action="role_granted", actor_username="system").exists()


def test_create_admin_refuses_a_weak_password(monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="too short"):
        call_command("create_admin", "--username", "root2", "--full-name", "X", "--password-stdin")
    assert not User.objects.filter(username="root2").exists()


def test_createsuperuser_makes_an_audited_administrator() -> None:
    User.objects.create_superuser("root3", "another-long-passphrase-1", full_name="Root Three")
    user = User.objects.get(username="root3")
    assert authz.has_perm(user, "identity.manage_users")


def test_changepassword_is_refused_because_it_would_bypass_the_ledger() -> None:
    User.objects.create_superuser("root4", "another-long-passphrase-2", full_name="Root Four")
    with pytest.raises(CommandError, match="does not change passwords"):
        call_command("changepassword", "root4")
    assert User.objects.get(username="root4").check_password("another-long-passphrase-2")
