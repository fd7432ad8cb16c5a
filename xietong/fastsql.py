"""Multi-row INSERTs for the sweeps, without building model instances.

Django's bulk_create compiles an expression per field per row; at thousands
of rows per batch that, not the database, is the cost of an escalation
sweep. This helper writes the same rows with one parameterised statement per
chunk and works on PostgreSQL and SQLite (3.35+ for RETURNING).
"""

from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.db.models.fields import NOT_PROVIDED

CHUNK = 500
# Below this many rows a plain multi-row INSERT beats COPY's extra statements.
COPY_FROM = 200


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                returning: str | None = None, ignore_conflicts: bool = False) -> list[Any]:
    """INSERT rows (tuples in `columns` order, Python values) into the model's
    table; returns the `returning` column of each row, in order."""
    if not rows:
        return []
    meta = model._meta
    table, db_columns, one, fields, adapt = _shape(model, columns)
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += f" RETURNING {connection.ops.quote_name(str(getattr(meta.get_field(returning), 'column', '')))}"
    out: list[Any] = []
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        return _insert_pg(model, list(columns), rows, fields, adapt, returning=returning,
                          ignore_conflicts=ignore_conflicts)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            # Only names from the model's own metadata are interpolated; values are parameters.
            values_sql = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {table} ({db_columns}) VALUES {values_sql}{tail}"  # noqa: S608
            cursor.execute(sql, _params(chunk, fields, adapt))
            if returning:
                out.extend(r[0] for r in cursor.fetchall())
    return out


def _shape(model: type[models.Model], columns: Sequence[str]) -> tuple[str, str, str, list[models.Field], list[int]]:
    """An INSERT's table, column list and one row's placeholders, with the
    fields and which of them convert their values."""
    meta = model._meta
    fields: list[models.Field] = [meta.get_field(name) for name in columns]  # type: ignore[misc]
    # Only values that need a conversion go through the field (datetimes on
    # SQLite, JSON); the rest are passed as they are.
    # psycopg takes aware datetimes as they are; SQLite needs Django's text form.
    needs = models.JSONField if connection.vendor == "postgresql" else models.JSONField | models.DateTimeField
    adapt = [i for i, f in enumerate(fields) if isinstance(f, needs)]
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return connection.ops.quote_name(meta.db_table), names, one, fields, adapt


def _params(rows: Sequence[Sequence[Any]], fields: list[models.Field], adapt: list[int]) -> list[Any]:
    params: list[Any] = []
    for row in rows:
        values = list(row)
        for i in adapt:
            values[i] = fields[i].get_db_prep_save(values[i], connection)
        params.extend(values)
    return params


def insert_rows_together(parts: Sequence[tuple[type[models.Model], Sequence[str], Sequence[Sequence[Any]]]], *,
                         ignore_conflicts: bool = False) -> None:
    """`insert_rows` for rows of several tables written at once (a message's
    in-app rows and its outbox rows): on PostgreSQL, a few rows go in as one
    statement, each table's INSERT but the last in a WITH clause, which saves
    a round trip per table; otherwise each table's rows are inserted as
    `insert_rows` would."""
    parts = [part for part in parts if part[2]]
    if (len(parts) < 2 or connection.vendor != "postgresql"
            or sum(len(rows) for _model, _columns, rows in parts) >= COPY_FROM):
        for model, columns, rows in parts:
            insert_rows(model, columns, rows, ignore_conflicts=ignore_conflicts)
        return
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    statements, params = [], []
    for model, columns, rows in parts:
        table, names, one, fields, adapt = _shape(model, columns)
        statements.append(f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(rows))}{tail}")  # noqa: S608
        params.extend(_params(rows, fields, adapt))
    ctes = ", ".join(f"_w{n} AS ({sql})" for n, sql in enumerate(statements[:-1]))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {statements[-1]}", params)


def _insert_pg(model: type[models.Model], columns: list[str], rows: Sequence[Sequence[Any]],
               fields: list[models.Field], adapt: list[int], *, returning: str | None,
               ignore_conflicts: bool) -> list[Any]:
    """COPY, the fastest way into PostgreSQL. Ids, when wanted, are taken from
    the sequence first. Rows that may collide on a unique key are copied
    straight into the table all the same, under a savepoint: a collision is
    the exception (a retried sweep, a rescheduled task's second notice), and
    only then do they go through a temporary table and INSERT … ON CONFLICT
    DO NOTHING, which writes every row twice (issue 13: 15 µs a row)."""
    if ignore_conflicts and not returning:
        from psycopg.errors import UniqueViolation

        try:
            with transaction.atomic():
                return _copy_pg(model, columns, rows, fields, adapt, returning=None, ignore_conflicts=False)
        except UniqueViolation:
            pass  # rolled back to the savepoint: some of them are there already
    # One transaction: the temporary table empties itself at commit.
    with transaction.atomic():
        return _copy_pg(model, columns, rows, fields, adapt, returning=returning, ignore_conflicts=ignore_conflicts)


def _copy_pg(model: type[models.Model], columns: list[str], rows: Sequence[Sequence[Any]],
             fields: list[models.Field], adapt: list[int], *, returning: str | None,
             ignore_conflicts: bool) -> list[Any]:
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    out: list[Any] = []
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        if returning:
            raw.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                        [meta.db_table, returning, len(rows)])
            out = [r[0] for r in raw.fetchall()]
            columns = [returning, *columns]
            rows = [(pk, *row) for pk, row in zip(out, rows, strict=True)]
            adapt = [i + 1 for i in adapt]
            fields = [meta.get_field(returning), *fields]  # type: ignore[list-item]
        names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        target = table
        if ignore_conflicts:
            target = connection.ops.quote_name(f"_xt_{meta.db_table}")
            raw.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS "  # noqa: S608
                        f"SELECT {names} FROM {table} WITH NO DATA")
        with raw.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = list(row)
                for i in adapt:
                    values[i] = fields[i].get_db_prep_save(values[i], connection)
                copy.write_row(values)
        if ignore_conflicts:
            raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} "  # noqa: S608
                        "ON CONFLICT DO NOTHING")
            raw.execute(f"DELETE FROM {target}")  # noqa: S608 — cheaper than TRUNCATE for a few rows
    return out


def update_rows(model: type[models.Model], key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE many rows, each to its own values: rows are (key, *columns)."""
    if not rows:
        return
    meta = model._meta
    fields: list[models.Field] = [meta.get_field(name) for name in (key, *columns)]  # type: ignore[misc]
    names = [connection.ops.quote_name(str(f.column)) for f in fields]
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement, one array parameter per column.
            types = [f.db_type(connection) or "text" for f in fields]
            types = ["bigint" if t in ("bigserial", "serial") else t for t in types]
            unnest = ", ".join(f"%s::{t}[]" for t in types)
            sets = ", ".join(f"{n} = v.{n}" for n in names[1:])
            cursor.execute(f"UPDATE {table} SET {sets} FROM unnest({unnest}) AS v({', '.join(names)}) "  # noqa: S608
                           f"WHERE {table}.{names[0]} = v.{names[0]}", [list(col) for col in zip(*rows, strict=True)])
            return
        sets = ", ".join(f"{n} = %s" for n in names[1:])
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {names[0]} = %s",  # noqa: S608
                           [[*(f.get_db_prep_save(v, connection) for f, v in zip(fields[1:], row[1:], strict=True)),
                             row[0]] for row in rows])


Follower = tuple[type[models.Model], str, Sequence[str], Sequence[Sequence[Any] | None]]


def create_objects[M: models.Model](objs: Sequence[M], *, followers: Follower | None = None) -> list[M]:
    """`bulk_create` for the rows an action writes (a task, an approval's
    step and its approvers): one INSERT … RETURNING id per hundred objects,
    every concrete field prepared as Django prepares it, the ids set on the
    objects. bulk_create spent more Python compiling the statement than the
    database spent on the rows. No signals (none of these models has any).
    `followers`, (model, key, columns, rows): a row of another table for
    some of the objects (None for the others), `key` taking the object's
    id (a task's escalation ladder); on PostgreSQL in the same statement."""
    if not objs:
        return []
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if any(f.has_db_default() and f.default is NOT_PROVIDED for f in fields):
        raise TypeError(f"create_objects: {meta.label} has a field only the database fills; use bulk_create")
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    pk = connection.ops.quote_name(str(meta.pk.column)) if meta.pk else "id"
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    together = followers is not None and connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 100):
            chunk = objs[start:start + 100]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in chunk for f in fields]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))} RETURNING {pk}"  # noqa: S608
            if together and followers is not None and any(followers[3][start:start + 100]):
                sql, params = _with_followers(sql, params, pk, followers, start, len(chunk))
            cursor.execute(sql, params)
            for obj, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = new_id
                obj._state.adding, obj._state.db = False, connection.alias
    if followers is not None and not together:
        follower, key, columns, rows = followers
        insert_rows(follower, [key, *columns], [(obj.pk, *row) for obj, row in zip(objs, rows, strict=True)
                                                if row is not None])
    return list(objs)


def _with_followers(insert: str, params: list[Any], pk: str, followers: Follower, start: int,
                    size: int) -> tuple[str, list[Any]]:
    """The objects' INSERT in a WITH clause and the followers' INSERT after
    it, joined on each object's place in the VALUES list (RETURNING gives
    the rows in that order, which bulk_create relies on as well)."""
    follower, key, columns, rows = followers
    table, names, _one, fields, adapt = _shape(follower, [key, *columns])
    # The place, then each column cast to its type (a VALUES list has no column types).
    row_sql = "(" + ", ".join(["%s::int", *(f"%s::{f.db_type(connection) or 'text'}" for f in fields[1:])]) + ")"
    wanted = [(n, row) for n, row in enumerate(rows[start:start + size], start=1) if row is not None]
    values: list[Any] = []
    for n, row in wanted:
        values.append(n)
        for i, value in enumerate(row, start=1):
            values.append(fields[i].get_db_prep_save(value, connection) if i in adapt else value)
    picked = ", ".join(f"v.c{i}" for i in range(1, len(fields)))
    sql = (f"WITH _o AS ({insert}), _n AS (SELECT {pk} AS id, "  # noqa: S608
           "row_number() OVER () AS n FROM _o), "
           f"_f AS (INSERT INTO {table} ({names}) SELECT _n.id, {picked} FROM _n JOIN "
           f"(VALUES {', '.join([row_sql] * len(wanted))}) AS v(n, {', '.join(f'c{i}' for i in range(1, len(fields)))}) "
           "ON v.n = _n.n) SELECT id FROM _n ORDER BY n")
    return sql, [*params, *values]


def save_fields(obj: models.Model, *names: str) -> None:
    """`obj.save(update_fields=names)` as one fixed UPDATE of its row, each
    value prepared as Django prepares it; the row must exist."""
    meta = obj._meta
    fields = [meta.get_field(name) for name in names]
    sets = ", ".join(f"{connection.ops.quote_name(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]  # type: ignore[union-attr]
    table = connection.ops.quote_name(meta.db_table)
    pk = connection.ops.quote_name(str(meta.pk.column)) if meta.pk else "id"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [*params, obj.pk])  # noqa: S608
        if cursor.rowcount != 1:
            raise DatabaseError(f"{meta.label} {obj.pk}: no row to update")
