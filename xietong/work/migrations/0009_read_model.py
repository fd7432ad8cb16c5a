"""The read model (docs/kernel.md): tasks carry their record's id as a number."""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Tasks already there get their record's number too."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE work_task SET subject_pk = subject_id::bigint "
                              "WHERE subject_id ~ '^[0-9]{1,18}$'")
    else:
        schema_editor.execute("UPDATE work_task SET subject_pk = CAST(subject_id AS INTEGER) "
                              "WHERE subject_id <> '' AND subject_id NOT GLOB '*[^0-9]*' AND length(subject_id) < 19")


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0005_role_open_set'),
        ('work', '0008_task_timeouts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='subject_pk',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['subject_type', 'subject_pk'], name='task_subject_pk_idx'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
