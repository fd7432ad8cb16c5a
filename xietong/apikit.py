"""What every module's REST router shares (INT-2): the error schema, bounded
paging, and the statuses each operation documents.

    @router.get("/things", response=list[ThingOut])
    @paginate(Paged)
    def things(request, box: Literal["mine", "all"] = "mine"): ...

    @router.get("/things/{int:thing_id}", response=ThingOut)
    def thing(request, thing_id: Id): ...          # Id: 1 ≤ id ≤ 2⁶³−1, else 400
"""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import BaseModel, ConfigDict

PAGE_MAX = 100
OFFSET_MAX = 1_000_000


class Out(BaseModel):
    """A response read by pydantic itself from a model's attributes (or a
    dict's keys), for the rows of long lists: a ninja `Schema` reads each
    field through a Python wrapper (`DjangoGetter`), 700 lookups for a page
    of 25 tasks. No `resolve_*` methods: what a field shows is an attribute
    of the object (a property, or `validation_alias`)."""

    model_config = ConfigDict(from_attributes=True)


class ErrorBody(Schema):
    code: str = Field(..., description="A stable machine-readable code, e.g. not_found, validation, stale")
    message: str = Field(..., description="The translated message for the person")
    details: Any = Field(None, description="Per-field problems, where there are any")


class ErrorOut(Schema):
    error: ErrorBody


# Documented on every operation (the API answers them all in ErrorOut's shape):
# 400 bad input, 401 no valid token or session, 403 not allowed, 404 no such
# record (or not one the caller may see), 409 someone else acted first,
# 429 too many requests, 503 the database is unavailable (retry later).
ERROR_STATUSES = {
    400: "Bad input: nothing was changed",
    401: "Sign in or send a valid API token",
    403: "Not allowed for this person",
    404: "No such record, or not one this person may see",
    409: "Someone else changed the record first: reload and retry",
    429: "Too many requests: retry later",
    503: "The database is unavailable: retry after the Retry-After seconds",
}


class Paged(LimitOffsetPagination):
    """limit 1–100 (default 25), offset 0–1,000,000: every value out of range
    is a 400, never a database overflow."""

    class Input(Schema):
        limit: int = Field(25, ge=1, le=PAGE_MAX)
        offset: int = Field(0, ge=0, le=OFFSET_MAX)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)
