"""What every HTML view shares: the member gate and DomainError handling."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from xietong.errors import DomainError
from xietong.org.queries import is_member


def member_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in and part of the company; an outsider account gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_member(request.user):  # type: ignore[arg-type]
            return render(request, "web/not_member.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


def show_error(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, str(error.message))
