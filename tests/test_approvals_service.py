"""Approvals as a service to other modules: a module submits its record for
approval (approval_submit(subject=…)); the approval links to it and shows
it, approvals_for(record) reads them, and the template's handler receives
the record when the approval ends. The module is the example (tests/example),
its handler declared only in its manifest."""

import pytest
from django.utils import timezone

from tests.example.actions import note_create
from tests.example.models import Note
from xietong.approvals.actions import approval_approve, approval_submit
from xietong.approvals.flows import template_create, version_publish
from xietong.approvals.models import ApprovalState, FlowTemplate, StepApprover
from xietong.approvals.queries import approvals_for
from xietong.audit.trail import history_for
from xietong.errors import DomainError


@pytest.fixture
def note_flow(company, calendar):
    company.admin.role_assignments.create(role="example_editor")
    version = template_create(actor=company.admin, key="note_review", name="说明审批", definition={
        "form": [{"key": "why", "label": "理由", "type": "text"}],
        "nodes": [{"type": "approve", "key": "head", "name": "部门负责人", "mode": "any",
                   "approvers": [{"rule": "people", "people": ["chenjing"]}]}], "settings": {}})
    version_publish(version=version, actor=None)
    FlowTemplate.objects.filter(pk=version.template_id).update(handler="example.note_approval")
    note = note_create(actor=company.admin, department=company.sales, title="季度协作说明")
    return FlowTemplate.objects.get(pk=version.template_id), note


def test_a_module_submits_its_record_and_its_handler_receives_it(company, note_flow, client):
    template, note = note_flow
    approval = approval_submit(actor=company.employee, template=template, data={"why": "请审核"}, subject=note)
    assert (approval.subject_type, approval.subject_id) == ("example.note", str(note.pk))
    assert approval.subject == note
    assert list(approvals_for(note)) == [approval]
    assert list(approvals_for(("example.note", "999999"))) == []
    client.force_login(company.employee)
    page = client.get(f"/approvals/{approval.pk}/").content.decode()
    assert 'data-testid="approval-subject"' in page and "季度协作说明" in page
    body = client.get(f"/api/v1/approvals/{approval.pk}").json()
    assert (body["subject_type"], body["subject_id"]) == ("example.note", str(note.pk))
    approver = StepApprover.objects.get(approval=approval, person=company.sales_head)
    approval_approve(actor=company.sales_head, approval=approval, approver_id=approver.pk)
    approval.refresh_from_db()
    note.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert note.approved_at == approval.finished_at and note.approved_at <= timezone.now()
    assert [e.verb for e in history_for(note)][-1] == "note.approve"


def test_a_record_that_does_not_exist_cannot_be_submitted(company, note_flow):
    template, _note = note_flow
    with pytest.raises(DomainError) as refused:
        approval_submit(actor=company.employee, template=template, data={"why": "x"}, subject=("example.note", "999999"))
    assert refused.value.code == "no_subject"
    with pytest.raises(DomainError):
        approval_submit(actor=company.employee, template=template, data={"why": "x"}, subject=("nosuch.record", "1"))
    assert not Note.objects.filter(approved_at__isnull=False).exists()
