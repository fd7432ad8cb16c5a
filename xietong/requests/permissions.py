"""Who may see a collaboration request, and what they may do on it."""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from xietong.inputs import parse_id
from xietong.org.models import Person, Role
from xietong.org.principal import Principal
from xietong.org.queries import has_role, is_member
from xietong.work.models import Task

from . import actions as a
from .models import DateProposal, Request, RequestState


def sees_all_requests(person: Person) -> bool:
    """The coordination office, leadership, supervision and administrators."""
    return person.is_superuser or has_role(person, Role.COORDINATION_OFFICE, Role.LEADERSHIP, Role.AUDITOR,
                                           Role.ADMIN)


def can_view_request(person: Person, request: Request) -> bool:
    """The requester, members of the asking and the asked department (their
    groups included), anyone who holds or held a task on it, and those who
    see every request."""
    if not person.is_active or not is_member(person):
        return False
    if person.pk in (request.requester_id, request.owner_id, request.liaison_id):
        return True
    if Principal.of(person).in_subtree(request.from_department.path, request.to_department.path):
        return True
    if sees_all_requests(person):  # the roles are read already: no query
        return True
    return Task.objects.filter(subject_type=a.SUBJECT, subject_id=str(request.pk)).filter(
        Q(assignee=person) | Q(delegated_from=person)).exists()


def can_view_request_id(person: Person, pk: str) -> bool:
    request = Request.objects.select_related("from_department", "to_department").filter(
        pk=parse_id(pk) or 0).first()
    return request is not None and can_view_request(person, request)


@dataclass(frozen=True)
class RequestAccess:
    can_receive: bool = False        # accept / decline
    can_deliver: bool = False        # progress, delay notice, sub-request, complete
    can_decide_date: bool = False
    can_confirm: bool = False        # confirm and rate / reopen
    can_withdraw: bool = False
    can_escalate: bool = False
    can_rule: bool = False
    # Read once for the gates and the page: the open tasks (with their holders) and the date proposals.
    tasks: tuple[Task, ...] = ()
    proposals: tuple[DateProposal, ...] = ()
    ruling: str = ""


def access_for(viewer: Person, request: Request) -> RequestAccess:
    state = request.state
    requester = viewer.pk == request.requester_id
    tasks = tuple(a.open_tasks(request).select_related("assignee", "delegated_from", "ladder"))
    proposals = tuple(request.proposals.select_related("proposed_by", "decided_by"))
    ruling = a.pending_ruling(request, proposals=proposals)
    return RequestAccess(
        can_receive=state == RequestState.SUBMITTED and a.may_receive(viewer, request, tasks=tasks),
        can_deliver=state == RequestState.ACCEPTED and a.may_deliver(viewer, request, tasks=tasks),
        can_decide_date=state == RequestState.ACCEPTED and any(p.state == "pending" for p in proposals)
        and a.may_answer_as_requester(viewer, request, a.KIND_DECIDE_DATE, tasks=tasks),
        can_confirm=state == RequestState.COMPLETED
        and a.may_answer_as_requester(viewer, request, a.KIND_CONFIRM, tasks=tasks),
        can_withdraw=requester and state in (RequestState.SUBMITTED, RequestState.ACCEPTED, RequestState.DECLINED),
        can_escalate=state == RequestState.DECLINED and (requester or a.is_head_of(viewer, request.from_department)),
        can_rule=bool(ruling) and has_role(viewer, Role.COORDINATION_OFFICE),
        tasks=tasks, proposals=proposals, ruling=ruling,
    )


def get_request_for_user(viewer: Person, pk: int) -> tuple[Request, RequestAccess]:
    """The request and what the viewer may do; 404 for anyone who may not see it."""
    request = Request.objects.select_related("requester", "from_department", "to_department", "owner", "liaison",
                                             "service", "parent").filter(pk=pk).first()
    if request is None or not can_view_request(viewer, request):
        raise Http404
    return request, access_for(viewer, request)
