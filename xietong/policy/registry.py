"""Every "X" of the regulations (POL-1), with its governance (POL-2), as the
modules declared them in their manifests (`platform.params.Param`).

A parameter's value is its default until a change is approved, effective
from a date (`actions.parameter_set`); `queries.param()` reads the value in
force at an instant. Keys are stable: other modules and the compliance view
refer to them. Who may propose a change: the holders of the parameter's
owner role, the coordination office and administrators (`may_propose`).
"""

from typing import Any

from django.utils.translation import gettext as _

from xietong.errors import DomainError
from xietong.org.models import Role
from xietong.platform.manifest import PARAMETERS as BY_KEY
from xietong.platform.manifest import RULES
from xietong.platform.params import MAJOR_NATURES, NATURES, TYPES, UNITS, Param, ParamRule

__all__ = ["BY_KEY", "MAJOR_NATURES", "NATURES", "RULES", "TYPES", "UNITS", "Param", "ParamRule", "get_param",
           "may_propose", "parameters", "related_keys", "rules_broken"]

PROPOSERS = (Role.COORDINATION_OFFICE, Role.ADMIN)


def parameters() -> list[Param]:
    """Every declared parameter, module by module in INSTALLED_APPS order."""
    return list(BY_KEY.values())


def get_param(key: str) -> Param:
    try:
        return BY_KEY[key]
    except KeyError:
        raise DomainError(_("Unknown policy parameter “%(key)s”.") % {"key": key}, code="unknown_parameter") from None


def may_propose(person_roles: set[str], definition: Param, *, is_admin: bool = False) -> bool:
    """Who may propose a change (POL-2): holders of the parameter's owner
    role, the coordination office, administrators."""
    return is_admin or definition.owner in person_roles or bool(person_roles & set(PROPOSERS))


def rules_broken(values: dict[str, Any]) -> list[ParamRule]:
    """The rules `values` (key → value in force) break."""
    return [r for r in RULES if r.low in values and r.high in values and values[r.low] > values[r.high]]


def related_keys(key: str) -> set[str]:
    return {k for r in RULES if key in (r.low, r.high) for k in (r.low, r.high)}
