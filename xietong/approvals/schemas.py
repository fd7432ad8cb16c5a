import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints, field_validator

from xietong.inputs import MAX_ID, Line, ShortText, Text
from xietong.org.schemas import PersonRef

Username = Annotated[str, StringConstraints(max_length=64)]
Key = Annotated[str, StringConstraints(max_length=50)]
ApproverId = Annotated[int, Field(ge=1, le=MAX_ID)]


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
    model_config = ConfigDict(extra="forbid")
    key: Key
    name: Annotated[str, StringConstraints(max_length=100)]
    name_en: Annotated[str, StringConstraints(max_length=100)] = ""
    category: Literal["purchase", "expense", "resource", "policy", "general"] = "general"
    description: Text = ""
    admin: Username = ""  # username
    definition: dict[str, Any]


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    definition: dict[str, Any]
    note: Annotated[str, StringConstraints(max_length=300)] = ""


class VersionOut(Schema):
    template: str = Field(..., alias="template.key")
    number: int
    state: str
    note: str
    created_at: datetime


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class PreviewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    definition: dict[str, Any] | None = None  # default: the latest version's
    applicant: Username = ""  # username; default: me
    data: dict[str, Any] = {}


class RouteNodeOut(Schema):
    key: str
    name: str
    type: str
    people: list[PersonRef]
    why: list[str]


class EmergencyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    leader: Username  # username
    members: list[Username] = Field([], max_length=20)
    reason: ShortText


Chosen = dict[Key, Annotated[list[Username], Field(max_length=20)]]


class SubmitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    template: Key
    title: Line = ""
    data: dict[str, Any]
    chosen: Chosen = {}  # node key -> usernames
    emergency: EmergencyIn | None = None


class ResubmitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: Line = ""
    data: dict[str, Any]
    chosen: Chosen = {}


Comment = Annotated[str, StringConstraints(max_length=2000)]


class ApprovalDecisionIn(Schema):  # approve, reject
    model_config = ConfigDict(extra="forbid")
    approver: ApproverId  # the pending approver row (see `steps[].approvers[].id`)
    comment: Comment = ""


class ApprovalReturnIn(ApprovalDecisionIn):
    to: Annotated[str, StringConstraints(max_length=20)] = "applicant"  # "applicant" or an earlier node's index


class ApprovalTransferIn(ApprovalDecisionIn):
    person: Username  # username or full name


class ApprovalAddSignerIn(ApprovalTransferIn):
    where: Literal["before", "after", "parallel"] = "before"


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    confirm: bool
    comment: Comment = ""


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: ShortText = ""


class CcIn(Schema):
    model_config = ConfigDict(extra="forbid")
    # usernames or full names; the page's one field may hold several, separated by commas
    people: list[Username] = Field(..., min_length=1, max_length=50)

    @field_validator("people", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [t for v in value for t in re.split(r"[,，、\s]+", str(v)) if t]
        return value


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
    # The record another module submitted for approval ("<app_label>.<model>", its id), or "".
    subject_type: str = ""
    subject_id: str = ""


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
    model_config = ConfigDict(extra="forbid")
    approvers: list[ApproverId] = Field(..., min_length=1, max_length=200)
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class BatchOut(Schema):
    approved: int
    problems: list[str]
