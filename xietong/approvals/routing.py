"""Who approves (APR-1) and why: each rule of a node resolved against the org,
with an explanation a person can read on the approval page ("routing
explanation"). Used both when a node starts and for "who would approve this".
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from xietong.org.models import Department, Person, Role
from xietong.org.queries import (
    department_head,
    manager_chain,
    manager_of,
    role_holders,
    role_holders_by_id,
)
from xietong.platform.manifest import role_label
from xietong.policy.registry import BY_KEY


@dataclass
class Context:
    applicant: Person
    department: Department | None
    data: dict[str, Any]
    chosen: dict[str, list[int]]
    admin: Person | None  # the template's flow administrator


@dataclass
class Resolved:
    people: list[Person] = field(default_factory=list)
    explanation: list[dict[str, Any]] = field(default_factory=list)
    by_admin: bool = False


def _names(people: list[Person]) -> list[str]:
    return [p.name for p in people]


def resolve_rule(rule: dict[str, Any], ctx: Context, *, node_key: str) -> tuple[list[Person], dict[str, Any]]:
    kind = rule["rule"]
    people: list[Person] = []
    facts: dict[str, Any] = {"code": kind}
    if kind == "dept_head":
        department = ctx.department
        head = department_head(department) if department else None
        people = [head] if head else []
        facts["department"] = department.name if department else ""
    elif kind == "head_of":
        if rule.get("field"):
            department = Department.objects.filter(pk=ctx.data.get(rule["field"]) or 0, is_active=True).first()
        else:
            department = Department.objects.filter(code=rule["department"], is_active=True).first()
        head = department_head(department) if department else None
        people = [head] if head else []
        facts["department"] = department.name if department else rule["department"]
    elif kind == "role":
        scope = Department.objects.filter(code=rule["department"]).first() if rule.get("department") else None
        people = role_holders_by_id(rule["role"], department=scope)
        facts["role"] = str(role_label(rule["role"]))
        facts["department"] = scope.name if scope else ""
    elif kind == "people":
        found = {p.username: p for p in Person.objects.filter(username__in=rule["people"], is_active=True)}
        people = [found[u] for u in rule["people"] if u in found]
    elif kind == "manager_chain":
        people = manager_chain(ctx.applicant, levels=rule.get("levels", 1))
        facts["levels"] = rule.get("levels", 1)
    elif kind == "chosen":
        ids = ctx.chosen.get(node_key, [])
        by_id = {p.pk: p for p in Person.objects.filter(pk__in=ids, is_active=True)}
        people = [by_id[i] for i in ids if i in by_id]
    elif kind == "param_owner":
        definition = BY_KEY.get(str(ctx.data.get(rule["field"]) or ""))
        if definition is not None:
            people = role_holders_by_id(definition.owner)
            facts["role"] = str(role_label(definition.owner))
            facts["parameter"] = definition.label
    elif kind == "form_person":
        value = ctx.data.get(rule["field"])
        person = Person.objects.filter(pk=value, is_active=True).first() if value else None
        people = [person] if person else []
        facts["field"] = rule["field"]
    facts["people"] = _names(people)
    return [p for p in people if p is not None], facts


def node_people(node: dict[str, Any], ctx: Context, *, rules_key: str = "approvers",
                applicant_approver: str = "manager") -> Resolved:
    """Everyone a node asks, in order, without duplicates, with the reasons.
    The applicant never approves their own application: their slot is
    approved automatically ("skip", reported by the caller) or goes to their
    manager. A node with nobody goes to the flow administrator."""
    out = Resolved()
    seen: set[int] = set()
    for rule in node.get(rules_key, []):
        people, facts = resolve_rule(rule, ctx, node_key=node["key"])
        out.explanation.append(facts)
        for person in people:
            if person.pk == ctx.applicant.pk and rules_key == "approvers" and applicant_approver == "manager":
                substitute = manager_of(ctx.applicant)
                out.explanation.append({"code": "applicant_manager", "person": substitute.name if substitute else ""})
                if substitute is None:
                    continue
                person = substitute
            if person.pk not in seen:
                seen.add(person.pk)
                out.people.append(person)
    if not out.people and rules_key == "approvers":
        admins = [ctx.admin] if ctx.admin and ctx.admin.is_active else list(
            role_holders(Role.ADMIN).filter(is_active=True).order_by("pk")[:1])
        out.people = [p for p in admins if p.pk != ctx.applicant.pk]
        out.by_admin = True
        out.explanation.append({"code": "admin_fallback", "people": _names(out.people)})
    return out


def explain(entry: dict[str, Any]) -> str:
    """One line of the routing explanation, in the reader's language."""
    people = "、".join(entry.get("people", [])) or _("nobody")
    code = entry.get("code")
    texts = {
        "dept_head": _("Head of the applicant's department %(department)s: %(people)s"),
        "head_of": _("Head of %(department)s: %(people)s"),
        "role": _("Holders of the role %(role)s%(scope)s: %(people)s"),
        "people": _("Named in the template: %(people)s"),
        "manager_chain": _("The applicant's managers, %(levels)s level(s) up: %(people)s"),
        "chosen": _("Chosen by the applicant: %(people)s"),
        "form_person": _("The person in the form's field “%(field)s”: %(people)s"),
        "param_owner": _("%(role)s, who own the parameter “%(parameter)s”: %(people)s"),
        "admin_fallback": _("No approver found by the rules: the flow administrator %(people)s"),
        "applicant_manager": _("The applicant cannot approve their own application: their manager %(person)s instead"),
        "applicant_skip": _("The applicant is an approver here: approved automatically"),
        "dedupe": _("%(person)s already approved an earlier node: approved automatically"),
        "delegated": _("%(principal)s is away: %(delegate)s acts for them"),
        "not_delegated": _("%(principal)s's delegate is the applicant: not delegated"),
        "major_not_delegated": _("%(principal)s is away, but this decision is above the policy thresholds and their "
                                 "delegation does not include such decisions: it stays with them"),
        "emergency": _("Emergency decision group led by %(person)s"),
        "cc": _("CC: %(people)s"),
    }
    template = texts.get(code or "")
    if template is None:
        return str(entry)
    values = {"people": people, "department": entry.get("department", ""), "role": entry.get("role", ""),
              "scope": f"（{entry['department']}）" if entry.get("department") and code == "role" else "",
              "levels": entry.get("levels", 1), "field": entry.get("field", ""), "person": entry.get("person", ""),
              "principal": entry.get("principal", ""), "delegate": entry.get("delegate", ""),
              "parameter": entry.get("parameter", "")}
    return template % values


def route_preview(applicant: Person, *, admin: Person | None, definition: Any, data: dict[str, Any],
                  chosen: dict[str, list[int]], major: Any = None) -> list[dict[str, Any]]:
    """Who would approve this form, node by node, and why — nothing saved.
    `major(values)`: the template handler's say on whether it is a major change."""
    from .definition import route
    from .forms import amount_of, form_validate

    values, _errors = form_validate(definition.form, data)
    amount = amount_of(definition.form, values)
    department = applicant.primary_department
    ctx = Context(applicant=applicant, department=department, data=values, chosen=chosen, admin=admin)
    out = []
    for node in route(definition, data=values, amount=amount, department=department,
                      major=bool(major(values)) if major else False):
        if node["type"] == "cc":
            resolved = node_people(node, ctx, rules_key="cc")
        else:
            resolved = node_people(node, ctx, applicant_approver=definition.settings.applicant_approver)
        out.append({"node": node, "people": resolved.people, "why": [explain(e) for e in resolved.explanation]})
    return out
