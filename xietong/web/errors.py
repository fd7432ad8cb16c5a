"""Errors that are not a person's mistake, answered in the product's voice.

- A database that is down, read-only or locked by a long write answers 503
  with `Retry-After`: a page in the reader's language (rendered without
  touching the database) or, under /api/, the API's JSON error. Never a bare
  "Server Error (500)".
- Under /api/, every error Django itself answers (an unknown path, a path id
  that is not a number, a method the operation does not take, a crash) is
  turned into {"error": {"code", "message", "details"}}.
"""

import json
import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger("xietong.errors")

RETRY_AFTER_SECONDS = 10
API_PREFIX = "/api/"
_UNAVAILABLE = (OperationalError, InterfaceError)
# PostgreSQL's states of "cannot now", whatever Django's error class for them:
# a read-only transaction, a server shutting down or starting, too many connections.
_UNAVAILABLE_STATES = {"25006", "57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08006"}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX) and not request.path.rstrip("/").endswith("/docs")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def database_unavailable(request: HttpRequest, exc: BaseException | None = None) -> HttpResponse:
    """503: the database cannot be reached or written now (down, read-only,
    a lock held longer than the wait). Nothing was changed; retry later."""
    if exc is not None:
        logger.error("database unavailable on %s %s: %s", request.method, request.path, exc)
    if _is_api(request):
        response: HttpResponse = _json(503, "read_only" if getattr(settings, "XIETONG_READ_ONLY", False)
                                       else "unavailable", _(
            "The system is in read-only mode: nothing can be changed for now.")
            if getattr(settings, "XIETONG_READ_ONLY", False) else _(
            "The database is not available at the moment. Nothing was changed; try again in a few seconds."))
    else:
        response = HttpResponse(render_to_string("web/unavailable.html", {
            "retry": RETRY_AFTER_SECONDS, "read_only": getattr(settings, "XIETONG_READ_ONLY", False)}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, _UNAVAILABLE):
        return True
    cause = exc.__cause__
    return isinstance(exc, DatabaseError) and getattr(cause, "sqlstate", None) in _UNAVAILABLE_STATES


class ResilienceMiddleware:
    """First in the chain: turns a view's database outage into a 503 and
    gives the API's own shape to errors Django answered for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and not response.get(
                "Content-Type", "").startswith("application/json"):
            return _api_shape(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_unavailable(exception):
            return database_unavailable(request, exception)
        return None


def _api_shape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 404:
        out: HttpResponse = _json(404, "not_found", _("Not found."))
    elif status == 405:
        out = _json(405, "method_not_allowed", _("This operation does not take the method %(method)s.")
                    % {"method": request.method})
        if response.has_header("Allow"):
            out["Allow"] = response["Allow"]
    elif status == 403:
        out = _json(403, "forbidden", _("You do not have permission to do this."))
    elif status == 400:
        out = _json(400, "bad_request", _("The request could not be read."))
    elif status == 503:
        out = database_unavailable(request)
    else:
        out = _json(status, "server_error" if status >= 500 else "http_error",
                    _("Something went wrong on our side; it has been logged.") if status >= 500 else
                    response.reason_phrase)
    if response.has_header("Retry-After"):
        out["Retry-After"] = response["Retry-After"]
    return out


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under /api/, the product's page elsewhere."""
    if _is_api(request):
        return _json(404, "not_found", _("Not found."))
    return HttpResponse(render_to_string("web/not_found.html", request=None), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a 503; anything else a 500 in the
    reader's language (JSON under /api/). Rendered without the database."""
    exc = sys.exc_info()[1]
    if exc is not None and is_unavailable(exc):
        return database_unavailable(request, exc)
    if _is_api(request):
        return _json(500, "server_error", _("Something went wrong on our side; it has been logged."))
    return HttpResponse(render_to_string("web/server_error.html"), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return _json(403, "csrf", _("The request was refused: the CSRF check failed. Reload the page and retry."))
    return HttpResponse(render_to_string("web/csrf_failure.html"), status=403)


def is_json_error(response: HttpResponse) -> bool:
    try:
        return "error" in json.loads(response.content)
    except ValueError:
        return False


__all__ = ["DatabaseError", "ResilienceMiddleware", "database_unavailable", "not_found", "server_error"]


class InputGuardMiddleware:
    """Refuses a request carrying a NUL character in its path, query string
    or form and JSON fields — PostgreSQL cannot store one in text, so
    without this any lookup by a typed value (a filter, a template key)
    would fail with a server error instead of a 400. Uploaded files may hold
    any bytes and are not looked at."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return bad_character(request)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or any("\x00" in k or any("\x00" in v for v in vs)
                                     for k, vs in request.GET.lists()):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            raw = request.body
        except Exception:  # noqa: BLE001 — an unreadable body is the view's to refuse
            return False
        return b"\x00" in raw or b"\\u0000" in raw
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.POST.lists())
        except Exception:  # noqa: BLE001 — a malformed form is the view's to refuse
            return False
    return False


def bad_character(request: HttpRequest) -> HttpResponse:
    message = _("The request contains a character that cannot be stored (NUL). Nothing was changed.")
    if _is_api(request):
        return _json(400, "bad_character", message)
    return HttpResponse(render_to_string("web/bad_request.html", {"message": message}), status=400)
