from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Schema


class PersonRef(Schema):
    id: int
    name: str


class TaskOut(Schema):
    id: int
    kind: str
    module: str
    title: str
    subject_type: str
    subject_id: str
    url: str
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

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return obj.link

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return obj.state == "open" and obj.due_at is not None and obj.due_at < timezone.now()


class CountsOut(Schema):
    todo: int
    overdue: int
    unread: int


class CompleteIn(Schema):
    outcome: str = ""
    note: str = ""


class UrgeIn(Schema):
    note: str = ""


class BulkIn(Schema):
    ids: list[int]
    outcome: str = ""


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
    ids: list[int] | None = None


class CommentIn(Schema):
    body: str


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
