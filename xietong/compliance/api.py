"""The compliance view over REST (SUP-2), with the pages' permissions: the
overview of a period and one clause's departments and records."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema

from xietong.org.gates import api_member

from .catalogue import clause as clause_by_id
from .queries import Period, Scope, clause_detail, overview, scope_for

router = Router(tags=["compliance"])
RECORDS_MAX = 200


class ComplianceClauseOut(Schema):
    id: str
    title: str
    title_en: str
    seed: str
    section: str
    text: str
    summary: str
    spec: list[str]
    params: list[str]
    automated: bool
    applies: int
    passed: int
    rate: float | None
    trend: list[tuple[str, float | None]]


class ComplianceOverviewOut(Schema):
    period: str
    start: date
    end: date
    company: bool
    automated: int
    catalogue: int
    days: int
    clauses: list[ComplianceClauseOut]


class ComplianceDepartmentOut(Schema):
    department: int | None
    name: str
    applies: int
    passed: int
    rate: float | None


class ComplianceRecordOut(Schema):
    subject_type: str
    subject_id: str
    department: int | None
    passed: bool
    at: datetime
    evidence: dict[str, Any]


class ComplianceClauseDetailOut(Schema):
    clause: ComplianceClauseOut
    departments: list[ComplianceDepartmentOut]
    failing: list[ComplianceRecordOut]


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for(api_member(request))
    if scope is None:
        raise PermissionDenied()
    return scope


def _clause(c: Any, applies: int = 0, passed: int = 0, rate: float | None = None,
            trend: list[tuple[str, float | None]] | None = None) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "title_en": c.title_en, "seed": c.seed, "section": c.section, "text": c.text, "summary": c.summary,
            "spec": list(c.spec), "params": list(c.params), "automated": c.automated, "applies": applies,
            "passed": passed, "rate": rate, "trend": trend or []}


@router.get("/compliance", response=ComplianceOverviewOut, summary="Every clause with its pass rate in a period")
def compliance_overview(request: HttpRequest, period: str = "") -> Any:
    scope = _scope(request)
    view = overview(Period.parse(period), scope)
    rows = [_clause(r.clause, r.applies, r.passed, r.rate, r.trend) for r in view.rows]
    rows += [_clause(c) for c in view.not_automated]
    return {"period": view.period.key, "start": view.period.start, "end": view.period.end, "company": scope.company,
            "automated": view.automated, "catalogue": view.catalogue, "days": view.days, "clauses": rows}


@router.get("/compliance/clauses/{clause_id}", response=ComplianceClauseDetailOut,
            summary="One clause: its pass rate per department and its failing records (the latest 200)")
def compliance_clause(request: HttpRequest, clause_id: str, period: str = "") -> Any:
    found = clause_by_id(clause_id)
    if found is None:
        raise Http404
    scope = _scope(request)
    detail = clause_detail(found, Period.parse(period), scope)
    return {"clause": _clause(found, detail.applies, detail.passed, detail.rate),
            "departments": [{"department": d.department.pk if d.department else None, "name": d.name,
                             "applies": d.applies, "passed": d.passed, "rate": d.rate} for d in detail.departments],
            "failing": [{"subject_type": r.subject_type, "subject_id": r.subject_id, "department": r.department_id,
                         "passed": r.passed, "at": r.at, "evidence": r.evidence}
                        for r in detail.records[:RECORDS_MAX]]}


class MetricOut(Schema):
    key: str
    label: str
    unit: str
    better: str
    value: float | None
    records: int


class FigureOut(Schema):
    id: int | None
    name: str
    value: float | None
    records: int


class FactOut(Schema):
    subject_type: str
    subject_id: str
    department: int | None
    person: int | None
    value: float
    at: datetime


class MetricDetailOut(Schema):
    metric: MetricOut
    departments: list[FigureOut]
    people: list[FigureOut]
    groups: list[FigureOut]  # by kind, for the task measures
    facts: list[FactOut]


def _metric(m: Any, figure: Any) -> dict[str, Any]:
    return {"key": m.key, "label": str(m.label), "unit": m.unit, "better": m.better, "value": figure.value,
            "records": figure.records}


@router.get("/compliance/metrics", response=list[MetricOut], summary="Every declared measure in a period")
def compliance_metrics(request: HttpRequest, period: str = "") -> Any:
    from . import metrics

    scope = _scope(request)
    return [_metric(row.metric, row.figure) for row in metrics.overview(Period.parse(period), scope)]


@router.get("/compliance/metrics/{key}", response=MetricDetailOut,
            summary="One measure per department and person, with its records (the latest 200)")
def compliance_metric(request: HttpRequest, key: str, period: str = "", department: int | None = None,
                      person: int | None = None) -> Any:
    from xietong.platform.manifest import METRICS

    from . import metrics

    found = METRICS.get(key)
    if found is None:
        raise Http404
    scope = _scope(request)
    detail = metrics.detail(found, Period.parse(period), scope, department=department, person=person)
    return {"metric": _metric(found, detail.figure),
            "departments": [{"id": f.key, "name": f.label, "value": f.value, "records": f.records}
                            for f in detail.departments],
            "people": [{"id": f.key, "name": f.label, "value": f.value, "records": f.records} for f in detail.people],
            "groups": [{"id": None, "name": f.label, "value": f.value, "records": f.records} for f in detail.groups],
            "facts": [{"subject_type": f.subject_type, "subject_id": f.subject_id, "department": f.department_id,
                       "person": f.person_id, "value": f.value, "at": f.at} for f in detail.facts[:RECORDS_MAX]]}
