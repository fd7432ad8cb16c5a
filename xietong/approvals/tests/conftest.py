from decimal import Decimal
from typing import Any

import pytest

from xietong.approvals.actions import approval_approve, approval_submit
from xietong.approvals.builtin import builtin_install
from xietong.approvals.flows import template_create, version_publish
from xietong.approvals.models import Approval, ApproverState, FlowTemplate, StepApprover


@pytest.fixture
def builtins(company, calendar):
    builtin_install()
    return company


MONEY_FORM = [{"key": "amount", "type": "money", "label": "金额", "amount": True, "required": True},
              {"key": "note", "type": "text", "label": "说明"}]


def make_template(company, key: str, nodes: list[dict[str, Any]], *, form: list[dict] | None = None,
                  settings: dict[str, Any] | None = None, admin=None) -> FlowTemplate:
    """A published custom template (setup: published directly, not through POL-2)."""
    version = template_create(actor=company.admin, key=key, name=key, definition={
        "form": MONEY_FORM if form is None else form, "nodes": nodes, "settings": settings or {}}, admin=admin)
    version_publish(version=version, actor=None)
    return FlowTemplate.objects.get(pk=version.template_id)


def node(key: str, *usernames: str, mode: str = "any", **extra: Any) -> dict[str, Any]:
    return {"type": "approve", "key": key, "name": key, "mode": mode,
            "approvers": [{"rule": "people", "people": list(usernames)}], **extra}


def submit(person, key: str, **data: Any) -> Approval:
    options = {k: data.pop(k) for k in ("chosen", "title", "emergency", "files") if k in data}
    return approval_submit(actor=person, template=FlowTemplate.objects.get(key=key),
                           data={k: str(v) if isinstance(v, int | Decimal) else v for k, v in data.items()},
                           **options)


def purchase(person, amount: int | str | Decimal, **extra: Any) -> Approval:
    return submit(person, "purchase", item="笔记本电脑", category="it", amount=amount, reason="新员工入职",
                  **extra)


def pending(approval: Approval) -> list[StepApprover]:
    return list(StepApprover.objects.filter(approval=approval, state=ApproverState.PENDING)
                .select_related("person", "step", "task").order_by("position", "pk"))


def pending_names(approval: Approval) -> list[str]:
    return [a.person.username for a in pending(approval)]


def approve(person, approval: Approval, comment: str = "") -> Approval:
    mine = [a for a in pending(approval) if a.task.assignee_id == person.pk]
    assert mine, f"{person.username} has nothing pending on {approval}"
    approval_approve(actor=person, approval=approval, approver_id=mine[0].pk, comment=comment)
    approval.refresh_from_db()
    return approval


def mine(person, approval: Approval) -> StepApprover:
    return next(a for a in pending(approval) if a.task.assignee_id == person.pk)
