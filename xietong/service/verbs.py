"""What customer service and the handling departments do to a case, one verb
each (CS-1..3): its schema, shared by the page and the API, and its step.
`views.py` and `api.py` give each its own URL and endpoint."""

from collections.abc import Sequence
from typing import Annotated

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import ConfigDict

from xietong.errors import DomainError
from xietong.inputs import MAX_ID, Id, Text
from xietong.org.models import Department, Person
from xietong.work.verbs import Verb

from . import actions
from .models import Case

Ids = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=20)]

# The page's field labels, for a refusal that names the fields.
LABELS = {
    "answer": gettext_lazy("answer to the customer"), "departments": gettext_lazy("Departments"),
    "instructions": gettext_lazy("what to do"), "department": gettext_lazy("Department"),
    "result": gettext_lazy("Result for customer service"), "to": gettext_lazy("Ask another department to help"),
    "note": gettext_lazy("What you need"), "satisfied": gettext_lazy("satisfaction"),
    "satisfaction": gettext_lazy("satisfaction"), "words": gettext_lazy("customer's words"),
    "important": gettext_lazy("important feedback"), "complaint": gettext_lazy("complaint"),
}


class SolveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    answer: Text = ""


class PassIn(Schema):
    model_config = ConfigDict(extra="forbid")
    departments: Ids = []
    instructions: Text = ""


class ReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    result: Text = ""
    department: Id | None = None  # which of my departments' assignments (when I hold several)


class ForwardIn(Schema):
    model_config = ConfigDict(extra="forbid")
    to: Id | None = None  # the department asked to help
    note: Text = ""
    department: Id | None = None  # from which of my departments' assignments


class ConfirmCaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    satisfied: bool
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    words: Text = ""  # the customer's words (not satisfied)
    answer: Text = ""
    departments: Ids = []  # not satisfied: other departments too


class FlagIn(Schema):
    model_config = ConfigDict(extra="forbid")
    important: bool = False
    complaint: bool = False


def departments_of(ids: Sequence[int]) -> list[Department]:
    """The active departments with these ids (the API's and the pages'
    department lists); an id that names none is refused."""
    found = list(Department.objects.filter(pk__in=list(ids), is_active=True))
    if len(found) != len(set(ids)):
        raise DomainError(_("Unknown department."), code="unknown_department")
    return found


def solve(me: Person, case: Case, data: SolveIn) -> str:
    actions.case_solve(actor=me, case=case, answer=data.answer)
    return _("Closed: answered by customer service.")


def pass_(me: Person, case: Case, data: PassIn) -> str:
    actions.case_pass(actor=me, case=case, departments=departments_of(data.departments), instructions=data.instructions)
    return _("Passed to the departments.")


def return_(me: Person, case: Case, data: ReturnIn) -> str:
    actions.case_return(actor=me, case=case, result=data.result, department=data.department)
    return _("Result returned to customer service.")


def forward(me: Person, case: Case, data: ForwardIn) -> str:
    target = Department.objects.filter(pk=data.to or 0, is_active=True).first()
    if target is None:
        raise DomainError(_("Choose the department to ask."), code="department_required")
    actions.case_forward(actor=me, case=case, department=target, note=data.note, from_department=data.department)
    return _("%(department)s is asked to help.") % {"department": target.name}


def confirm(me: Person, case: Case, data: ConfirmCaseIn) -> str:
    actions.case_confirm(actor=me, case=case, satisfied=data.satisfied, satisfaction=data.satisfaction,
                         words=data.words, answer=data.answer, departments=departments_of(data.departments))
    return _("Closed.") if data.satisfied else _("Sent back to the departments.")


def flag(me: Person, case: Case, data: FlagIn) -> str:
    actions.case_flag(actor=me, case=case, important=data.important, complaint=data.complaint)
    return _("Saved.")


VERBS = (
    Verb("solve", SolveIn, solve, "Customer service answers and closes the case (CS-1)"),
    Verb("pass", PassIn, pass_, "Pass the case to the departments concerned (CS-1)"),
    Verb("return", ReturnIn, return_, "A handling department returns its result (CS-2)"),
    Verb("forward", ForwardIn, forward, "A handling department asks another to help (CS-2)"),
    Verb("confirm", ConfirmCaseIn, confirm, "Customer service records the customer's verdict (CS-3)"),
    Verb("flag", FlagIn, flag, "Mark important feedback or a complaint (CS-3)"),
)
