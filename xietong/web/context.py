from typing import Any

from django.http import HttpRequest

from xietong.org.permissions import can_manage_org, can_manage_people


def shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: two small queries, cached per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not hasattr(request, "_xt_shell"):
        request._xt_shell = {  # type: ignore[attr-defined]
            "nav_can_manage_org": can_manage_org(user),  # type: ignore[arg-type]
            "nav_can_manage_people": can_manage_people(user),  # type: ignore[arg-type]
        }
    return request._xt_shell  # type: ignore[attr-defined]
