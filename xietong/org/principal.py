"""Who is asking: the signed-in person with their roles, departments and
delegations, loaded once per request and handed to every permission gate,
navigation rule and query (`principal_of(request)`).

Each part is read on first use and kept, so a page that needs only the
roles pays one query for them however many gates ask.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import Person, Role

# (tag, person, text, department), for :me at :now. r: a role held by :me or by someone who
# delegates to them now (ORG-5); m: a membership, with its department's path; d: someone who
# delegates to :me now; h: a department :me heads. Checked against the models by the tests.
FACTS_SQL = """
SELECT 'r', person_id, role, department_id FROM org_roleassignment
 WHERE person_id = %(me)s OR person_id IN (
   SELECT principal_id FROM org_delegation WHERE delegate_id = %(me)s AND cancelled_at IS NULL
      AND starts_at <= %(now)s AND ends_at > %(now)s)
UNION ALL
SELECT 'm', m.person_id, d.path, m.department_id FROM org_membership m
  JOIN org_department d ON d.id = m.department_id WHERE m.person_id = %(me)s
UNION ALL
SELECT 'd', principal_id, '', NULL FROM org_delegation WHERE delegate_id = %(me)s AND cancelled_at IS NULL
   AND starts_at <= %(now)s AND ends_at > %(now)s
UNION ALL
SELECT 'h', head_id, path, id FROM org_department WHERE head_id = %(me)s AND is_active = %(yes)s
"""


# The person's columns, named (not p.*): a prepared statement's result may not
# change shape when a migration adds a column while the servers run.
_PERSON_FIELDS = Person._meta.concrete_fields
PERSON_COLUMNS = ", ".join(f'p."{f.column}"' for f in _PERSON_FIELDS)


def with_facts_sql(me: str) -> str:
    """One statement that reads a person and their principal's facts: `me`
    selects `PERSON_COLUMNS` of `org_person p` and one more column of the
    caller's (the API token's id to note its use, or NULL), at most one row.
    Its rows: ('p', NULL × 3, the person's columns…, the extra) once, then
    (tag, person, text, department, NULL…) for each fact (`FACTS_SQL`)."""
    nulls = ", ".join(["NULL"] * (len(_PERSON_FIELDS) + 1))
    facts = FACTS_SQL.replace("%(me)s", "(SELECT id FROM me)")
    return (f"WITH me AS ({me})\nSELECT 'p', NULL, NULL, NULL, me.* FROM me\n"
            f"UNION ALL\nSELECT f.*, {nulls} FROM ({facts}) f")


def read_with_facts(sql: str, params: dict[str, Any], *, now: datetime) -> tuple[Person, Any] | None:
    """Run a `with_facts_sql` statement (its params with `yes` and `now` for
    the facts): the person with their principal made (`Principal.of` finds
    it), and the extra column; None when no one was found."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "yes": True, "now": adapt(now)})
        rows = cursor.fetchall()
    found = [row for row in rows if row[0] == "p"]
    if not found:
        return None
    person = _person_from(found[0][4:-1])
    Principal.with_facts(person, [row[:4] for row in rows if row[0] != "p"], now)
    return person, found[0][-1]


def _person_from(values: Any) -> Person:
    """A Person from its columns as the database returned them, converted as
    the ORM converts them (SQLite's datetimes are text)."""
    converted = list(values)
    for i, col, converters in _person_converters():
        for convert in converters:
            converted[i] = convert(converted[i], col, connection)
    return Person.from_db(connection.alias, [f.attname for f in _PERSON_FIELDS], converted)


def _person_converters() -> list[tuple[int, Any, list[Any]]]:
    """(position, column, converters) of the person's columns that need any,
    worked out once per connection rather than on every request."""
    found = getattr(connection, "_xt_person_converters", None)
    if found is None:
        found = []
        for i, f in enumerate(_PERSON_FIELDS):
            col = f.get_col(Person._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                found.append((i, col, converters))
        connection._xt_person_converters = found  # type: ignore[attr-defined]
    return found


def _facts_of(rows: Any) -> tuple[list[tuple[int, str, int | None]], list[tuple[int, str]], frozenset[int],
                                  frozenset[int]]:
    role_rows: list[tuple[int, str, int | None]] = []
    member_rows: list[tuple[int, str]] = []
    principals: set[int] = set()
    heads: set[int] = set()
    for tag, person_id, text, department_id in rows:
        if tag == "r":
            role_rows.append((person_id, text, department_id))
        elif tag == "m":
            member_rows.append((department_id, text))
        elif tag == "d":
            principals.add(person_id)
        else:
            heads.add(department_id)
    return role_rows, member_rows, frozenset(principals), frozenset(heads)


@dataclass(eq=False)
class Principal:
    person: Person
    now: datetime = field(default_factory=timezone.now)

    @classmethod
    def of(cls, person: Person) -> "Principal":
        """The principal of this person object, made once and kept on it: a
        request's `request.user` is one object, so every gate, query and
        navigation rule of the request shares one. Actions that change a
        person's roles or memberships drop it (`forget`)."""
        principal = getattr(person, "_xt_principal", None)
        if principal is None:
            principal = cls(person)
            person._xt_principal = principal  # type: ignore[attr-defined]
        return principal

    @staticmethod
    def forget(person: Person) -> None:
        for name in ("_xt_principal", "_xt_counts"):
            person.__dict__.pop(name, None)

    # --- roles ------------------------------------------------------------------

    @property
    def delegators(self) -> frozenset[int]:
        """Everyone who delegates to this person now (ORG-5)."""
        return self._facts[2]

    @cached_property
    def _facts(self) -> tuple[list[tuple[int, str, int | None]], list[tuple[int, str]], frozenset[int],
                              frozenset[int]]:
        """Role rows, memberships, who delegates to them and what they head,
        in one query (a UNION ALL): what nearly every page's gates and
        navigation need. A fixed statement (`FACTS_SQL`), not built by the
        ORM: on every request, building this UNION cost five times running it."""
        if not self.person.is_authenticated:
            return [], [], frozenset(), frozenset()
        with connection.cursor() as cursor:
            cursor.execute(FACTS_SQL, {"me": self.person.pk, "yes": True,
                                       "now": connection.ops.adapt_datetimefield_value(self.now)})
            rows = cursor.fetchall()
        return _facts_of(rows)

    @classmethod
    def with_facts(cls, person: Person, rows: list[tuple[str, int | None, str | None, int | None]],
                   now: datetime) -> "Principal":
        """The principal of `person` with its facts already read, as `FACTS_SQL`
        rows for `now` (a statement that read them with the person: `with_facts_sql`)."""
        principal = cls(person, now=now)
        principal.__dict__["_facts"] = _facts_of(rows)
        person._xt_principal = principal  # type: ignore[attr-defined]
        return principal

    @property
    def role_rows(self) -> list[tuple[int, str, int | None]]:
        """(person, role, department) for this person and for everyone who
        delegates to them now."""
        return self._facts[0]

    @cached_property
    def roles(self) -> frozenset[str]:
        """The roles this person holds themselves, company-wide or for a department."""
        return frozenset(role for person_id, role, _dept in self.role_rows if person_id == self.person.pk)

    def has_role(self, *roles: str) -> bool:
        return self.active and bool(self.roles & set(roles))

    def role_departments(self, role: str) -> frozenset[int | None]:
        """Where this person holds `role` (None: company-wide)."""
        return frozenset(dept for person_id, r, dept in self.role_rows if person_id == self.person.pk and r == role)

    # --- who they are -------------------------------------------------------------

    @property
    def active(self) -> bool:
        return bool(self.person.is_authenticated and self.person.is_active)

    @property
    def is_admin(self) -> bool:
        return self.active and (self.person.is_superuser or Role.ADMIN in self.roles)

    @cached_property
    def memberships(self) -> list[tuple[int, str]]:
        """(department, its path) for each department this person belongs to."""
        return self._facts[1]

    def in_subtree(self, *paths: str) -> bool:
        """Belongs to a department at or under one of these (materialized) paths."""
        return any(path.startswith(prefix) for _dept, path in self.memberships for prefix in paths if prefix)

    @property
    def departments(self) -> frozenset[int]:
        return frozenset(dept for dept, _path in self.memberships)

    @property
    def departments_with_ancestors(self) -> frozenset[int]:
        """Their departments and every department above them (paths hold the ancestors' ids)."""
        return frozenset(int(part) for _dept, path in self.memberships for part in path.strip("/").split("/") if part)

    @property
    def headed(self) -> frozenset[int]:
        """The departments this person heads."""
        return self._facts[3]

    @property
    def is_member(self) -> bool:
        """Belongs to the company: a department membership or a company role
        (an outsider account sees nothing of the organization)."""
        if not self.active:
            return False
        return self.person.is_superuser or bool(self.memberships) or bool(self.roles)


def principal_of(request: Any) -> Principal:
    """The request's principal, made once (views, gates and the navigation share it)."""
    return Principal.of(request.user)


# Navigation rules (platform.NavEntry.visible).

def always(principal: Principal) -> bool:
    """Every signed-in person (the page itself refuses those who may not see it)."""
    return principal.active


def member(principal: Principal) -> bool:
    return principal.is_member


def admin(principal: Principal) -> bool:
    return principal.is_admin


def people_managers(principal: Principal) -> bool:
    """Administrators and HR (ORG-2)."""
    return principal.is_admin or principal.has_role(Role.HR)
