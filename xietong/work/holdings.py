"""What a person holds in the kernel (HOV; platform/owed.py Holding): their
open tasks of the kernel's own kinds (to-dos, acknowledgements, supervision).
A module's tasks (an approval to decide, a request to answer) are listed and
handed over with their record by that module."""

from xietong.org.models import Person
from xietong.platform.owed import Held

from .actions import task_hand_over
from .models import Task, TaskState
from .registry import KINDS


def _kernel_kinds() -> list[str]:
    return [key for key, kind in KINDS.items() if not kind.completed_by_module]


def open_tasks(person: Person) -> list[Held]:
    return [Held("work.task", str(t.pk), t.title, str(t.get_state_display()), t.due_at)
            for t in Task.objects.filter(assignee=person, state=TaskState.OPEN, kind__in=_kernel_kinds())
            .order_by("due_at", "pk")]


def hand_over_tasks(*, actor: Person, holder: Person, to: Person, ids: list[str], note: str = "") -> int:
    moved = 0
    wanted = [int(pk) for pk in ids if str(pk).isdigit()]
    for task in Task.objects.filter(pk__in=wanted, assignee=holder, state=TaskState.OPEN, kind__in=_kernel_kinds()):
        task_hand_over(actor=actor, task=task, holder=holder, to=to, note=note)
        moved += 1
    return moved
