"""What a module owes the regulation (SPEC principle 5), declared next to its
task kinds: the clauses it checks (SUP-2), and — as they are built — the
measures it computes (PERF) and what a person holds in it (HOV).

    # xietong/requests/manifest.py
    checks=(ClauseCheck("S003-5-respond", checks.responded_in_time),)

A clause's text, seed, section, SPEC IDs and parameters are the catalogue's
(`xietong/compliance/clauses.toml`, data reviewed like code); a module only
says how to judge it. A clause no module checks is shown as "not automated
yet", never hidden.

A check is `run(start, end)`: every record the clause applies to whose
deciding moment (a due time that passed, a decision taken) falls in
[start, end), each as a `Finding` — passed or not, with its evidence (the
times, the people, the parameter value in force at the time). A record is
decided once: a day that is over always gives the same findings, which is
what lets the compliance view show a day's sealed snapshot as the truth of
that day. This module imports nothing of the product.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """One record a clause applies to, judged."""

    subject_type: str  # a record type's label ("requests.request", "work.task")
    subject_id: str
    department_id: int | None  # the department answerable for it
    passed: bool
    at: datetime  # the moment that decided it
    evidence: dict[str, Any]  # JSON: times (ISO), people (ids and names), parameter values in force


@dataclass(frozen=True)
class ClauseCheck:
    """How a module judges one clause of the catalogue."""

    clause: str  # the catalogue's ID, "S003-5-respond"
    run: Callable[[datetime, datetime], Iterable[Finding]]

    @property
    def key(self) -> str:
        return self.clause


# --- measures (PERF builds on them) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Fact:
    """One record's contribution to a measure: its value (1 or 0 for a rate)."""

    subject_type: str
    subject_id: str
    department_id: int | None
    person_id: int | None
    value: float
    at: datetime
    group: str = ""  # a breakdown besides department and person: a task's kind for work.on_time


@dataclass(frozen=True)
class Metric:
    """A measure a module computes from its own facts. `facts(start, end)`
    yields one Fact per record in the period; the number for a department, a
    person or the company is `aggregate` over theirs, so every number is the
    aggregate of a list of records one can open (the drill-down)."""

    key: str  # "requests.on_time"
    label: Any
    unit: str  # "percent" | "hours" | "count" | "points"
    better: str  # "higher" | "lower"
    aggregate: str  # "rate" (share of facts whose value is 1) | "mean" | "count"
    facts: Callable[[datetime, datetime], Iterable[Fact]]

    def of(self, facts: list[Fact]) -> float | None:
        if self.aggregate == "count":
            return float(len(facts))
        if not facts:
            return None
        total = sum(f.value for f in facts)
        return total / len(facts)


UNITS = ("percent", "hours", "count", "points")
AGGREGATES = ("rate", "mean", "count")


# --- holdings (HOV builds on them) ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Held:
    """One thing a person holds: a record, what it is, its state and due time."""

    subject_type: str
    subject_id: str
    title: str
    state: str  # as the reader sees it (its translated label)
    due_at: datetime | None = None


@dataclass(frozen=True)
class Holding:
    """What a person holds in a module, and how to hand it over.

    `held(person)` lists it. `hand_over(actor=, holder=, to=, ids=)` gives the
    listed records (their subject ids) to another person, keeping each one's
    state and due time, and returns how many moved; None when it is handed
    over on the record's own page (a pending approval is transferred, 转交).
    `open_work`: whether it must be handed over before the person may be
    deactivated (open tasks, requests, cases) or not (roles, which stay as history)."""

    key: str  # "work.tasks"
    label: Any
    held: Callable[[Any], list[Held]]
    hand_over: Callable[..., int] | None = None
    open_work: bool = True

    @property
    def transferable(self) -> bool:
        """Handed over here (a template asks this: it would call `hand_over` itself)."""
        return self.hand_over is not None
