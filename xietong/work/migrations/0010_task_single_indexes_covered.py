"""Drop the single-column indexes Django made for task.requester, .parent and
.completed_by: task_requester_idx, task_parent_idx and task_done_by_idx lead
with those columns, and each index is one more write on every task created,
escalated and closed (issue 13). Only the indexes go: the foreign keys stay
as they are (re-creating them would check every row of a large table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("requester_id", "parent_id", "completed_by_id")


def _single_indexes(schema_editor):
    """{column: index name} of the plain one-column indexes on these columns."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "work_task")
    return {info["columns"][0]: name for name, info in constraints.items()
            if info["index"] and not info["unique"] and not info["primary_key"] and len(info["columns"]) == 1
            and info["columns"][0] in COLUMNS
            and name.startswith("work_task_")}


def drop(apps, schema_editor):
    for name in _single_indexes(schema_editor).values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create(apps, schema_editor):
    model = apps.get_model("work", "Task")
    for column in COLUMNS:
        field = model._meta.get_field(column.removesuffix("_id"))
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


def _fk(**kwargs):
    return models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                             **kwargs)


class Migration(migrations.Migration):

    dependencies = [
        ('work', '0009_read_model'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(model_name='task', name='completed_by',
                                      field=_fk(related_name='+', to=settings.AUTH_USER_MODEL)),
                migrations.AlterField(model_name='task', name='parent',
                                      field=_fk(related_name='children', to='work.task')),
                migrations.AlterField(model_name='task', name='requester',
                                      field=_fk(related_name='+', to=settings.AUTH_USER_MODEL,
                                                verbose_name='requested by')),
            ],
        ),
    ]
