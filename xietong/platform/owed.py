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
