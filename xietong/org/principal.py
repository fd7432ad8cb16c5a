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

from django.db.models import CharField, IntegerField, Q, Value
from django.utils import timezone

from .models import Delegation, Department, Membership, Person, Role, RoleAssignment


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
        navigation need."""
        if not self.person.is_authenticated:
            return [], [], frozenset(), frozenset()
        live = Delegation.objects.filter(
            delegate=self.person, cancelled_at__isnull=True, starts_at__lte=self.now, ends_at__gt=self.now)
        no_text, no_id = Value("", output_field=CharField()), Value(None, output_field=IntegerField())
        roles = RoleAssignment.objects.filter(Q(person=self.person) | Q(person__in=live.values("principal_id"))
                                              ).order_by().values_list(Value("r"), "person_id", "role", "department_id")
        memberships = Membership.objects.filter(person=self.person).order_by().values_list(
            Value("m"), "person_id", "department__path", "department_id")
        delegators = live.order_by().values_list(Value("d"), "principal_id", no_text, no_id)
        headed = Department.objects.filter(head=self.person, is_active=True).order_by().values_list(
            Value("h"), "head_id", "path", "pk")
        role_rows: list[tuple[int, str, int | None]] = []
        member_rows: list[tuple[int, str]] = []
        principals: set[int] = set()
        heads: set[int] = set()
        for tag, person_id, text, department_id in roles.union(memberships, delegators, headed, all=True):
            if tag == "r":
                role_rows.append((person_id, text, department_id))
            elif tag == "m":
                member_rows.append((department_id, text))
            elif tag == "d":
                principals.add(person_id)
            else:
                heads.add(department_id)
        return role_rows, member_rows, frozenset(principals), frozenset(heads)

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
