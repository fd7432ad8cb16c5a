"""A record's history as a given person may see it (KER-4, seed 000 §6).

    for e in history_shown(viewer, person_record): e.verb, e.before, e.after

The trail stores what happened in full (it is hashed as stored); what is
shown is masked for whoever may not see the record's personal data: a
person's phone and e-mail reach HR and the person, and appear as
138****5678 / l***@example.com to an auditor or an administrator reading
history. Pages, the API and PDFs all read history through here.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from xietong.personal import mask_value
from xietong.platform.manifest import SUBJECTS

from .models import Event
from .trail import Subject, canonical_json, history_for, subject_key

if TYPE_CHECKING:
    from xietong.org.models import Person


@dataclass(frozen=True)
class ShownEvent:
    seq: int
    at: datetime
    actor: "Person | None"
    on_behalf_of: "Person | None"
    verb: str
    note: str
    before: Any
    after: Any

    @property
    def before_json(self) -> str:
        return canonical_json(self.before)

    @property
    def after_json(self) -> str:
        return canonical_json(self.after)


def _masked(data: Any, fields: frozenset[str]) -> Any:
    if not fields or not isinstance(data, dict):
        return data
    return {key: mask_value(key, value) if key in fields else value for key, value in data.items()}


def personal_fields_hidden(viewer: "Person", subject_type: str, subject_id: str) -> frozenset[str]:
    spec = SUBJECTS.get(subject_type)
    if spec is None or not spec.personal_fields:
        return frozenset()
    if spec.sees_personal is not None and spec.sees_personal(viewer, subject_id):
        return frozenset()
    return frozenset(spec.personal_fields)


def history_shown(viewer: "Person", subject: Subject, *, limit: int | None = None) -> list[ShownEvent]:
    subject_type, subject_id = subject_key(subject)
    hidden = personal_fields_hidden(viewer, subject_type, subject_id)
    events = history_for(subject)
    rows: list[Event] = list(events[:limit] if limit else events)
    return [ShownEvent(seq=e.seq, at=e.at, actor=e.actor, on_behalf_of=e.on_behalf_of, verb=e.verb, note=e.note,
                       before=_masked(json.loads(e.before_json), hidden), after=_masked(json.loads(e.after_json),
                                                                                     hidden))
            for e in rows]
