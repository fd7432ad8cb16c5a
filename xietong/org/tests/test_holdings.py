"""What a person holds (HOV groundwork): listed across the modules, handed
over keeping state and due time, and in the way of deactivation until then."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.errors import DomainError, PermissionDenied
from xietong.org import actions as org
from xietong.org.handover import hand_over
from xietong.org.holdings import held_by, open_work
from xietong.org.models import Liaison
from xietong.work.actions import task_complete, task_create
from xietong.work.models import Task
from xietong.work.registry import TODO


@pytest.fixture
def todo(company, calendar):
    return task_create(kind=TODO, title="整理客户档案", subject=("work.note", "1"), actor=company.sales_head,
                       assignee=company.employee, due_at=timezone.now() + timedelta(days=2))


def test_a_task_handed_over_keeps_its_state_and_due_time_and_moves_its_power(company, todo):
    due = todo.due_at
    moved = hand_over(actor=company.hr, holder=company.employee, to=company.engineer,
                      selection={"work.tasks": [str(todo.pk)]}, note="调岗交接")
    assert moved == 1
    todo.refresh_from_db()
    assert (todo.assignee_id, todo.state, todo.due_at) == (company.engineer.pk, "open", due)
    with pytest.raises(PermissionDenied):
        task_complete(actor=company.employee, task=Task.objects.get(pk=todo.pk))
    task_complete(actor=company.engineer, task=Task.objects.get(pk=todo.pk))
    assert Task.objects.get(pk=todo.pk).state == "done"


def test_deactivating_someone_who_holds_open_work_is_refused_until_it_is_handed_over(company, todo):
    with pytest.raises(DomainError) as refused:
        org.person_deactivate(actor=company.hr, person=company.employee)
    assert refused.value.code == "holds_open_work"
    assert "刘洋" in str(refused.value.message) and "1" in str(refused.value.message)
    company.employee.refresh_from_db()
    assert company.employee.is_active
    hand_over(actor=company.hr, holder=company.employee, to=company.sales_head, selection={"work.tasks": [str(todo.pk)]})
    assert open_work(company.employee) == []
    org.person_deactivate(actor=company.hr, person=company.employee)
    company.employee.refresh_from_db()
    assert not company.employee.is_active


def test_a_liaison_post_moves_and_roles_stay_as_history(company):
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    held = {holding.key: items for holding, items in held_by(company.rd1_lead)}
    assert [item.subject_id for item in held["org.liaison"]] == [str(company.tech.pk)]
    hand_over(actor=company.admin, holder=company.rd1_lead, to=company.engineer,
              selection={"org.liaison": [str(company.tech.pk)]})
    assert Liaison.objects.get(department=company.tech, partner=None).person_id == company.engineer.pk
    roles = {holding.key: (holding.open_work, items) for holding, items in held_by(company.finance)}["org.roles"]
    assert roles[0] is False and [item.title for item in roles[1]] == ["Finance"]


def test_only_hr_and_the_head_may_hand_over(company, todo):
    with pytest.raises(PermissionDenied):
        hand_over(actor=company.engineer, holder=company.employee, to=company.engineer,
                  selection={"work.tasks": [str(todo.pk)]})
    with pytest.raises(PermissionDenied):  # nobody hands their own work to whoever they like
        hand_over(actor=company.employee, holder=company.employee, to=company.engineer,
                  selection={"work.tasks": [str(todo.pk)]})
    assert hand_over(actor=company.sales_head, holder=company.employee, to=company.engineer,
                     selection={"work.tasks": [str(todo.pk)]}) == 1


def test_nothing_chosen_or_an_inactive_receiver_is_refused_and_changes_nothing(company, todo):
    with pytest.raises(DomainError, match="Choose what to hand over"):
        hand_over(actor=company.hr, holder=company.employee, to=company.engineer, selection={})
    company.outsider.is_active = False
    company.outsider.save(update_fields=["is_active"])
    with pytest.raises(DomainError):
        hand_over(actor=company.hr, holder=company.employee, to=company.outsider,
                  selection={"work.tasks": [str(todo.pk)]})
    assert Task.objects.get(pk=todo.pk).assignee_id == company.employee.pk


def test_the_holdings_page_for_the_person_hr_and_the_head_only(as_, company, todo):
    url = f"/org/people/{company.employee.pk}/holdings/"
    mine = as_(company.employee).get(url).content.decode()
    assert "整理客户档案" in mine and 'data-testid="hand-over"' not in mine
    assert as_(company.employee).post(url, {"item": f"work.tasks:{todo.pk}", "to": "zhengkai"}).status_code == 403
    assert as_(company.engineer).get(url).status_code == 403
    page = as_(company.sales_head).get(url).content.decode()
    assert 'data-testid="hand-over"' in page
    assert f'value="work.tasks:{todo.pk}"' in page  # the task can be picked to hand over
    assert "<span class=\"tag\">Open</span>" in page  # its state as the reader reads it
    response = as_(company.hr).post(url, {"item": f"work.tasks:{todo.pk}", "to": "zhengkai", "note": "交接"},
                                    follow=True)
    assert "handed over to 郑凯" in response.content.decode()
    assert Task.objects.get(pk=todo.pk).assignee_id == company.engineer.pk


def test_an_unknown_receiver_is_said_and_nothing_moves(as_, company, todo):
    url = f"/org/people/{company.employee.pk}/holdings/"
    response = as_(company.hr).post(url, {"item": f"work.tasks:{todo.pk}", "to": "nobody-here"}, follow=True)
    assert "No single active person is called “nobody-here”" in response.content.decode()
    assert Task.objects.get(pk=todo.pk).assignee_id == company.employee.pk


def test_the_holdings_api_for_the_person_and_hr_only(client, company, todo):
    from xietong.accounts.actions import token_create

    _t, mine = token_create(actor=company.employee, name="t")
    _t, other = token_create(actor=company.engineer, name="t")
    url = f"/api/v1/people/{company.employee.pk}/holdings"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 403
    body = {h["key"]: h for h in client.get(url, HTTP_AUTHORIZATION=f"Bearer {mine}").json()}
    assert [i["subject_id"] for i in body["work.tasks"]["items"]] == [str(todo.pk)]
    assert body["work.tasks"]["handed_over_here"] is True and body["org.roles"]["open_work"] is False


def test_a_request_handed_over_moves_with_its_task_and_its_due_time(company, calendar):
    from xietong.requests import actions as requests
    from xietong.requests.models import Request

    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    r = requests.request_submit(actor=company.employee, to_department=company.tech, title="固件升级支持")
    requests.request_accept(actor=company.rd1_lead, request=r, owner=company.engineer)
    deliver = Task.objects.get(kind=requests.KIND_DELIVER, subject_id=str(r.pk))
    due = deliver.due_at
    with pytest.raises(DomainError):  # 刘洋 is in sales, not in 技术部
        hand_over(actor=company.tech_head, holder=company.engineer, to=company.employee,
                  selection={"requests.owned": [str(r.pk)]})
    hand_over(actor=company.tech_head, holder=company.engineer, to=company.rd1_lead,
              selection={"requests.owned": [str(r.pk)]}, note="郑凯调岗")
    r = Request.objects.get(pk=r.pk)
    deliver.refresh_from_db()
    assert (r.owner_id, r.state, deliver.assignee_id, deliver.due_at, deliver.state) == (
        company.rd1_lead.pk, "accepted", company.rd1_lead.pk, due, "open")
    with pytest.raises(PermissionDenied):
        requests.request_complete(actor=company.engineer, request=r, result="完成")
    requests.request_complete(actor=company.rd1_lead, request=r, result="完成")
    assert Request.objects.get(pk=r.pk).state == "completed"


def test_a_customer_case_handed_over_moves_its_task_within_the_department(company, calendar):
    from xietong.service import actions as service
    from xietong.service.models import Assignment

    case = service.case_record(actor=company.service, data={
        "title": "充电桩无法启动", "description": "扫码后没有反应", "customer_name": "李雷",
        "customer_phone": "13912345678", "category": "fault", "channel": "hotline"})
    service.case_pass(actor=company.service, case=case, departments=[company.tech])
    handle = Task.objects.get(kind=service.KIND_HANDLE, subject_id=str(case.pk))
    holder, due = handle.assignee, handle.due_at
    assert holder == company.tech_head  # 技术部 has no liaison for customer service: its head
    held = {h.key: items for h, items in held_by(holder)}["service.cases"]
    assert [item.subject_id for item in held] == [str(case.pk)]
    hand_over(actor=company.ceo, holder=holder, to=company.engineer, selection={"service.cases": [str(case.pk)]})
    handle.refresh_from_db()
    assert (handle.assignee_id, handle.due_at, handle.state) == (company.engineer.pk, due, "open")
    service.case_return(actor=company.engineer, case=case, result="已远程重启")
    assert Assignment.objects.get(case=case).state == "returned"


def test_an_approval_handed_over_keeps_its_due_time_and_only_the_new_holder_decides(company, calendar):
    from xietong.approvals.actions import approval_approve
    from xietong.approvals.builtin import builtin_install
    from xietong.approvals.tests.conftest import pending, purchase

    builtin_install()
    approval = purchase(company.employee, 8_000)  # 陈静, head of sales, decides it alone
    (place,) = pending(approval)
    assert place.person_id == company.sales_head.pk
    due = place.task.due_at
    with pytest.raises(DomainError):  # the applicant cannot take over a decision on their own application
        hand_over(actor=company.hr, holder=company.sales_head, to=company.employee,
                  selection={"approvals.pending": [str(approval.pk)]})
    hand_over(actor=company.hr, holder=company.sales_head, to=company.office,
              selection={"approvals.pending": [str(approval.pk)]})
    (place,) = pending(approval)
    assert (place.person_id, place.task.assignee_id, place.task.due_at) == (company.office.pk, company.office.pk, due)
    with pytest.raises(PermissionDenied):
        approval_approve(actor=company.sales_head, approval=approval, approver_id=place.pk)
    approval_approve(actor=company.office, approval=approval, approver_id=place.pk)
    approval.refresh_from_db()
    assert approval.state == "approved"
