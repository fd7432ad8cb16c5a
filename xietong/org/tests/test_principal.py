"""The principal's facts come from one fixed statement (FACTS_SQL): it must
say exactly what the models say, whatever the database."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from xietong.org import actions
from xietong.org.models import Delegation, Department, Membership, Person, Role, RoleAssignment
from xietong.org.principal import Principal
from xietong.work.delegation import delegation_create


def _from_the_models(person: Person, now):
    live = Delegation.objects.filter(delegate=person, cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
    roles = sorted(RoleAssignment.objects.filter(Q(person=person) | Q(person__in=live.values("principal_id")))
                   .values_list("person_id", "role", "department_id"), key=repr)
    members = sorted(Membership.objects.filter(person=person).values_list("department_id", "department__path"))
    delegators = frozenset(live.values_list("principal_id", flat=True))
    headed = frozenset(Department.objects.filter(head=person, is_active=True).values_list("pk", flat=True))
    return roles, members, delegators, headed


def _facts(person: Person, now):
    principal = Principal(person, now=now)
    return sorted(principal.role_rows, key=repr), sorted(principal.memberships), principal.delegators, \
        principal.headed


def test_the_fixed_statement_says_what_the_models_say(company):
    now = timezone.now()
    c = company
    # Two departments, a role of their own, a live delegation that brings another's roles, one that has
    # not begun, one cancelled, one over; a department they head and an inactive one they head.
    actions.membership_set(actor=c.admin, person=c.rd1_lead, department=c.sales)
    RoleAssignment.objects.create(person=c.rd1_lead, role=Role.AUDITOR)
    RoleAssignment.objects.create(person=c.tech_head, role=Role.COORDINATION_OFFICE)
    delegation_create(actor=c.tech_head, principal=c.tech_head, delegate=c.rd1_lead,
                      starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    delegation_create(actor=c.finance, principal=c.finance, delegate=c.rd1_lead,
                      starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=4))
    cancelled = delegation_create(actor=c.hr, principal=c.hr, delegate=c.rd1_lead,
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    Delegation.objects.filter(pk=cancelled.pk).update(cancelled_at=now)
    Delegation.objects.create(principal=c.sales_head, delegate=c.rd1_lead, created_by=c.sales_head,
                              starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
    Department.objects.filter(pk=c.sales.pk).update(head=c.rd1_lead, is_active=False)
    person = Person.objects.get(pk=c.rd1_lead.pk)
    roles, members, delegators, headed = _facts(person, now)
    assert (roles, members, delegators, headed) == _from_the_models(person, now)
    assert delegators == {c.tech_head.pk} and c.sales.pk not in headed and len(members) >= 2
    assert (c.rd1_lead.pk, Role.AUDITOR, None) in roles
    assert (c.tech_head.pk, Role.COORDINATION_OFFICE, None) in roles  # through the live delegation
    # Someone with nothing at all: four empty answers.
    nobody = Person.objects.create(username="nobody", name="无名")
    assert _facts(nobody, now) == ([], [], frozenset(), frozenset()) == _from_the_models(nobody, now)
