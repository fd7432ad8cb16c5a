"""`lock_into`: an action locks its record's row and reads it into the
object its caller holds (xietong/locking.py)."""

from django.db import transaction

from xietong.locking import lock_into
from xietong.work.models import Task


def test_the_row_is_read_into_the_callers_object_keeping_what_it_had_loaded(make_task, company,
                                                                            django_assert_num_queries):
    task = Task.objects.select_related("assignee", "requester").get(pk=make_task().pk)
    Task.objects.filter(pk=task.pk).update(title="改过的标题", requester=company.engineer)
    with transaction.atomic(), django_assert_num_queries(1):
        assert lock_into(task) is True
        assert task.title == "改过的标题"
        assert task.assignee == company.employee  # same id: the object read with it is kept, no query
    assert task.requester_id == company.engineer.pk
    assert task.requester == company.engineer  # its id changed: the stale person was dropped and is read again


def test_related_objects_not_loaded_yet_are_read_with_the_row(make_task, company, django_assert_num_queries):
    task = Task.objects.get(pk=make_task().pk)
    with transaction.atomic(), django_assert_num_queries(1):
        assert lock_into(task, related=("assignee",)) is True
        assert task.assignee == company.employee


def test_a_row_that_is_gone_says_so_and_leaves_the_object_alone(make_task):
    task = Task.objects.get(pk=make_task().pk)
    title = task.title
    Task.objects.filter(pk=task.pk).delete()
    with transaction.atomic():
        assert lock_into(task) is False
    assert task.title == title
