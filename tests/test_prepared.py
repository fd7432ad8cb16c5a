"""xietong.prepared, querysets whose SQL is built once: on both databases a
prepared read must return exactly what the same queryset built each time
returns — the same rows, in the same order, with the same related objects
loaded — for every value it is given, and refuse what it cannot bind."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import DateTimeField, Q, Value
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong.org.models import Delegation, Person, RoleAssignment
from xietong.prepared import In, Slot, prepared

PEOPLE = prepared(lambda department: Person.objects.select_related("primary_department", "manager").filter(
    primary_department=Slot("department"), is_active=True).order_by("name", "pk"))


def fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_same_rows_and_related_objects_as_the_queryset_built_each_time(company):
    found = []
    for department in (company.sales, company.tech, company.hq):
        built = list(Person.objects.select_related("primary_department", "manager").filter(
            primary_department=department, is_active=True).order_by("name", "pk"))
        with CaptureQueriesContext(connection) as queries:
            rows = PEOPLE.all(department=department.pk)
            # The related rows came with them: reading them asks nothing more.
            names = [(p.primary_department.name, p.manager.name if p.manager else None) for p in rows]
        assert len(queries) == 1
        assert [fields(p) for p in rows] == [fields(p) for p in built]
        found.append(len(rows))
        assert names == [(p.primary_department.name, p.manager.name if p.manager else None) for p in built]
        assert all(not p._state.adding and p._state.db == "default" for p in rows)
    assert found[:2] == [2, 1]  # sales: its head and an employee; tech: its head (its engineers are in R&D 1)


def test_the_sql_is_built_once_and_each_call_binds_its_own_values(company):
    first = PEOPLE.all(department=company.sales.pk)
    compiled = PEOPLE._compiled["default"]
    second = PEOPLE.all(department=company.tech.pk)
    assert PEOPLE._compiled["default"] is compiled
    assert {p.primary_department_id for p in first} == {company.sales.pk}
    assert {p.primary_department_id for p in second} == {company.tech.pk}


def test_values_a_slot_in_a_subquery_and_or_conditions(company):
    holders = prepared(lambda role: Person.objects.filter(
        pk__in=RoleAssignment.objects.filter(role=Slot("role")).values("person_id")).order_by("pk").values("pk"))
    either = prepared(lambda a, b: Person.objects.filter(Q(pk=Slot("a")) | Q(pk=Slot("b"))).order_by("pk")
                      .values_list("username", flat=True))
    assert [r["pk"] for r in holders.all(role="finance")] == list(
        RoleAssignment.objects.filter(role="finance").order_by("person_id").values_list("person_id", flat=True))
    assert holders.all(role="no-such-role") == []
    assert either.all(a=company.ceo.pk, b=company.hr.pk) == sorted(
        [company.ceo.username, company.hr.username], key=lambda u: Person.objects.get(username=u).pk)


def test_in_takes_any_number_of_values_in_one_statement(company):
    some = prepared(lambda ids: Person.objects.filter(In("pk", "ids")).order_by("pk").values_list("pk", flat=True))
    named = prepared(lambda names: Person.objects.filter(In("username", "names")).values_list("pk", flat=True))
    ids = [company.ceo.pk, company.hr.pk, company.finance.pk]
    assert some.all(ids=ids) == sorted(ids)
    assert some.all(ids=[company.ceo.pk]) == [company.ceo.pk]
    assert some.all(ids=[]) == []
    assert named.all(names=[company.ceo.username, "nobody"]) == [company.ceo.pk]


def test_a_slot_with_a_field_binds_as_that_field_does(company):
    now = timezone.now()
    Delegation.objects.create(principal=company.sales_head, delegate=company.employee, starts_at=now - timedelta(1),
                              ends_at=now + timedelta(1), created_by=company.sales_head)
    live = prepared(lambda at: Delegation.objects.filter(
        starts_at__lte=Slot("at", DateTimeField()), ends_at__gt=Slot("at", DateTimeField())).values_list(
        "principal_id", flat=True))
    assert live.all(at=now) == [company.sales_head.pk]
    assert live.all(at=now + timedelta(days=2)) == []


def test_an_id_no_column_can_hold_finds_nothing_rather_than_failing(company):
    one = prepared(lambda pk: Person.objects.filter(pk=Slot("pk"))[:1])
    assert one.first(pk=2**63) is None
    assert one.first(pk=-(2**63) - 1) is None
    assert one.first(pk=company.ceo.pk) == company.ceo


def test_what_cannot_be_bound_is_refused(company):
    with pytest.raises(ValueError, match="None"):
        PEOPLE.all(department=None)
    with pytest.raises(TypeError, match="department"):
        PEOPLE.all(dept=company.sales.pk)


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_needs_a_transaction(company):
    locked = prepared(lambda pk: Person.objects.select_for_update().filter(pk=Slot("pk")))
    with pytest.raises(TransactionManagementError):
        locked.all(pk=company.ceo.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert locked.all(pk=company.ceo.pk) == [company.ceo]
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in queries.captured_queries[0]["sql"]


def test_a_statement_repeated_on_a_connection_is_prepared_by_postgresql(company):
    """PostgreSQL (XIETONG_DB_PREPARED): parameters go apart from the statement,
    so psycopg prepares one run five times and the server plans it no more;
    on SQLite, a statement is compiled per call and nothing is prepared."""
    if connection.vendor != "postgresql":
        assert "prepare_threshold" not in connection.settings_dict["OPTIONS"]
        return
    marker = "xt_prepared_probe"
    for _ in range(6):
        list(Person.objects.filter(pk=company.sales.head_id).annotate(**{marker: Value(1)}))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
        assert cursor.fetchone()[0] == 1
