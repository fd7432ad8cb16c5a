from typing import Any

from django.conf import settings
from django.http import HttpRequest

from xietong.org.models import Role


def shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: four small queries, cached per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"read_only": settings.XIETONG_READ_ONLY}
    if not hasattr(request, "_xt_shell"):
        from xietong.work.queries import role_rows

        roles = {role for person_id, role, _dept in role_rows(user) if person_id == user.pk}
        admin = user.is_superuser or Role.ADMIN in roles
        from xietong.work.queries import counts

        request._xt_shell = {  # type: ignore[attr-defined]
            "nav_can_manage_org": admin,
            "nav_can_manage_people": admin or Role.HR in roles,
            "nav_can_sweep": admin or Role.COORDINATION_OFFICE in roles,
            # The inbox badges (KER-2): two queries.
            "nav_counts": counts(user),
            "read_only": settings.XIETONG_READ_ONLY,
        }
    return request._xt_shell  # type: ignore[attr-defined]
