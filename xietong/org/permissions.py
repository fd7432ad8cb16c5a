"""One permission helper per object type (healthchecks `_get_check_for_user`).

Each returns the object and what the signed-in person may do with it, and
raises 404 for records the person must not know exist.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from xietong.errors import PermissionDenied
from xietong.personal import mask_email, mask_phone  # noqa: F401 — re-exported for org's pages and API

from .models import Department, Person, Role, RoleAssignment
from .principal import Principal
from .queries import has_role, is_member, manager_of


def require_member(person: Person) -> None:
    if not is_member(person):
        raise PermissionDenied()


def can_manage_org(person: Person) -> bool:
    """Departments, roles, liaisons, imports: administrators."""
    return person.is_active and (person.is_superuser or has_role(person, Role.ADMIN))


def can_manage_people(person: Person) -> bool:
    """People and memberships: administrators and HR (ORG-2)."""
    return person.is_active and (person.is_superuser or has_role(person, Role.ADMIN, Role.HR))


def can_delegate_for(actor: Person, principal: Person) -> bool:
    """Who may name a delegate for `principal` (ORG-5): the principal; their
    manager (or department head) and HR for someone who cannot — the
    principal is told at once and may revoke it. Nobody names themselves
    (work.delegation.delegation_create)."""
    if not actor.is_active:
        return False
    if actor.pk == principal.pk or has_role(actor, Role.HR):
        return True
    if principal.manager_id == actor.pk:
        return True
    if principal.manager_id is None and not Principal.of(actor).headed:
        return False  # the manager is a department head, and the actor heads nothing
    boss = manager_of(principal)
    return boss is not None and boss.pk == actor.pk


def is_administrator(person: Person) -> bool:
    return person.is_superuser or has_role(person, Role.ADMIN)


def can_manage_person(actor: Person, person: Person, *, person_is_admin: bool | None = None) -> bool:
    """HR manages people, but not administrators: an administrator's account
    is changed only by an administrator (nobody below takes over the keys)."""
    if is_administrator(person) if person_is_admin is None else person_is_admin:
        return can_manage_org(actor)
    return can_manage_people(actor)


def other_active_administrators(person: Person) -> bool:
    return Person.objects.filter(Q(is_superuser=True) | Q(role_assignments__role=Role.ADMIN), is_active=True
                                 ).exclude(pk=person.pk).exists()


def can_see_personal_data(viewer: Person, person: Person) -> bool:
    """Phone and e-mail in full: oneself, HR and administrators; masked for others."""
    return viewer.pk == person.pk or can_manage_people(viewer)


@dataclass(frozen=True)
class DepartmentAccess:
    can_edit: bool


@dataclass(frozen=True)
class PersonAccess:
    can_edit: bool
    can_see_personal_data: bool
    can_delegate: bool
    # The person's role assignments (with their departments), read once for the gate and the page.
    roles: tuple[RoleAssignment, ...] = ()


def get_department_for_user(viewer: Person, pk: int) -> tuple[Department, DepartmentAccess]:
    if not is_member(viewer):
        raise Http404
    try:
        department = Department.objects.select_related("head", "parent").get(pk=pk)
    except Department.DoesNotExist:
        raise Http404 from None
    return department, DepartmentAccess(can_edit=can_manage_org(viewer))


def get_person_for_user(viewer: Person, pk: int) -> tuple[Person, PersonAccess]:
    if not is_member(viewer):
        raise Http404
    try:
        person = Person.objects.select_related("primary_department", "manager").get(pk=pk)
    except Person.DoesNotExist:
        raise Http404 from None
    roles = tuple(person.role_assignments.select_related("department").order_by("role", "pk"))
    return person, PersonAccess(
        can_edit=can_manage_person(viewer, person, person_is_admin=person.is_superuser
                                   or any(r.role == Role.ADMIN for r in roles)),
        roles=roles,
        can_see_personal_data=can_see_personal_data(viewer, person),
        can_delegate=can_delegate_for(viewer, person),
    )
