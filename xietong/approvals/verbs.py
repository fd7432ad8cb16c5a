"""What a person can do to an approval, one verb each (APR-4, APR-5): its
schema, shared by the page and the API, and its step, which calls the action
and says what happened. `views.py` and `api.py` give each its own URL and its
own endpoint (work/verbs.py); neither dispatches on a verb string. Applying,
resubmitting and approving in a batch have their own pages."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.org.models import Person
from xietong.work.verbs import Verb

from . import actions
from .forms import one_person, people_from
from .models import Approval
from .schemas import (
    ApprovalAddSignerIn,
    ApprovalDecisionIn,
    ApprovalReturnIn,
    ApprovalTransferIn,
    CcIn,
    NoteIn,
    ReviewIn,
)

# The page's field labels, for a refusal that names the fields.
LABELS = {
    "approver": gettext_lazy("Your step"), "comment": gettext_lazy("Comment"), "to": gettext_lazy("Return to"),
    "person": gettext_lazy("Someone else"), "where": gettext_lazy("where"), "note": gettext_lazy("Message"),
    "people": gettext_lazy("CC"), "confirm": gettext_lazy("Post-hoc review"),
}


def approve(me: Person, approval: Approval, data: ApprovalDecisionIn) -> str:
    actions.approval_approve(actor=me, approval=approval, approver_id=data.approver, comment=data.comment)
    return _("Approved.")


def reject(me: Person, approval: Approval, data: ApprovalDecisionIn) -> str:
    actions.approval_reject(actor=me, approval=approval, approver_id=data.approver, comment=data.comment)
    return _("Rejected.")


def return_(me: Person, approval: Approval, data: ApprovalReturnIn) -> str:
    actions.approval_return(actor=me, approval=approval, approver_id=data.approver, to=data.to,
                            comment=data.comment)
    return _("Returned.")


def transfer(me: Person, approval: Approval, data: ApprovalTransferIn) -> str:
    to = one_person(data.person, _("Name one person to hand it to."))
    actions.approval_transfer(actor=me, approval=approval, approver_id=data.approver, to=to, comment=data.comment)
    return _("Transferred to %(name)s.") % {"name": to.name}


def add_signer(me: Person, approval: Approval, data: ApprovalAddSignerIn) -> str:
    person = one_person(data.person, _("Name one person to add."))
    actions.approval_add_signer(actor=me, approval=approval, approver_id=data.approver, person=person,
                                where=data.where, comment=data.comment)
    return _("%(name)s is added to this step.") % {"name": person.name}


def withdraw(me: Person, approval: Approval, data: NoteIn) -> str:
    actions.approval_withdraw(actor=me, approval=approval, reason=data.note)
    return _("Withdrawn.")


def urge(me: Person, approval: Approval, data: NoteIn) -> str:
    n = actions.approval_urge(actor=me, approval=approval, note=data.note)
    return _("Urged %(n)s approver(s).") % {"n": n}


def cc(me: Person, approval: Approval, data: CcIn) -> str:
    fresh = actions.approval_cc(actor=me, approval=approval, people=people_from(",".join(data.people)))
    return _("CC'd %(n)s person(s).") % {"n": len(fresh)}


def review(me: Person, approval: Approval, data: ReviewIn) -> str:
    actions.approval_review(actor=me, approval=approval, confirm=data.confirm, comment=data.comment)
    return _("Your review is recorded.")


VERBS = (
    Verb("approve", ApprovalDecisionIn, approve, "Approve one's pending step (APR-4)"),
    Verb("reject", ApprovalDecisionIn, reject, "Reject, with a reason: the approval ends rejected (APR-4)"),
    Verb("return", ApprovalReturnIn, return_, "Return (退回) to the applicant or an earlier node, with a reason (APR-4)"),
    Verb("transfer", ApprovalTransferIn, transfer, "Transfer (转交) one's pending step to someone else (APR-4)"),
    Verb("add-signer", ApprovalAddSignerIn, add_signer, "Add a signer (加签) before, after or beside oneself (APR-4)"),
    Verb("withdraw", NoteIn, withdraw, "The applicant withdraws (撤回) (APR-4)"),
    Verb("urge", NoteIn, urge, "The applicant urges (催办) everyone the approval waits for (APR-4)"),
    Verb("cc", CcIn, cc, "CC (抄送) people of the company (APR-4)"),
    Verb("review", ReviewIn, review, "Post-hoc review of an emergency decision: confirm, or object with a "
                                     "comment (APR-5)"),
)
