"""The kernel's REST endpoints: the inbox and task actions, notifications,
comments and history of any record (KER-2, 4, 5, 6)."""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from xietong.org.models import Person, Role
from xietong.org.permissions import require_member
from xietong.org.queries import has_role

from . import actions, discussion
from .audit import history_for
from .models import Notification
from .notify import notifications_mark_read
from .permissions import get_task_for_user
from .queries import BOXES, InboxFilter, counts, inbox
from .registry import subject_visible
from .schemas import (
    BulkIn,
    BulkOut,
    CommentIn,
    CommentOut,
    CompleteIn,
    CountsOut,
    EventOut,
    NotificationOut,
    ReadIn,
    TaskOut,
    UrgeIn,
)

router = Router(tags=["work"])


def _me(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    require_member(person)
    return person


@router.get("/tasks", response=list[TaskOut], summary="Inbox: box = todo | done | started | cc")
@paginate(LimitOffsetPagination)
def tasks(request: HttpRequest, box: str = "todo", module: str = "", kind: str = "",
          overdue: bool = False) -> Any:
    me = _me(request)
    if box not in BOXES:
        raise Http404
    return inbox(me, InboxFilter(box=box, module=module, kind=kind, overdue=overdue))


@router.get("/tasks/counts", response=CountsOut, summary="The navigation badges")
def task_counts(request: HttpRequest) -> Any:
    return counts(_me(request))


@router.get("/tasks/{int:task_id}", response=TaskOut)
def task(request: HttpRequest, task_id: int) -> Any:
    item, _access = get_task_for_user(_me(request), task_id)
    return item


@router.post("/tasks/{int:task_id}/claim", response=TaskOut)
def claim(request: HttpRequest, task_id: int) -> Any:
    me = _me(request)
    item, _access = get_task_for_user(me, task_id)
    return actions.task_claim(actor=me, task=item)


@router.post("/tasks/{int:task_id}/complete", response=TaskOut)
def complete(request: HttpRequest, task_id: int, body: CompleteIn) -> Any:
    me = _me(request)
    item, _access = get_task_for_user(me, task_id)
    return actions.task_complete(actor=me, task=item, outcome=body.outcome, note=body.note[:2000])


@router.post("/tasks/{int:task_id}/urge", response=TaskOut)
def urge(request: HttpRequest, task_id: int, body: UrgeIn) -> Any:
    me = _me(request)
    item, _access = get_task_for_user(me, task_id)
    return actions.task_urge(actor=me, task=item, note=body.note[:500])


@router.post("/tasks/bulk-complete", response=BulkOut)
def bulk_complete(request: HttpRequest, body: BulkIn) -> Any:
    done, problems = actions.tasks_complete_bulk(actor=_me(request), ids=body.ids)
    return {"completed": done, "problems": problems}


@router.get("/notifications", response=list[NotificationOut])
@paginate(LimitOffsetPagination)
def notifications(request: HttpRequest, unread: bool = False) -> Any:
    qs = Notification.objects.filter(recipient=_me(request)).order_by("-created_at", "-pk")
    return qs.filter(read_at__isnull=True) if unread else qs


@router.post("/notifications/read", summary="Mark some (ids) or all notifications read")
def notifications_read(request: HttpRequest, body: ReadIn) -> dict[str, int]:
    return {"marked": notifications_mark_read(person=_me(request), ids=body.ids)}


def _visible(me: Person, subject_type: str, subject_id: str) -> None:
    if not subject_visible(me, subject_type, subject_id):
        raise Http404


@router.get("/records/{subject_type}/{subject_id}/comments", response=list[CommentOut])
def comments(request: HttpRequest, subject_type: str, subject_id: str) -> Any:
    me = _me(request)
    _visible(me, subject_type, subject_id)
    return list(discussion.comments_for((subject_type, subject_id)))


@router.post("/records/{subject_type}/{subject_id}/comments", response={201: CommentOut})
def comment_add(request: HttpRequest, subject_type: str, subject_id: str, body: CommentIn) -> Any:
    me = _me(request)
    _visible(me, subject_type, subject_id)
    return Status(201, discussion.comment_add(actor=me, subject=(subject_type, subject_id), body=body.body))


@router.get("/records/{subject_type}/{subject_id}/history", response=list[EventOut])
def history(request: HttpRequest, subject_type: str, subject_id: str) -> Any:
    me = _me(request)
    if not (subject_visible(me, subject_type, subject_id) or has_role(me, Role.AUDITOR)):
        raise Http404
    return list(history_for((subject_type, subject_id)))


__all__ = ["router"]
