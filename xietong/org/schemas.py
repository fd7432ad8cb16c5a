from typing import Any

from ninja import Schema

from xietong.apikit import Out

from .permissions import can_manage_people, mask_email, mask_phone


class PersonRef(Out):
    id: int
    username: str
    name: str


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    head: PersonRef | None
    headcount_cap: int | None


class LiaisonOut(Schema):
    partner: DepartmentRef | None
    person: PersonRef


class DepartmentDetail(DepartmentOut):
    acting_head: PersonRef | None
    headcount: int
    headcount_exceeded: bool
    liaisons: list[LiaisonOut]


class MembershipOut(Schema):
    department: DepartmentRef
    position: str


class RoleOut(Schema):
    role: str
    department: DepartmentRef | None


class PersonOut(Schema):
    """Personal data (e-mail, phone) is masked unless the viewer may see it (CS-4 spirit)."""

    id: int
    username: str
    name: str
    employee_no: str
    email: str
    phone: str
    is_active: bool
    primary_department: DepartmentRef | None
    manager: PersonRef | None

    @staticmethod
    def _full(obj: Any, context: Any) -> bool:
        if isinstance(obj, dict):
            return True  # detail views pass already-masked dicts
        request = context["request"]
        viewer = request.auth
        if not hasattr(request, "_xt_manage_people"):
            # Once per request, not once per row.
            request._xt_manage_people = can_manage_people(viewer)
        return request._xt_manage_people or obj.pk == viewer.pk

    @staticmethod
    def resolve_email(obj: Any, context: Any) -> str:
        email = obj["email"] if isinstance(obj, dict) else obj.email
        return email if not email or PersonOut._full(obj, context) else mask_email(email)

    @staticmethod
    def resolve_phone(obj: Any, context: Any) -> str:
        phone = obj["phone"] if isinstance(obj, dict) else obj.phone
        return phone if not phone or PersonOut._full(obj, context) else mask_phone(phone)


class PersonDetail(PersonOut):
    memberships: list[MembershipOut]
    roles: list[RoleOut]
    acting_for_now: PersonRef


class Me(PersonDetail):
    is_member: bool
