"""The read model (docs/kernel.md): events by verb and time, by record type and time."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_audit_trail'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['verb', 'at'], name='event_verb_at_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['subject_type', 'at'], name='event_type_at_idx'),
        ),
    ]
