"""Demo approvals: one at each stage, made through the actions (demo mode only)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xietong.org.models import Department, Person

from .actions import approval_approve, approval_return, approval_submit
from .builtin import builtin_install
from .models import Approval, ApproverState, FlowTemplate


def _approve(person: Person, approval: Approval) -> None:
    a = approval.approvers.get(state=ApproverState.PENDING, task__assignee=person)
    approval_approve(actor=person, approval=approval, approver_id=a.pk, comment="同意")


@transaction.atomic
def load_demo_approvals() -> str:
    if not settings.XIETONG_DEMO:
        return "demo approvals: skipped (XIETONG_DEMO is off)"
    builtin_install()
    if Approval.objects.exists():
        return "demo approvals: already loaded"
    people = {p.username: p for p in Person.objects.all()}
    purchase, expense, resource = (FlowTemplate.objects.get(key=k) for k in ("purchase", "expense", "resource"))
    approval_submit(actor=people["liuyang"], template=purchase, title="大客户演示用充电桩样机", data={
        "item": "便携式充电桩样机 4 台", "category": "production", "amount": "80000", "supplier": "华东电气",
        "reason": "大客户现场演示需要", "lines": [{"name": "便携式充电桩", "quantity": "4", "unit_price": "20000"}]})
    # Dated from the day the demo is loaded: last week's trip, next week's support.
    today = timezone.localdate()
    trip = [(today - timedelta(days=d)).isoformat() for d in (9, 7)]
    support = [(today + timedelta(days=d)).isoformat() for d in (6, 7)]
    claim = approval_submit(actor=people["yangfan"], template=expense, data={
        "kind": "travel", "amount": "3200", "reason": "赴苏州拜访客户", "period": trip})
    _approve(people["chenjing"], claim)
    line = approval_submit(actor=people["liangshuang"], template=purchase, title="二号产线自动化改造设备", data={
        "item": "自动化装配线设备", "category": "production", "amount": "600000", "reason": "提升产能 30%"})
    _approve(people["linfeng"], line)
    _approve(people["dongjie"], line)
    room = approval_submit(actor=people["huanglei"], template=resource, data={
        "resource": "staff", "provider": Department.objects.get(code="tech").pk,
        "period": support, "quantity": "1", "reason": "客户技术交流需要工程师支持"})
    a = room.approvers.get(state=ApproverState.PENDING)
    approval_return(actor=people["chenjing"], approval=room, approver_id=a.pk, to="applicant",
                    comment="请写明交流主题和客户名称")
    return "demo approvals: 4 loaded (one waiting for 陈静, one for finance, one for the CEO, one returned to 黄蕾)"
