"""The policy in force — every parameter value with its effective time, the
working calendar's years and days — read once per change instead of once
per call.

A database trigger gives `policy_state.token` a new random value whenever
any statement writes parameters, calendar days or calendar years (bulk
writes, raw SQL and TRUNCATE included). Each process keeps the snapshot of
the last token it saw; a call reads the token (one tiny query, once per
request or job: `xietong.memo`) and rebuilds the snapshot only when it
changed. A token is random, so a rolled-back change never names data that
another change later commits. With no token row (a freshly flushed
database), nothing is kept and every call reads the tables."""

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection

from xietong import memo

from .models import CalendarDay, CalendarYear, ParameterValue

MEMO_KEY = "policy.token"


@dataclass
class Snapshot:
    token: str
    # key -> [(effective_from, id, stored JSON value)], oldest first
    values: dict[str, list[tuple[datetime, int, Any]]] = field(default_factory=dict)
    # year -> its exception days, for every opened year
    years: dict[int, dict[date, str]] = field(default_factory=dict)

    def value_at(self, key: str, at: datetime) -> tuple[bool, Any]:
        """(found, stored value) of `key` in force at `at`; a list or mapping
        is a copy, so no caller can change the snapshot."""
        found, value = False, None
        for since, _pk, stored in self.values.get(key, ()):
            if since > at:
                break
            found, value = True, stored
        return found, copy.deepcopy(value) if isinstance(value, list | dict) else value


_CURRENT: dict[str, Snapshot] = {}  # this process's last snapshot, by database alias


def _token() -> str:
    def read() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT token FROM policy_state WHERE id = 1")
            row = cursor.fetchone()
        return str(row[0]) if row else ""

    return memo.remembered((MEMO_KEY, connection.alias), read)


def _build(token: str) -> Snapshot:
    snapshot = Snapshot(token=token)
    for key, since, pk, value in ParameterValue.objects.order_by("key", "effective_from", "id").values_list(
            "key", "effective_from", "id", "value"):
        snapshot.values.setdefault(key, []).append((since, pk, value))
    snapshot.years = {year: {} for year in CalendarYear.objects.values_list("year", flat=True)}
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        snapshot.years.setdefault(day.year, {})[day] = kind
    return snapshot


def current() -> Snapshot | None:
    """The policy in force now, or None when there is no token to trust."""
    token = _token()
    if not token:
        return None
    snapshot = _CURRENT.get(connection.alias)
    if snapshot is None or snapshot.token != token:
        snapshot = _CURRENT[connection.alias] = _build(token)
    return snapshot


def changed() -> None:
    """This request wrote policy: read the token again (the trigger changed it)."""
    memo.forget(lambda key: isinstance(key, tuple) and bool(key) and key[0] == MEMO_KEY)
