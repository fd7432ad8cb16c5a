"""Django's and axes' sign-in signals, each recorded as an audit event
(KER-4, INT-3): they are the only hook into the authentication machinery."""

from typing import Any

from .actions import signin_record


def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    signin_record(verb="account.sign_in", request=request, person=user)


def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        signin_record(verb="account.sign_out", request=request, person=user)


def failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    signin_record(verb="account.sign_in_failed", request=request, username=str(credentials.get("username") or ""))


def locked(sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any) -> None:
    signin_record(verb="account.locked_out", request=request, username=username or "")
