"""Querysets whose SQL is built once per process (issue 13).

Building a query is most of what a read costs in Python: `filter()` walks
the lookups and joins, the compiler then walks the select, the joins, the
ordering and the locks, about 0.3–0.5 ms for a read with a few related
rows, for a statement the database answers in 0.1 ms. The hot reads of the
write path have a fixed shape that only their values change, so
`prepared()` builds the queryset once with a `Slot` for each value, keeps
the compiled SQL and the compiler's description of the columns, and runs
the same SQL with the values given; rows become model instances (with their
`select_related` objects) or values exactly as the queryset makes them, by
Django's own iterables.

    _GATE = prepared(lambda pk: Approval.objects.select_related("template").filter(pk=Slot("pk")))
    approval = _GATE.first(pk=42)

A slot stands for one value compared with a column (`=`, `<`, `>=` …), not
for `None` (`IS NULL` is a different statement); a list is `In(column,
name)`, a condition of its own (`__in` would change the query's shape). Values are bound as they are given, or
through the slot's `output_field` when it has one (a datetime on SQLite).
The SQL is kept per database alias, so SQLite and PostgreSQL each get their
own; the cache holds no data, only SQL, so several processes and threads
share nothing that matters.
"""

import copy
import json
import threading
from collections.abc import Callable
from inspect import signature
from typing import Any

from django.db import connections, models
from django.db.models import F
from django.db.models.expressions import Expression
from django.db.transaction import TransactionManagementError

_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


class Slot(Expression):
    """A value given when a prepared queryset runs (`%s` in its SQL)."""

    def __init__(self, name: str, output_field: models.Field | None = None) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s", [self]

    def bind(self, value: Any, connection: Any) -> Any:
        field = self._output_field_or_none  # type: ignore[attr-defined]
        return value if field is None else field.get_db_prep_value(value, connection)

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class ListSlot(Slot):
    """A list of values given when the query runs, for `In`."""

    def bind(self, value: Any, connection: Any) -> Any:
        values = [int(v) if isinstance(v, int) else str(v) for v in value]
        return values if connection.vendor == "postgresql" else json.dumps(values)


class In(Expression):
    """A condition: `column` is one of the values of the list slot `name`,
    one statement for any number of values (PostgreSQL: `= ANY(array)`;
    SQLite: `IN (SELECT value FROM json_each(…))`). Ints or strings only."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, column: str, name: str) -> None:
        super().__init__()
        self.column: Any = F(column)
        self.slot = ListSlot(name)

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        column, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":  # typed as the column is, so its index serves
            return f"{column} = ANY(%s::{self.column.output_field.cast_db_type(connection)}[])", [*params, self.slot]
        return f"{column} IN (SELECT value FROM json_each(%s))", [*params, self.slot]  # noqa: S608 — a column


class _Compiled:
    """One alias's SQL for a prepared queryset: the template queryset (whose
    query and iterable make the rows), its compiler after compiling, and where
    each slot's value goes among the parameters."""

    def __init__(self, template: models.QuerySet, alias: str) -> None:
        self.template = template
        self.compiler = template.query.get_compiler(using=alias)
        sql, params = self.compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.slots = [(i, p) for i, p in enumerate(self.params) if isinstance(p, Slot)]
        self.for_update = template.query.select_for_update


class Prepared[R]:
    """A queryset built by `build(**slots)` once per database alias and run
    with the values given (see the module's docstring)."""

    def __init__(self, build: Callable[..., models.QuerySet[Any, R]], names: tuple[str, ...] | None = None) -> None:
        self._build = build
        self._names = tuple(signature(build).parameters) if names is None else names
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias)
                if compiled is None:
                    template = self._build(**{name: Slot(name) for name in self._names}).using(alias)
                    compiled = self._compiled[alias] = _Compiled(template, alias)
        return compiled

    def _bound(self, values: dict[str, Any]) -> tuple[_Compiled, Any, list[Any] | None]:
        """The compiled query, this thread's connection, and the parameters
        with `values` bound (None: no row can match)."""
        if set(values) != set(self._names):
            raise TypeError(f"prepared query takes {self._names}, given {tuple(values)}")
        alias = "default"
        compiled = self._for(alias)
        connection = connections[alias]
        if compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        for i, slot in compiled.slots:
            value = values[slot.name]
            if value is None:
                raise ValueError(f"prepared query: {slot.name} is None (IS NULL is another statement)")
            if isinstance(value, int) and not _BIGINT_MIN <= value <= _BIGINT_MAX:
                return compiled, connection, None  # no row has it, as the ORM answers; the database would refuse it
            params[i] = slot.bind(value, connection)
        return compiled, connection, params

    def queryset(self, *, _tail: str = "", _tail_params: tuple[Any, ...] = (), **values: Any) -> models.QuerySet[Any, R]:
        """The prepared queryset with `values` bound: iterate it, or call
        `list()` on it; chaining more onto it would build a new query."""
        compiled, connection, params = self._bound(values)
        if params is None:
            return compiled.template.none()
        params.extend(_tail_params)
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection  # this thread's connection
        sql = compiled.sql + _tail
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))  # type: ignore[method-assign]
        query = copy.copy(compiled.template.query)
        query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        # A shallow copy: copy.copy() would pickle the queryset, which runs it.
        template = compiled.template
        queryset = type(template).__new__(type(template))
        queryset.__dict__.update(template.__dict__)
        # `_query`: the `query` setter would make a values_list() yield dicts.
        queryset._query, queryset._result_cache = query, None  # type: ignore[attr-defined]
        queryset._prefetch_done = False  # type: ignore[attr-defined]
        return queryset

    def all(self, **values: Any) -> list[R]:
        return list(self.queryset(**values))

    def page(self, offset: int, limit: int, **values: Any) -> list[R]:
        """Rows `offset` to `offset + limit` of an unsliced queryset (its own
        order): the same SQL with `LIMIT … OFFSET …` and their values."""
        if self._for("default").template.query.is_sliced:
            raise TypeError("page() of a sliced queryset")
        return list(self.queryset(_tail=" LIMIT %s OFFSET %s", _tail_params=(int(limit), int(offset)), **values))

    def count(self, **values: Any) -> int:
        """How many rows the queryset has: one `SELECT COUNT(*)` over its SQL
        (build it without an order, which a count does not need)."""
        compiled, connection, params = self._bound(values)
        if params is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({compiled.sql}) AS counted", params)  # noqa: S608 — built SQL
            return int(cursor.fetchone()[0])

    def first(self, **values: Any) -> R | None:
        """The first row; the queryset should say its order and `[:1]`."""
        rows = self.all(**values)
        return rows[0] if rows else None


def prepared[R](build: Callable[..., models.QuerySet[Any, R]], names: tuple[str, ...] | None = None) -> Prepared[R]:
    """`names`: the slots `build` takes, when its signature does not say (`**slots`)."""
    return Prepared(build, names)
