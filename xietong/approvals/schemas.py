from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema


class TemplateOut(Schema):
    key: str
    name: str
    name_en: str
    category: str
    version: int | None = Field(None, alias="current_version.number")
    builtin: bool


class TemplateDetailOut(TemplateOut):
    definition: dict[str, Any] | None


class TemplateIn(Schema):
    key: str
    name: str
    name_en: str = ""
    category: str = "general"
    description: str = ""
    admin: str = ""  # username
    definition: dict[str, Any]


class VersionIn(Schema):
    definition: dict[str, Any]
    note: str = ""


class VersionOut(Schema):
    template: str = Field(..., alias="template.key")
    number: int
    state: str
    note: str
    created_at: datetime


class PublishIn(Schema):
    reason: str
    major: bool = False


class PreviewIn(Schema):
    definition: dict[str, Any] | None = None  # default: the latest version's
    applicant: str = ""  # username; default: me
    data: dict[str, Any] = {}


class PersonRef(Schema):
    id: int
    name: str


class RouteNodeOut(Schema):
    key: str
    name: str
    type: str
    people: list[PersonRef]
    why: list[str]


class EmergencyIn(Schema):
    leader: str  # username
    members: list[str] = []
    reason: str


class SubmitIn(Schema):
    template: str
    title: str = ""
    data: dict[str, Any]
    chosen: dict[str, list[str]] = {}  # node key -> usernames
    emergency: EmergencyIn | None = None


class ResubmitIn(Schema):
    title: str = ""
    data: dict[str, Any]
    chosen: dict[str, list[str]] = {}


class ActIn(Schema):
    action: Literal["approve", "reject", "return", "transfer", "add_signer"]
    approver: int  # the pending approver row (see `steps[].approvers[].id`)
    comment: str = ""
    to: str = "applicant"  # return: "applicant" or an earlier node's index
    person: str = ""  # transfer / add_signer: username
    where: Literal["before", "after", "parallel"] = "before"


class NoteIn(Schema):
    note: str = ""


class CcIn(Schema):
    people: list[str]


class ApproverOut(Schema):
    id: int
    person: PersonRef
    state: str
    origin: str
    acted_by: PersonRef | None
    on_behalf_of: PersonRef | None
    acted_at: datetime | None
    comment: str
    due_at: datetime | None


class StepOut(Schema):
    id: int
    round: int
    index: int
    node_key: str
    name: str
    kind: str
    mode: str
    state: str
    superseded: bool
    why: list[str]
    approvers: list[ApproverOut]


class ApprovalOut(Schema):
    id: int
    serial: str
    template: str
    version: int
    title: str
    applicant: PersonRef
    state: str
    emergency: bool
    amount: Decimal | None
    submitted_at: datetime
    finished_at: datetime | None


class ApprovalDetailOut(ApprovalOut):
    data: dict[str, Any]
    route: list[str]
    current: int
    steps: list[StepOut]


class PendingOut(Schema):
    approver: int
    approval: ApprovalOut
    step: str
    batch: bool
    due_at: datetime | None


class BatchIn(Schema):
    approvers: list[int]
    comment: str = ""


class BatchOut(Schema):
    approved: int
    problems: list[str]
