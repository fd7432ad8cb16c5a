"""Every model change has its migration: a field added without one fails here,
not on somebody's upgrade."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models differ from their migrations (exit {exit_.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_task_columns_an_index_already_leads_with_have_no_index_of_their_own():
    """Every index on work_task is written on each task created, escalated
    and closed (issue 13). requester, completed_by and parent lead
    task_requester_idx, task_done_by_idx and task_parent_idx, so the
    one-column indexes Django makes for a foreign key are gone for them."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "work_task")
    fk_indexes = {info["columns"][0] for name, info in constraints.items()
                  if info["index"] and not info["primary_key"] and name.startswith("work_task_")}
    assert fk_indexes == {"assignee_id", "assignee_department_id", "created_by_id", "delegated_from_id"}
    leading = {name: info["columns"][0] for name, info in constraints.items() if info["index"]}
    assert (leading["task_requester_idx"], leading["task_done_by_idx"], leading["task_parent_idx"]) == (
        "requester_id", "completed_by_id", "parent_id")
