"""Who may see and do what on a task (one gate, as healthchecks does)."""

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from xietong.org.models import Person, Role
from xietong.org.queries import department_head, has_role
from xietong.org.queries import is_member as org_is_member
from xietong.prepared import Slot, prepared

from .actions import holds_role_for, may_act_on, may_cancel, may_urge
from .models import Task, TaskCc, TaskState
from .registry import KINDS, SUPERVISE


@dataclass(frozen=True)
class TaskAccess:
    can_act: bool
    can_claim: bool
    can_urge: bool
    can_cancel: bool


def _can_view(viewer: Person, task: Task) -> bool:
    if viewer.pk in (task.assignee_id, task.delegated_from_id, task.requester_id, task.created_by_id):
        return True
    if has_role(viewer, Role.AUDITOR, Role.COORDINATION_OFFICE, Role.LEADERSHIP, Role.ADMIN):
        return True
    if task.assignee_id is None and holds_role_for(viewer, task):
        return True
    if TaskCc.objects.filter(task=task, person=viewer).exists():
        return True
    # Supervisors of this task, and the head of the assignee's department.
    if Task.objects.filter(parent=task, kind=SUPERVISE, assignee=viewer).exists():
        return True
    if task.parent_id and task.parent and _can_view(viewer, task.parent):
        return task.assignee_id == viewer.pk
    department = task.assignee.primary_department if task.assignee else task.assignee_department
    head = department_head(department) if department else None
    return head is not None and head.pk == viewer.pk


_GATE = prepared(lambda pk: Task.objects.select_related("assignee", "delegated_from", "requester").filter(
    pk=Slot("pk"))[:1])
_PAGE = prepared(lambda pk: Task.objects.select_related(
    "assignee__primary_department", "assignee_department", "requester", "delegated_from", "created_by",
    "completed_by", "parent", "ladder").filter(pk=Slot("pk"))[:1])


def task_gate(viewer: Person, pk: int) -> Task:
    """The task, for someone who may see it (404 for anyone else), as a
    verb's gate: the action checks what they may do, so this reads the row
    with only the people an answer shows (not the page's eight-table join)."""
    task = _GATE.first(pk=pk)
    if task is None or not org_is_member(viewer) or not _can_view(viewer, task):
        raise Http404
    return task


def get_task_for_user(viewer: Person, pk: int) -> tuple[Task, TaskAccess]:
    """The task and what the viewer may do with it; 404 when they may not see it
    (no hint that it exists)."""
    task = _PAGE.first(pk=pk)
    if task is None or not org_is_member(viewer) or not _can_view(viewer, task):
        raise Http404
    is_open = task.state == TaskState.OPEN
    spec = KINDS.get(task.kind)
    can_act = is_open and may_act_on(viewer, task)[0] and not (spec and spec.completed_by_module)
    return task, TaskAccess(
        can_act=can_act,
        can_claim=is_open and task.assignee_id is None and holds_role_for(viewer, task),
        can_urge=is_open and task.kind != SUPERVISE and may_urge(viewer, task) and task.assignee_id != viewer.pk,
        can_cancel=may_cancel(viewer, task),
    )


def can_view_task(viewer: Person, subject_id: str) -> bool:
    try:
        get_task_for_user(viewer, int(subject_id))
    except (Http404, ValueError):
        return False
    return True


def task_url(subject_id: str) -> str:
    return reverse("work:task", args=[subject_id])

