"""Every state-changing org view refuses someone who must not use it, and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.audit.models import Event
from xietong.org import actions
from xietong.org.models import Delegation, Liaison, Membership, RoleAssignment
from xietong.work.delegation import delegation_create


@pytest.fixture
def setup(company):
    now = timezone.now()
    liaison = actions.liaison_set(actor=company.admin, department=company.tech, person=company.engineer)
    delegation = delegation_create(actor=company.tech_head, principal=company.tech_head,
                                           delegate=company.rd1_lead, starts_at=now, ends_at=now + timedelta(days=1))
    actions.membership_set(actor=company.admin, person=company.engineer, department=company.sales)
    role = company.finance.role_assignments.get()
    return company, liaison, delegation, role


def posts(c, liaison, delegation, role):
    return [
        (f"/org/departments/{c.tech.pk}/liaisons/", {"person": c.employee.pk}),
        (f"/org/departments/{c.tech.pk}/liaisons/{liaison.pk}/clear/", {}),
        (f"/org/people/{c.engineer.pk}/memberships/", {"department": c.finance_dept.pk}),
        (f"/org/people/{c.engineer.pk}/memberships/{c.sales.pk}/remove/", {}),
        (f"/org/people/{c.finance.pk}/roles/{role.pk}/revoke/", {}),
        (f"/work/people/{c.tech_head.pk}/delegations/", {"delegate": c.employee.pk, "starts_at": "2030-01-01T09:00",
                                                        "ends_at": "2030-01-02T09:00"}),
        (f"/work/people/{c.tech_head.pk}/delegations/{delegation.pk}/cancel/", {}),
    ]


def snapshot():
    return (Event.objects.count(), Liaison.objects.count(), Membership.objects.count(),
            RoleAssignment.objects.count(), list(Delegation.objects.values_list("cancelled_at", flat=True)))


def test_an_employee_changes_nothing_through_any_org_post(setup, client):
    company, liaison, delegation, role = setup
    client.force_login(company.employee)
    before = snapshot()
    for url, data in posts(company, liaison, delegation, role):
        response = client.post(url, data)
        assert response.status_code in (302, 403), url
    assert snapshot() == before


def test_an_outsider_gets_nothing_from_any_org_post(setup, client):
    company, liaison, delegation, role = setup
    client.force_login(company.outsider)
    before = snapshot()
    for url, data in posts(company, liaison, delegation, role):
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_signed_out_posts_go_to_sign_in(setup, client):
    company, liaison, delegation, role = setup
    for url, data in posts(company, liaison, delegation, role):
        response = client.post(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_gets_are_not_allowed_on_post_only_views(setup, client):
    company, liaison, delegation, role = setup
    client.force_login(company.admin)
    for url, _data in posts(company, liaison, delegation, role):
        assert client.get(url).status_code == 405, url
