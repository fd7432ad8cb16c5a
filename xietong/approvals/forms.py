"""The form of an approval (APR-6): parse and validate values against the
template's fields. The HTML view and the API both hand in JSON-like data
(`values_from_post` turns a POST into it); errors are per field, translated.

Stored values: text as str, number/money as a decimal string, date as ISO,
daterange as [start, end], person/department as an id, choice as its value,
attachment as a list of attachment ids (added after the approval exists),
table as a list of row dicts.
"""

import re
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.errors import DomainError
from xietong.inputs import (
    FIRST_DAY,
    clean_line,
    clean_text,
    parse_date,
    parse_decimal,
    parse_id,
    parse_money,
)
from xietong.org.models import Department, Person
from xietong.org.queries import is_member

from .definition import FieldDef

MAX_TABLE_ROWS = 100
NUMBER_MAX = Decimal("1e15")


def field_label(field: FieldDef) -> str:
    if field.label_en and not (get_language() or "zh-hans").startswith("zh"):
        return field.label_en
    return field.label


def choice_label(field: FieldDef, value: str) -> str:
    for choice in field.choices:
        if choice.value == value:
            if choice.label_en and not (get_language() or "zh-hans").startswith("zh"):
                return choice.label_en
            return choice.label
    return value


def _empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, list) and all(v in ("", None) for v in raw))


def _one(field: FieldDef, raw: Any, errors: dict[str, str], key: str) -> Any:
    label = field_label(field)
    if _empty(raw):
        if field.required:
            errors[key] = _("“%(field)s” is required.") % {"field": label}
        return None
    t = field.type
    if t in ("text", "textarea"):
        if isinstance(raw, dict | list | bool):
            errors[key] = _("“%(field)s” has a value of the wrong kind.") % {"field": label}
            return None
        clean = clean_line if t == "text" else clean_text
        try:
            text = clean(raw, label, limit=field.max_length or (200 if t == "text" else 5000),
                         required=field.required)
        except DomainError as error:
            errors[key] = str(error.message)
            return None
        return text or None
    if t in ("number", "money"):
        try:
            if t == "money":
                number = parse_money(raw, label)
            else:
                number = parse_decimal(raw, label, minimum=-NUMBER_MAX, maximum=NUMBER_MAX)
        except DomainError as error:
            errors[key] = str(error.message)
            return None
        if field.min is not None and number < field.min:
            errors[key] = _("“%(field)s” must be at least %(n)s.") % {"field": label, "n": field.min}
            return None
        if field.max is not None and number > field.max:
            errors[key] = _("“%(field)s” must be at most %(n)s.") % {"field": label, "n": field.max}
            return None
        return str(number.quantize(Decimal("0.01")) if t == "money" else number)
    earliest = timezone.localdate() if field.not_past else FIRST_DAY
    if t == "date":
        try:
            return parse_date(raw, label, earliest=earliest).isoformat()
        except DomainError as error:
            errors[key] = str(error.message) if error.code != "date_out_of_range" or not field.not_past else \
                _("“%(field)s” cannot be in the past.") % {"field": label}
            return None
    if t == "daterange":
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            errors[key] = _("“%(field)s” needs a start and an end date.") % {"field": label}
            return None
        try:
            start, end = (parse_date(v, label, earliest=earliest) for v in raw)
        except DomainError:
            errors[key] = _("“%(field)s” needs a start and an end date.") % {"field": label}
            return None
        if end < start:
            errors[key] = _("“%(field)s”: the end is before the start.") % {"field": label}
            return None
        return [start.isoformat(), end.isoformat()]
    if t in ("text", "textarea", "number", "money", "date", "person", "department", "choice") and \
            isinstance(raw, dict | list | bool):
        errors[key] = _("“%(field)s” has a value of the wrong kind.") % {"field": label}
        return None
    if t == "person":
        person = person_find(raw)
        if person is None:
            errors[key] = _("“%(field)s”: no active person “%(value)s”.") % {"field": label, "value": raw}
            return None
        return person.pk
    if t == "department":
        department = Department.objects.filter(pk=parse_id(raw) or 0, is_active=True).first() \
            or Department.objects.filter(code=str(raw), is_active=True).first()
        if department is None:
            errors[key] = _("“%(field)s”: no such department.") % {"field": label}
            return None
        return department.pk
    if t == "choice":
        if str(raw) not in {c.value for c in field.choices}:
            errors[key] = _("“%(field)s”: choose one of the options.") % {"field": label}
            return None
        return str(raw)
    if t == "attachment":
        return None  # files arrive separately and are attached to the approval
    if t == "table":
        if not isinstance(raw, list):
            errors[key] = _("“%(field)s” must be a list of rows.") % {"field": label}
            return None
        if len(raw) > MAX_TABLE_ROWS:
            errors[key] = _("“%(field)s” can have at most %(n)s rows.") % {"field": label, "n": MAX_TABLE_ROWS}
            return None
        rows = []
        for n, row in enumerate(raw, start=1):
            if not isinstance(row, dict) or all(_empty(row.get(c.key)) for c in field.columns):
                continue
            parsed = {c.key: _one(c, row.get(c.key), errors, f"{key}.{n}.{c.key}") for c in field.columns}
            rows.append(parsed)
        if field.required and not rows:
            errors[key] = _("“%(field)s” needs at least one row.") % {"field": label}
        return rows

    return None  # pragma: no cover — the schema allows no other type


def person_find(raw: Any) -> Person | None:
    """An active person by id, username or unambiguous full name."""
    text = str(raw).strip()
    active = Person.objects.filter(is_active=True)
    pk = parse_id(text)
    if pk:
        found = active.filter(pk=pk).first()
        if found:
            return found
    named = active.filter(username=text).first()
    if named is None:
        same_name = list(active.filter(name=text)[:2])
        named = same_name[0] if len(same_name) == 1 else None
    return named


def people_from(text: str) -> list[Person]:
    """People of the company named by username or full name, separated by
    commas, spaces or 、 (the pages' and the API's person inputs)."""
    found = []
    for token in [t for t in re.split(r"[,，、\s]+", text or "") if t]:
        person = person_find(token) if not token.isdigit() else None
        if person is None or not is_member(person):
            raise DomainError(_("No one in the company is called “%(name)s”.") % {"name": token}, code="unknown_person")
        found.append(person)
    return found


def one_person(text: str, message: str | None = None) -> Person:
    """The one person of the company `text` names (username or full name)."""
    people = people_from(text)
    if len(people) != 1:
        raise DomainError(message or _("Name exactly one person."), code="one_person")
    return people[0]


def form_validate(fields: list[FieldDef], data: dict[str, Any], *,
                  files: dict[str, int] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean values and the errors by field key. `files` counts the uploads per
    attachment field (a required attachment field needs one)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    unknown = set(data) - {f.key for f in fields}
    if unknown:
        errors["__all__"] = _("Unknown fields: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}
    for field in fields:
        if field.type == "attachment":
            if field.required and not (files or {}).get(field.key):
                errors[field.key] = _("“%(field)s” needs a file.") % {"field": field_label(field)}
            continue
        value = _one(field, data.get(field.key), errors, field.key)
        if value is not None:
            values[field.key] = value
    for field in fields:
        if field.type == "table" and field.sum_into and field.key in values and field.sum_into in values:
            _check_total(field, values, errors, {f.key: f for f in fields})
    return values, errors


def _check_total(table: FieldDef, values: dict[str, Any], errors: dict[str, str], by_key: dict[str, FieldDef]) -> None:
    """The amount must be what the lines add up to (a purchase of 10 × ¥30,000 is ¥300,000, whatever the
    amount field says: the route is chosen by the amount)."""
    factors = [c.key for c in table.columns if c.type in ("number", "money")]
    rows = values[table.key]
    if not factors or not rows:
        return
    total = Decimal(0)
    for n, row in enumerate(rows, start=1):
        if any(row.get(k) is None for k in factors):
            errors[f"{table.key}.{n}"] = _("“%(field)s”, row %(n)s: fill in every amount and quantity, or remove "
                                           "the row.") % {"field": field_label(table), "n": n}
            return
        product = Decimal(1)
        for k in factors:
            product *= Decimal(row[k])
        total += product
    stated = Decimal(values[table.sum_into])
    if total.quantize(Decimal("0.01")) != stated:
        errors[table.sum_into] = _("“%(field)s” is %(stated)s but the lines add up to %(total)s.") % {
            "field": field_label(by_key[table.sum_into]), "stated": f"{stated:,.2f}",
            "total": f"{total.quantize(Decimal('0.01')):,.2f}"}


def amount_of(fields: list[FieldDef], values: dict[str, Any]) -> Decimal | None:
    for field in fields:
        if field.amount and values.get(field.key) is not None:
            return Decimal(values[field.key])
    return None


def values_from_post(fields: list[FieldDef], post: QueryDict) -> dict[str, Any]:
    """A POSTed HTML form as the JSON-like data `form_validate` takes."""
    data: dict[str, Any] = {}
    for field in fields:
        name = f"f_{field.key}"
        if field.type == "daterange":
            data[field.key] = [post.get(f"{name}_start", ""), post.get(f"{name}_end", "")]
        elif field.type == "table":
            rows = []
            for n in range(MAX_TABLE_ROWS + 1):
                row = {c.key: post.get(f"{name}_{n}_{c.key}") for c in field.columns}
                if all(v is None for v in row.values()):
                    if n >= 1:
                        break
                    continue
                rows.append({k: v or "" for k, v in row.items()})
            data[field.key] = rows
        elif field.type != "attachment":
            data[field.key] = post.get(name, "")
    return data


def display_value(field: FieldDef, value: Any, people: dict[int, Person], departments: dict[int, Department]) -> Any:
    """A stored value as shown on the page and in the PDF."""
    if value is None or value == "":
        return ""
    if field.type == "money":
        amount = Decimal(value)
        return f"¥{amount:,.2f}" + (f"（{amount / 10000:,.2f} 万）" if amount >= 10000 else "")
    if field.type == "daterange":
        return f"{value[0]} — {value[1]}"
    if field.type == "person":
        person = people.get(int(value))
        return person.name if person else value
    if field.type == "department":
        department = departments.get(int(value))
        return department.name if department else value
    if field.type == "choice":
        return choice_label(field, value)
    return value
