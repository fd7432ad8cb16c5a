"""What every HTML view shares once its gate (xietong.org.gates) has let the
visitor in: the refusal page and a DomainError shown as a message. A leaf:
it imports nothing of the product but its errors."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.errors import DomainError


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


def show_error(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, str(error.message))
