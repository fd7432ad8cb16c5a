"""Start-up checks of the clause catalogue and the modules' checks
(`manage.py check` and every command that runs it; docs/compliance.md):

- xietong.E010  a module checks a clause the catalogue does not have
- xietong.E011  a clause names a parameter no module declares
- xietong.E012  a clause ID twice in the catalogue, or a clause without its titles, text, summary or seed
"""

from collections import Counter
from typing import Any

from django.core import checks

from xietong.platform.manifest import CHECKS, OWNERS, PARAMETERS

from .catalogue import SEEDS, Clause, clauses


def problems(catalogue: tuple[Clause, ...]) -> list[checks.CheckMessage]:
    out: list[checks.CheckMessage] = []
    known = {c.id for c in catalogue}
    for clause_id in CHECKS:
        if clause_id not in known:
            out.append(checks.Error(
                f"Module {OWNERS.get(('clause check', clause_id), '?')!r} checks clause {clause_id!r}, "
                "which is not in the catalogue.", hint="Add it to xietong/compliance/clauses.toml, or fix the ID.",
                id="xietong.E010"))
    for c in catalogue:
        for key in c.params:
            if key not in PARAMETERS:
                out.append(checks.Error(f"Clause {c.id!r} names parameter {key!r}, which no module declares.",
                                        id="xietong.E011"))
    for clause_id, n in Counter(c.id for c in catalogue).items():
        if n > 1:
            out.append(checks.Error(f"Clause {clause_id!r} is in the catalogue {n} times.", id="xietong.E012"))
    for c in catalogue:
        if not (c.text and c.summary and c.title and c.title_en) or c.seed not in SEEDS:
            out.append(checks.Error(f"Clause {c.id!r} needs its titles, its seed's words, an English summary and "
                                    "a known seed.", id="xietong.E012"))
    return out


@checks.register("xietong")
def check_catalogue(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return problems(clauses())
