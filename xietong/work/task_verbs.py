"""What a person can do to a task from its page or the API, one verb each
(KER-2, KER-3): claim one offered to a role or a department, complete it,
urge it, cancel it. `views.py` and `api.py` give each its own URL and its own
endpoint (verbs.py); a module's own records have their own verbs, and a
task that belongs to a record closes with it."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.org.models import Person

from . import actions
from .models import Task
from .permissions import task_gate
from .schemas import CancelIn, CompleteIn, UrgeIn
from .verbs import Verb

LABELS = {"outcome": gettext_lazy("Outcome"), "note": gettext_lazy("Note"), "reason": gettext_lazy("Reason")}


def load(me: Person, pk: int) -> Task:
    return task_gate(me, pk)


def claim(me: Person, task: Task, _data: None) -> str:
    actions.task_claim(actor=me, task=task)
    return _("The task is yours.")


def complete(me: Person, task: Task, data: CompleteIn) -> str:
    actions.task_complete(actor=me, task=task, outcome=data.outcome, note=data.note)
    return _("Task completed.")


def urge(me: Person, task: Task, data: UrgeIn) -> str:
    actions.task_urge(actor=me, task=task, note=data.note)
    return _("Urged. The assignee has been notified.")


def cancel(me: Person, task: Task, data: CancelIn) -> str:
    actions.task_cancel(actor=me, task=task, reason=data.reason)
    return _("Task cancelled.")


VERBS = (
    Verb("claim", None, claim, "Claim a task offered to a role or a department (KER-2)"),
    Verb("complete", CompleteIn, complete, "Complete a task, with its outcome (KER-2)"),
    Verb("urge", UrgeIn, urge, "Urge (催办) the assignee (KER-3)"),
    Verb("cancel", CancelIn, cancel, "Cancel a task that is no longer needed (KER-2)"),
)
