from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from xietong.apikit import Out
from xietong.inputs import MAX_ID, ShortText, Text
from xietong.org.schemas import PersonRef

ModuleKey = Annotated[str, StringConstraints(max_length=24)]
KindKey = Annotated[str, StringConstraints(max_length=48)]


class TaskOut(Out):
    id: int
    kind: str
    module: str
    title: str
    subject_type: str
    subject_id: str
    url: str = Field(validation_alias="link")  # where the task is done
    state: str
    outcome: str
    priority: int
    assignee: PersonRef | None
    delegated_from: PersonRef | None
    assignee_role: str
    assignee_department_id: int | None
    requester: PersonRef | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    escalation_level: int
    urge_count: int
    completed_at: datetime | None
    parent_id: int | None


class CountsOut(Schema):
    todo: int
    overdue: int
    unread: int


class CompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    outcome: Annotated[str, StringConstraints(max_length=32)] = ""
    note: Text = ""


class UrgeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: ShortText = ""


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: ShortText = ""


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=200)
    outcome: Annotated[str, StringConstraints(max_length=32)] = ""


class BulkOut(Schema):
    completed: int
    problems: list[str]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    """Either the ids to mark read, or all: true — never both, never neither."""
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, max_length=1000)
    all: bool = False


class ReadOut(Schema):
    marked: int


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(max_length=5000)]


class CommentOut(Schema):
    id: int
    author: PersonRef
    body: str
    created_at: datetime


class EventOut(Schema):
    seq: int
    at: datetime
    actor: PersonRef | None
    verb: str
    before: dict | list | None
    after: dict | list | None
    note: str
