"""Sessions in the database, as Django's `db` engine keeps them, read by a
prepared statement (xietong.prepared): the session is read on every page,
and the ORM spent longer building its query than the database answering."""

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.contrib.sessions.models import Session
from django.db.models import DateTimeField
from django.utils import timezone

from xietong.prepared import Slot, prepared

_LIVE = prepared(lambda key, now: Session.objects.filter(
    session_key=Slot("key"), expire_date__gt=Slot("now", DateTimeField()))[:1])


class SessionStore(DbSessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _LIVE.first(key=self.session_key, now=timezone.now()) if self.session_key else None
        if found is None:
            self._session_key = None
        return found
