"""The catalogue of the regulations' clauses (clauses.toml), read once per
process, and which of them a module checks (platform CHECKS).

    clause("S003-5-respond").text        # the seed's words
    clause("S003-5-respond").check       # the requests module's ClauseCheck
    coverage()                           # (automated, in the catalogue)
"""

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from xietong.platform.manifest import CHECKS

PATH = Path(__file__).with_name("clauses.toml")
SEEDS = {"000": "活动合作协调制度", "001": "部门协调合作工作方案", "002": "业务交叉管理制度", "003": "部门协作协调规章"}
SEEDS_EN = {"000": "Cooperation and coordination rules", "001": "Department coordination work plan",
            "002": "Cross-business management rules", "003": "Department collaboration regulations"}


@dataclass(frozen=True)
class Clause:
    id: str
    title: str  # short, Chinese
    title_en: str
    seed: str
    section: str
    text: str  # the seed's own words
    summary: str  # English
    spec: tuple[str, ...]
    params: tuple[str, ...]
    module: str

    @property
    def check(self) -> Any:
        return CHECKS.get(self.id)

    @property
    def automated(self) -> bool:
        return self.id in CHECKS

    @property
    def seed_name(self) -> str:
        """The regulation's name in the reader's language."""
        names = SEEDS_EN if (get_language() or "").startswith("en") else SEEDS
        return names.get(self.seed, self.seed)

    @property
    def shown(self) -> str:
        """What a list shows: its short name in the reader's language."""
        return self.title_en if (get_language() or "").startswith("en") else self.title


@functools.cache
def clauses() -> tuple[Clause, ...]:
    return load(PATH.read_text(encoding="utf-8"))


def load(source: str) -> tuple[Clause, ...]:
    """The clauses of a catalogue's text, in its order (tests load their own)."""
    out = []
    for row in tomllib.loads(source).get("clause", []):
        out.append(Clause(id=row["id"], title=row.get("title", ""), title_en=row.get("title_en", ""), seed=row["seed"], section=row["section"], text=row["text"],
                          summary=row["summary"], spec=tuple(row.get("spec", ())),
                          params=tuple(row.get("params", ())), module=row.get("module", "")))
    return tuple(out)


def clause(clause_id: str) -> Clause | None:
    return _by_id().get(clause_id)


@functools.cache
def _by_id() -> dict[str, Clause]:
    return {c.id: c for c in clauses()}


def coverage() -> tuple[int, int]:
    """(clauses a module checks, clauses in the catalogue)."""
    every = clauses()
    return sum(1 for c in every if c.automated), len(every)
