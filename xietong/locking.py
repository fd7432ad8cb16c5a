"""Lock a record's row and read it into the object the caller already holds.

An action locks its record before it decides (exactly one of two concurrent
actions wins). Reading the locked row into the caller's own object, rather
than into a second copy, keeps what the caller had loaded with it (the
people and the template a gate read) and lets the caller answer with the
object the action changed, without reading it again."""

from django.db import models

from xietong.prepared import Prepared, Slot, prepared

# One prepared read per model and the related rows it reads with the row.
_LOCKS: dict[tuple[type[models.Model], tuple[str, ...]], Prepared[models.Model]] = {}


def _lock_read(model: type[models.Model], related: tuple[str, ...]) -> Prepared[models.Model]:
    read = _LOCKS.get((model, related))
    if read is None:
        def build(pk: Slot) -> models.QuerySet[models.Model]:
            # FOR NO KEY UPDATE, as PostgreSQL's own UPDATE of a row takes: it still
            # excludes every other action's lock, and lets a row that refers to this
            # one (its foreign-key check) go in meanwhile. The escalation sweep adds
            # supervision tasks under a task that someone may hold (work.sweep).
            rows = model._default_manager.select_for_update(of=("self",), no_key=True).filter(pk=pk)
            return (rows.select_related(*related) if related else rows)[:1]
        read = _LOCKS.setdefault((model, related), prepared(build))
    return read


def lock_into(obj: models.Model, *, related: tuple[str, ...] = ()) -> bool:
    """Lock `obj`'s row for this transaction and copy it into `obj`; False
    when the row is gone. An object cached for a foreign key is kept while
    its id is unchanged, and `related` ones not cached yet are read with the
    row. Prefetched reverse relations are dropped (they may be moving on)."""
    model = type(obj)
    missing = [name for name in related if not _cached(model._meta.get_field(name), obj)]
    fresh = _lock_read(model, tuple(missing)).first(pk=obj.pk)
    if fresh is None:
        return False
    for field in model._meta.concrete_fields:
        setattr(obj, field.attname, getattr(fresh, field.attname))  # a changed id drops its cached object
        if isinstance(field, models.ForeignKey) and _cached(field, fresh):
            field.set_cached_value(obj, field.get_cached_value(fresh))
    obj.__dict__.pop("_prefetched_objects_cache", None)
    obj._state.adding, obj._state.db = False, fresh._state.db  # an object made from an id is now that row
    return True


def _cached(field: object, obj: models.Model) -> bool:
    return isinstance(field, models.ForeignKey) and field.is_cached(obj)
