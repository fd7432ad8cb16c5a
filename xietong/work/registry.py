"""What the kernel knows about the modules on top of it: their task kinds,
record types and periodic work, as their manifests declared them
(xietong.platform; docs/modules.md).

    kind_for("approvals.approve").outcomes
    subject_visible(person, "approvals.approval", "42")
"""

from typing import Any

from xietong.platform.kinds import (
    SubjectType,
    TaskKind,
    subject_exists,
    subject_url,
    subject_visible,
)
from xietong.platform.manifest import KINDS, MODULES, SUBJECTS, SWEEPS

__all__ = ["KINDS", "MODULES", "SUBJECTS", "SWEEPS", "SubjectType", "TaskKind", "kind_for", "module_label",
           "outcome_label", "subject_exists", "subject_url", "subject_visible"]

# The kernel's own kinds (declared in work/manifest.py).
SUPERVISE = "work.supervise"
TODO = "work.todo"
ACKNOWLEDGE = "work.acknowledge"


def kind_for(key: str) -> TaskKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown task kind {key!r}") from None


def module_label(key: str) -> Any:
    module = MODULES.get(key)
    return module.label if module else key


def outcome_label(kind_key: str, outcome: str) -> Any:
    kind = KINDS.get(kind_key)
    if kind:
        for value, label in kind.outcomes:
            if value == outcome:
                return label
    return outcome
