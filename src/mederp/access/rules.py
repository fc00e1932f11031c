"""The segregation-of-duties rules mederp seeds (post_migrate). They are data: an installation
may switch a rule off or change its roles, fields and meanings through
`access.services.configure_rule` (audited); a later migrate adds missing rules and refreshes
the texts of seeded ones, and keeps what was configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: str
    name: str
    name_zh: str
    message: str
    message_zh: str
    person_fields: str = ""
    person_meanings: str = ""
    applies_to_meanings: str = ""
    roles_a: tuple[str, ...] = field(default_factory=tuple)
    roles_b: tuple[str, ...] = field(default_factory=tuple)


SEED_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        code="no_self_grant",
        kind="distinct_person",
        name="Nobody grants roles to themselves",
        name_zh="不得给自己授予角色",
        message="You cannot grant roles to yourself.",
        message_zh="您不能给自己授予角色。",
        person_fields="user",
    ),
    RuleSpec(
        code="two_person_grant",
        kind="distinct_person",
        name="Privileged roles need a second administrator",
        name_zh="特权角色须由第二位管理员批准",
        message=(
            "A privileged role grant must be decided by a second administrator: "
            "not the person who requested it, nor the person who receives it."
        ),
        message_zh="特权角色授予必须由第二位管理员决定：既不能是申请人，也不能是被授予人。",
        person_fields="requested_by,user",
    ),
    RuleSpec(
        code="author_not_approver",
        kind="distinct_person",
        name="The author does not approve or release",
        name_zh="作者不得批准或放行",
        message="The author of a record cannot approve or release it.",
        message_zh="记录的作者不能批准或放行该记录。",
        person_fields="created_by,author,authored_by",
        person_meanings="authored",
        applies_to_meanings="approved,released",
    ),
    RuleSpec(
        code="executor_not_releaser",
        kind="distinct_person",
        name="The executor does not release",
        name_zh="执行人不得放行",
        message="The person who executed a batch step cannot QA-release that batch.",
        message_zh="执行了批次步骤的人员不能对该批次进行质量放行。",
        person_fields="executed_by,performed_by",
        applies_to_meanings="released",
    ),
    RuleSpec(
        code="it_admin_not_quality_approver",
        kind="role_conflict",
        name="IT administrators hold no quality-approval role",
        name_zh="IT 管理员不得兼任质量审批角色",
        message=(
            "An Administrator (IT) cannot hold a quality-approval role (Quality Manager, "
            "QA Specialist) at the same time."
        ),
        message_zh="系统管理员（IT）不能同时担任质量审批角色（质量经理、质量保证专员）。",
        roles_a=("admin",),
        roles_b=("quality_manager", "qa_specialist"),
    ),
    RuleSpec(
        code="inspector_not_approver",
        kind="distinct_person",
        name="The inspector does not approve a deviation",
        name_zh="检验员不得批准让步接收",
        message="The inspector of a lot cannot approve its acceptance with deviation.",
        message_zh="批次的检验员不能批准该批次的让步接收。",
        person_fields="inspected_by",
    ),
    RuleSpec(
        code="buyer_not_po_approver",
        kind="distinct_person",
        name="The buyer does not approve their own purchase order",
        name_zh="采购员不得批准自己的采购订单",
        message=(
            "The person who created, changed or submitted a purchase order cannot approve it."
        ),
        message_zh="创建、修改或提交采购订单的人员不能批准该订单。",
        person_fields="created_by,submitted_by",
    ),
    RuleSpec(
        code="counter_not_adjustment_approver",
        kind="distinct_person",
        name="The counter does not approve the count's adjustments",
        name_zh="盘点人不得批准自己的盘点调整",
        message="The person who counted cannot approve the count's stock adjustments.",
        message_zh="执行盘点的人员不能批准该盘点的库存调整。",
        person_fields="counted_by",
    ),
    RuleSpec(
        code="no_self_review",
        kind="distinct_person",
        name="Nobody reviews their own access",
        name_zh="不得复核自己的权限",
        message="You cannot confirm or revoke your own roles in an access review.",
        message_zh="您不能在权限复核中确认或撤销自己的角色。",
        person_fields="user",
    ),
)


def sync_rules(using: str = "default", **kwargs: Any) -> None:
    from mederp.access.models import SodRule
    from mederp.identity.models import Role

    with transaction.atomic(using=using):
        roles = {r.code: r for r in Role.objects.using(using).all()}
        for spec in SEED_RULES:
            texts = {
                "name": spec.name,
                "name_zh": spec.name_zh,
                "message": spec.message,
                "message_zh": spec.message_zh,
            }
            rule = SodRule.objects.using(using).filter(code=spec.code).first()
            if rule is not None:
                if rule.is_system:
                    SodRule.objects.using(using).filter(pk=rule.pk).update(**texts)
                continue
            rule = SodRule.objects.using(using).create(
                code=spec.code,
                kind=spec.kind,
                person_fields=spec.person_fields,
                person_meanings=spec.person_meanings,
                applies_to_meanings=spec.applies_to_meanings,
                is_system=True,
                **texts,
            )
            rule.roles_a.set([roles[c] for c in spec.roles_a if c in roles])
            rule.roles_b.set([roles[c] for c in spec.roles_b if c in roles])
