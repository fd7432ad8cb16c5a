"""What a person can do to a request, one verb each (REQ-2..4): its schema,
shared by the page and the API, and its step, which calls the action and
says what happened. `views.py` and `api.py` give each its own URL and its
own endpoint; neither dispatches on a verb string."""


from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.errors import DomainError
from xietong.org.models import Person
from xietong.work.verbs import Verb

from . import actions
from .models import Request
from .schemas import (
    AcceptIn,
    ConfirmIn,
    DecideDateIn,
    ProgressIn,
    ProposeDateIn,
    ReasonIn,
    ResultIn,
    RuleIn,
)

# The page's field labels, for a refusal that names the fields.
LABELS = {
    "owner": gettext_lazy("Owner"), "new_date": gettext_lazy("Proposed date"), "reason": gettext_lazy("Reason"),
    "accept": gettext_lazy("Decision"), "note": gettext_lazy("Comment"), "body": gettext_lazy("Progress"),
    "percent": gettext_lazy("Progress"), "result": gettext_lazy("Result"), "rating": gettext_lazy("Rating"),
    "comment": gettext_lazy("Comment"), "for_requester": gettext_lazy("Ruling"),
}


def accept(me: Person, r: Request, data: AcceptIn) -> str:
    owner = Person.objects.filter(pk=data.owner or 0).first()
    if owner is None:
        raise DomainError(_("Choose the owner."), code="owner_required")
    actions.request_accept(actor=me, request=r, owner=owner, new_date=data.new_date, reason=data.reason)
    return _("Accepted. %(name)s owns it now.") % {"name": owner.name}


def decline(me: Person, r: Request, data: ReasonIn) -> str:
    actions.request_decline(actor=me, request=r, reason=data.reason)
    return _("Declined.")


def propose_date(me: Person, r: Request, data: ProposeDateIn) -> str:
    if data.new_date is None:
        raise DomainError(_("Give the new date you can meet."), code="date_required")
    actions.request_propose_date(actor=me, request=r, new_date=data.new_date, reason=data.reason)
    return _("Your delay notice and new date were sent to the requester.")


def decide_date(me: Person, r: Request, data: DecideDateIn) -> str:
    actions.request_decide_date(actor=me, request=r, accept=data.accept, note=data.note)
    return _("New date agreed.") if data.accept else _("Disputed: the coordination office will rule.")


def progress(me: Person, r: Request, data: ProgressIn) -> str:
    actions.request_update(actor=me, request=r, body=data.body, percent=data.percent)
    return _("Progress recorded.")


def complete(me: Person, r: Request, data: ResultIn) -> str:
    actions.request_complete(actor=me, request=r, result=data.result)
    return _("Completed. The requester is asked to confirm.")


def confirm(me: Person, r: Request, data: ConfirmIn) -> str:
    actions.request_confirm(actor=me, request=r, rating=data.rating, comment=data.comment)
    return _("Thank you: confirmed and rated.")


def reopen(me: Person, r: Request, data: ReasonIn) -> str:
    actions.request_reopen(actor=me, request=r, reason=data.reason)
    return _("Reopened: back to the owner.")


def withdraw(me: Person, r: Request, data: ReasonIn) -> str:
    actions.request_withdraw(actor=me, request=r, reason=data.reason)
    return _("Withdrawn.")


def escalate(me: Person, r: Request, data: ReasonIn) -> str:
    actions.request_escalate(actor=me, request=r, reason=data.reason)
    return _("Sent to the coordination office for a ruling.")


def rule(me: Person, r: Request, data: RuleIn) -> str:
    actions.request_rule(actor=me, request=r, for_requester=data.for_requester, note=data.note)
    return _("Ruling recorded.")


VERBS = (
    Verb("accept", AcceptIn, accept, "Accept, naming the owner; optionally propose another date (REQ-2)"),
    Verb("decline", ReasonIn, decline, "Decline with a reason (REQ-2)"),
    Verb("propose-date", ProposeDateIn, propose_date, "Give notice of delay with a new date, before the due time"),
    Verb("decide-date", DecideDateIn, decide_date, "The requester accepts or disputes a proposed new date"),
    Verb("progress", ProgressIn, progress, "Report progress (%)"),
    Verb("complete", ResultIn, complete, "Complete with the result (REQ-3)"),
    Verb("confirm", ConfirmIn, confirm, "The requester confirms and rates 1–5 (REQ-3)"),
    Verb("reopen", ReasonIn, reopen, "The requester reopens: something is missing"),
    Verb("withdraw", ReasonIn, withdraw, "The requester withdraws"),
    Verb("escalate", ReasonIn, escalate, "Ask the coordination office to rule on a decline (REQ-4)"),
    Verb("rule", RuleIn, rule, "The coordination office rules (REQ-4)"),
)
