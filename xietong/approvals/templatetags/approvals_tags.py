from typing import Any

from django import template
from django.utils.translation import get_language

from xietong.approvals.forms import choice_label, field_label

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    if hasattr(mapping, "get"):
        return mapping.get(key, "")
    return ""


@register.filter
def label(field: Any) -> str:
    return field_label(field)


@register.filter
def choice(field: Any, value: str) -> str:
    return choice_label(field, value)


@register.filter
def node_name(node: dict[str, Any]) -> str:
    if node.get("name_en") and not (get_language() or "zh-hans").startswith("zh"):
        return str(node["name_en"])
    return str(node.get("name", ""))


@register.filter
def rows_of(values: Any, field: Any) -> list[Any]:
    """A table field's rows for the form, at least three, one spare."""
    rows = list((values or {}).get(field.key) or []) if isinstance(values, dict) else []
    return [*rows, *([{}] * max(1, 3 - len(rows)))]


@register.filter
def at(sequence: Any, index: int) -> Any:
    try:
        return sequence[index]
    except (IndexError, KeyError, TypeError):
        return ""
