from typing import Any

from django import template

from xietong.org.models import Role
from xietong.work.registry import KINDS, MODULES

register = template.Library()


@register.filter
def kind_label(kind: str) -> Any:
    spec = KINDS.get(kind)
    return spec.label if spec else kind


@register.filter
def module_label(module: str) -> Any:
    return MODULES.get(module, module)


@register.filter
def role_label(role: str) -> Any:
    return Role(role).label if role in Role.values else role
