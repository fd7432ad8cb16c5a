"""A flow template's definition: data, validated against a schema, never code
(APR-1..3, APR-6).

    {"form": [{"key": "amount", "type": "money", "label": "金额", "required": true, "amount": true}, …],
     "nodes": [{"type": "approve", "key": "head", "name": "部门负责人", "mode": "any",
                "approvers": [{"rule": "dept_head"}]},
               {"type": "approve", "key": "finance", "name": "财务部", "approvers": [{"rule": "role", "role": "finance"}],
                "when": [{"field": "$amount", "op": "gt", "param": "approval.finance_threshold_yuan"}]},
               {"type": "branch", "key": "by_category", "branches": [{"name": "IT", "when": […], "nodes": […]},
                                                                    {"name": "其他", "when": [], "nodes": […]}]},
               {"type": "cc", "key": "notify_office", "name": "抄送", "cc": [{"rule": "role", "role": "coordination_office"}]}],
     "settings": {"return_resume": "restart", "withdraw": "before_first_approval", "applicant_approver": "manager",
                  "dedupe": true, "cc_end": [], "allow_emergency": false}}

`definition_validate()` checks the shape (pydantic) and the meaning (fields,
roles, departments, people and parameters that exist) and returns every
problem as a translated message. `route()` evaluates the conditions for one
form and returns the flat list of nodes the approval will walk.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xietong.org.models import Department, Person
from xietong.platform.manifest import ROLES
from xietong.policy.queries import params
from xietong.policy.registry import BY_KEY

KEY = r"^[a-z][a-z0-9_]{0,39}$"
APPLICANT_DEPARTMENT = "$department"
AMOUNT = "$amount"
# "yes" when the template's handler says the application is a major change
# (POL-2: a property of what changes, declared in code, never the applicant's choice).
MAJOR = "$major"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Choice(_Strict):
    value: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=100)
    label_en: str = ""


class FieldDef(_Strict):
    key: str = Field(pattern=KEY)
    type: Literal["text", "textarea", "number", "money", "date", "daterange", "person", "department", "choice",
                  "attachment", "table"]
    label: str = Field(min_length=1, max_length=100)
    label_en: str = Field(default="", max_length=100)
    help: str = Field(default="", max_length=300)
    required: bool = False
    choices: list[Choice] = Field(default_factory=list)
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = Field(default=None, ge=1, le=10000)
    # The money field that is the approval's amount (conditions say "$amount").
    amount: bool = False
    columns: list["FieldDef"] = Field(default_factory=list)
    # date: no day before today (a need-date, a start).
    not_past: bool = False
    # table: the money field that must equal the sum over the rows of the
    # product of each row's number and money columns (10 × ¥3,000 = ¥30,000).
    sum_into: str = ""


class Rule(_Strict):
    rule: Literal["dept_head", "head_of", "role", "people", "manager_chain", "chosen", "form_person", "param_owner"]
    department: str = ""  # head_of: the department's code; role: limit to holders in that department
    role: str = ""
    people: list[str] = Field(default_factory=list)  # usernames
    levels: int = Field(default=1, ge=1, le=10)  # manager_chain: 连续多级主管
    # form_person: the person field; head_of: a department field of the form;
    # param_owner: the field naming a policy parameter (its owner role reviews).
    field: str = ""


class Clause(_Strict):
    field: str = Field(min_length=1)  # a form field's key, "$amount" or "$department"
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "under"]
    value: Any = None
    # Compare with a policy parameter's value in force (the regulation's X).
    param: str = ""


class ApproveNode(_Strict):
    type: Literal["approve"]
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = ""
    mode: Literal["sequential", "all", "any"] = "any"
    approvers: list[Rule] = Field(min_length=1)
    when: list[Clause] = Field(default_factory=list)
    cc: list[Rule] = Field(default_factory=list)
    timeout_hours: int | None = Field(default=None, ge=1, le=2000)  # working hours; default: the parameter
    timeout_action: Literal["remind", "escalate", "approve", "reject"] = "escalate"
    batch: bool = False  # may be approved in bulk from the inbox


class CcNode(_Strict):
    type: Literal["cc"]
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = ""
    cc: list[Rule] = Field(min_length=1)
    when: list[Clause] = Field(default_factory=list)


class Branch(_Strict):
    name: str = Field(min_length=1, max_length=100)
    when: list[Clause] = Field(default_factory=list)  # empty: the default branch
    nodes: list["Node"] = Field(default_factory=list)


class BranchNode(_Strict):
    type: Literal["branch"]
    key: str = Field(pattern=KEY)
    branches: list[Branch] = Field(min_length=1)


Node = Annotated[ApproveNode | CcNode | BranchNode, Field(discriminator="type")]


class Settings(_Strict):
    # After a return: run again from the node returned to ("restart") or,
    # once that node approves, jump straight back to the node that returned
    # it ("jump").
    return_resume: Literal["restart", "jump"] = "restart"
    withdraw: Literal["before_first_approval", "until_end"] = "before_first_approval"
    # The applicant is one of a node's approvers: approve automatically
    # ("skip") or hand the slot to their manager ("manager").
    applicant_approver: Literal["skip", "manager"] = "manager"
    # An approver who already approved an earlier node is approved automatically (去重).
    dedupe: bool = True
    cc_end: list[Rule] = Field(default_factory=list)
    allow_emergency: bool = False


class Definition(_Strict):
    form: list[FieldDef] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    settings: Settings = Field(default_factory=Settings)


Branch.model_rebuild()
FieldDef.model_rebuild()


class DefinitionError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def definition_parse(raw: Any) -> Definition:
    """The definition as typed objects; DefinitionError listing every problem."""
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as error:
        raise DefinitionError([
            _("%(where)s: %(problem)s") % {"where": _where(e["loc"]) or _("definition"), "problem": e["msg"]}
            for e in error.errors()[:20]
        ]) from None
    problems = _meaning(definition)
    if problems:
        raise DefinitionError(problems)
    return definition


def _walk(nodes: list[Any]) -> list[Any]:
    out = []
    for node in nodes:
        out.append(node)
        if isinstance(node, BranchNode):
            for branch in node.branches:
                out.extend(_walk(branch.nodes))
    return out


def _meaning(d: Definition) -> list[str]:
    problems: list[str] = []
    fields = {f.key: f for f in d.form}
    if len(fields) != len(d.form):
        problems.append(_("Two form fields have the same key."))
    amounts = [f for f in d.form if f.amount]
    if len(amounts) > 1:
        problems.append(_("Only one field can be the approval's amount."))
    for f in d.form:
        if f.amount and f.type != "money":
            problems.append(_("Field “%(key)s”: the amount must be a money field.") % {"key": f.key})
        if f.type == "choice" and not f.choices:
            problems.append(_("Field “%(key)s”: a choice needs options.") % {"key": f.key})
        if f.type == "table":
            if not f.columns:
                problems.append(_("Field “%(key)s”: a table needs columns.") % {"key": f.key})
            for column in f.columns:
                if column.type in ("table", "attachment"):
                    problems.append(_("Field “%(key)s”: a table column cannot be a table or an attachment.")
                                    % {"key": f.key})
        if f.sum_into and (f.type != "table" or f.sum_into not in {g.key for g in d.form if g.type == "money"}):
            problems.append(_("Field “%(key)s”: sum_into names a money field of the form, on a table.")
                            % {"key": f.key})
        if f.not_past and f.type not in ("date", "daterange"):
            problems.append(_("Field “%(key)s”: not_past applies to dates.") % {"key": f.key})
        if f.min is not None and f.max is not None and f.min > f.max:
            problems.append(_("Field “%(key)s”: the minimum is above the maximum.") % {"key": f.key})
    nodes = _walk(d.nodes)
    keys = [n.key for n in nodes]
    if len(set(keys)) != len(keys):
        problems.append(_("Two nodes have the same key."))
    if "emergency" in keys:
        problems.append(_("The node key “emergency” is reserved."))
    if not any(isinstance(n, ApproveNode) for n in nodes):
        problems.append(_("A flow needs at least one approval node."))
    rules: list[tuple[str, Rule]] = [("settings.cc_end", r) for r in d.settings.cc_end]
    for node in nodes:
        if isinstance(node, ApproveNode):
            rules += [(node.key, r) for r in node.approvers] + [(node.key, r) for r in node.cc]
        elif isinstance(node, CcNode):
            rules += [(node.key, r) for r in node.cc]
        clauses = list(getattr(node, "when", []))
        if isinstance(node, BranchNode):
            for branch in node.branches:
                clauses += branch.when
            defaults = [b for b in node.branches if not b.when]
            if len(defaults) > 1 or (defaults and node.branches[-1].when):
                problems.append(_("Node “%(key)s”: only the last branch may have no condition (the default).")
                                % {"key": node.key})
        for clause in clauses:
            problems += _clause_problems(node.key, clause, fields)
    codes = {r.department for _k, r in rules if r.department}
    known_codes = set(Department.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
    usernames = {u for _k, r in rules for u in r.people}
    known_users = set(Person.objects.filter(username__in=usernames, is_active=True).values_list("username", flat=True))
    for key, rule in rules:
        where = {"key": key}
        if rule.rule == "head_of" and not rule.department and not rule.field:
            problems.append(_("Node “%(key)s”: name the department whose head approves.") % where)
        if rule.rule == "head_of" and rule.field and (rule.field not in fields or fields[rule.field].type != "department"):
            problems.append(_("Node “%(key)s”: “%(field)s” is not a department field of the form.")
                            % {**where, "field": rule.field})
        if rule.department and rule.department not in known_codes:
            problems.append(_("Node “%(key)s”: there is no active department with code “%(code)s”.")
                            % {**where, "code": rule.department})
        if rule.rule == "role" and rule.role not in ROLES:
            problems.append(_("Node “%(key)s”: “%(role)s” is not a role.") % {**where, "role": rule.role})
        if rule.rule == "people":
            if not rule.people:
                problems.append(_("Node “%(key)s”: name at least one person.") % where)
            for username in rule.people:
                if username not in known_users:
                    problems.append(_("Node “%(key)s”: no active person with username “%(u)s”.")
                                    % {**where, "u": username})
        if rule.rule == "form_person":
            field = fields.get(rule.field)
            if field is None or field.type != "person":
                problems.append(_("Node “%(key)s”: “%(field)s” is not a person field of the form.")
                                % {**where, "field": rule.field})
        if rule.rule == "param_owner" and (rule.field not in fields or fields[rule.field].type != "choice"):
            problems.append(_("Node “%(key)s”: “%(field)s” is not the form's choice of a policy parameter.")
                            % {**where, "field": rule.field})
        if rule.rule == "chosen" and key == "settings.cc_end":
            problems.append(_("The applicant cannot choose the people CC'd at the end."))
    return problems


def _clause_problems(node_key: str, clause: Clause, fields: dict[str, FieldDef]) -> list[str]:
    where = {"key": node_key, "field": clause.field}
    if clause.field == AMOUNT:
        if not any(f.amount for f in fields.values()):
            return [_("Node “%(key)s”: the condition uses $amount but no field is the amount.") % where]
    elif clause.field not in (APPLICANT_DEPARTMENT, MAJOR) and clause.field not in fields:
        return [_("Node “%(key)s”: the condition uses “%(field)s”, which is not a form field.") % where]
    if clause.param:
        definition = BY_KEY.get(clause.param)
        if definition is None:
            return [_("Node “%(key)s”: “%(param)s” is not a policy parameter.") % {**where, "param": clause.param}]
        if definition.type not in ("int", "decimal", "bool"):
            return [_("Node “%(key)s”: parameter “%(param)s” is not a number or a yes/no.")
                    % {**where, "param": clause.param}]
    elif clause.value is None:
        return [_("Node “%(key)s”: the condition on “%(field)s” needs a value or a parameter.") % where]
    if clause.op in ("in", "not_in") and not clause.param and not isinstance(clause.value, list):
        return [_("Node “%(key)s”: “%(op)s” needs a list of values.") % {**where, "op": clause.op}]
    if clause.field == MAJOR and (clause.op not in ("eq", "ne") or clause.value not in ("yes", "no")):
        return [_("Node “%(key)s”: $major is compared with “yes” or “no”.") % where]
    if clause.op == "under" and clause.field != APPLICANT_DEPARTMENT and fields[clause.field].type != "department":
        return [_("Node “%(key)s”: “under” applies to departments only.") % where]
    return []


# --- routing ---------------------------------------------------------------

class Facts:
    """What conditions look at: the form's values, the amount, the applicant's
    department (with its ancestors' codes for "under"), parameter values."""

    def __init__(self, *, data: dict[str, Any], amount: Decimal | None, department: Department | None,
                 fields: dict[str, FieldDef], parameters: dict[str, Any], major: bool = False):
        self.data, self.amount, self.department, self.fields = data, amount, department, fields
        self.parameters, self.major = parameters, major
        self._paths: dict[int, list[str]] = {}

    def value(self, field: str) -> Any:
        if field == AMOUNT:
            return self.amount
        if field == APPLICANT_DEPARTMENT:
            return self.department.code if self.department else None
        if field == MAJOR:
            return "yes" if self.major else "no"
        raw = self.data.get(field)
        if raw is None:
            return None
        if self.fields[field].type in ("money", "number"):
            return Decimal(str(raw))
        if self.fields[field].type == "department":
            return Department.objects.filter(pk=raw).values_list("code", flat=True).first()
        return raw

    def ancestors(self, code: str | None) -> list[str]:
        if not code:
            return []
        department = Department.objects.filter(code=code).first()
        if department is None:
            return [code]
        ids = [int(x) for x in department.path.strip("/").split("/") if x]
        return list(Department.objects.filter(pk__in=ids).values_list("code", flat=True))


def _coerce(value: Any, like: Any) -> Any:
    if isinstance(like, Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(like, date):
        return date.fromisoformat(str(value))
    if isinstance(like, bool):
        return value in (True, "true", "1", 1, "yes")
    return str(value) if not isinstance(value, list) else [str(v) for v in value]


def clause_holds(clause: Clause, facts: Facts) -> bool:
    actual = facts.value(clause.field)
    if actual is None:
        return clause.op in ("ne", "not_in")
    expected = facts.parameters[clause.param] if clause.param else clause.value
    if clause.op == "under":
        wanted = expected if isinstance(expected, list) else [expected]
        return bool(set(map(str, wanted)) & set(facts.ancestors(str(actual))))
    if clause.op in ("in", "not_in"):
        members = {str(v) for v in (expected if isinstance(expected, list) else [expected])}
        inside = str(actual) in members
        return inside if clause.op == "in" else not inside
    try:
        expected = _coerce(expected, actual)
    except ValueError:
        return False
    if expected is None:
        return False
    if clause.op == "eq":
        return bool(actual == expected)
    if clause.op == "ne":
        return bool(actual != expected)
    try:
        return bool({"gt": actual > expected, "gte": actual >= expected, "lt": actual < expected,
                     "lte": actual <= expected}[clause.op])
    except TypeError:
        return False


def needed_params(definition: Definition) -> list[str]:
    found = set()
    for node in _walk(definition.nodes):
        clauses = list(getattr(node, "when", []))
        if isinstance(node, BranchNode):
            for branch in node.branches:
                clauses += branch.when
        found |= {c.param for c in clauses if c.param}
    return sorted(found)


def route(definition: Definition, *, data: dict[str, Any], amount: Decimal | None,
          department: Department | None, major: bool = False) -> list[dict[str, Any]]:
    """The nodes an approval with this form walks, in order (APR-3): nodes
    whose conditions all hold, and in each branch node the first branch whose
    conditions hold. Parameters are read as in force now."""
    facts = Facts(data=data, amount=amount, department=department, fields={f.key: f for f in definition.form},
                  parameters=params(*needed_params(definition)), major=major)
    out: list[dict[str, Any]] = []

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            if isinstance(node, BranchNode):
                for branch in node.branches:
                    if all(clause_holds(c, facts) for c in branch.when):
                        walk(branch.nodes)
                        break
            elif all(clause_holds(c, facts) for c in node.when):
                out.append(node.model_dump(mode="json", exclude={"when"}))

    walk(definition.nodes)
    return out
