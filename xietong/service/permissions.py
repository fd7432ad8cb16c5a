"""Who may see a customer case. Seeing a case is not seeing the customer:
personal data stays masked unless revealed (actions.case_reveal)."""

from django.db.models import Q
from django.http import Http404

from xietong.inputs import parse_id
from xietong.org.models import Membership, Person, Role
from xietong.org.queries import has_role, is_member
from xietong.work.models import Task

from . import actions as a
from .models import Case
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
    who holds or held a task on it."""
    if not person.is_active or not is_member(person):
        return False
    if sees_all_cases(person):
        return True
    if Task.objects.filter(subject_type=a.SUBJECT, subject_id=str(case.pk)).filter(
            Q(assignee=person) | Q(delegated_from=person)).exists():
        return True
    paths = list(case.assignments.values_list("department__path", flat=True))
    if not paths:
        return False
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(department__path__startswith=path)
    return Membership.objects.filter(person=person).filter(q).exists()


def can_view_case_id(person: Person, pk: str) -> bool:
    case = Case.objects.filter(pk=parse_id(pk) or 0).first()
    return case is not None and can_view_case(person, case)


def get_case_for_user(viewer: Person, pk: int) -> Case:
    case = Case.objects.select_related("recorded_by").filter(pk=pk).first()
    if case is None or not can_view_case(viewer, case):
        raise Http404
    return case
