"""What modules declare about their work and records: task kinds, record
types and notification kinds (KER-1, KER-4, KER-5). The kernel (work)
creates, routes and shows them; these are only their declarations.

    TaskKind("approvals.approve", _("Approve"), module="approvals",
             outcomes=(("approved", _("Approve")), ("rejected", _("Reject")))),
    SubjectType("approvals.approval", _("approval"), can_view=can_view_approval_id,
                url=lambda pk: f"/approvals/{pk}/", model=Approval),
    NotificationKind("approval_result", _("An approval of mine is decided")),
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.inputs import parse_id

from .manifest import SUBJECTS

if TYPE_CHECKING:
    from xietong.org.models import Person

Label = str | Promise
INAPP = "inapp"
EMAIL = "email"
SMS = "sms"


@dataclass(frozen=True)
class TaskKind:
    key: str
    label: Label
    module: str
    # The inbox may complete many at once (acknowledgements, reading a notice);
    # never for decisions that need a look at each record.
    bulk: bool = False
    outcomes: tuple[tuple[str, Label], ...] = (("done", _("Done")),)
    # Whether lateness climbs the escalation ladder (KER-3). Supervision tasks
    # do not escalate themselves.
    escalates: bool = True
    # Completed by the module's own action, not from the task page.
    completed_by_module: bool = False
    # For bulk kinds the module completes itself: called as on_bulk(actor, task)
    # by the inbox's bulk completion, one transaction per task.
    on_bulk: Callable[["Person", Any], None] | None = None
    # The policy parameter its due time is counted from when the caller gives
    # none (a duration: hours, working hours or days); checked at start-up.
    due_param: str = ""
    # What happens when an open task of this kind falls due, besides the
    # reminder and the ladder: on_timeout(task, now) -> whether it acted (an
    # approval node that approves itself, a request confirmed for its
    # requester). Called by every sweep, once per due time, in a transaction
    # of its own; it locks its record and checks the task is still open
    # (two workers may offer it the same task). It never keeps a deadline
    # column of its own: the task's due time is the deadline.
    on_timeout: Callable[[Any, datetime], bool] | None = None


@dataclass(frozen=True)
class SubjectType:
    label: str  # "<app_label>.<model>"
    name: Label
    # can_view(person, subject_id) -> bool; the kernel asks before showing
    # comments, attachments or history of a record. It is only asked about
    # a record that exists.
    can_view: Callable[["Person", str], bool]
    url: Callable[[str], str] = field(default=lambda subject_id: "")
    # The record's model (ids are its primary keys), or `exists` for subjects
    # that are not rows. Nothing is attached to, commented on or shown for a
    # record that does not exist.
    model: Any = None
    exists: Callable[[str], bool] | None = None
    # Fields of its events that hold personal data (seed 000 §6), shown in
    # full only to whom sees_personal(person, subject_id) allows; masked for
    # everyone else who may read the history (work.history).
    personal_fields: tuple[str, ...] = ()
    sees_personal: Callable[["Person", str], bool] | None = None


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: Label
    # Channels on unless the person turns them off. Robots are group channels
    # and follow `robots` (the department's group hears of it), not preferences.
    defaults: tuple[str, ...] = (INAPP, EMAIL)
    robots: bool = False


def subject_exists(subject_type: str, subject_id: str) -> bool:
    """Is there such a record? Unknown record types and malformed ids: no."""
    subject = SUBJECTS.get(subject_type)
    if subject is None or len(subject_id) > 64:
        return False
    if subject.exists is not None:
        return subject.exists(subject_id)
    if subject.model is None:
        return False
    pk = parse_id(subject_id)
    return pk is not None and str(pk) == subject_id and subject.model._default_manager.filter(pk=pk).exists()


def subject_visible(person: "Person", subject_type: str, subject_id: str) -> bool:
    """May this person see this record? Unknown record types, records that
    do not exist: no."""
    subject = SUBJECTS.get(subject_type)
    return subject is not None and subject_exists(subject_type, subject_id) and subject.can_view(person, subject_id)


def subject_url(subject_type: str, subject_id: str) -> str:
    subject = SUBJECTS.get(subject_type)
    return subject.url(subject_id) if subject else ""
