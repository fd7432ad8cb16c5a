"""What a person holds in the organization (HOV; platform/owed.py Holding):
the liaison posts they fill (open work: requests route to them) and their
roles (history, not work)."""

from typing import Any

from xietong.platform.owed import Held

from .models import Liaison, Person, RoleAssignment


def liaison_posts(person: Person) -> list[Held]:
    return [Held("org.department", str(liaison.department_id),
                 liaison.department.name + (f" → {liaison.partner.name}" if liaison.partner else ""), "")
            for liaison in Liaison.objects.filter(person=person).select_related("department", "partner")
            .order_by("department__path", "pk")]


def roles(person: Person) -> list[Held]:
    from xietong.platform.manifest import role_label

    return [Held("org.person", str(person.pk), str(role_label(r.role)) + (f" · {r.department.name}" if r.department
                                                                          else ""), "")
            for r in RoleAssignment.objects.filter(person=person).select_related("department").order_by("role", "pk")]


# --- what a person holds, across the modules (platform HOLDINGS) ------------------------------

def held_by(person: Person) -> list[tuple[Any, list[Held]]]:
    """Every module's holding of this person, with what they hold in it."""
    from xietong.platform.manifest import HOLDINGS

    return [(holding, holding.held(person)) for holding in HOLDINGS.values()]


def open_work(person: Person) -> list[tuple[Any, list[Held]]]:
    """The holdings that must be handed over before the person may be deactivated
    (the others, roles, are not even read)."""
    from xietong.platform.manifest import HOLDINGS

    out = []
    for holding in HOLDINGS.values():
        if holding.open_work and (items := holding.held(person)):
            out.append((holding, items))
    return out


def may_see_holdings(viewer: Person, person: Person) -> bool:
    """The person themselves, HR (and administrators), and their head or manager."""
    return viewer.pk == person.pk or may_hand_over(viewer, person)


def may_hand_over(viewer: Person, person: Person) -> bool:
    """HR (and administrators), their manager, or the head of their department
    or of a department above it (a director over a group)."""
    from .models import Department
    from .permissions import can_manage_person

    if not viewer.is_active or viewer.pk == person.pk:  # someone else decides a handover
        return False
    if can_manage_person(viewer, person) or (person.manager_id and person.manager_id == viewer.pk):
        return True
    department = person.primary_department
    if department is None:
        return False
    above = [int(part) for part in department.path.strip("/").split("/") if part]
    return Department.objects.filter(pk__in=above, head=viewer).exists()
