from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.audit.models import Event
from xietong.errors import DomainError, PermissionDenied
from xietong.org import actions
from xietong.org.models import Delegation, Department, Membership, Person
from xietong.work import delegation


def test_creating_a_department_records_an_event(company):
    dept = actions.department_create(actor=company.admin, code="ops", name="运维部", kind="department",
                                     parent=company.hq)
    assert dept.path == company.hq.path + f"{dept.pk:08d}/"
    event = Event.objects.get(subject_type="org.department", subject_id=str(dept.pk))
    assert event.verb == "department.create" and event.actor == company.admin
    assert event.after["code"] == "ops"


def test_moving_a_department_moves_its_subtree(company):
    ops = actions.department_create(actor=company.admin, code="ops", name="运维部", kind="department",
                                    parent=company.hq)
    actions.department_update(actor=company.admin, department=company.tech, changes={"parent": ops})
    company.rd1.refresh_from_db()
    assert company.rd1.path.startswith(ops.path)
    assert company.rd1.depth == 3


def test_a_department_cannot_go_under_itself(company):
    with pytest.raises(DomainError) as info:
        actions.department_update(actor=company.admin, department=company.tech, changes={"parent": company.rd1})
    assert info.value.code == "cycle"


@pytest.mark.parametrize("field,value,code", [
    ("code", "bad code!", "bad_code"), ("code", "sales", "duplicate_code"), ("name", " ", "name_required"),
])
def test_bad_department_input_changes_nothing(company, field, value, code):
    before = Event.objects.count()
    kwargs = {"code": "new", "name": "新部门", "kind": "department", "parent": company.hq, field: value}
    with pytest.raises(DomainError) as info:
        actions.department_create(actor=company.admin, **kwargs)
    assert info.value.code == code
    assert Event.objects.count() == before
    assert not Department.objects.filter(name="新部门").exists()


def test_only_administrators_change_departments(company):
    with pytest.raises(PermissionDenied):
        actions.department_create(actor=company.sales_head, code="x", name="X", kind="department",
                                  parent=company.hq)


def test_hr_creates_people_and_employees_cannot(company):
    person = actions.person_create(actor=company.hr, username="newbie", name="新人", primary_department=company.sales,
                                   position="销售代表")
    assert Membership.objects.get(person=person).position == "销售代表"
    assert not person.has_usable_password()
    with pytest.raises(PermissionDenied):
        actions.person_create(actor=company.employee, username="x", name="X", primary_department=company.sales)


def test_bad_person_input_is_refused(company):
    with pytest.raises(DomainError, match="not a valid e-mail"):
        actions.person_create(actor=company.hr, username="p1", name="P", primary_department=company.sales,
                              email="nope")
    with pytest.raises(DomainError) as info:
        actions.person_create(actor=company.hr, username="LIUYANG", name="P", primary_department=company.sales)
    assert info.value.code == "duplicate_username"
    assert not Person.objects.filter(username="p1").exists()


def test_a_manager_loop_is_refused(company):
    actions.person_update(actor=company.hr, person=company.sales_head, changes={"manager": company.employee})
    with pytest.raises(DomainError) as info:
        actions.person_update(actor=company.hr, person=company.employee, changes={"manager": company.sales_head})
    assert info.value.code == "manager_loop"


def test_deactivation_keeps_history_and_blocks_sign_in(company, client):
    actions.person_deactivate(actor=company.hr, person=company.employee, reason="离职")
    company.employee.refresh_from_db()
    assert not company.employee.is_active and company.employee.deactivated_at is not None
    assert Membership.objects.filter(person=company.employee).exists()
    assert Event.objects.filter(verb="person.deactivate", subject_id=str(company.employee.pk)).exists()
    response = client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_membership_over_cap_returns_a_warning(company):
    actions.department_update(actor=company.admin, department=company.sales, changes={"headcount_cap": 2})
    company.sales.refresh_from_db()
    _m, warning = actions.membership_set(actor=company.hr, person=company.engineer, department=company.sales)
    assert warning == (3, 2)


def test_delegation_periods_cannot_overlap(company):
    now = timezone.now()
    delegation.delegation_create(actor=company.employee, principal=company.employee, delegate=company.sales_head,
                              starts_at=now, ends_at=now + timedelta(days=3))
    with pytest.raises(DomainError) as info:
        delegation.delegation_create(actor=company.employee, principal=company.employee, delegate=company.hr,
                                  starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5))
    assert info.value.code == "overlap"
    assert Delegation.objects.count() == 1


def test_only_oneself_hr_or_the_head_may_delegate(company):
    now = timezone.now()
    window = {"starts_at": now, "ends_at": now + timedelta(days=1)}
    delegation.delegation_create(actor=company.sales_head, principal=company.employee, delegate=company.hr, **window)
    with pytest.raises(PermissionDenied):
        delegation.delegation_create(actor=company.tech_head, principal=company.sales_head, delegate=company.hr,
                                  **window)


def test_revoking_the_last_admin_role_is_refused(company):
    assignment = company.admin.role_assignments.get(role="admin")
    # The set-up superuser is an administrator too: while it is active, sysadmin is not the last.
    Person.objects.filter(username="root").update(is_active=False)
    with pytest.raises(DomainError) as info:
        actions.role_revoke(actor=company.admin, assignment=assignment)
    assert info.value.code == "last_admin"
    assert company.admin.role_assignments.filter(role="admin").exists()


def test_a_new_primary_department_membership_is_in_the_event(company):
    actions.person_update(actor=company.hr, person=company.employee, changes={"primary_department": company.tech})
    event = Event.objects.filter(verb="person.update", subject_id=str(company.employee.pk)).latest("seq")
    assert event.after["membership_added"] == company.tech.pk
    assert Membership.objects.filter(person=company.employee, department=company.tech).exists()


def test_hr_cannot_edit_or_deactivate_an_administrator(company):
    """The finding: HR edited and deactivated the administrator."""
    with pytest.raises(PermissionDenied):
        actions.person_update(actor=company.hr, person=company.admin, changes={"email": "hr@example.com"})
    with pytest.raises(PermissionDenied):
        actions.person_deactivate(actor=company.hr, person=company.admin)
    company.admin.refresh_from_db()
    assert company.admin.is_active and company.admin.email == "sysadmin@example.com"
    actions.person_update(actor=company.hr, person=company.employee, changes={"phone": "13900000000"})  # others: yes


def test_an_administrator_may_go_only_while_another_remains(company):
    Person.objects.filter(username="root").update(is_active=False)  # the set-up superuser is not in play
    second = actions.person_create(actor=company.admin, username="admin2", name="管理员二", primary_department=company.hq)
    actions.role_grant(actor=company.admin, person=second, role="admin")
    actions.person_deactivate(actor=second, person=company.admin)  # two of them: one may go
    company.admin.refresh_from_db()
    assert not company.admin.is_active
    with pytest.raises(DomainError) as refused:  # now the last one cannot drop the role either
        actions.role_revoke(actor=second, assignment=second.role_assignments.get(role="admin"))
    assert refused.value.code == "last_admin"
