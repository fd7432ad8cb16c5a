"""Store an event's before/after as the canonical JSON text that was hashed,
so that verifying the trail needs no JSON parsing (KER-4). The hash formula is
unchanged: the canonical text is exactly what the old code serialized."""

import json

from django.db import migrations, models


def to_text(apps, schema_editor):
    Event = apps.get_model("work", "Event")
    for event in Event.objects.all().iterator(chunk_size=2000):
        event.before_json = json.dumps(event.before, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        event.after_json = json.dumps(event.after, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        event.save(update_fields=["before_json", "after_json"])


class Migration(migrations.Migration):
    dependencies = [("work", "0001_audit_events")]

    operations = [
        migrations.AddField("event", "before_json", models.TextField(default="null")),
        migrations.AddField("event", "after_json", models.TextField(default="null")),
        migrations.RunPython(to_text, migrations.RunPython.noop),
        migrations.RemoveField("event", "before"),
        migrations.RemoveField("event", "after"),
    ]
