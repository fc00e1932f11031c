"""Inspection plans: draft, characteristics, AQL and level validation, activation by revision."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.inspection import selectors, services
from mederp.inspection.models import Characteristic
from mederp.testing import materials as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer_qa(site_a: Any, make_user: Any) -> Any:
    return make_user("qa_specialist", site_a)


def test_plan_is_created_as_draft_with_normalized_aql_and_level(engineer_qa: Any) -> None:
    item = m.item()
    plan = services.create_plan(engineer_qa, item=item, aql="1", level="g2")
    assert (plan.status, plan.revision, plan.aql, plan.level) == ("draft", 1, "1.0", "II")
    entry = AuditEntry.objects.filter(action="create", object_type="inspection.inspectionplan")
    assert entry.get().actor_id == engineer_qa.pk


@pytest.mark.parametrize(
    ("aql", "level", "field"),
    [("0.7", "II", "aql"), ("abc", "II", "aql"), ("0,65", "II", "aql"), ("1.0", "IV", "level")],
)
def test_bad_aql_or_level_is_refused_with_a_message(
    engineer_qa: Any, aql: str, level: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_plan(engineer_qa, item=m.item(), aql=aql, level=level)
    assert field in caught.value.message_dict
    assert "ISO 2859-1" in str(caught.value) or "inspection level" in str(caught.value)


def test_variable_characteristic_needs_a_limit(engineer_qa: Any) -> None:
    plan = services.create_plan(engineer_qa, item=m.item(), aql="1.0")
    with pytest.raises(ValidationError, match="lower or an upper limit"):
        services.add_characteristic(
            engineer_qa, plan, name="Length", method="Ruler", kind="variable"
        )
    with pytest.raises(ValidationError, match="must not be below"):
        services.add_characteristic(
            engineer_qa,
            plan,
            name="Length",
            method="Ruler",
            kind="variable",
            lower_limit="5",
            upper_limit="4",
        )
    with pytest.raises(ValidationError, match="no limits"):
        services.add_characteristic(
            engineer_qa, plan, name="Colour", method="Visual", kind="attribute", upper_limit="1"
        )
    with pytest.raises(ValidationError, match="Enter a number"):
        services.add_characteristic(
            engineer_qa, plan, name="L", method="Ruler", kind="variable", upper_limit="x"
        )
    one_sided = services.add_characteristic(
        engineer_qa, plan, name="Burst pressure", method="Rig", kind="variable", lower_limit="300"
    )
    assert one_sided.seq == 10
    assert one_sided.upper_limit is None
    with pytest.raises(ValidationError, match="already used"):
        services.add_characteristic(
            engineer_qa, plan, seq=10, name="X", method="Y", kind="attribute"
        )
    assert Characteristic.objects.filter(plan=plan).count() == 1


def test_activation_retires_the_previous_revision(engineer_qa: Any) -> None:
    item = m.item()
    first = services.create_plan(engineer_qa, item=item, aql="1.0")
    with pytest.raises(ValidationError, match="at least one characteristic"):
        services.activate_plan(engineer_qa, first)
    services.add_characteristic(engineer_qa, first, name="Visual", method="Eye", kind="attribute")
    services.activate_plan(engineer_qa, first)
    with pytest.raises(ValidationError, match="only a draft plan"):
        services.update_plan(engineer_qa, first, aql="2.5")

    second = services.create_plan(engineer_qa, item=item, aql="0.65", copy_from=first)
    assert second.revision == 2
    assert [c.name for c in second.characteristics.all()] == ["Visual"]
    services.activate_plan(engineer_qa, second, reason="Tighter AQL after complaint")
    first.refresh_from_db()
    assert first.status == "retired"
    assert selectors.active_plan(item) == second
    transitions = AuditEntry.objects.filter(
        action="transition", object_type="inspection.inspectionplan"
    )
    assert transitions.count() == 3


def test_obsolete_item_gets_no_plan(engineer_qa: Any) -> None:
    with pytest.raises(ValidationError, match="obsolete"):
        services.create_plan(engineer_qa, item=m.item(status="obsolete"), aql="1.0")


@pytest.mark.parametrize("role", ["engineer", "warehouse_clerk", "auditor"])
def test_plan_management_needs_manage_plans(site_a: Any, make_user: Any, role: str) -> None:
    user = make_user(role, site_a)
    with pytest.raises(PermissionDenied, match=r"inspection\.manage_plans"):
        services.create_plan(user, item=m.item(), aql="1.0")
    plan = services.create_plan(SYSTEM, item=m.item(), aql="1.0")
    with pytest.raises(PermissionDenied):
        services.add_characteristic(user, plan, name="V", method="Eye", kind="attribute")
    services.add_characteristic(SYSTEM, plan, name="V", method="Eye", kind="attribute")
    with pytest.raises(PermissionDenied):
        services.activate_plan(user, plan)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_characteristic_removed_from_draft_only(engineer_qa: Any) -> None:
    plan = services.create_plan(engineer_qa, item=m.item(), aql="1.0")
    c = services.add_characteristic(engineer_qa, plan, name="V", method="Eye", kind="attribute")
    keep = services.add_characteristic(engineer_qa, plan, name="W", method="Eye", kind="attribute")
    services.remove_characteristic(engineer_qa, c)
    assert list(plan.characteristics.all()) == [keep]
    assert AuditEntry.objects.filter(action="delete").exists()
    services.activate_plan(engineer_qa, plan)
    with pytest.raises(ValidationError, match="only a draft plan"):
        services.remove_characteristic(engineer_qa, keep)
