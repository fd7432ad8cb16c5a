"""Reads of the kernel that the inbox pages and the API share (KER-2)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db import connection
from django.db.models import DateTimeField, F, ForeignKey, Q, QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone

from xietong.org.models import Department, Person
from xietong.org.principal import Principal
from xietong.prepared import In, Prepared, Slot, prepared

from .models import Notification, Task, TaskCc, TaskState, with_ladder_level
from .registry import SUPERVISE

BOXES = ("todo", "done", "started", "cc")


def role_rows(person: Person, *, now: datetime | None = None) -> list[tuple[int, str, int | None]]:
    """(person, role, department) for this person and for everyone who
    delegates to them now (ORG-5): the person's principal's, read once per
    request (the navigation, the inbox and the gates all need it)."""
    return Principal.of(person).role_rows


def todo(person: Person, *, now: datetime | None = None) -> QuerySet[Task]:
    """待办: open tasks assigned to me (incl. delegated to me) or to my roles,
    and the roles of anyone who delegates to me now."""
    return box_tasks(person, InboxFilter(), now=now or timezone.now())


def done(person: Person) -> QuerySet[Task]:
    """已办: what I completed."""
    return box_tasks(person, InboxFilter(box="done"), now=timezone.now())


def started(person: Person) -> QuerySet[Task]:
    """我发起的: tasks on records I started."""
    return box_tasks(person, InboxFilter(box="started"), now=timezone.now())


def cc(person: Person) -> QuerySet[Task]:
    """抄送我的."""
    return box_tasks(person, InboxFilter(box="cc"), now=timezone.now())


_PERSON_SHOWN = ("id", "username", "name", "is_active")
_PEOPLE = ("assignee", "requester", "delegated_from")
_PEOPLE_SHOWN = prepared(lambda ids: Person.objects.filter(In("pk", "ids")).only(*_PERSON_SHOWN))
_DEPARTMENTS_SHOWN = prepared(lambda ids: Department.objects.filter(In("pk", "ids")).only("id", "code", "name"))


class _WithPeople(ModelIterable[Task]):
    """A page of tasks, then the people and departments its rows show, each
    read once for the whole page (`with_people`)."""

    def __iter__(self) -> Iterator[Task]:
        tasks = list(super().__iter__())
        fields = [cast(ForeignKey, Task._meta.get_field(name)) for name in _PEOPLE]
        ids = {pk for t in tasks for f in fields if (pk := getattr(t, f.attname)) is not None}
        people = {p.pk: p for p in _PEOPLE_SHOWN.all(ids=sorted(ids))} if ids else {}
        department_ids = {t.assignee_department_id for t in tasks if t.assignee_department_id is not None}
        departments = {d.pk: d for d in _DEPARTMENTS_SHOWN.all(ids=sorted(department_ids))} if department_ids else {}
        department = cast(ForeignKey, Task._meta.get_field("assignee_department"))
        for task in tasks:
            for f in fields:
                f.set_cached_value(task, people.get(getattr(task, f.attname)))
            department.set_cached_value(task, departments.get(task.assignee_department_id or 0))
        yield from tasks


def with_people(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks whose assignee, requester, delegator (one query for all three)
    and department (one more) come with them, with only what a row shows.
    Not joined: the database sorts bare task rows and stops at the page,
    however many tasks the person has. Not `prefetch_related`: that is a
    query and its machinery for each of the four."""
    tasks = tasks.all()
    tasks._iterable_class = _WithPeople  # the extension point values() and the like use
    return tasks


@dataclass(frozen=True)
class InboxFilter:
    box: str = "todo"
    module: str = ""
    kind: str = ""
    overdue: bool = False


def inbox(person: Person, f: InboxFilter, *, now: datetime | None = None) -> "Box":
    """One inbox box, filtered and ordered: open work overdue first, then by due
    time; history newest first. Read as the paginators read a queryset."""
    return Box(person, f, now=now or timezone.now())


_ORDER: dict[str, tuple[Any, ...]] = {
    "todo": (F("due_at").asc(nulls_last=True), "-priority", "pk"),
    "done": ("-completed_at", "-pk"),
}


Shape = tuple[str, tuple[bool, ...], bool, bool, bool]  # box, roles (naming a department?), module, kind, overdue


def _shape(person: Person, f: InboxFilter, *, now: datetime) -> tuple[Shape, dict[str, Any]]:
    """What a box's statement looks like for this person and filter, and the
    values it takes: `me`, each (role, department) pair the person may take
    tasks for (their own and their delegators'), the filters'."""
    values: dict[str, Any] = {"me": person.pk}
    roles: tuple[bool, ...] = ()
    if f.box == "todo":
        pairs = sorted({(role, dept) for _p, role, dept in role_rows(person, now=now)}, key=repr)
        roles = tuple(dept is not None for _role, dept in pairs)
        for i, (role, dept) in enumerate(pairs):
            values[f"r{i}"] = role
            if dept is not None:
                values[f"d{i}"] = dept
    if f.box == "todo" or f.overdue:
        values["open"] = TaskState.OPEN
    if f.module:
        values["module"] = f.module
    if f.kind:
        values["kind"] = f.kind
    if f.overdue:
        values["now"] = now
    return (f.box, roles, bool(f.module), bool(f.kind), f.overdue), values


def _box_rows(shape: Shape, values: dict[str, Any]) -> QuerySet[Task]:
    """A box's tasks, unordered: `values` are the values themselves (the ORM's
    definition of the box) or a `Slot` for each (its prepared statement)."""
    box, roles, module, kind, overdue = shape
    me = values["me"]
    if box == "todo":
        mine = Q(assignee=me)
        if roles:
            offered = Q()
            for i, has_department in enumerate(roles):
                # A company-wide holder takes the role's tasks in every department.
                offered |= Q(assignee_role=values[f"r{i}"], assignee_department_id=values[f"d{i}"]) \
                    if has_department else Q(assignee_role=values[f"r{i}"])
            mine |= Q(assignee__isnull=True) & offered
        qs = Task.objects.filter(mine, state=values["open"])
    elif box == "done":
        qs = Task.objects.filter(completed_by=me)
    elif box == "started":
        qs = Task.objects.filter(requester=me).exclude(kind=SUPERVISE)
    else:
        qs = Task.objects.filter(pk__in=TaskCc.objects.filter(person=me).values("task_id"))
    if module:
        qs = qs.filter(module=values["module"])
    if kind:
        qs = qs.filter(kind=values["kind"])
    if overdue:
        qs = qs.filter(state=values["open"], due_at__lt=values["now"])
    return qs


def box_tasks(person: Person, f: InboxFilter, *, now: datetime) -> QuerySet[Task]:
    """A box as an ORM queryset: the definition `Box` runs prepared."""
    return _box_rows(*_shape(person, f, now=now))


# One pair of prepared statements (the page, the count) per shape of box;
# the shapes are few (four boxes, the filters set, how many roles a person has).
_BOXES: dict[Shape, tuple[Prepared[Task], Prepared[Any]]] = {}
_BOXES_MAX = 512


def _box_statements(shape: Shape, names: tuple[str, ...]) -> tuple[Prepared[Task], Prepared[Any]]:
    found = _BOXES.get(shape)
    if found is None:
        if len(_BOXES) >= _BOXES_MAX:
            _BOXES.clear()
        order = _ORDER.get(shape[0], ("-created_at", "-pk"))

        def typed(slots: dict[str, Any]) -> dict[str, Any]:
            # The time bound as the column is (text on SQLite), not as Python passes it.
            return {**slots, "now": Slot("now", DateTimeField())} if "now" in slots else slots

        def rows(**slots: Slot) -> QuerySet[Task]:
            # The ladder's level comes with the page's rows (the API shows it), the people after.
            return with_people(with_ladder_level(_box_rows(shape, typed(slots)))).order_by(*order)

        def count(**slots: Slot) -> QuerySet[Task, Any]:
            return _box_rows(shape, typed(slots)).order_by().values("pk")

        found = _BOXES.setdefault(shape, (prepared(rows, names), prepared(count, names)))
    return found


class Box:
    """One box of the inbox as Django's `Paginator` and ninja's paginator read
    a queryset (`count()`, a slice), run as prepared statements: the ORM took
    longer to build the box's query than the database to answer it."""

    ordered = True  # for the Paginator: the rows have their order

    def __init__(self, person: Person, f: InboxFilter, *, now: datetime) -> None:
        shape, self._values = _shape(person, f, now=now)
        self._rows, self._count = _box_statements(shape, tuple(self._values))
        self._counted: int | None = None

    def count(self) -> int:
        if self._counted is None:
            self._counted = self._count.count(**self._values)
        return self._counted

    def all(self) -> "Box":
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Task]:
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("a box is read by pages")
        start, stop = key.start or 0, key.stop
        if stop is None:
            raise TypeError("a page has an end")
        return self._rows.page(start, max(0, stop - start), **self._values)


@dataclass(frozen=True)
class Counts:
    todo: int
    overdue: int
    unread: int


def counts(person: Person, *, now: datetime | None = None) -> Counts:
    """The navigation's badges: one query (after the principal's), once per
    request. A fixed statement, on every page: the ORM took several times
    longer to build its three subqueries than the database to count.
    `todo()` is what it counts (the tests hold the two together)."""
    cached = getattr(person, "_xt_counts", None)
    if cached is not None:
        return cached
    now = now or timezone.now()
    mine, params = _todo_sql(person, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM work_task WHERE {mine}), "  # noqa: S608 - fixed text, values are parameters
            f"(SELECT COUNT(*) FROM work_task WHERE {mine} AND due_at < %s), "
            "(SELECT COUNT(*) FROM work_notification WHERE recipient_id = %s AND read_at IS NULL)",
            [*params, *params, connection.ops.adapt_datetimefield_value(now), person.pk])
        todo_n, overdue, unread = cursor.fetchone()
    result = Counts(todo=todo_n, overdue=overdue, unread=unread)
    person._xt_counts = result  # type: ignore[attr-defined]
    return result


def _todo_sql(person: Person, *, now: datetime) -> tuple[str, list[Any]]:
    """`todo()` as a WHERE clause and its parameters."""
    roles = sorted({(role, dept) for _p, role, dept in role_rows(person, now=now)}, key=repr)
    offered = " OR ".join("assignee_role = %s" if dept is None else "(assignee_role = %s AND assignee_department_id = %s)"
                          for role, dept in roles)
    params: list[Any] = ["open", person.pk]
    for role, dept in roles:
        params.extend([role] if dept is None else [role, dept])
    where = "state = %s AND (assignee_id = %s" + (f" OR (assignee_id IS NULL AND ({offered}))" if roles else "") + ")"
    return where, params


def notifications(person: Person) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=person).order_by("-created_at", "-pk")
