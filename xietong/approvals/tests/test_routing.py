"""Routes by amount (APR-3), built-in purchase flow end to end, versioning."""

from decimal import Decimal

import pytest

from xietong.approvals.flows import version_publish, version_save_draft
from xietong.approvals.models import Approval, ApprovalState, FlowTemplate
from xietong.audit.models import Event
from xietong.audit.trail import audit_verify
from xietong.policy.actions import parameter_set
from xietong.work.models import Task, TaskState

from .conftest import approve, make_template, node, pending_names, purchase, submit


def test_a_purchase_of_8_wan_goes_head_then_finance_and_ends_approved(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    assert [n["key"] for n in approval.plan] == ["head", "finance"]
    assert pending_names(approval) == ["chenjing"]
    approve(c.sales_head, approval, "同意")
    assert pending_names(approval) == ["dongjie"]
    approval = approve(c.finance, approval)
    assert approval.state == ApprovalState.APPROVED
    assert approval.finished_at is not None
    assert not Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk),
                                   state=TaskState.OPEN).exists()
    verbs = list(Event.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk))
                 .order_by("seq").values_list("verb", flat=True))
    assert verbs == ["approval.submit", "approval.approve", "approval.approve", "approval.approved"]
    assert list(audit_verify()) == []


@pytest.mark.parametrize(("amount", "route"), [
    ("50000", ["head"]),  # at X: the department head alone
    ("49999.99", ["head"]),
    ("50000.01", ["head", "finance"]),  # above X: finance joins
    ("200000", ["head", "finance"]),  # at Y: no CEO yet
    ("200000.01", ["head", "finance", "ceo"]),  # above Y: the CEO
    ("600000", ["head", "finance", "ceo"]),
])
def test_thresholds_at_below_and_above_each_boundary(builtins, amount, route):
    assert [n["key"] for n in purchase(builtins.employee, amount).plan] == route


def test_the_route_follows_the_regulation_parameter(builtins):
    c = builtins
    parameter_set(actor=c.admin, key="approval.finance_threshold_yuan", raw_value="100000", reason="调整",
                  approved_in="test")
    assert [n["key"] for n in purchase(c.employee, 80000).plan] == ["head"]
    assert [n["key"] for n in purchase(c.employee, 100001).plan] == ["head", "finance"]


def test_60_wan_reaches_the_ceo(builtins):
    c = builtins
    approval = purchase(c.employee, 600000)
    approve(c.sales_head, approval)
    approve(c.finance, approval)
    assert pending_names(approval) == ["ceo"]
    assert approve(c.ceo, approval).state == ApprovalState.APPROVED


def test_a_running_approval_stays_on_its_version(builtins):
    c = builtins
    template = make_template(c, "trip", [node("first", "chenjing"), node("second", "dongjie")])
    running = submit(c.employee, "trip", amount=100)
    version = version_save_draft(actor=c.admin, template=template, definition={
        "form": running.version.definition["form"], "nodes": [node("only", "ceo")]})
    version_publish(version=version, actor=None)
    approve(c.sales_head, running)
    assert pending_names(running) == ["dongjie"]  # still the old route
    assert running.version.number == 1
    fresh = submit(c.employee, "trip", amount=100)
    assert fresh.version.number == 2 and pending_names(fresh) == ["ceo"]


def test_branches_pick_the_first_matching_branch_and_the_default(company):
    c = company
    form = [{"key": "amount", "type": "money", "label": "金额", "amount": True},
            {"key": "category", "type": "choice", "label": "类别",
             "choices": [{"value": "it", "label": "IT"}, {"value": "other", "label": "其他"}]}]
    make_template(c, "branchy", [
        {"type": "branch", "key": "by_category", "branches": [
            {"name": "IT", "when": [{"field": "category", "op": "eq", "value": "it"}],
             "nodes": [node("tech", "zhangwei")]},
            {"name": "sales dept", "when": [{"field": "$department", "op": "under", "value": ["hq"]},
                                             {"field": "$amount", "op": "gte", "value": "1000"}],
             "nodes": [node("ceo", "ceo")]},
            {"name": "default", "when": [], "nodes": [node("fin", "dongjie")]},
        ]}], form=form)
    assert [n["key"] for n in submit(c.employee, "branchy", amount=5, category="it").plan] == ["tech"]
    assert [n["key"] for n in submit(c.employee, "branchy", amount=1000, category="other").plan] == ["ceo"]
    assert [n["key"] for n in submit(c.employee, "branchy", amount=999, category="other").plan] == ["fin"]


def test_department_conditions_match_the_applicants_department_and_its_parents(company):
    c = company
    make_template(c, "bydept", [node("tech", "zhangwei", when=[{"field": "$department", "op": "under",
                                                                 "value": "tech"}]),
                                node("everyone", "ceo")])
    assert [n["key"] for n in submit(c.engineer, "bydept", amount=1).plan] == ["tech", "everyone"]
    assert [n["key"] for n in submit(c.employee, "bydept", amount=1).plan] == ["everyone"]


def test_amounts_are_decimal_not_float(builtins):
    approval = purchase(builtins.employee, "50000.01")
    assert Approval.objects.get(pk=approval.pk).amount == Decimal("50000.01")
    assert FlowTemplate.objects.get(key="purchase").current_version.number == 1
