"""REST API v1 (INT-2): django-ninja, OpenAPI 3.1 at /api/v1/openapi.json and
local docs at /api/v1/docs. Auth: `Authorization: Bearer <token>` (personal
tokens) or the browser session (with CSRF). The same permission checks as
the UI; every error — bad input, unknown path, wrong method, a database that
is down — is {"error": {"code", "message", "details"}}, and the OpenAPI
document lists every status an operation answers with that schema.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel

from xietong.accounts.actions import token_authenticate
from xietong.apikit import ERROR_STATUSES, ErrorOut
from xietong.errors import DomainError, PermissionDenied
from xietong.org.queries import is_member
from xietong.platform.manifest import load, modules
from xietong.web.errors import database_unavailable, is_unavailable

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def _member(person: Any) -> Any:
    """The API is for the company's members: an outsider account is refused
    (403) here, before any input is read, so no endpoint can forget it."""
    if person is not None and not is_member(person):
        raise PermissionDenied()
    return person


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = token_authenticate(token)
        if person is not None:
            request.user = person
        return _member(person)


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return _member(user if user is not None and user.is_active else None)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page: for a signed-in person, or for
    a script with a valid token (the document is what a client is generated
    from, so it must be reachable the way the client authenticates)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            person = token_authenticate(header[7:].strip())
            if person is None:
                return JsonResponse(error_body("unauthenticated", _("Sign in or send a valid API token.")),
                                    status=401)
            request.user = person
            return view(request, *args, **kwargs)
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse(error_body("unauthenticated", _("Sign in or send a valid API token.")), status=401)
        return redirect_to_login(request.get_full_path())

    return wrapper


class XietongAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
        components["ErrorOut"] = {k: v for k, v in ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}").items() if k != "$defs"}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {
                        "description": description, "content": {"application/json": {"schema": ERROR_REF}}})
                    if status == 503:
                        responses[status]["headers"] = {"Retry-After": {
                            "description": "Seconds to wait", "schema": {"type": "integer"}}}
        return schema


api = XietongAPI(
    title="Xietong API",
    version="1",
    description="Every module of Xietong (协同) — the organization, policy and the working calendar, tasks and "
                "notifications, and each module's records (one tag per module). Every error answers "
                "{\"error\": {\"code\", \"message\", \"details\"}}.",
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
    docs_decorator=_docs_access,
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    return api.create_response(request, error_body(code, message, details), status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # A value of the wrong type or out of its declared range is bad input: 400.
    return _error(request, 400, "validation", _("Some fields are missing or invalid."), _plain(exc.errors))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(DatabaseError)
def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """A database that is down, read-only or locked too long: 503 with
    Retry-After, whatever DEBUG says; any other database error is a bug."""
    if is_unavailable(exc):
        return database_unavailable(request, exc)
    raise exc


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


def _plain(errors: Any) -> Any:
    """Pydantic's error list as JSON: its `ctx` may hold exceptions or values."""
    out = []
    for error in errors:
        item = {k: v for k, v in error.items() if k in ("type", "loc", "msg")}
        item["loc"] = [str(part) for part in item.get("loc", [])]
        out.append(item)
    return out


# Every module's routers, from its manifest (xietong.platform).
for _module in modules():
    for _prefix, _router in _module.api:
        api.add_router(_prefix, load(_router))


def schema_name_clashes(target: NinjaAPI = api) -> dict[str, list[str]]:
    """Schema classes of the API that share a name (OpenAPI keeps one per
    name, so one would silently stand for the other): name → their modules."""
    seen: dict[str, set[type]] = {}

    def visit(model: Any) -> None:
        if not isinstance(model, type) or not issubclass(model, BaseModel):
            for arg in getattr(model, "__args__", ()) or ():
                visit(arg)
            return
        if model in seen.setdefault(model.__name__, set()):
            return
        seen[model.__name__].add(model)
        for field in model.model_fields.values():
            visit(field.annotation)

    for router_prefix, router in target._routers:  # noqa: B007 — the prefix is not needed
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in getattr(operation, "models", []):
                    for field in model.model_fields.values():
                        visit(field.annotation)
                for response in (operation.response_models or {}).values():
                    visit(response)
    internal = {"NinjaResponseSchema", "Input", "Output", "BodyParams", "QueryParams", "PathParams"}
    return {name: sorted(f"{m.__module__}.{m.__qualname__}" for m in models)
            for name, models in seen.items() if len(models) > 1 and name not in internal}
