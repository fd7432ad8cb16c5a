"""Reads: the request lists and the collaboration map (REQ-5)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet

from xietong.org.models import Department, Liaison, Membership, Person
from xietong.policy.calendar import WorkingCalendar

from .models import OPEN_STATES, Request, RequestState
from .permissions import sees_all_requests

BOXES = ("incoming", "outgoing", "mine", "all")


def _my_paths(person: Person) -> list[str]:
    return list(Membership.objects.filter(person=person).values_list("department__path", flat=True))


def _under(paths: list[str], field_name: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__path__startswith": path})
    return q


def request_list(person: Person, box: str, *, state: str = "", from_department: int | None = None,
                 to_department: int | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> QuerySet[Request]:
    """incoming: asked of my departments; outgoing: asked by my departments;
    mine: asked by me; all: every request (for those who see all)."""
    qs = Request.objects.select_related("requester", "from_department", "to_department", "owner")
    if box == "mine":
        qs = qs.filter(requester=person)
    elif box == "all":
        if not sees_all_requests(person):
            qs = qs.none()
    elif box == "incoming":
        # My departments' requests, and those of the departments I receive for or head.
        qs = qs.filter(_under(_my_paths(person), "to_department") | Q(liaison=person) | Q(owner=person)
                       | Q(to_department__in=Liaison.objects.filter(person=person).values("department_id"))
                       | Q(to_department__head=person))
    else:
        qs = qs.filter(_under(_my_paths(person), "from_department") | Q(from_department__head=person))
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in RequestState.values:
        qs = qs.filter(state=state)
    if from_department:
        qs = qs.filter(from_department_id=from_department)
    if to_department:
        qs = qs.filter(to_department_id=to_department)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    return qs.order_by("-created_at", "-pk")


# --- the collaboration map ------------------------------------------------

class Median(Aggregate):
    """PostgreSQL's exact median; SQLite has none (computed in Python there)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass
class Link:
    source: int
    target: int
    count: int
    answered: int
    median_response_hours: float | None
    completed: int
    on_time: int
    rated: int
    rating: float | None
    open: int

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.completed, 3) if self.completed else None


@dataclass
class CollaborationMap:
    start: date
    end: date
    departments: dict[int, Department] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(link.count for link in self.links)

    def as_json(self, language: str) -> dict[str, Any]:
        english = language.startswith("en")

        def name(pk: int) -> str:
            d = self.departments[pk]
            return (d.name_en or d.name) if english else d.name

        volume: dict[int, int] = defaultdict(int)
        for link in self.links:
            volume[link.source] += link.count
            volume[link.target] += link.count
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "nodes": [{"id": str(pk), "name": name(pk), "volume": volume[pk]} for pk in sorted(volume)],
            "links": [{"source": str(link.source), "target": str(link.target), "source_name": name(link.source),
                       "target_name": name(link.target), "count": link.count, "open": link.open,
                       "median_response_hours": link.median_response_hours,
                       "on_time_rate": link.on_time_rate, "rating": link.rating, "rated": link.rated}
                      for link in self.links],
        }


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the company's time zone."""
    tz = WorkingCalendar.load().tz
    return (datetime.combine(start, time(0), tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz))


def collaboration_map(start: date, end: date) -> CollaborationMap:
    """For requests created in [start, end]: per (asking, asked) department,
    the volume, the median working time to an answer, the on-time rate of
    completed work and the average rating (REQ-5). One grouped query."""
    since, until = period_bounds(start, end)
    rows = Request.objects.filter(created_at__gte=since, created_at__lt=until).values(
        "from_department_id", "to_department_id").annotate(
        count=Count("id"), answered=Count("response_minutes"), completed=Count("on_time"),
        on_time_n=Count("id", filter=Q(on_time=True)),
        rated=Count("rating"), rating_avg=Avg("rating"),
        open_n=Count("id", filter=Q(state__in=OPEN_STATES)),
    ).order_by()
    postgres = connection.vendor == "postgresql"
    if postgres:
        rows = rows.annotate(median=Median("response_minutes"))
    medians: dict[tuple[int, int], float | None] = {}
    if not postgres:
        minutes: dict[tuple[int, int], list[int]] = defaultdict(list)
        for source, target, value in Request.objects.filter(
                created_at__gte=since, created_at__lt=until, response_minutes__isnull=False).values_list(
                "from_department_id", "to_department_id", "response_minutes"):
            minutes[(source, target)].append(int(value or 0))
        medians = {pair: float(statistics.median(values)) for pair, values in minutes.items()}
    links = []
    for row in rows:
        pair = (row["from_department_id"], row["to_department_id"])
        median: float | None = row.get("median") if postgres else medians.get(pair)  # type: ignore[assignment]
        links.append(Link(
            source=pair[0], target=pair[1], count=row["count"], answered=row["answered"],
            median_response_hours=round(median / 60, 1) if median is not None else None,
            completed=row["completed"], on_time=int(row["on_time_n"] or 0), rated=row["rated"],
            rating=round(float(row["rating_avg"]), 2) if row["rating_avg"] is not None else None,
            open=row["open_n"]))
    links.sort(key=lambda link: (-link.count, link.source, link.target))
    ids = {pk for link in links for pk in (link.source, link.target)}
    return CollaborationMap(start=start, end=end, departments=Department.objects.in_bulk(ids), links=links)
