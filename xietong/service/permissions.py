"""Who may see a customer case. Seeing a case is not seeing the customer:
personal data stays masked unless revealed (actions.case_reveal)."""

from django.db.models import Prefetch, Q
from django.http import Http404

from xietong.inputs import parse_id
from xietong.org.models import Person, Role
from xietong.org.principal import Principal
from xietong.org.queries import has_role, is_member
from xietong.work.models import Task

from . import actions as a
from .models import Assignment, Case
from .roles import CUSTOMER_SERVICE


def sees_all_cases(person: Person) -> bool:
    return person.is_superuser or has_role(person, CUSTOMER_SERVICE, Role.LEADERSHIP, Role.AUDITOR, Role.ADMIN,
                                           Role.COORDINATION_OFFICE)


def can_view_summaries(person: Person) -> bool:
    return person.is_active and (person.is_superuser or has_role(
        person, CUSTOMER_SERVICE, Role.LEADERSHIP, Role.AUDITOR, Role.ADMIN))


def can_view_case(person: Person, case: Case) -> bool:
    """Customer service, leadership, supervision, the coordination office and
    administrators; the people of the departments it was passed to; anyone
    who holds or held a task on it. (With the case's assignments prefetched,
    as get_case_for_user does, only the last check may query.)"""
    if not person.is_active or not is_member(person):
        return False
    if sees_all_cases(person):
        return True
    paths = [assignment.department.path for assignment in case.assignments.all()]
    if Principal.of(person).in_subtree(*paths):
        return True
    return Task.objects.filter(subject_type=a.SUBJECT, subject_id=str(case.pk)).filter(
        Q(assignee=person) | Q(delegated_from=person)).exists()


def can_view_case_id(person: Person, pk: str) -> bool:
    case = Case.objects.filter(pk=parse_id(pk) or 0).first()
    return case is not None and can_view_case(person, case)


def get_case_for_user(viewer: Person, pk: int) -> Case:
    """The case with its assignments (each with its department, handler and
    task) prefetched for the gate and the page; 404 for whoever may not see it."""
    case = Case.objects.select_related("recorded_by").prefetch_related(Prefetch(
        "assignments", queryset=Assignment.objects.select_related("department", "handler", "task", "task__assignee",
                                                                  "task__delegated_from"))).filter(pk=pk).first()
    if case is None or not can_view_case(viewer, case):
        raise Http404
    return case
