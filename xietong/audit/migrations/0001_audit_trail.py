"""The audit trail moves from the kernel (work) to its own bottom layer: its
tables stay as they are (work_event, work_seal); only Django's idea of
which app owns them changes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("work", "0005_outbox_claims_and_heartbeats"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Seal",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("seq", models.PositiveIntegerField(unique=True)),
                        ("first_id", models.BigIntegerField()),
                        ("last_id", models.BigIntegerField()),
                        ("count", models.PositiveIntegerField()),
                        ("digest", models.CharField(max_length=64)),
                        ("prev_digest", models.CharField(blank=True, max_length=64)),
                        ("at", models.DateTimeField()),
                    ],
                    options={
                        "verbose_name": "audit seal",
                        "verbose_name_plural": "audit seals",
                        "db_table": "work_seal",
                    },
                ),
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("at", models.DateTimeField(db_index=True, verbose_name="time")),
                        ("verb", models.CharField(max_length=64, verbose_name="action")),
                        ("subject_type", models.CharField(max_length=64)),
                        ("subject_id", models.CharField(max_length=64)),
                        ("seq", models.PositiveIntegerField()),
                        ("before_json", models.TextField(default="null")),
                        ("after_json", models.TextField(default="null")),
                        ("note", models.TextField(blank=True)),
                        ("prev_hash", models.CharField(blank=True, max_length=64)),
                        ("hash", models.CharField(max_length=64)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                        (
                            "on_behalf_of",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit events",
                        "db_table": "work_event",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("subject_type", "subject_id", "seq"),
                                name="event_subject_seq_uniq",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
