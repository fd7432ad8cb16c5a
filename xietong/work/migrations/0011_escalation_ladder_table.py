"""The escalation ladder moves off the task's row into `work_escalation`
(issue 13): the sweep's UPDATE of a wide task row with a dozen indexes was a
sixth of every escalation step. Tasks that escalate, or have, get their
row with the level and next time they had; a supervision task's level
becomes `step`."""

import django.db.models.deletion
from django.db import migrations, models

SUPERVISE = "work.supervise"


def forward(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO work_escalation (task_id, level, next_at) SELECT id, step, next_escalation_at FROM work_task "
        "WHERE kind <> %s AND (next_escalation_at IS NOT NULL OR step > 0)", [SUPERVISE])
    schema_editor.execute("UPDATE work_task SET step = 0 WHERE kind <> %s AND step <> 0", [SUPERVISE])


def backward(apps, schema_editor):
    schema_editor.execute(
        "UPDATE work_task SET step = (SELECT level FROM work_escalation e WHERE e.task_id = work_task.id), "
        "next_escalation_at = (SELECT next_at FROM work_escalation e WHERE e.task_id = work_task.id) "
        "WHERE id IN (SELECT task_id FROM work_escalation)")


class Migration(migrations.Migration):
    dependencies = [("work", "0010_task_single_indexes_covered")]

    operations = [
        migrations.RenameField("task", "escalation_level", "step"),
        migrations.AlterField("task", "step", models.PositiveSmallIntegerField(default=0,
                                                                                verbose_name="escalation step")),
        migrations.CreateModel(
            name="Escalation",
            fields=[
                ("task", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                              related_name="ladder", serialize=False, to="work.task")),
                ("level", models.PositiveSmallIntegerField(default=0)),
                ("next_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"indexes": [models.Index(condition=models.Q(("next_at__isnull", False)), fields=["next_at"],
                                              name="escalation_due_idx")]},
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveIndex("task", "task_escalation_due_idx"),
        migrations.RemoveField("task", "next_escalation_at"),
    ]
