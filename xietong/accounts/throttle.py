"""Sign-in throttling (INT-3) with two limits.

django-axes counts failures per (username, address) and locks that pair at
XIETONG_LOGIN_FAILURE_LIMIT (default 5). On top, a username is locked from
every address once it has XIETONG_LOGIN_USER_FAILURE_LIMIT failures (default
20) in the cool-off window, so an attack spread over many addresses is
stopped too, while a colleague mistyping behind the office's one NAT address
does not lock everyone else out.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def username_failures(username: str) -> int:
    attempts = AccessAttempt.objects.filter(username=username)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class UserAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if username and username_failures(username) >= settings.XIETONG_LOGIN_USER_FAILURE_LIMIT:
            # Report the pair's limit, so that axes locks this attempt out.
            return max(failures, int(settings.AXES_FAILURE_LIMIT))
        return failures
