"""Who may see the compliance view (SUP-2): queries.scope_for decides; the
navigation entry is shown to the same people."""

from xietong.org.principal import Principal

from .queries import COMPANY_ROLES


def sees_compliance(principal: Principal) -> bool:
    return principal.active and (principal.is_admin or principal.has_role(*COMPANY_ROLES) or bool(principal.headed))


def can_view_snapshot(person: object, _pk: str) -> bool:
    from .queries import scope_for

    return scope_for(person) is not None  # type: ignore[arg-type]
