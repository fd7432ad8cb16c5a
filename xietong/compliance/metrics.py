"""The modules' declared measures (platform/owed.py Metric) for a period, as
the compliance view shows them: each number with the records behind it.
Computed from the facts when asked (the assessment module, PERF, will keep
them in snapshots like the clauses')."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator

from xietong.org.models import Department, Person
from xietong.platform.manifest import METRICS
from xietong.platform.owed import Fact, Metric
from xietong.policy.queries import day_bounds

from .queries import Period, Scope, department_name, percent


def facts_in(metric: Metric, period: Period, scope: Scope) -> list[Fact]:
    """The metric's facts of the period that the scope may see (a head: their departments' records)."""
    start, end = day_bounds(period.start)[0], day_bounds(period.end)[1]
    facts = list(metric.facts(start, end))
    if not scope.company:
        facts = [f for f in facts if f.department_id in scope.departments]
    return facts


@dataclass
class Figure:
    """A number and how many records it is made of."""

    label: str
    value: float | None
    records: int
    key: int | None = None  # the department's or the person's id


@dataclass
class MetricRow:
    metric: Metric
    figure: Figure


def overview(period: Period, scope: Scope) -> list[MetricRow]:
    rows = []
    for metric in METRICS.values():
        facts = facts_in(metric, period, scope)
        rows.append(MetricRow(metric, Figure("", metric.of(facts), len(facts))))
    return rows


@dataclass
class MetricDetail:
    metric: Metric
    figure: Figure
    departments: list[Figure]
    people: list[Figure]
    groups: list[Figure]  # by the facts' group (a task's kind), when they have one
    facts: list[Fact]


def detail(metric: Metric, period: Period, scope: Scope, *, department: int | None = None,
           person: int | None = None) -> MetricDetail:
    facts = facts_in(metric, period, scope)
    if department is not None:
        facts = [f for f in facts if f.department_id == department]
    if person is not None:
        facts = [f for f in facts if f.person_id == person]
    by_department: dict[int | None, list[Fact]] = {}
    by_person: dict[int | None, list[Fact]] = {}
    by_group: dict[str, list[Fact]] = {}
    for f in facts:
        by_department.setdefault(f.department_id, []).append(f)
        by_person.setdefault(f.person_id, []).append(f)
        if f.group:
            by_group.setdefault(f.group, []).append(f)
    departments = Department.objects.in_bulk([d for d in by_department if d])
    people = dict(Person.objects.filter(pk__in=[p for p in by_person if p]).values_list("pk", "name"))
    return MetricDetail(
        metric, Figure("", metric.of(facts), len(facts)),
        sorted((Figure(department_name(departments[d]) if d in departments else "—", metric.of(fs), len(fs), d)
                for d, fs in by_department.items()), key=lambda f: f.label),
        sorted((Figure(people.get(p, "—") if p else "—", metric.of(fs), len(fs), p) for p, fs in by_person.items()),
               key=lambda f: f.label),
        sorted((Figure(group_label(g), metric.of(fs), len(fs)) for g, fs in by_group.items()), key=lambda f: f.label),
        sorted(facts, key=lambda f: f.at, reverse=True))


def group_label(group: str) -> str:
    """A group's name: a task kind's label, else the group as it is."""
    from xietong.texts import text
    from xietong.work.registry import KINDS

    kind = KINDS.get(group)
    return text(kind.label) if kind else group


def shown(metric: Metric, value: float | None) -> str:
    """A metric's number as it reads: 87.5%, 12.3 h, 4.2, 7."""
    if value is None:
        return "—"
    if metric.unit == "percent":
        return percent(value)
    if metric.unit == "hours":
        return f"{value:.1f} h"
    if metric.unit == "count":
        return f"{value:.0f}"
    return f"{value:.2f}"


def page_of(facts: list[Fact], number: Any, size: int = 50) -> Any:
    return Paginator(facts, size).get_page(number)
