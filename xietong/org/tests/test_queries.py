from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.errors import DomainError
from xietong.org import actions
from xietong.org.models import Delegation, Role
from xietong.org.queries import (
    acting_for,
    department_head,
    department_headcount,
    department_liaison,
    headcount_warning,
    manager_chain,
    role_holders,
)
from xietong.work import delegation


def test_head_of_a_department(company):
    assert department_head(company.sales) == company.sales_head


def test_a_vacant_head_falls_back_to_the_parent(company):
    actions.department_update(actor=company.admin, department=company.rd1, changes={"head": None})
    company.rd1.refresh_from_db()
    assert department_head(company.rd1) == company.tech_head
    assert department_head(company.rd1, fallback_to_parent=False) is None


def test_manager_chain_goes_group_leader_director_ceo(company):
    # seed 000 §2: group leader → director → CEO.
    assert manager_chain(company.engineer, levels=5) == [company.rd1_lead, company.tech_head, company.ceo]
    assert manager_chain(company.engineer, levels=2) == [company.rd1_lead, company.tech_head]


def test_an_explicit_manager_wins(company):
    actions.person_update(actor=company.admin, person=company.employee, changes={"manager": company.ceo})
    company.employee.refresh_from_db()
    assert manager_chain(company.employee, levels=1) == [company.ceo]


def test_role_holders(company):
    assert list(role_holders(Role.FINANCE)) == [company.finance]
    assert set(role_holders(Role.LEADERSHIP)) == {company.ceo}


def test_department_scoped_role_holders(company):
    actions.role_grant(actor=company.admin, person=company.employee, role=Role.COORDINATOR,
                       department=company.sales)
    assert list(role_holders(Role.COORDINATOR, department=company.sales)) == [company.employee]
    assert list(role_holders(Role.COORDINATOR, department=company.tech)) == []


def test_liaison_for_a_partner_then_general_then_head(company):
    assert department_liaison(company.tech) == company.tech_head
    actions.liaison_set(actor=company.admin, department=company.tech, person=company.engineer)
    assert department_liaison(company.tech) == company.engineer
    actions.liaison_set(actor=company.admin, department=company.tech, partner=company.sales, person=company.rd1_lead)
    assert department_liaison(company.tech, partner=company.sales) == company.rd1_lead
    assert department_liaison(company.tech, partner=company.finance_dept) == company.engineer


def test_acting_for_follows_a_live_delegation(company):
    now = timezone.now()
    delegation.delegation_create(actor=company.tech_head, principal=company.tech_head, delegate=company.rd1_lead,
                              starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    assert acting_for(company.tech_head) == company.rd1_lead
    assert acting_for(company.tech_head, at=now + timedelta(days=3)) == company.tech_head


def test_acting_for_follows_a_chain_and_stops_at_a_loop(company):
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1)}
    delegation.delegation_create(actor=company.hr, principal=company.tech_head, delegate=company.rd1_lead, **window)
    delegation.delegation_create(actor=company.hr, principal=company.rd1_lead, delegate=company.engineer, **window)
    assert acting_for(company.tech_head) == company.engineer
    # Closing the loop is refused (ORG-5)…
    with pytest.raises(DomainError, match="cycle"):
        delegation.delegation_create(actor=company.hr, principal=company.engineer, delegate=company.tech_head,
                                  **window)
    # …and a loop that got into the data some other way is still cut by the reader.
    Delegation.objects.create(principal=company.engineer, delegate=company.tech_head, created_by=company.admin,
                              **window)
    assert acting_for(company.tech_head) == company.engineer


def test_headcount_counts_the_subtree_and_warns_over_cap(company):
    assert department_headcount(company.tech) == 3  # head + rd1 lead + engineer
    assert headcount_warning(company.tech) is None
    actions.department_update(actor=company.admin, department=company.tech, changes={"headcount_cap": 2})
    company.tech.refresh_from_db()
    assert headcount_warning(company.tech) == (3, 2)


@pytest.mark.parametrize("levels", [0, 1])
def test_manager_chain_respects_levels(company, levels):
    assert len(manager_chain(company.engineer, levels=levels)) == levels
