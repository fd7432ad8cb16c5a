"""Writes to duty lists (ORG-4) and their periodic review.

    item = duty_save(actor=head, department=tech, fields={"title": "接口联调", ...}, partners=[sales])
    duty_list_review(actor=head, department=tech)   # "reviewed": the next review is due in N months

Every change is an event on the item with the fields before and after, so
the item's history is the list's change history.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.audit.trail import event_record
from xietong.errors import DomainError, PermissionDenied
from xietong.inputs import parse_id
from xietong.org.models import Department, Person, Role
from xietong.org.queries import department_head, department_liaison, has_role, is_member
from xietong.policy.queries import param
from xietong.work.actions import task_close, task_create
from xietong.work.models import TaskState

from .models import DutyItem, DutyList

KIND_REVIEW = "duties.review"
TEXT_FIELDS = ("title", "content", "process", "standard", "responsibility")
LIMITS = {"title": 200, "content": 4000, "process": 4000, "standard": 4000, "responsibility": 4000}


def can_view_duty(person: Person, pk: str) -> bool:
    """Duty lists are the company's shared reference (disputes cite them):
    every member may read them."""
    return is_member(person)


def duty_url(pk: str) -> str:
    department_id = DutyItem.objects.filter(pk=parse_id(pk) or 0).values_list(
        "department_id", flat=True).first()
    return f"/duties/{department_id}/#duty-{pk}" if department_id else ""


def duty_list_url(pk: str) -> str:
    department_id = DutyList.objects.filter(pk=parse_id(pk) or 0).values_list(
        "department_id", flat=True).first()
    return f"/duties/{department_id}/" if department_id else ""


def can_edit_duties(person: Person, department: Department) -> bool:
    """The department's head and liaison, the coordination office, administrators."""
    if not person.is_active:
        return False
    if person.is_superuser or has_role(person, Role.ADMIN, Role.COORDINATION_OFFICE):
        return True
    head = department_head(department, fallback_to_parent=False)
    if head is not None and head.pk == person.pk:
        return True
    liaison = department_liaison(department)
    return liaison is not None and liaison.pk == person.pk


def _snapshot(item: DutyItem) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(item, name) for name in TEXT_FIELDS}
    data.update(offered=item.offered, response_working_hours=item.response_working_hours,
                delivery_working_days=item.delivery_working_days, is_active=item.is_active,
                partners=sorted(item.partners.values_list("pk", flat=True)) if item.pk else [])
    return data


def _label(name: str) -> Any:
    return getattr(DutyItem._meta.get_field(name), "verbose_name", name)


def _positive(value: Any, label: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(_("%(field)s must be a whole number.") % {"field": label}, code="bad_number") from None
    if number < 1 or number > 10_000:
        raise DomainError(_("%(field)s must be between 1 and 10000.") % {"field": label}, code="bad_number")
    return number


def add_months(at: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    import calendar

    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def duty_list_for(department: Department, *, now: datetime | None = None) -> DutyList:
    """The department's list row, created with its first review date."""
    now = now or timezone.now()
    row, created = DutyList.objects.get_or_create(department=department, defaults={
        "next_review_at": add_months(now, int(param("org.duty_list_review_months", at=now)))})
    return row


@transaction.atomic
def duty_save(*, actor: Person, department: Department, fields: Mapping[str, Any],
              partners: Iterable[Department] = (), item: DutyItem | None = None) -> DutyItem:
    """Create or change one duty. Bad input raises DomainError and saves nothing."""
    if not can_edit_duties(actor, department):
        raise PermissionDenied()
    if item is not None and item.department_id != department.pk:
        raise PermissionDenied()
    title = str(fields.get("title", "")).strip()
    if not title:
        raise DomainError(_("A duty needs a name."), code="title_required")
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        text = str(fields.get(name, "") or "").strip()
        if len(text) > LIMITS[name]:
            raise DomainError(_("%(field)s is too long (at most %(n)s characters).")
                              % {"field": _label(name), "n": LIMITS[name]},
                              code="too_long")
        values[name] = text
    values["offered"] = bool(fields.get("offered"))
    values["response_working_hours"] = _positive(fields.get("response_working_hours"), _label("response_working_hours"))
    values["delivery_working_days"] = _positive(fields.get("delivery_working_days"), _label("delivery_working_days"))
    partner_list = list({p.pk: p for p in partners}.values())
    if any(p.pk == department.pk for p in partner_list):
        raise DomainError(_("A department is not its own crossover partner."), code="self_partner")
    before = _snapshot(item) if item is not None else None
    if item is None:
        item = DutyItem(department=department)
        item.sort_order = (DutyItem.objects.filter(department=department).count() + 1) * 10
    for name, value in values.items():
        setattr(item, name, value)
    item.is_active = True
    item.save()
    item.partners.set(partner_list)
    duty_list_for(department)
    after = _snapshot(item)
    if before != after:
        event_record(actor=actor, verb="duty.create" if before is None else "duty.update", subject=item,
                     before=before, after=after, first=before is None)
    return item


@transaction.atomic
def duty_retire(*, actor: Person, item: DutyItem, reason: str = "") -> DutyItem:
    """Take a duty off the list (kept, with its history)."""
    if not can_edit_duties(actor, item.department):
        raise PermissionDenied()
    if not item.is_active:
        return item
    item.is_active = False
    item.save(update_fields=["is_active", "updated_at"])
    event_record(actor=actor, verb="duty.retire", subject=item, before={"is_active": True},
                 after={"is_active": False}, note=reason)
    return item


@transaction.atomic
def duty_list_review(*, actor: Person, department: Department, note: str = "") -> DutyList:
    """The head confirms the list is current (after editing it or not); the
    next review falls due `org.duty_list_review_months` later."""
    if not can_edit_duties(actor, department):
        raise PermissionDenied()
    now = timezone.now()
    row = DutyList.objects.select_for_update().get(pk=duty_list_for(department, now=now).pk)
    before = {"reviewed_at": row.reviewed_at, "next_review_at": row.next_review_at}
    row.reviewed_at, row.reviewed_by = now, actor
    row.next_review_at = add_months(now, int(param("org.duty_list_review_months", at=now)))
    task = row.review_task
    row.review_task = None
    row.save(update_fields=["reviewed_at", "reviewed_by", "next_review_at", "review_task"])
    if task is not None and task.state == TaskState.OPEN:
        task_close(task=task, outcome="reviewed", actor=actor, note=note, now=now)
    event_record(actor=actor, verb="duty_list.review", subject=row, before=before,
                 after={"reviewed_at": row.reviewed_at, "next_review_at": row.next_review_at}, note=note)
    return row


def duty_reviews_for(*, occurrence: date, nominal: date, at: datetime, now: datetime) -> int:
    """The schedule `duties.review` (on `org.duty_list_review_day` of each
    month, the next working day when that is a day off): ask each department
    whose list falls due for review this month to review it — a task for its
    head. The schedule runs once per month across all workers; a list whose
    department has nobody to ask is asked again next month."""
    month_end = add_months(datetime.combine(nominal.replace(day=1), time(), tzinfo=at.tzinfo), 1)
    asked = 0
    # The schedule's claim makes this run once; a list someone is reviewing
    # this moment is waited for, not skipped until next month.
    rows = DutyList.objects.select_for_update(of=("self",)).filter(
        review_task__isnull=True, next_review_at__lt=month_end).select_related("department")
    for row in rows:
        head = department_head(row.department) or department_liaison(row.department)
        if head is None:
            continue
        row.review_task = task_create(
            kind=KIND_REVIEW, subject=row, actor=None, assignee=head, due_working_days=10, now=now,
            title=str(_("Review the duty list of %(department)s")) % {"department": row.department.name},
            url=f"/duties/{row.department_id}/")
        row.save(update_fields=["review_task"])
        asked += 1
    return asked
