"""The read model the cross-module modules (assessment, supervision) will
use (docs/kernel.md, "Reading across modules"): a task knows its record's id
as a number, so tasks join their records without casts, on both databases;
events are indexed by verb and time and by record type and time."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from xietong.audit.models import Event
from xietong.requests import actions as requests
from xietong.requests.models import Request
from xietong.work.actions import task_create
from xietong.work.models import Task
from xietong.work.registry import SUPERVISE, TODO
from xietong.work.sweep import escalations_run


def test_tasks_carry_their_record_id_as_a_number_and_join_without_casts(company, calendar):
    from xietong.org import actions as org

    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    asked = [requests.request_submit(actor=company.employee, to_department=company.tech, title=f"请求 {i}")
             for i in range(3)]
    late = task_create(kind=TODO, title="非记录", subject=("test.item", "abc"), actor=company.sales_head,
                       assignee=company.employee, requester=company.sales_head,
                       due_at=timezone.now() - timedelta(hours=30))
    assert late.subject_pk is None  # not a number: no id
    waiting = Request.objects.annotate(open_tasks=Count("pk", filter=Q(
        pk__in=Task.objects.filter(subject_type="requests.request", state="open").values("subject_pk"))))
    assert sorted(r.pk for r in waiting if r.open_tasks) == sorted(r.pk for r in asked)
    assert set(Task.objects.filter(subject_type="requests.request").values_list("subject_pk", flat=True)) == {
        r.pk for r in asked}
    # The sweep's own bulk-created supervision tasks carry it too.
    escalations_run(now=timezone.now())
    supervision = Task.objects.filter(kind=SUPERVISE, parent=late).first()
    assert supervision is not None and supervision.subject_pk == late.pk


def test_the_database_has_the_read_model_s_indexes(db):
    from django.db import connection

    with connection.cursor() as cursor:
        events = connection.introspection.get_constraints(cursor, Event._meta.db_table)
        tasks = connection.introspection.get_constraints(cursor, Task._meta.db_table)
    assert events["event_verb_at_idx"]["columns"] == ["verb", "at"]
    assert events["event_type_at_idx"]["columns"] == ["subject_type", "at"]
    assert tasks["task_subject_pk_idx"]["columns"] == ["subject_type", "subject_pk"]
