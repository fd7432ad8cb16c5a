"""xietong.fastsql, the sweeps' bulk writes, on both databases: from 200 rows
PostgreSQL takes them by COPY (ids from the sequence, collisions through a
temporary table), SQLite and smaller batches by multi-row INSERTs. Both
paths must store exactly what they were given — text that COPY must escape,
JSON, NULLs, aware times — return ids in order and skip collisions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from xietong.fastsql import COPY_FROM, insert_rows, insert_rows_together, update_rows
from xietong.work.models import Delivery, Notification

AWKWARD = "制表\t换行\n反斜杠\\ 引号\"' 百分号% \\N 结尾"
AT = datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC)


def notification_rows(company, n: int, prefix: str = "k"):
    return [(f"{prefix}{i}", company.employee.pk, "task_assigned", f"标题 {i}", AWKWARD if i % 2 else "",
             f"/work/tasks/{i}/", i % 3 == 0, AT + timedelta(seconds=i)) for i in range(n)]


COLUMNS = ["key", "recipient", "kind", "title", "body", "url", "urgent", "created_at"]


def copy_table_exists(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"pg_temp._xt_{table}"])
        return cursor.fetchone()[0] is not None


@pytest.mark.parametrize("n", [COPY_FROM - 1, COPY_FROM + 50])
def test_rows_go_in_exactly_with_their_ids_in_order(company, n):
    rows = notification_rows(company, n)
    ids = insert_rows(Notification, COLUMNS, rows, returning="id")
    assert len(ids) == n and ids == sorted(ids) and len(set(ids)) == n
    stored = {x.pk: x for x in Notification.objects.filter(pk__in=ids)}
    for pk, row in zip(ids, rows, strict=True):
        x = stored[pk]
        assert (x.key, x.recipient_id, x.kind, x.title, x.body, x.url, x.urgent, x.created_at) == row
        assert x.read_at is None


def test_collisions_are_skipped_and_the_rest_inserted(company):
    first = notification_rows(company, 60, prefix="dup")
    insert_rows(Notification, COLUMNS, first)
    before = {x.key: x.title for x in Notification.objects.filter(key__startswith="dup")}
    again = [(*row[:3], "改过的标题", *row[4:]) for row in first] + notification_rows(company, COPY_FROM, prefix="new")
    insert_rows(Notification, COLUMNS, again, ignore_conflicts=True)
    assert {x.key: x.title for x in Notification.objects.filter(key__startswith="dup")} == before
    assert Notification.objects.filter(key__startswith="new").count() == COPY_FROM
    if connection.vendor == "postgresql":
        assert copy_table_exists("work_notification")  # the COPY path ran
        with connection.cursor() as cursor:
            cursor.execute('SELECT count(*) FROM pg_temp."_xt_work_notification"')
            assert cursor.fetchone()[0] == 0  # and left its staging table empty
    # A second batch in the same session works the same way.
    insert_rows(Notification, COLUMNS, notification_rows(company, COPY_FROM, prefix="more"), ignore_conflicts=True)
    assert Notification.objects.filter(key__startswith="more").count() == COPY_FROM


def test_rows_that_collide_with_nothing_go_straight_into_the_table(company):
    """The usual case costs one COPY: the staging table is made only when a
    batch meets rows that are there already, and the batch then still goes in."""
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute('DROP TABLE IF EXISTS pg_temp."_xt_work_notification"')
    insert_rows(Notification, COLUMNS, notification_rows(company, COPY_FROM, prefix="fresh"), ignore_conflicts=True)
    assert Notification.objects.filter(key__startswith="fresh").count() == COPY_FROM
    assert not copy_table_exists("work_notification")
    again = notification_rows(company, COPY_FROM, prefix="fresh") + notification_rows(company, 5, prefix="late")
    insert_rows(Notification, COLUMNS, again, ignore_conflicts=True)
    assert copy_table_exists("work_notification")
    assert Notification.objects.filter(key__startswith="fresh").count() == COPY_FROM
    assert Notification.objects.filter(key__startswith="late").count() == 5


def test_json_and_nulls_go_in_by_copy_too(company):
    payload = {"title": AWKWARD, "list": [1, 2.5, None, True], "nested": {"中文": "值"}}
    rows = [(f"d{i}", "email", company.employee.pk if i % 2 else None, "liu@example.com", payload, "pending", 0,
             AT, "", AT) for i in range(COPY_FROM + 10)]
    insert_rows(Delivery, ["key", "channel", "recipient", "address", "payload", "state", "attempts",
                           "next_attempt_at", "last_error", "created_at"], rows)
    stored = list(Delivery.objects.filter(key__startswith="d").order_by("pk"))
    assert len(stored) == COPY_FROM + 10
    assert all(d.payload == payload for d in stored)
    assert [d.recipient_id for d in stored[:2]] == [None, company.employee.pk]
    assert stored[0].claimed_until is None and stored[0].next_attempt_at == AT


def test_update_rows_sets_each_row_to_its_own_values(company):
    ids = insert_rows(Notification, COLUMNS, notification_rows(company, COPY_FROM + 5), returning="id")
    update_rows(Notification, "id", ["title", "read_at"],
                [(pk, f"已读 {pk}{AWKWARD}", AT + timedelta(minutes=i)) for i, pk in enumerate(ids)])
    for i, x in enumerate(Notification.objects.filter(pk__in=ids).order_by("pk")):
        assert x.title == f"已读 {x.pk}{AWKWARD}" and x.read_at == AT + timedelta(minutes=i)


def test_create_objects_writes_what_bulk_create_would_and_sets_the_ids(company):
    """create_objects: the same rows bulk_create writes (JSON, NULLs, times,
    foreign keys, defaults), ids in order on the objects, which are saved rows."""
    from xietong.fastsql import create_objects
    from xietong.work.models import Task

    def made(i):
        return Task(kind="work.todo", module="work", title=f"{AWKWARD} {i}", subject_type="t.x", subject_id=str(i),
                    assignee=company.employee if i % 2 else None, assignee_role="" if i % 2 else "finance",
                    requester=company.sales_head, created_at=AT, due_at=AT + timedelta(hours=i) if i else None)

    ours, theirs = create_objects([made(i) for i in range(150)]), Task.objects.bulk_create([made(i) for i in range(150)])
    assert [t.pk for t in ours] == sorted(t.pk for t in ours) and len({t.pk for t in ours}) == 150
    assert all(not t._state.adding and t._state.db == "default" for t in ours)

    def stored(tasks):
        rows = {t.pk: t for t in Task.objects.filter(pk__in=[t.pk for t in tasks])}
        return [{f.attname: getattr(rows[t.pk], f.attname) for f in Task._meta.concrete_fields if not f.primary_key}
                for t in tasks]

    assert stored(ours) == stored(theirs)
    assert create_objects([]) == []


def test_save_fields_updates_only_those_fields_of_an_existing_row(company):
    from django.db import DatabaseError

    from xietong.fastsql import save_fields

    note = Notification.objects.create(key="sf", recipient=company.employee, kind="task_assigned", title="旧",
                                       url="/", created_at=AT)
    note.title, note.body, note.read_at = AWKWARD, "不写", AT + timedelta(days=1)
    save_fields(note, "title", "read_at")
    fresh = Notification.objects.get(pk=note.pk)
    assert (fresh.title, fresh.body, fresh.read_at) == (AWKWARD, "", AT + timedelta(days=1))
    gone = Notification(pk=note.pk + 10_000, title="无")
    with pytest.raises(DatabaseError):
        save_fields(gone, "title")


def test_rows_of_two_tables_go_in_together_and_skip_what_is_there(company, django_assert_num_queries):
    """insert_rows_together: one statement on PostgreSQL (a table's INSERT in
    a WITH clause), one a table on SQLite; the same rows either way, and a
    collision in either table skips only that row."""
    payload = {"title": AWKWARD, "中文": [1, None]}
    deliveries = [(f"t{i}", "email", company.employee.pk, "liu@example.com", payload, "pending", 0, AT, "", AT)
                  for i in range(3)]
    delivery_columns = ["key", "channel", "recipient", "address", "payload", "state", "attempts", "next_attempt_at",
                        "last_error", "created_at"]
    insert_rows(Delivery, delivery_columns, deliveries[:1])
    insert_rows(Notification, COLUMNS, notification_rows(company, 1, prefix="t"))
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        insert_rows_together([(Notification, COLUMNS, notification_rows(company, 4, prefix="t")),
                              (Delivery, delivery_columns, [(*d[:4], {"new": True}, *d[5:]) if i == 0 else d
                                                            for i, d in enumerate(deliveries)])],
                             ignore_conflicts=True)
    assert sorted(Notification.objects.filter(key__startswith="t").values_list("key", flat=True)) == [
        "t0", "t1", "t2", "t3"]
    stored = {d.key: d.payload for d in Delivery.objects.filter(key__startswith="t")}
    assert stored == {"t0": payload, "t1": payload, "t2": payload}  # t0 was there: kept as it was
