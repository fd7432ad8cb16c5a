"""What one request (or one job, or one sweep part) reads once and then
remembers until it ends: the policy's version token, a person's delegations
at one moment. Outside a scope nothing is remembered, so code called from
tests, shells and scripts reads afresh every time.

A scope keeps nothing that outlives it: several app servers and workers
never share it, and a value a scope changes (a policy parameter set in this
request) is dropped by the action that changed it (`forget`)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_SCOPE: ContextVar[dict[Any, Any] | None] = ContextVar("xietong_memo", default=None)
_MISSING = object()


@contextmanager
def scope() -> Iterator[None]:
    """Remember for the duration of the block (nested scopes share the outer one)."""
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def remembered[T](key: Any, compute: Callable[[], T]) -> T:
    """`compute()` once per scope for `key`; every time outside one."""
    memo = _SCOPE.get()
    if memo is None:
        return compute()
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        value = memo[key] = compute()
    return value  # type: ignore[no-any-return]


def preload(values: dict[Any, Any]) -> None:
    """Remember values read together (one query for many keys); nothing
    outside a scope."""
    memo = _SCOPE.get()
    if memo is not None:
        memo.update(values)


def active() -> bool:
    return _SCOPE.get() is not None


def forget(match: Callable[[Any], bool] | None = None) -> None:
    """Drop what the scope remembers (the keys `match` accepts, or all)."""
    memo = _SCOPE.get()
    if memo is None:
        return
    for key in [k for k in memo if match is None or match(k)]:
        del memo[key]


class ScopeMiddleware:
    """One scope per request."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with scope():
            return self.get_response(request)
