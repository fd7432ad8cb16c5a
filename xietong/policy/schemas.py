from datetime import date, datetime
from typing import Any

from ninja import Schema


class ParameterOut(Schema):
    key: str
    spec: str
    clause: str
    type: str
    unit: str
    default: Any
    value: Any
    description_zh: str
    description_en: str


class InstantOut(Schema):
    start: datetime
    result: datetime


class DurationOut(Schema):
    start: datetime
    end: datetime
    working_hours: float


class DayOut(Schema):
    date: date
    is_working_day: bool
