from datetime import datetime
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import StringConstraints

from xietong.apikit import Paged
from xietong.inputs import Id

from .models import Department, Liaison, Person
from .permissions import (
    get_department_for_user,
    get_person_for_user,
    mask_email,
    mask_phone,
    require_member,
)
from .queries import (
    acting_for,
    department_head,
    department_headcount,
    department_list,
    is_member,
    people_search,
)
from .schemas import DepartmentDetail, DepartmentOut, Me, PersonDetail, PersonOut

router = Router(tags=["organization"])


def _person_detail(person: Person, *, show_personal: bool) -> dict:
    return {
        "id": person.pk, "username": person.username, "name": person.name, "employee_no": person.employee_no,
        "email": person.email if show_personal else mask_email(person.email) if person.email else "",
        "phone": person.phone if show_personal else mask_phone(person.phone) if person.phone else "",
        "is_active": person.is_active, "primary_department": person.primary_department, "manager": person.manager,
        "memberships": list(person.memberships.select_related("department")),
        "roles": list(person.role_assignments.select_related("department")),
        "acting_for_now": acting_for(person),
    }


@router.get("/me", response=Me, summary="The signed-in person")
def me(request: HttpRequest) -> dict:
    person: Person = request.auth  # type: ignore[attr-defined]
    return {**_person_detail(person, show_personal=True), "is_member": is_member(person)}


@router.get("/departments", response=list[DepartmentOut], summary="All active departments, tree order")
def departments(request: HttpRequest) -> list[Department]:
    require_member(request.auth)  # type: ignore[attr-defined]
    return list(department_list())


@router.get("/departments/{department_id}", response=DepartmentDetail)
def department(request: HttpRequest, department_id: Id) -> dict:
    dept, _access = get_department_for_user(request.auth, department_id)  # type: ignore[attr-defined]
    count = department_headcount(dept)
    return {
        **{f: getattr(dept, f) for f in ("id", "code", "name", "name_en", "kind", "parent_id", "head",
                                          "headcount_cap")},
        "acting_head": department_head(dept), "headcount": count,
        "headcount_exceeded": dept.headcount_cap is not None and count > dept.headcount_cap,
        "liaisons": list(Liaison.objects.filter(department=dept).select_related("person", "partner")),
    }


@router.get("/people", response=list[PersonOut], summary="Active people; personal data masked")
@paginate(Paged)
def people(request: HttpRequest, q: Annotated[str, StringConstraints(max_length=50)] = "",
           department: Id | None = None) -> QuerySet[Person]:
    require_member(request.auth)  # type: ignore[attr-defined]
    dept = Department.objects.filter(pk=department).first() if department else None
    return people_search(query=q, department=dept).select_related("manager")


@router.get("/people/{person_id}", response=PersonDetail)
def person(request: HttpRequest, person_id: Id) -> dict:
    subject, access = get_person_for_user(request.auth, person_id)  # type: ignore[attr-defined]
    return _person_detail(subject, show_personal=access.can_see_personal_data)


class HeldOut(Schema):
    subject_type: str
    subject_id: str
    title: str
    state: str
    due_at: datetime | None


class HoldingOut(Schema):
    key: str
    label: str
    open_work: bool
    handed_over_here: bool
    items: list[HeldOut]


@router.get("/people/{person_id}/holdings", response=list[HoldingOut],
            summary="What a person holds in every module (HOV): for them, HR and their head")
def person_holdings(request: HttpRequest, person_id: Id) -> list[dict]:
    from django.core.exceptions import PermissionDenied

    from .holdings import held_by, may_see_holdings

    viewer = request.auth  # type: ignore[attr-defined]
    subject, _access = get_person_for_user(viewer, person_id)
    if not may_see_holdings(viewer, subject):
        raise PermissionDenied()
    return [{"key": holding.key, "label": str(holding.label), "open_work": holding.open_work,
             "handed_over_here": holding.transferable,
             "items": [{"subject_type": i.subject_type, "subject_id": i.subject_id, "title": i.title, "state": i.state,
                        "due_at": i.due_at} for i in items]} for holding, items in held_by(subject)]
