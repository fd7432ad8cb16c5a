"""The kernel's REST endpoints: the inbox and task actions, notifications,
comments and history of any record (KER-2, 4, 5, 6)."""

from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from xietong.apikit import Paged
from xietong.audit.history import history_shown
from xietong.errors import DomainError
from xietong.inputs import Id
from xietong.org.gates import api_member
from xietong.org.models import Person

from . import actions, discussion, task_verbs
from .history import may_read_history
from .models import Notification
from .notify import notifications_mark_read
from .permissions import get_task_for_user
from .queries import InboxFilter, counts, inbox
from .registry import subject_visible
from .schemas import (
    BulkIn,
    BulkOut,
    CommentIn,
    CommentOut,
    CountsOut,
    EventOut,
    KindKey,
    ModuleKey,
    NotificationOut,
    ReadIn,
    ReadOut,
    TaskOut,
)
from .verbs import verb_operation

router = Router(tags=["work"])

Box = Literal["todo", "done", "started", "cc"]


@router.get("/tasks", response=list[TaskOut], summary="Inbox: box = todo | done | started | cc")
@paginate(Paged)
def tasks(request: HttpRequest, box: Box = "todo", module: ModuleKey = "", kind: KindKey = "",
          overdue: bool = False) -> Any:
    me = api_member(request)
    return inbox(me, InboxFilter(box=box, module=module, kind=kind, overdue=overdue))


@router.get("/tasks/counts", response=CountsOut, summary="The navigation badges")
def task_counts(request: HttpRequest) -> Any:
    return counts(api_member(request))


@router.get("/tasks/{int:task_id}", response=TaskOut)
def task(request: HttpRequest, task_id: Id) -> Any:
    item, _access = get_task_for_user(api_member(request), task_id)
    return item


# One endpoint per task verb: POST /tasks/{id}/claim, /complete, /urge, /cancel (task_verbs.py).
for _verb in task_verbs.VERBS:
    router.post(f"/tasks/{{int:pk}}/{_verb.slug}", response=TaskOut, summary=_verb.summary,
                operation_id=f"task_{_verb.slug}")(
        verb_operation(_verb, load=task_verbs.load, out=lambda task: task, prefix="task", kept_current=True))


@router.post("/tasks/bulk-complete", response=BulkOut)
def bulk_complete(request: HttpRequest, body: BulkIn) -> Any:
    done, problems = actions.tasks_complete_bulk(actor=api_member(request), ids=body.ids)
    return {"completed": done, "problems": problems}


@router.get("/notifications", response=list[NotificationOut])
@paginate(Paged)
def notifications(request: HttpRequest, unread: bool = False) -> Any:
    qs = Notification.objects.filter(recipient=api_member(request)).order_by("-created_at", "-pk")
    return qs.filter(read_at__isnull=True) if unread else qs


@router.post("/notifications/read", response=ReadOut,
             summary="Mark notifications read: {\"ids\": [1, 2]} or {\"all\": true}")
def notifications_read(request: HttpRequest, body: ReadIn) -> dict[str, int]:
    me = api_member(request)
    if body.all == (body.ids is not None):
        # Marking everything read must be asked for, never the fallback of a body that did not parse.
        raise DomainError(_("Send either the ids to mark read, or \"all\": true."), code="ids_or_all")
    return {"marked": notifications_mark_read(person=me, ids=None if body.all else body.ids)}


SubjectType = Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$")]
SubjectId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _visible(me: Person, subject_type: str, subject_id: str) -> None:
    if not subject_visible(me, subject_type, subject_id):
        raise Http404


@router.get("/records/{subject_type}/{subject_id}/comments", response=list[CommentOut])
def comments(request: HttpRequest, subject_type: SubjectType, subject_id: SubjectId) -> Any:
    me = api_member(request)
    _visible(me, subject_type, subject_id)
    return list(discussion.comments_for((subject_type, subject_id)))


@router.post("/records/{subject_type}/{subject_id}/comments", response={201: CommentOut})
def comment_add(request: HttpRequest, subject_type: SubjectType, subject_id: SubjectId, body: CommentIn) -> Any:
    me = api_member(request)
    _visible(me, subject_type, subject_id)
    return Status(201, discussion.comment_add(actor=me, subject=(subject_type, subject_id), body=body.body))


@router.get("/records/{subject_type}/{subject_id}/history", response=list[EventOut])
def history(request: HttpRequest, subject_type: SubjectType, subject_id: SubjectId) -> Any:
    me = api_member(request)
    if not may_read_history(me, subject_type, subject_id):
        raise Http404
    return history_shown(me, (subject_type, subject_id))


__all__ = ["router"]
