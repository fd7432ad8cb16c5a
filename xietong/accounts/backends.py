"""The sign-in backend: Django's ModelBackend (passwords, permissions), with
the signed-in person read on every page by one fixed statement that brings
their principal's facts too (org.principal.with_facts_sql): one round trip
where the ORM's read of the person and the facts' read were two."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from xietong.org.models import Person
from xietong.org.principal import PERSON_COLUMNS, read_with_facts, with_facts_sql

_PERSON_SQL = with_facts_sql(f"SELECT {PERSON_COLUMNS}, NULL FROM org_person p WHERE p.id = %(pk)s")  # noqa: S608


class PersonBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Person | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not -2**63 <= pk < 2**63:  # beyond any id: nobody, not a database error
            return None
        found = read_with_facts(_PERSON_SQL, {"pk": pk}, now=timezone.now())
        if found is None:
            return None
        person, _extra = found
        return person if self.user_can_authenticate(person) else None
