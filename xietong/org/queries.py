"""Reads about the organization that every module shares (ORG-1, 3, 5).

The functions later modules resolve approvers and assignees with:
`department_head`, `manager_chain`, `role_holders`, `department_liaison`,
`acting_for`.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Count, DateTimeField, Q, QuerySet
from django.utils import timezone

from xietong import memo
from xietong.prepared import In, Slot, prepared

from .models import Delegation, Department, Liaison, Membership, Person, Role, RoleAssignment
from .principal import Principal

MAX_DELEGATION_HOPS = 5


def department_ancestors(department: Department) -> list[Department]:
    """From the company down to the department's parent."""
    ids = [int(pk) for pk in department.path.strip("/").split("/")[:-1]]
    by_id = Department.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def department_subtree(department: Department) -> QuerySet[Department]:
    return Department.objects.filter(path__startswith=department.path)


def department_head(department: Department, *, fallback_to_parent: bool = True) -> Person | None:
    """The head of a department; with a vacancy, the nearest ancestor's head."""
    if department.head_id and department.head and department.head.is_active:
        return department.head
    if not fallback_to_parent:
        return None
    for ancestor in reversed(department_ancestors(department)):
        if ancestor.head_id and ancestor.head and ancestor.head.is_active:
            return ancestor.head
    return None


def manager_of(person: Person) -> Person | None:
    """The person's manager: explicit, else the head of their primary department
    (or of its parent when the person heads it themselves)."""
    if person.manager_id and person.manager and person.manager.is_active:
        return person.manager
    department = person.primary_department
    if department is None:
        return None
    head = department_head(department)
    if head is not None and head.pk != person.pk:
        return head
    parent = department.parent
    return department_head(parent) if parent else None


def manager_chain(person: Person, *, levels: int) -> list[Person]:
    """Up to `levels` managers above `person`, nearest first, no repeats
    (group leader → director → CEO, seed 000 §2)."""
    chain: list[Person] = []
    seen = {person.pk}
    current = person
    while len(chain) < levels:
        boss = manager_of(current)
        if boss is None or boss.pk in seen:
            break
        chain.append(boss)
        seen.add(boss.pk)
        current = boss
    return chain


def role_holders(role: Role | str, *, department: Department | None = None) -> QuerySet[Person]:
    """Active people holding `role`; with a department, those scoped to it or
    company-wide."""
    assignments = RoleAssignment.objects.filter(role=role)
    if department is not None:
        assignments = assignments.filter(Q(department=department) | Q(department__isnull=True))
    return Person.objects.filter(is_active=True, pk__in=assignments.values("person_id")).order_by("name")


_ROLE_HOLDERS = prepared(lambda role: Person.objects.filter(
    is_active=True, pk__in=RoleAssignment.objects.filter(role=Slot("role")).values("person_id")).order_by("pk"))
_ROLE_HOLDERS_FOR = prepared(lambda role, department: Person.objects.filter(
    is_active=True, pk__in=RoleAssignment.objects.filter(Q(department=Slot("department")) | Q(department__isnull=True),
                                                         role=Slot("role")).values("person_id")).order_by("pk"))


def role_holders_by_id(role: Role | str, *, department: Department | None = None) -> list[Person]:
    """`role_holders`, read (a prepared query), in id order: who a routing
    rule asks."""
    if department is None:
        return _ROLE_HOLDERS.all(role=str(role))
    return _ROLE_HOLDERS_FOR.all(role=str(role), department=department.pk)


def person_roles(person: Person) -> list[RoleAssignment]:
    return list(person.role_assignments.select_related("department").order_by("role"))


def has_role(person: Person, *roles: Role | str) -> bool:
    """Holds one of the roles (company-wide or for a department). Read from
    the person's principal: one query per request however many gates ask."""
    return Principal.of(person).has_role(*roles)


_LIAISONS = prepared(lambda department: Liaison.objects.filter(department=Slot("department")).select_related("person"))


def department_liaison(department: Department, *, partner: Department | None = None) -> Person | None:
    """Who receives cross-department matters for `department` (ORG-3): the
    liaison for that partner, else the general liaison, else the head."""
    liaisons = {
        row.partner_id: row.person
        for row in _LIAISONS.all(department=department.pk)
        if row.person.is_active
    }
    if partner is not None and partner.pk in liaisons:
        return liaisons[partner.pk]
    if None in liaisons:
        return liaisons[None]
    return department_head(department)


DELEGATION_MEMO = "org.delegation"
_LIVE_DELEGATION_SQL = ("SELECT id FROM org_delegation WHERE principal_id = %s AND cancelled_at IS NULL "
                        "AND starts_at <= %s AND ends_at > %s ORDER BY starts_at DESC LIMIT 1")


def live_delegation(person: Person, *, at: datetime | None = None) -> Delegation | None:
    """The delegation in force for `person` at `at`, read once per request
    for one moment (xietong.memo; delegation writes forget it)."""
    moment = at or timezone.now()

    def read() -> Delegation | None:
        # Most people are not away: ask for an id first (a cheap query to build),
        # and load the delegation with its delegate only when there is one.
        # A fixed statement: on every task created, the ORM took longer to build it than to run it.
        adapted = connection.ops.adapt_datetimefield_value(moment)
        with connection.cursor() as cursor:
            cursor.execute(_LIVE_DELEGATION_SQL, [person.pk, adapted, adapted])
            row = cursor.fetchone()
        return Delegation.objects.select_related("delegate").get(pk=row[0]) if row else None

    return memo.remembered((DELEGATION_MEMO, person.pk, moment), read)


_LIVE_DELEGATIONS = prepared(lambda principals, at: Delegation.objects.filter(
    In("principal_id", "principals"), cancelled_at__isnull=True, starts_at__lte=Slot("at", DateTimeField()),
    ends_at__gt=Slot("at", DateTimeField())).select_related("delegate").order_by("principal_id", "-starts_at"))


def live_delegations_preload(people: Iterable[Person], *, at: datetime) -> None:
    """Read the delegations in force at `at` for many people in one query
    and remember them for this request (a node asking three people); outside
    a request's scope, nothing to do."""
    if not memo.active():
        return
    ids = {p.pk for p in people}
    if not ids:
        return
    found: dict[int, Delegation | None] = dict.fromkeys(ids)
    for delegation in _LIVE_DELEGATIONS.all(principals=sorted(ids), at=at):
        if found[delegation.principal_id] is None:
            found[delegation.principal_id] = delegation
    memo.preload({(DELEGATION_MEMO, pk, at): delegation for pk, delegation in found.items()})


def delegations_changed() -> None:
    """A delegation was made, cancelled or ended in this request: read them again."""
    memo.forget(lambda key: isinstance(key, tuple) and bool(key) and key[0] == DELEGATION_MEMO)


def acting_for(person: Person, *, at: datetime | None = None, major: bool = False) -> Person:
    """Who acts for `person` now (ORG-5): follows delegations, stops at a loop.
    A major decision (`major`: above the policy thresholds) follows only
    delegations whose principal included major decisions."""
    current = person
    seen = {person.pk}
    for _hop in range(MAX_DELEGATION_HOPS):
        delegation = live_delegation(current, at=at)
        if delegation is None or not delegation.delegate.is_active or delegation.delegate_id in seen:
            break
        if major and not delegation.include_major:
            break
        current = delegation.delegate
        seen.add(current.pk)
    return current


def department_headcount(department: Department) -> int:
    """Active people with a membership anywhere in the department's subtree."""
    return (
        Person.objects.filter(is_active=True, memberships__department__path__startswith=department.path)
        .distinct()
        .count()
    )


def headcount_warning(department: Department, *, headcount: int | None = None) -> tuple[int, int] | None:
    """(headcount, cap) when the cap is exceeded (ORG-1, seed 000 §2), else None.
    `headcount`: the department's, when the caller has counted it."""
    if department.headcount_cap is None:
        return None
    count = department_headcount(department) if headcount is None else headcount
    return (count, department.headcount_cap) if count > department.headcount_cap else None


def person_departments(person: Person) -> list[Membership]:
    return list(person.memberships.select_related("department").order_by("-department__kind", "department__path"))


def is_member(person: Person) -> bool:
    """Belongs to the company: a department membership or a company role.
    Everyone else (an outsider account) sees nothing of the organization."""
    if not person.is_authenticated or not person.is_active:
        return False
    return Principal.of(person).is_member


def department_list() -> QuerySet[Department]:
    return (
        Department.objects.filter(is_active=True)
        .select_related("head", "parent")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("path")
    )


def org_chart() -> dict:
    """The department tree as nested dicts for the ECharts tree on the home page."""
    departments = list(Department.objects.filter(is_active=True).select_related("head").order_by("path"))
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for dept in departments:
        node = {
            "id": dept.pk,
            "name": dept.name,
            "name_en": dept.name_en or dept.name,
            "head": dept.head.name if dept.head else "",
            "children": [],
        }
        nodes[dept.pk] = node
        parent = nodes.get(dept.parent_id) if dept.parent_id else None
        (parent["children"] if parent else roots).append(node)
    if len(roots) == 1:
        return roots[0]
    return {"id": 0, "name": "", "name_en": "", "head": "", "children": roots}


def people_search(*, query: str = "", department: Department | None = None) -> QuerySet[Person]:
    people = Person.objects.filter(is_active=True).select_related("primary_department")
    if query:
        people = people.filter(
            Q(name__icontains=query) | Q(username__icontains=query) | Q(employee_no__icontains=query)
        )
    if department is not None:
        people = people.filter(memberships__department__path__startswith=department.path).distinct()
    return people.order_by("name", "username")
