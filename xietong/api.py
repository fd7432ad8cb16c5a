"""REST API v1 (INT-2): django-ninja, OpenAPI 3.1 at /api/v1/openapi.json and
local docs at /api/v1/docs. Auth: `Authorization: Bearer <token>` (personal
tokens) or the browser session (with CSRF). The same permission checks as
the UI; every error is {"error": {"code", "message", "details"}}.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from xietong.accounts.actions import token_authenticate
from xietong.approvals.api import router as approvals_router
from xietong.errors import DomainError
from xietong.org.api import router as org_router
from xietong.policy.api import calendar_router, policy_router
from xietong.requests.api import router as requests_router
from xietong.service.api import router as service_router
from xietong.work.api import router as work_router


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = token_authenticate(token)
        if person is not None:
            request.user = person
        return person


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="Xietong API",
    version="1",
    description="Organization, policy, the working calendar, tasks, notifications, approvals, collaboration "
                "requests, duty lists and customer cases of Xietong (协同).",
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
    docs_decorator=login_required,
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    return api.create_response(request, {"error": {"code": code, "message": message, "details": details}},
                               status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 422, "validation", _("Some fields are missing or invalid."), exc.errors)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


api.add_router("/", org_router)
api.add_router("/policy", policy_router)
api.add_router("/calendar", calendar_router)
api.add_router("/", work_router)
api.add_router("/", approvals_router)
api.add_router("/", requests_router)
api.add_router("/", service_router)
