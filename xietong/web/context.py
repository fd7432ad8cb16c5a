import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from xietong.org.principal import principal_of
from xietong.platform import modules


def shell(request: HttpRequest) -> dict[str, Any]:
    """The navigation for the base layout: every module's entries this person
    may see (their manifests' rules), and the inbox badges (KER-2). Made once
    per request; the principal's roles are one query, the counts two."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"read_only": settings.XIETONG_READ_ONLY}
    if not hasattr(request, "_xt_shell"):
        from xietong.work.queries import counts

        principal = principal_of(request)
        entries = sorted((entry for module in modules() for entry in module.nav
                          if entry.visible is not None and entry.visible(principal)), key=lambda e: e.order)
        request._xt_shell = {  # type: ignore[attr-defined]
            "nav": [(entry, _href(entry.url)) for entry in entries],
            "nav_can_manage_org": principal.is_admin,
            "nav_can_sweep": principal.is_admin or principal.has_role("coordination_office"),
            "nav_counts": counts(user) if any(e.badge for e in entries) else None,
            "read_only": settings.XIETONG_READ_ONLY,
        }
    return request._xt_shell  # type: ignore[attr-defined]


def _href(name: str) -> str:
    """A navigation entry's URL, reversed once per name and script prefix (a
    deployment under a path), not on every page."""
    return _reversed(name, get_script_prefix())


@functools.cache
def _reversed(name: str, _prefix: str) -> str:
    return reverse(name)
