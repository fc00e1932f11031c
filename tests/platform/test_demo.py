"""The demo plant loads idempotently, and `make demo` prints the URL and every login."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from mederp.audit.models import AuditEntry
from mederp.data import masking
from mederp.data.models import DataKey, Person
from mederp.demo import plant
from mederp.identity import authz
from mederp.identity.models import Role, RoleAssignment, Site, User


def _counts() -> dict[str, int]:
    return {
        "sites": Site.objects.count(),
        "users": User.objects.count(),
        "roles": Role.objects.count(),
        "assignments": RoleAssignment.objects.count(),
        "people": Person.objects.count(),
        "data keys": DataKey.objects.count(),
        "audit entries": AuditEntry.objects.count(),
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_creates_no_duplicates() -> None:
    first = plant.load()
    assert {k: first[k] for k in ("sites", "users", "roles", "people")} == {
        "sites": len(plant.SITES),
        "users": len(plant.USERS),
        "roles": len(plant.USERS),
        "people": len(plant.PEOPLE),
    }
    assert first["items"] == 30
    after_first = _counts()

    second = plant.load()

    assert second == {"sites": 0, "users": 0, "roles": 0, "people": 0}
    assert _counts() == after_first  # nothing added, not even an audit entry


@pytest.mark.django_db
def test_load_demo_command_is_idempotent() -> None:
    call_command("load_demo", stdout=StringIO())
    after_first = _counts()
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert "0 sites created, 0 users created, 0 roles created, 0 people created" in out.getvalue()
    assert _counts() == after_first


@pytest.mark.django_db
def test_every_demo_user_signs_in_with_the_printed_password_and_holds_its_role() -> None:
    plant.load()
    sites = {site.code: site for site in Site.objects.all()}
    for spec in plant.USERS:
        user = authenticate(username=spec.username, password=plant.DEMO_PASSWORD)
        assert user is not None, spec.username
        assignments = RoleAssignment.objects.active().filter(user=user)
        assert [(a.role.code, a.site_id) for a in assignments] == [
            (spec.role, sites[spec.site].pk if spec.site else None)
        ]
    qa = User.objects.get(username="qa")
    assert authz.has_perm(qa, "audit.view_trail", sites["SZ01"])


def test_demo_banner_prints_url_and_every_login() -> None:
    out = StringIO()

    call_command("demo_banner", stdout=out)

    text = out.getvalue()
    assert "https://127.0.0.1:8443" in text
    assert plant.DEMO_PASSWORD in text
    printed = {line.split()[0] for line in text.splitlines() if line.startswith("    ")}
    assert printed == {user.username for user in plant.USERS}


@pytest.mark.django_db
def test_demo_contact_people_are_masked_unless_the_viewer_may_see_them() -> None:
    plant.load()
    people = {p.email: p for p in Person.objects.select_related("site")}
    assert len(people) == len(plant.PEOPLE)
    assert {p.site.code for p in people.values()} == {"SZ01", "KS02"}
    assert {p.kind for p in people.values()} == {"supplier", "customer"}
    wang = people["wang.jianguo@js-polymer.example"]
    buyer = User.objects.get(username="buyer")
    dpo = User.objects.get(username="dpo")
    assert not masking.may_see_clear(buyer, wang)
    assert masking.present_all(wang, ["name", "phone", "email"], clear=False) == {
        "name": "王**",
        "phone": "+861******0001",
        "email": "w***@js-polymer.example",
    }
    assert masking.may_see_clear(dpo, wang)
    assert wang.name == "王建国"
    assert wang.phone == "+86 139 1234 0001"
    # Encrypted at rest: the raw column holds no name.
    raw = Person.objects.values_list("name", flat=True).get(pk=wang.pk)
    assert "王建国".encode() not in raw.data
