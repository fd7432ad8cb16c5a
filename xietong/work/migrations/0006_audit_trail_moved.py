"""The audit trail's models are now xietong.audit's (its 0001); the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0005_outbox_claims_and_heartbeats"),
        ("audit", "0001_audit_trail"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="event",
                    name="event_subject_seq_uniq",
                ),
                migrations.DeleteModel(
                    name="Seal",
                ),
                migrations.DeleteModel(
                    name="Event",
                ),
            ],
            database_operations=[],
        ),
    ]
