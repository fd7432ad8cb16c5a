"""The sign-in backend: Django's ModelBackend (passwords, permissions), with
the signed-in person read on every page by a prepared statement
(xietong.prepared) instead of a query the ORM builds each time."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from xietong.org.models import Person
from xietong.prepared import Slot, prepared

_PERSON = prepared(lambda pk: Person.objects.filter(pk=Slot("pk"))[:1])


class PersonBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Person | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        person = _PERSON.first(pk=pk)
        return person if person is not None and self.user_can_authenticate(person) else None
