"""Reads of the compliance view (SUP-2), shared by its pages, its API and
its Excel export. Every figure comes from the daily snapshots (models.py),
never from running a check while someone waits.

    period = Period.parse("2026-11")                 # or "2026-Q4"; "" is this month
    scope = scope_for(person)                        # None: may not see it
    view = overview(period, scope)                   # every clause, its pass rate and trend
    detail = clause_detail(clause("S003-5-respond"), period, scope)
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.errors import DomainError
from xietong.org.models import Department, Person, Role
from xietong.org.principal import Principal

from .catalogue import Clause, clauses
from .models import Record, Result, Snapshot

# Who sees the whole company (SUP-2): supervision and audit, the coordination office, leadership.
COMPANY_ROLES = (Role.AUDITOR, Role.COORDINATION_OFFICE, Role.LEADERSHIP, Role.CEO, Role.ADMIN)
TREND = 6


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    start: date
    end: date  # the last day, included

    @classmethod
    def parse(cls, text: str | None, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        text = (text or "").strip()
        if not text:
            return cls.month(today.year, today.month)
        try:
            year_text, _sep, rest = text.partition("-")
            year = int(year_text)
            if rest.upper().startswith("Q"):
                quarter = int(rest[1:])
                if not 1 <= quarter <= 4:
                    raise ValueError
                period = cls.quarter(year, quarter)
            else:
                period = cls.month(year, int(rest))
        except ValueError:
            raise DomainError(_("A period is a month (2026-11) or a quarter (2026-Q4)."), code="bad_period") from None
        if not 2000 <= year <= 2100:
            raise DomainError(_("A period is a month (2026-11) or a quarter (2026-Q4)."), code="bad_period")
        return period

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        if not 1 <= month <= 12:
            raise ValueError
        start = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return cls("month", start, nxt - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = cls.month(year, 3 * quarter - 2)
        return cls("quarter", first.start, cls.month(year, 3 * quarter).end)

    @property
    def key(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    def previous(self) -> "Period":
        before = self.start - timedelta(days=1)
        if self.kind == "quarter":
            return Period.quarter(before.year, (before.month - 1) // 3 + 1)
        return Period.month(before.year, before.month)

    def next(self) -> "Period":
        after = self.end + timedelta(days=1)
        if self.kind == "quarter":
            return Period.quarter(after.year, (after.month - 1) // 3 + 1)
        return Period.month(after.year, after.month)

    def last(self, n: int) -> list["Period"]:
        """This period and the n - 1 before it, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous())
        return out[::-1]


@dataclass(frozen=True)
class Scope:
    """What a person may see of the compliance view: the whole company, or the departments they head."""

    company: bool
    departments: frozenset[int] = frozenset()

    def results(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows if self.company else rows.filter(department__in=self.departments)


def scope_for(person: Person) -> Scope | None:
    principal = Principal.of(person)
    if not principal.active:
        return None
    if principal.is_admin or principal.has_role(*COMPANY_ROLES):
        return Scope(company=True)
    if principal.headed:
        paths = list(Department.objects.filter(pk__in=principal.headed).values_list("path", flat=True))
        under = Q()
        for path in paths:
            under |= Q(path__startswith=path)
        return Scope(company=False, departments=frozenset(Department.objects.filter(under).values_list("pk", flat=True)))
    return None


def rate(passed: int, applies: int) -> float | None:
    return passed / applies if applies else None


def percent(value: float | None) -> str:
    """0.875 → "87.5%", 1 → "100%"; no records → "—" (every rate the view shows)."""
    if value is None:
        return "—"
    shown = value * 100
    return f"{shown:.0f}%" if shown in (0, 100) else f"{shown:.1f}%"


@dataclass
class ClauseRow:
    clause: Clause
    applies: int = 0
    passed: int = 0
    trend: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.applies - self.passed

    @property
    def rate(self) -> float | None:
        return rate(self.passed, self.applies)


class Totals:
    """Records, passed and the pass rate summed over `parts` (rows that have `applies` and `passed`)."""

    @property
    def parts(self) -> list[Any]:
        raise NotImplementedError

    @property
    def applies(self) -> int:
        return sum(p.applies for p in self.parts)

    @property
    def passed(self) -> int:
        return sum(p.passed for p in self.parts)

    @property
    def rate(self) -> float | None:
        return rate(self.passed, self.applies)


@dataclass
class Overview(Totals):
    period: Period
    rows: list[ClauseRow]  # the automated clauses
    not_automated: list[Clause]
    automated: int
    catalogue: int
    days: int  # days of the period with a snapshot
    last_day: date | None  # the latest day computed

    @property
    def coverage(self) -> float:
        return self.automated / self.catalogue if self.catalogue else 0.0

    @property
    def parts(self) -> list[ClauseRow]:
        return self.rows


def overview(period: Period, scope: Scope) -> Overview:
    """Every clause: the automated ones with their pass rate in the period and
    the trend over the periods before; the others, listed as not automated."""
    every = clauses()
    automated = [c for c in every if c.automated]
    span = period.last(TREND)
    results = scope.results(Result.objects.filter(day__gte=span[0].start, day__lte=period.end))
    # (clause, period key) -> (records, passed): months summed into the periods they fall in.
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for clause_id, month, applies, passed in (results.annotate(month=TruncMonth("day"))
                                              .values("clause", "month").order_by()
                                              .annotate(a=Sum("applies"), p=Sum("passed"))
                                              .values_list("clause", "month", "a", "p")):
        day = _as_date(month)
        key = next((p.key for p in span if p.start <= day <= p.end), None)
        if key is None:  # pragma: no cover — the query asked for the span only
            continue
        a, ps = sums.get((clause_id, key), (0, 0))
        sums[(clause_id, key)] = (a + int(applies or 0), ps + int(passed or 0))
    rows = []
    for c in automated:
        row = ClauseRow(c)
        for p in span:
            a, ps = sums.get((c.id, p.key), (0, 0))
            row.trend.append((p.key, rate(ps, a)))
        row.applies, row.passed = sums.get((c.id, period.key), (0, 0))
        rows.append(row)
    days = Snapshot.objects.filter(day__gte=period.start, day__lte=period.end).count()
    last = Snapshot.objects.order_by("-day").values_list("day", flat=True).first()
    return Overview(period, rows, [c for c in every if not c.automated], len(automated), len(every), days, last)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


@dataclass
class DepartmentRow:
    department: Department | None  # None: the company as a whole (a policy change)
    applies: int
    passed: int

    @property
    def failed(self) -> int:
        return self.applies - self.passed

    @property
    def rate(self) -> float | None:
        return rate(self.passed, self.applies)

    @property
    def name(self) -> str:
        if self.department is None:
            return _("Company-wide")
        return department_name(self.department)


def department_name(department: Department) -> str:
    english = (get_language() or "").startswith("en")
    return (department.name_en or department.name) if english else department.name


@dataclass
class ClauseDetail(Totals):
    clause: Clause
    period: Period
    departments: list[DepartmentRow]
    records: QuerySet[Record]  # the failing records (or every one, `failing=False`), newest first

    @property
    def parts(self) -> list[DepartmentRow]:
        return self.departments


def clause_detail(clause: Clause, period: Period, scope: Scope, *, failing: bool = True,
                  department: int | None = None) -> ClauseDetail:
    results = scope.results(Result.objects.filter(clause=clause.id, day__gte=period.start, day__lte=period.end))
    sums = list(results.values("department").order_by().annotate(a=Sum("applies"), p=Sum("passed"))
                .values_list("department", "a", "p"))
    names = Department.objects.in_bulk([d for d, _a, _p in sums if d])
    rows = sorted((DepartmentRow(names.get(d) if d else None, int(a or 0), int(p or 0)) for d, a, p in sums),
                  key=lambda r: (r.rate if r.rate is not None else 2, r.department.path if r.department else ""))
    records = Record.objects.filter(clause=clause.id, day__gte=period.start, day__lte=period.end)
    if not scope.company:
        records = records.filter(department__in=scope.departments)
    if department is not None:
        records = records.filter(department=department)
    if failing:
        records = records.filter(passed=False)
    return ClauseDetail(clause, period, rows, records.select_related("department").order_by("-at", "-pk"))


def record_counts(clause: Clause, period: Period, scope: Scope) -> tuple[int, int]:
    """(records, failing) from the stored findings: what the Results' sums must equal."""
    records = scope.results(Record.objects.filter(clause=clause.id, day__gte=period.start, day__lte=period.end))
    found = records.aggregate(n=Count("pk"), failing=Count("pk", filter=Q(passed=False)))
    return int(found["n"]), int(found["failing"])
