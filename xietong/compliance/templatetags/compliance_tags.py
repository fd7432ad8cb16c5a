"""How the compliance pages show rates and a finding's evidence."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.compliance.queries import department_name, percent
from xietong.platform.manifest import SUBJECTS
from xietong.texts import text

register = template.Library()

# A finding's evidence keys (platform/owed.py) as a reader sees them.
EVIDENCE = {
    "task": _("Task"), "created": _("Created"), "due": _("Due"), "done": pgettext_lazy("evidence", "Done"),
    "outcome": _("Outcome"), "assignee": _("Assignee"), "param": _("Parameter in force"),
    "amount": _("Amount (yuan)"), "submitted": _("Submitted"), "required": _("Required signatures"),
    "signed": _("Signatures"), "missing": _("Missing"), "in_order": _("In order"), "steps": _("Ladder steps"),
    "notices": _("Delay notices"), "parameter": _("Parameter"), "value": _("Value"),
    "effective_from": _("Effective from"), "set_by": _("Set by"), "at": _("At"), "approval": _("Approval"),
    "approval_state": _("Approval state"), "event": _("Event"), "level": _("Level"), "target": _("To"),
    "after_hours": _("Working hours after due"), "taken": _("Taken"), "in_time": _("In time"), "key": _("Parameter"),
    "role": _("Role"), "who": _("Who"), "state": _("State"), "by": _("By"), "old_due": _("Date before"),
    "new_due": _("Proposed date"),
}


register.filter("percent", percent)


@register.filter
def rate_class(rate: float | None) -> str:
    """How a pass rate is marked: met in full, nearly, or failing."""
    if rate is None:
        return "muted"
    if rate >= 1:
        return "ok"
    return "warn" if rate >= 0.8 else "danger"


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, dict):
        if set(value) == {"key", "value"}:  # a parameter in force: its key and value
            return f"{value['key']} = {_shown(value['value'])}"
        return ", ".join(f"{text(EVIDENCE.get(k, k))} {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_shown(item) for item in value) or "—"
    return str(value)


@register.filter
def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's evidence as (what, value) pairs, labelled in the reader's language, times in the company's zone."""
    return [(text(EVIDENCE.get(key, key)), _shown(evidence[key])) for key in evidence]


@register.filter
def department_label(department: Any) -> str:
    """A department's name in the reader's language."""
    return department_name(department)


@register.filter
def record_type(subject_type: str) -> str:
    """A record type's name ("collaboration request"), or its label when no module declares it."""
    subject = SUBJECTS.get(subject_type)
    return text(subject.name) if subject else subject_type
