from typing import Any

from django import template

from xietong.platform.manifest import ROLES
from xietong.work.registry import KINDS
from xietong.work.registry import module_label as _module_label

register = template.Library()


@register.filter
def kind_label(kind: str) -> Any:
    spec = KINDS.get(kind)
    return spec.label if spec else kind


@register.filter
def module_label(module: str) -> Any:
    return _module_label(module)


@register.filter
def role_label(role: str) -> Any:
    return ROLES[role].label if role in ROLES else role
