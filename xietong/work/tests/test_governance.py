"""What the kernel refuses, tried as the personas who tried it."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from xietong.errors import DomainError, PermissionDenied
from xietong.org.models import Role
from xietong.work import actions, discussion
from xietong.work.delegation import delegation_create
from xietong.work.models import Attachment, Comment, Task
from xietong.work.registry import SUPERVISE
from xietong.work.sweep import escalations_run


def _supervisors(task: Task) -> list[str]:
    return sorted(Task.objects.filter(parent=task, kind=SUPERVISE).values_list("assignee__username", flat=True))


def test_a_modules_task_cannot_be_cancelled_from_the_task_page(make_task, company, as_):
    """The finding: the requester cancelled an approval's task, leaving the approval with nobody to decide."""
    task = make_task(kind="approvals.approve", subject=("approvals.approval", "1"))
    with pytest.raises(DomainError) as refused:
        actions.task_cancel(actor=company.sales_head, task=task, reason="不要了")
    assert refused.value.code == "owned_by_module"
    response = as_(company.sales_head).post(reverse("work:task_cancel", args=[task.pk]), {"reason": "不要了"},
                                            follow=True)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.state == "open"
    page = as_(company.sales_head).get(reverse("work:task", args=[task.pk])).content.decode()
    assert 'data-testid="cancel-task"' not in page


def test_a_to_do_is_still_cancelled_by_who_asked_for_it(make_task, company, as_):
    task = make_task()
    page = as_(company.sales_head).get(reverse("work:task", args=[task.pk])).content.decode()
    assert 'data-testid="cancel-task"' in page
    actions.task_cancel(actor=company.sales_head, task=task, reason="不再需要")
    task.refresh_from_db()
    assert task.state == "cancelled"


def test_nobody_urges_their_own_task(make_task, company):
    """The finding: the CEO urged (催办) a task of his own."""
    task = make_task(assignee=company.ceo, requester=company.sales_head)
    assert not actions.may_urge(company.ceo, task)
    with pytest.raises(PermissionDenied):
        actions.task_urge(actor=company.ceo, task=task)
    actions.task_urge(actor=company.sales_head, task=task)  # the requester still may


def test_a_coordinator_does_not_supervise_her_own_roles_task(make_task, company):
    """The finding: the coordination office got 督办 tasks for the coordination office's own task."""
    task = make_task(role=Role.COORDINATION_OFFICE, due_at=timezone.now() - timedelta(minutes=1))
    escalations_run()  # step 1: the head (the role task has no department: nobody)
    task.refresh_from_db()
    escalations_run(now=task.next_escalation_at + timedelta(seconds=1))  # step 2: the coordination office
    assert company.office.username not in _supervisors(task)
    task.refresh_from_db()
    escalations_run(now=task.next_escalation_at + timedelta(seconds=1))  # step 3: leadership
    assert _supervisors(task) == [company.ceo.username]


def test_an_absent_heads_task_escalates_past_his_delegate(make_task, company):
    """The finding: a task held by an absent head's delegate escalated at level 1 to nobody."""
    now = timezone.now()
    delegation_create(actor=company.sales_head, principal=company.sales_head, delegate=company.employee,
                      starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3))
    task = make_task(assignee=company.sales_head, requester=company.finance, due_at=now - timedelta(minutes=1))
    assert task.assignee == company.employee and task.delegated_from == company.sales_head
    escalations_run()
    # 陈静 heads sales and her delegate holds the task: her manager (the CEO, head of the company) supervises.
    assert _supervisors(task) == [company.ceo.username]


def test_files_and_comments_only_on_records_that_exist(company, as_):
    """The finding: files and comments were attached to records that do not exist."""
    with pytest.raises(PermissionDenied):
        discussion.comment_add(actor=company.admin, subject=("org.department", "999999"), body="?")
    with pytest.raises(PermissionDenied):
        discussion.attachment_add(actor=company.admin, subject=("org.person", "999999"),
                                  upload=SimpleUploadedFile("a.txt", b"x"))
    client = as_(company.admin)
    assert client.post("/work/records/org.department/999999/comments/", {"body": "?"}).status_code == 404
    assert client.post("/work/records/approvals.approval/99999999999999999999/comments/",
                       {"body": "?"}).status_code == 404
    assert client.post("/api/v1/records/org.person/999999/comments", {"body": "?"},
                       content_type="application/json").status_code == 404
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_the_history_of_a_record_that_does_not_exist_is_a_404(company, as_):
    client = as_(company.auditor)
    assert client.get("/work/records/org.person/999999/history/").status_code == 404
    assert client.get("/api/v1/records/org.person/999999/history").status_code == 404
    assert client.get(f"/work/records/org.person/{company.employee.pk}/history/").status_code == 200


def test_the_bulk_endpoints_do_not_name_what_the_caller_may_not_act_on(make_task, company, as_):
    """The finding: bulk-complete and batch-approve answered with the titles of anyone's tasks and approvals."""
    secret = make_task(assignee=company.ceo, title="董事会薪酬方案")
    for client_call in (
        lambda c: c.post("/api/v1/tasks/bulk-complete", {"ids": [secret.pk]}, content_type="application/json"),
        lambda c: c.post("/api/v1/approvals/batch-approve", {"approvers": [secret.pk]},
                         content_type="application/json"),
    ):
        body = client_call(as_(company.employee)).content.decode()
        assert "董事会薪酬方案" not in body
    page = as_(company.employee).post(reverse("work:bulk_complete"), {"task": [secret.pk]}, follow=True)
    assert "董事会薪酬方案" not in page.content.decode()
    secret.refresh_from_db()
    assert secret.state == "open"


def test_the_auditor_reads_a_persons_history_with_personal_data_masked(company, as_):
    """The finding: the auditor saw every employee's phone and e-mail through record history."""
    from xietong.org.actions import person_update

    person_update(actor=company.hr, person=company.employee, changes={"phone": "13912345678"})
    url = f"/work/records/org.person/{company.employee.pk}/history/"
    api = f"/api/v1/records/org.person/{company.employee.pk}/history"
    for reader in (as_(company.auditor).get(url).content.decode(),
                   as_(company.auditor).get(api).content.decode()):
        assert "13912345678" not in reader and "liuyang@example.com" not in reader
        assert "139****5678" in reader and "l***@example.com" in reader
    # HR and the person themselves see it in full.
    assert "13912345678" in as_(company.hr).get(api).content.decode()
    assert "13912345678" in as_(company.employee).get(api).content.decode()
