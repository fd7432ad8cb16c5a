"""policy_state and the triggers that change its token with every write to
the policy's tables (snapshot.py): statement triggers on PostgreSQL (bulk
writes and TRUNCATE included), row triggers on SQLite."""

from django.db import migrations, models

TABLES = ("policy_parametervalue", "policy_calendarday", "policy_calendaryear")

POSTGRES = [
    """CREATE FUNCTION policy_token_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO policy_state (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))
      ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
      RETURN NULL;
    END $$""",
    *[f"CREATE TRIGGER {table}_token AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
      "FOR EACH STATEMENT EXECUTE FUNCTION policy_token_bump()" for table in TABLES],
]
POSTGRES_DROP = [*[f"DROP TRIGGER IF EXISTS {table}_token ON {table}" for table in TABLES],
                 "DROP FUNCTION IF EXISTS policy_token_bump()"]

# Fixed table names, no input.
BUMP = ("INSERT INTO policy_state (id, token) VALUES (1, lower(hex(randomblob(16)))) "
        "ON CONFLICT (id) DO UPDATE SET token = excluded.token;")
SQLITE = [
    f"CREATE TRIGGER {table}_token_{event.lower()} AFTER {event} ON {table} BEGIN {BUMP} END"
    for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_token_{event.lower()}"
               for table in TABLES for event in ("INSERT", "UPDATE", "DELETE")]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
        if statements is CREATE:
            import secrets

            schema_editor.execute("INSERT INTO policy_state (id, token) VALUES (1, %s)", [secrets.token_hex(16)])
    return run


CREATE = {"postgresql": POSTGRES, "sqlite": SQLITE}
DROP = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_parameters_and_calendar")]

    operations = [
        migrations.CreateModel(
            name="PolicyState",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=64)),
            ],
            options={"db_table": "policy_state"},
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
