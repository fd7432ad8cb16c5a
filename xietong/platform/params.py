"""A policy parameter's declaration (POL-1, POL-2): every "X" of the
regulations, declared by the module that uses it (its manifest), with how it
may change. The values in force are policy's (`policy.queries.param`).

- `nature`: money thresholds, authority and time limits are always *major*
  (seed 000 §3: 重大调整需报CEO批准): the CEO approves after the owner's review.
- `owner`: the role whose holders review a change (the parameter's owner
  department); the coordination office for what belongs to no department.
- `minimum`/`maximum`: every number has both; `ParamRule`s relate
  parameters (the finance threshold may not exceed the CEO's), checked when
  a change is proposed and again when it is approved.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.errors import DomainError
from xietong.inputs import MONEY_MAX, parse_money

from .manifest import ROLES

TYPES = ("int", "decimal", "bool", "text", "choice", "periods", "timezone", "regex")
UNITS = {
    "": ("", ""),
    "hours": ("小时", "hours"),
    "working_hours": ("工作小时", "working hours"),
    "working_days": ("工作日", "working days"),
    "days": ("自然日", "calendar days"),
    "months": ("月", "months"),
    "yuan": ("元", "yuan"),
    "count": ("次/个", "count"),
    "weekday": ("星期（1=周一）", "weekday (1 = Monday)"),
    "day_of_month": ("日（每月）", "day of month"),
    "points": ("分", "points"),
}
# What a due time may be counted in (a task kind's `due_param`).
DURATION_UNITS = ("hours", "working_hours", "working_days", "days")
# What a parameter is, for POL-2: the first three are always major changes.
NATURES = ("money", "authority", "time_limit", "schedule", "setting")
MAJOR_NATURES = ("money", "authority", "time_limit")
PERIODS_RE = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$")


@dataclass(frozen=True)
class Param:
    key: str
    spec: str  # SPEC.md feature ID(s)
    clause: str  # the regulation text it implements
    type: str
    default: Any
    unit: str
    zh: str
    en: str
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    nature: str = "setting"
    owner: str = "coordination_office"  # a role key (platform.ROLES)

    @property
    def description(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en

    @property
    def label(self) -> str:
        """How messages name it: its description, never its key."""
        return self.description

    @property
    def major(self) -> bool:
        return self.nature in MAJOR_NATURES

    @property
    def owner_label(self) -> str:
        role = ROLES.get(self.owner)
        return str(role.label) if role else self.owner

    @property
    def is_duration(self) -> bool:
        return self.type == "int" and self.unit in DURATION_UNITS

    @property
    def unit_label(self) -> str:
        zh, en = UNITS[self.unit]
        return zh if (get_language() or "zh-hans").startswith("zh") else en

    def parse(self, raw: Any) -> Any:
        """Turn user input (text or JSON) into a stored value; DomainError if invalid."""
        text = str(raw).strip() if raw is not None else ""
        try:
            value: Any
            if self.type == "int":
                if not re.fullmatch(r"[+-]?\d{1,12}", text):
                    raise ValueError
                value = int(text)
            elif self.type == "decimal":
                if self.unit == "yuan":
                    value = parse_money(text, self.label, maximum=Decimal(self.maximum or MONEY_MAX))
                else:
                    value = Decimal(text)
                    if not value.is_finite() or value.as_tuple().exponent < -6 or len(text) > 30:  # type: ignore[operator]
                        raise InvalidOperation
            elif self.type == "bool":
                lowered = text.lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                    raise ValueError
                value = lowered in {"true", "1", "yes", "on"}
            elif self.type == "choice":
                if text not in self.choices:
                    raise ValueError
                value = text
            elif self.type == "periods":
                value = _parse_periods(text)
                value = ",".join(f"{a}-{b}" for a, b in value)
            elif self.type == "timezone":
                zoneinfo.ZoneInfo(text)
                value = text
            elif self.type == "regex":
                re.compile(text)
                value = text
            else:
                if not text:
                    raise ValueError
                value = text
        except (ValueError, InvalidOperation, re.error, zoneinfo.ZoneInfoNotFoundError):
            raise DomainError(
                _("“%(value)s” is not a valid value for “%(label)s”.") % {"value": text[:50], "label": self.label},
                code="bad_value",
            ) from None
        if self.minimum is not None and value < self.minimum:
            raise DomainError(_("“%(label)s” must be at least %(min)s %(unit)s.")
                              % {"label": self.label, "min": self.minimum, "unit": self.unit_label}, code="too_small")
        if self.maximum is not None and value > self.maximum:
            raise DomainError(_("“%(label)s” must be at most %(max)s %(unit)s.")
                              % {"label": self.label, "max": self.maximum, "unit": self.unit_label}, code="too_large")
        return value

    def to_json(self, value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    def from_json(self, stored: Any) -> Any:
        return Decimal(stored) if self.type == "decimal" else stored


def _parse_periods(text: str) -> list[tuple[str, str]]:
    if not PERIODS_RE.match(text.replace(" ", "")):
        raise ValueError
    periods = []
    last_end = "00:00"
    for chunk in text.replace(" ", "").split(","):
        start, end = chunk.split("-")
        for hhmm in (start, end):
            hh, mm = int(hhmm[:2]), int(hhmm[3:])
            if hh > 23 or mm > 59:
                raise ValueError
        if not (last_end <= start < end):
            raise ValueError
        periods.append((start, end))
        last_end = end
    return periods


def param(key: str, spec: str, clause: str, type: str, default: Any, unit: str, zh: str, en: str,
          **kw: Any) -> Param:
    """A declaration in the order the regulations read: key, SPEC ID, clause, type, default, unit, labels."""
    return Param(key=key, spec=spec, clause=clause, type=type, default=default, unit=unit, zh=zh, en=en, **kw)


# Natures, for declarations: `param(..., **TIME)`.
TIME = {"nature": "time_limit"}
MONEY = {"nature": "money", "owner": "finance"}
AUTHORITY = {"nature": "authority"}
SCHEDULE = {"nature": "schedule"}


class ParamRule(NamedTuple):
    """`low` may not exceed `high` (both in force at the same instant)."""

    low: str
    high: str
    zh: str
    en: str

    @property
    def message(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en
