from datetime import date, datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from xietong.inputs import MAX_ID, Id, Line, Text

Priority = Annotated[int, Field(ge=1, le=4)]


class Ref(Schema):
    id: int
    name: str


class RequestOut(Schema):
    id: int
    serial: str
    title: str
    state: str
    from_department: Ref
    to_department: Ref
    requester: Ref
    liaison: Ref | None
    owner: Ref | None
    service: int | None
    parent: int | None
    priority: int
    requested_date: date | None
    due_at: datetime
    created_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    confirmed_at: datetime | None
    on_time: bool | None
    rating: int | None


class ProposalOut(Schema):
    id: int
    kind: str
    state: str
    proposed_by: Ref
    old_due_at: datetime
    new_due_at: datetime
    reason: str
    decision_note: str


class UpdateOut(Schema):
    author: Ref
    body: str
    percent: int | None
    created_at: datetime


class RequestDetailOut(RequestOut):
    reason: str
    expected_result: str
    decline_reason: str
    result: str
    rating_comment: str
    must_accept: bool
    auto_confirmed: bool
    reopen_count: int
    proposals: list[ProposalOut]
    updates: list[UpdateOut]
    children: list[int]


class RequestIn(Schema):
    model_config = ConfigDict(extra="forbid")
    to_department: Id
    title: Line
    reason: Text = ""
    expected_result: Text = ""
    requested_date: date | None = None
    priority: Priority = 2
    service: Id | None = None
    from_department: Id | None = None
    parent: Id | None = None


class LinkOut(Schema):
    source: str
    target: str
    source_name: str
    target_name: str
    count: int
    open: int
    median_response_hours: float | None
    on_time_rate: float | None
    rating: float | None
    rated: int


class NodeOut(Schema):
    id: str
    name: str
    volume: int


class MapOut(Schema):
    start: date
    end: date
    nodes: list[NodeOut]
    links: list[LinkOut]


class DutyOut(Schema):
    id: int
    department: int
    title: str
    content: str
    process: str
    standard: str
    responsibility: str
    partners: list[int]
    offered: bool
    response_working_hours: int | None
    delivery_working_days: int | None
    is_active: bool


class DutyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: Line
    content: Text = ""
    process: Text = ""
    standard: Text = ""
    responsibility: Text = ""
    partners: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field([], max_length=100)
    offered: bool = False
    response_working_hours: Annotated[int, Field(ge=1, le=2000)] | None = None
    delivery_working_days: Annotated[int, Field(ge=1, le=250)] | None = None


# --- one schema per verb, shared by the page (inputs.parse_form) and the API ---

class AcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")
    owner: Id | None = None
    new_date: date | None = None  # a counter-proposal
    reason: Text = ""  # why another date


class ReasonIn(Schema):
    """Decline, reopen, withdraw, escalate: a reason."""
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""


class ProposeDateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    new_date: date | None = None
    reason: Text = ""


class DecideDateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    accept: bool
    note: Text = ""


class ProgressIn(Schema):
    model_config = ConfigDict(extra="forbid")
    body: Text = ""
    percent: Annotated[int, Field(ge=0, le=100)] | None = None


class ResultIn(Schema):
    model_config = ConfigDict(extra="forbid")
    result: Text = ""


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    comment: Text = ""


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    for_requester: bool
    note: Text = ""
