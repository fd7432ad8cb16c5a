"""Every write an action: permission, the write, its audit event and its
tasks in one transaction (docs/modules.md)."""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from xietong.audit.trail import event_record
from xietong.errors import PermissionDenied
from xietong.inputs import clean_line
from xietong.org.models import Department, Person
from xietong.org.principal import Principal
from xietong.org.queries import department_head
from xietong.work.actions import task_create
from xietong.work.notify import notify

from .models import Note
from .roles import EDITOR

KIND_READ = "example.read"
SUBJECT = "example.note"


def can_write(person: Person) -> bool:
    return Principal(person).has_role(EDITOR)


@transaction.atomic
def note_create(*, actor: Person, department: Department, title: str) -> Note:
    if not can_write(actor):
        raise PermissionDenied()
    now = timezone.now()
    note = Note.objects.create(title=clean_line(title, "title", limit=200, required=True), department=department,
                               created_by=actor, created_at=now)
    event_record(actor=actor, verb="note.create", subject=note, first=True,
                 after={"title": note.title, "department": department.pk})
    head = department_head(department)
    if head is not None:
        # No due time given: the kind's due_param (example.read_working_hours) on the working calendar.
        task_create(kind=KIND_READ, title=note.title, subject=note, actor=actor, assignee=head, requester=actor,
                    now=now)
        notify(recipients=[head], kind="example_note", key=f"note:{note.pk}:created", title=note.title,
               url=f"/example/{note.pk}/")
    return note


def monthly_note(*, occurrence: date, nominal: date, at: datetime, now: datetime) -> int:
    """The schedule `example.monthly`: a note for the company on the day of
    the month `example.monthly_day` names (the next working day if it is a
    day off)."""
    department = Department.objects.order_by("path").first()
    author = Person.objects.filter(is_superuser=True).order_by("pk").first()
    if department is None or author is None:
        return 0
    note = Note.objects.create(title=f"Monthly note {nominal:%Y-%m} ({occurrence:%m-%d})", department=department,
                               created_by=author, created_at=now)
    event_record(actor=None, verb="note.create", subject=note, first=True, after={"title": note.title})
    return 1


def note_approved(approval: Any, subject: Note | None) -> None:
    """The approval handler `example.note_approval`: the note submitted with
    the approval (approval_submit(subject=note)) is marked approved, in the
    transaction of the final approval."""
    if subject is None:
        return
    Note.objects.filter(pk=subject.pk).update(approved_at=approval.finished_at)
    event_record(actor=None, verb="note.approve", subject=subject, after={"approval": approval.pk})
