from datetime import date, datetime
from typing import Literal

from ninja import Schema


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
    to_department: int
    title: str
    reason: str = ""
    expected_result: str = ""
    requested_date: date | None = None
    priority: int = 2
    service: int | None = None
    from_department: int | None = None
    parent: int | None = None


class ActIn(Schema):
    action: Literal["accept", "decline", "propose_date", "accept_date", "dispute_date", "update", "complete",
                    "confirm", "reopen", "withdraw", "escalate", "rule"]
    owner: int | None = None  # accept
    new_date: date | None = None  # accept (counter-proposal), propose_date
    reason: str = ""  # decline, propose_date, reopen, withdraw, escalate, accept with another date
    note: str = ""  # accept_date / dispute_date, update (the progress text), complete (the result), rule
    percent: int | None = None  # update
    rating: int | None = None  # confirm
    for_requester: bool | None = None  # rule


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
    title: str
    content: str = ""
    process: str = ""
    standard: str = ""
    responsibility: str = ""
    partners: list[int] = []
    offered: bool = False
    response_working_hours: int | None = None
    delivery_working_days: int | None = None
