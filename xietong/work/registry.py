"""What the kernel knows about the modules on top of it.

Modules declare, in their AppConfig.ready():
- their task kinds (`register_kind`): label, whether the inbox may complete
  them in bulk, the outcomes a person may choose;
- the records they own (`register_subject`): who may see one, and its URL, so
  that comments, attachments and history work on any record (KER-4, KER-6).

    register_kind(TaskKind("approvals.approve", _("Approve"), module="approvals",
                           outcomes=(("approved", _("Approve")), ("rejected", _("Reject")))))
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.inputs import parse_id

if TYPE_CHECKING:
    from xietong.org.models import Person

Label = str | Promise


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


MODULES: dict[str, Label] = {"work": _("General")}
# Periodic work of the modules, run by every sweep after the kernel's own
# (`sweep_run`). Each must be safe with several workers running it at once.
SWEEPS: dict[str, Callable[..., int]] = {}
KINDS: dict[str, TaskKind] = {}
SUBJECTS: dict[str, SubjectType] = {}


def register_module(key: str, label: Label) -> None:
    MODULES[key] = label


def register_kind(kind: TaskKind) -> None:
    if kind.module not in MODULES:
        raise ValueError(f"unknown module {kind.module!r}: register_module() it first")
    KINDS[kind.key] = kind


def register_sweep(name: str, run: Callable[..., int]) -> None:
    """`run(now=…)` returns how many things it did; it appears in the sweep's report."""
    SWEEPS[name] = run


def register_subject(subject: SubjectType) -> None:
    SUBJECTS[subject.label] = subject


def kind_for(key: str) -> TaskKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown task kind {key!r}") from None


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


def outcome_label(kind_key: str, outcome: str) -> Any:
    kind = KINDS.get(kind_key)
    if kind:
        for value, label in kind.outcomes:
            if value == outcome:
                return label
    return outcome


# The kernel's own kinds.
SUPERVISE = "work.supervise"
TODO = "work.todo"
ACKNOWLEDGE = "work.acknowledge"

register_kind(TaskKind(TODO, _("To-do"), module="work"))
register_kind(TaskKind(ACKNOWLEDGE, _("Read and acknowledge"), module="work", bulk=True,
                       outcomes=(("acknowledged", _("Acknowledged")),)))
register_kind(TaskKind(SUPERVISE, _("Supervise an overdue task"), module="work", escalates=False,
                       outcomes=(("followed_up", _("Followed up")),)))
