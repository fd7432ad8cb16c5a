"""Every write to the organization (ORG-1, 2, 3, 5). Each action checks the
actor's permission and the input, changes the rows and appends its audit
event in one transaction. Errors a user can cause raise DomainError and
change nothing.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.errors import DomainError, PermissionDenied
from xietong.inputs import clean_line
from xietong.platform.manifest import ROLES

from .models import (
    Delegation,
    Department,
    DepartmentKind,
    Liaison,
    Membership,
    Person,
    Role,
    RoleAssignment,
)
from .permissions import (
    can_manage_org,
    can_manage_people,
    can_manage_person,
    is_administrator,
    other_active_administrators,
)
from .principal import Principal
from .queries import department_head, headcount_warning

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")

DEPARTMENT_FIELDS = ("code", "name", "name_en", "kind", "parent_id", "head_id", "headcount_cap", "sort_order", "is_active")
PERSON_FIELDS = ("username", "name", "employee_no", "email", "phone", "primary_department_id", "manager_id", "is_active")


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: getattr(obj, field) for field in fields}


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


# --- departments ---------------------------------------------------------


def validate_department(department: Department) -> None:
    """Every rule a department must keep (ORG-1), on an instance that need
    not be saved: the screens, the API and the import's dry run share it."""
    department.name = clean_line(department.name, _("Name"), limit=100)
    department.name_en = clean_line(department.name_en, _("English name"), limit=100)
    if not CODE_RE.match(department.code or ""):
        raise DomainError(_("The code may use letters, digits, '-' and '_' (at most 40)."), code="bad_code")
    if not (department.name or "").strip():
        raise DomainError(_("A department needs a name."), code="name_required")
    if department.kind not in DepartmentKind.values:
        raise DomainError(_("Unknown department kind."), code="bad_kind")
    duplicate = Department.objects.filter(code=department.code).exclude(pk=department.pk)
    if duplicate.exists():
        raise DomainError(_("The code “%(code)s” is already used.") % {"code": department.code}, code="duplicate_code")
    parent = department.parent
    if department.kind == DepartmentKind.COMPANY:
        if parent is not None:
            raise DomainError(_("The company is the root and has no parent."), code="bad_parent")
        if Department.objects.filter(kind=DepartmentKind.COMPANY).exclude(pk=department.pk).exists():
            raise DomainError(_("There is already a company at the root."), code="second_company")
    elif parent is None:
        raise DomainError(_("A department or group needs a parent."), code="parent_required")
    if parent is not None and department.pk and f"/{Department.path_segment(department.pk)}" in parent.path:
        raise DomainError(_("A department cannot be placed under itself."), code="cycle")
    if department.head is not None and not department.head.is_active:
        raise DomainError(_("The head must be an active person."), code="inactive_head")
    if department.headcount_cap is not None and not 1 <= department.headcount_cap <= 1_000_000:
        raise DomainError(_("The headcount cap must be between 1 and 1000000."), code="bad_cap")
    if not -1_000_000 <= (department.sort_order or 0) <= 1_000_000:
        raise DomainError(_("The order must be between -1000000 and 1000000."), code="bad_order")


def _set_path(department: Department) -> None:
    department.path = (department.parent.path if department.parent else "/") + Department.path_segment(department.pk)


@transaction.atomic
def department_create(
    *,
    actor: Person,
    code: str,
    name: str,
    kind: str,
    parent: Department | None,
    name_en: str = "",
    head: Person | None = None,
    headcount_cap: int | None = None,
    sort_order: int = 0,
) -> Department:
    """ORG-1: add a department or group to the tree."""
    _require(can_manage_org(actor))
    department = Department(
        code=code.strip(), name=name.strip(), name_en=name_en.strip(), kind=kind, parent=parent,
        head=head, headcount_cap=headcount_cap, sort_order=sort_order, path="",
    )
    validate_department(department)
    department.save()
    _set_path(department)
    department.save(update_fields=["path"])
    event_record(actor=actor, verb="department.create", subject=department,
                 after=_snapshot(department, DEPARTMENT_FIELDS))
    return department


@transaction.atomic
def department_update(*, actor: Person, department: Department, changes: Mapping[str, Any]) -> Department:
    """ORG-1: rename, move, change head or cap. Moving re-roots the subtree."""
    _require(can_manage_org(actor))
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = _snapshot(department, DEPARTMENT_FIELDS)
    allowed = {"code", "name", "name_en", "kind", "parent", "head", "headcount_cap", "sort_order", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for field, value in changes.items():
        setattr(department, field, value.strip() if isinstance(value, str) else value)
    validate_department(department)
    deactivating = not department.is_active and before["is_active"]
    if deactivating and Department.objects.filter(parent=department, is_active=True).exists():
        raise DomainError(_("Deactivate or move its sub-departments first."), code="has_children")
    after = _snapshot(department, DEPARTMENT_FIELDS)
    if after == before:
        return department
    old_path = department.path
    _set_path(department)
    department.save()
    if department.path != old_path:
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path):]
            child.save(update_fields=["path"])
    changed = {k for k in after if after[k] != before[k]}
    event_record(actor=actor, verb="department.update", subject=department,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return department


# --- people --------------------------------------------------------------


def validate_person(person: Person) -> None:
    """Every rule a person's record keeps (ORG-2), on an instance that need
    not be saved (shared with the import's dry run)."""
    person.name = clean_line(person.name, _("Name"), limit=100)
    person.employee_no = clean_line(person.employee_no, _("Employee number"), limit=32)
    person.email = clean_line(person.email, _("E-mail"), limit=254)
    if not USERNAME_RE.match(person.username or ""):
        raise DomainError(_("The username may use letters, digits and . _ @ - (at most 64)."), code="bad_username")
    if not (person.name or "").strip():
        raise DomainError(_("A person needs a name."), code="name_required")
    if person.email:
        try:
            validate_email(person.email)
        except ValidationError:
            raise DomainError(_("“%(email)s” is not a valid e-mail address.") % {"email": person.email},
                              code="bad_email") from None
    if person.phone and not re.fullmatch(r"\+?[0-9 -]{5,20}", person.phone):
        raise DomainError(_("“%(phone)s” is not a valid phone number.") % {"phone": person.phone}, code="bad_phone")
    if Person.objects.filter(username__iexact=person.username).exclude(pk=person.pk).exists():
        raise DomainError(_("The username “%(username)s” is already taken.") % {"username": person.username},
                          code="duplicate_username")
    if person.manager_id is not None and person.pk is not None and person.manager_id == person.pk:
        raise DomainError(_("A person cannot be their own manager."), code="self_manager")


@transaction.atomic
def person_create(
    *,
    actor: Person,
    username: str,
    name: str,
    primary_department: Department | None,
    position: str = "",
    email: str = "",
    phone: str = "",
    employee_no: str = "",
    manager: Person | None = None,
    password: str | None = None,
) -> Person:
    """ORG-2: a new person, with a membership in their primary department.
    Without a password the account can only sign in by SSO until one is set."""
    _require(can_manage_people(actor))
    person = Person(
        username=username.strip(), name=name.strip(), email=email.strip(), phone=phone.strip(),
        employee_no=employee_no.strip(), primary_department=primary_department, manager=manager,
    )
    validate_person(person)
    if password:
        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), code="weak_password") from None
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    if primary_department is not None:
        Membership.objects.create(person=person, department=primary_department,
                                  position=clean_line(position, _("Position"), limit=64))
    event_record(actor=actor, verb="person.create", subject=person,
                 after={**_snapshot(person, PERSON_FIELDS), "position": position})
    return person


@transaction.atomic
def person_update(*, actor: Person, person: Person, changes: Mapping[str, Any]) -> Person:
    _require(can_manage_person(actor, person))
    person = Person.objects.select_for_update().get(pk=person.pk)
    allowed = {"username", "name", "employee_no", "email", "phone", "primary_department", "manager"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = _snapshot(person, PERSON_FIELDS)
    for field, value in changes.items():
        setattr(person, field, value.strip() if isinstance(value, str) else value)
    validate_person(person)
    if person.manager_id is not None:
        # Refuse a reporting loop (A → B → A), walking the chain as stored.
        seen: set[int] = {person.pk}
        boss_id: int | None = person.manager_id
        while boss_id is not None:
            if boss_id in seen:
                raise DomainError(_("This manager would create a reporting loop."), code="manager_loop")
            seen.add(boss_id)
            boss_id = Person.objects.filter(pk=boss_id).values_list("manager_id", flat=True).first()
    after = _snapshot(person, PERSON_FIELDS)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return person
    person.save()
    after_event = {k: after[k] for k in changed}
    if person.primary_department_id:
        _m, joined = Membership.objects.get_or_create(person=person, department_id=person.primary_department_id)
        if joined:
            after_event["membership_added"] = person.primary_department_id
    event_record(actor=actor, verb="person.update", subject=person,
                 before={k: before[k] for k in changed}, after=after_event)
    return person


@transaction.atomic
def person_deactivate(*, actor: Person, person: Person, reason: str = "") -> Person:
    """ORG-2: the person can no longer sign in; their history stays. An
    administrator only by another administrator, and never the last one."""
    _require(can_manage_person(actor, person))
    if person.pk == actor.pk:
        raise DomainError(_("You cannot deactivate your own account."), code="self_deactivate")
    if is_administrator(person) and not other_active_administrators(person):
        raise DomainError(_("%(name)s is the last administrator: name another one first.") % {"name": person.name},
                          code="last_admin")
    from .holdings import open_work

    still = open_work(person)
    if still:
        raise DomainError(_("%(name)s still holds open work (%(what)s): hand it over on their holdings page first.")
                          % {"name": person.name, "what": "; ".join(f"{holding.label} {len(items)}"
                                                                    for holding, items in still)},
                          code="holds_open_work")
    updated = Person.objects.filter(pk=person.pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now()
    )
    person.refresh_from_db()
    Principal.forget(person)
    if not updated:
        return person
    Delegation.objects.filter(
        Q(principal=person) | Q(delegate=person), cancelled_at__isnull=True, ends_at__gt=timezone.now()
    ).update(cancelled_at=timezone.now())
    event_record(actor=actor, verb="person.deactivate", subject=person,
                 before={"is_active": True}, after={"is_active": False}, note=reason)
    return person


@transaction.atomic
def person_reactivate(*, actor: Person, person: Person) -> Person:
    _require(can_manage_person(actor, person))
    if Person.objects.filter(pk=person.pk, is_active=False).update(is_active=True, deactivated_at=None):
        event_record(actor=actor, verb="person.reactivate", subject=person,
                     before={"is_active": False}, after={"is_active": True})
    person.refresh_from_db()
    Principal.forget(person)
    return person


@transaction.atomic
def membership_set(
    *, actor: Person, person: Person, department: Department, position: str = ""
) -> tuple[Membership, tuple[int, int] | None]:
    """ORG-2: add a person to a department (or change their position there).
    Returns the membership and (headcount, cap) when the cap is now exceeded —
    a warning, not a refusal (seed 000 §2: 编制不超过X人 is watched, not blocked)."""
    _require(can_manage_person(actor, person))
    if not department.is_active:
        raise DomainError(_("“%(name)s” is not active.") % {"name": department.name}, code="inactive_department")
    position = clean_line(position, _("Position"), limit=64)
    membership, created = Membership.objects.get_or_create(
        person=person, department=department, defaults={"position": position}
    )
    Principal.forget(person)
    if not created and membership.position != position.strip():
        before = membership.position
        membership.position = position.strip()
        membership.save(update_fields=["position"])
        event_record(actor=actor, verb="membership.update", subject=person,
                     before={"department": department.pk, "position": before},
                     after={"department": department.pk, "position": membership.position})
    elif created:
        event_record(actor=actor, verb="membership.add", subject=person,
                     after={"department": department.pk, "position": membership.position})
    return membership, headcount_warning(department)


@transaction.atomic
def membership_remove(*, actor: Person, person: Person, department: Department) -> None:
    _require(can_manage_person(actor, person))
    if person.primary_department_id == department.pk:
        raise DomainError(_("Change the primary department before leaving it."), code="primary_department")
    deleted, _rows = Membership.objects.filter(person=person, department=department).delete()
    Principal.forget(person)
    if deleted:
        event_record(actor=actor, verb="membership.remove", subject=person, before={"department": department.pk})


# --- roles and liaisons --------------------------------------------------


@transaction.atomic
def role_grant(*, actor: Person, person: Person, role: str, department: Department | None = None) -> RoleAssignment:
    _require(can_manage_org(actor))
    if role not in ROLES:
        raise DomainError(_("Unknown role “%(role)s”.") % {"role": role}, code="bad_role")
    if not person.is_active:
        raise DomainError(_("Roles can only be given to active people."), code="inactive_person")
    assignment, created = RoleAssignment.objects.get_or_create(person=person, role=role, department=department)
    Principal.forget(person)
    if created:
        event_record(actor=actor, verb="role.grant", subject=person,
                     after={"role": role, "department": department.pk if department else None})
    return assignment


@transaction.atomic
def role_revoke(*, actor: Person, assignment: RoleAssignment) -> None:
    _require(can_manage_org(actor))
    if assignment.role == Role.ADMIN and not assignment.person.is_superuser \
            and not other_active_administrators(assignment.person):
        raise DomainError(_("%(name)s is the last administrator: name another one first.")
                          % {"name": assignment.person.name}, code="last_admin")
    deleted, _rows = RoleAssignment.objects.filter(pk=assignment.pk).delete()
    Principal.forget(assignment.person)
    if deleted:
        event_record(actor=actor, verb="role.revoke", subject=assignment.person,
                     before={"role": assignment.role, "department": assignment.department_id})


@transaction.atomic
def liaison_set(
    *, actor: Person, department: Department, person: Person, partner: Department | None = None
) -> Liaison:
    """ORG-3: name the interface person of `department` (for one partner, or in general)."""
    _require(can_manage_org(actor) or department_head(department) == actor)
    if not person.is_active:
        raise DomainError(_("The liaison must be an active person."), code="inactive_person")
    if partner is not None and partner.pk == department.pk:
        raise DomainError(_("A department is not its own partner."), code="self_partner")
    liaison = Liaison.objects.select_for_update().filter(department=department, partner=partner).first()
    before = liaison.person_id if liaison else None
    if liaison is None:
        liaison = Liaison.objects.create(department=department, partner=partner, person=person)
    elif liaison.person_id != person.pk:
        liaison.person = person
        liaison.save(update_fields=["person"])
    else:
        return liaison
    event_record(actor=actor, verb="liaison.set", subject=department,
                 before={"partner": partner.pk if partner else None, "person": before},
                 after={"partner": partner.pk if partner else None, "person": person.pk})
    return liaison


@transaction.atomic
def liaison_clear(*, actor: Person, liaison: Liaison) -> None:
    _require(can_manage_org(actor) or department_head(liaison.department) == actor)
    if Liaison.objects.filter(pk=liaison.pk).delete()[0]:
        event_record(actor=actor, verb="liaison.clear", subject=liaison.department,
                     before={"partner": liaison.partner_id, "person": liaison.person_id})
