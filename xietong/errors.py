"""The one error type a user can cause.

Actions raise `DomainError` with a translatable message; HTML views show it,
the API maps it to `{"error": {"code", "message", "details"}}`.
"""

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """Bad input or a forbidden state change. Nothing was changed."""

    status = 400

    def __init__(self, message: str | Promise, *, code: str = "invalid", details: Any = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.details = details


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: str | Promise | None = None, *, code: str = "forbidden"):
        from django.utils.translation import gettext_lazy as _

        super().__init__(message or _("You do not have permission to do this."), code=code)


class Conflict(DomainError):
    """Someone else changed the record first (stale step, concurrent edit)."""

    status = 409

    def __init__(self, message: str | Promise, *, code: str = "conflict"):
        super().__init__(message, code=code)
