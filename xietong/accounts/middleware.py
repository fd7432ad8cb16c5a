"""After HR resets a password, the next thing its owner does is choose a new one."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

ALLOWED = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False) \
                and not request.path.startswith(ALLOWED):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "password_change_required", "details": None, "message": _(
                    "Your password was reset: choose a new one at /accounts/password/ first.")}}, status=403)
            return redirect("accounts:password")
        return self.get_response(request)
