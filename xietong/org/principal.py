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

from django.db.models import Q
from django.utils import timezone

from .models import Delegation, Department, Membership, Person, Role, RoleAssignment


@dataclass(eq=False)
class Principal:
    person: Person
    now: datetime = field(default_factory=timezone.now)

    # --- roles ------------------------------------------------------------------

    @cached_property
    def delegators(self) -> frozenset[int]:
        """Everyone who delegates to this person now (ORG-5)."""
        if not self.person.is_authenticated:
            return frozenset()
        return frozenset(Delegation.objects.filter(
            delegate=self.person, cancelled_at__isnull=True, starts_at__lte=self.now, ends_at__gt=self.now,
        ).values_list("principal_id", flat=True))

    @cached_property
    def role_rows(self) -> list[tuple[int, str, int | None]]:
        """(person, role, department) for this person and for everyone who
        delegates to them now: one query."""
        if not self.person.is_authenticated:
            return []
        cached = getattr(self.person, "_xt_role_rows", None)
        if cached is not None:
            return cached
        principals = Delegation.objects.filter(
            delegate=self.person, cancelled_at__isnull=True, starts_at__lte=self.now, ends_at__gt=self.now,
        ).values("principal_id")
        rows: list[tuple[int, str, int | None]] = list(RoleAssignment.objects.filter(
            Q(person=self.person) | Q(person__in=principals)).values_list("person_id", "role", "department_id"))
        self.person._xt_role_rows = rows  # type: ignore[attr-defined]  # work.queries reads it too
        return rows

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
        if not self.person.is_authenticated:
            return []
        return list(Membership.objects.filter(person=self.person).values_list("department_id", "department__path"))

    @property
    def departments(self) -> frozenset[int]:
        return frozenset(dept for dept, _path in self.memberships)

    @property
    def departments_with_ancestors(self) -> frozenset[int]:
        """Their departments and every department above them (paths hold the ancestors' ids)."""
        return frozenset(int(part) for _dept, path in self.memberships for part in path.strip("/").split("/") if part)

    @cached_property
    def headed(self) -> frozenset[int]:
        """The departments this person heads."""
        if not self.person.is_authenticated:
            return frozenset()
        return frozenset(Department.objects.filter(head=self.person, is_active=True).values_list("pk", flat=True))

    @property
    def is_member(self) -> bool:
        """Belongs to the company: a department membership or a company role
        (an outsider account sees nothing of the organization)."""
        if not self.active:
            return False
        return self.person.is_superuser or bool(self.memberships) or bool(self.roles)


def principal_of(request: Any) -> Principal:
    """The request's principal, made once (views, gates and the navigation share it)."""
    principal = getattr(request, "_xt_principal", None)
    if principal is None or principal.person is not request.user:
        principal = Principal(request.user)
        request._xt_principal = principal
    return principal


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
