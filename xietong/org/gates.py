"""The gate every page and endpoint passes first: signed in, and part of the
company (an account in no department and with no company role — an outsider —
sees nothing of it). Each record's own permission is checked after this, by
its module."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from xietong.errors import PermissionDenied

from .models import Person
from .principal import principal_of
from .queries import is_member


class MemberRequest(HttpRequest):
    """What a `member_required` view receives: a request whose user is a
    signed-in member of the company (the gate has checked), typed as such, so
    views read `request.user` as a `Person` without a cast."""

    user: Person
    htmx: HtmxDetails


def member_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page for the company's members: signed out → the sign-in page; an
    outsider → 403. The request's principal is loaded here, once."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not principal_of(request).is_member:
            return render(request, "web/not_member.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def api_member(request: HttpRequest) -> Person:
    """The API's caller (session or token), who must belong to the company."""
    person: Person = request.auth  # type: ignore[attr-defined]
    if not is_member(person):
        raise PermissionDenied()
    return person
