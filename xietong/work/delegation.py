"""Delegation (ORG-5): while a person is away, someone else acts for them.

The rows are org's (`Delegation`); naming and revoking a delegate are the
kernel's actions, because the kernel applies them (a task for someone away
goes to their delegate; `actions.delegations_apply` moves open tasks when a
delegation starts) and tells the principal (`notify`)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.errors import DomainError, PermissionDenied
from xietong.inputs import check_instant, clean_line
from xietong.org.models import Delegation, Person
from xietong.org.permissions import can_delegate_for
from xietong.org.principal import Principal
from xietong.org.queries import MAX_DELEGATION_HOPS, delegations_changed

from .notify import notify


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


@transaction.atomic
def delegation_create(
    *,
    actor: Person,
    principal: Person,
    delegate: Person,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    include_major: bool = False,
) -> Delegation:
    """ORG-5: while `principal` is away, `delegate` acts for them. Nobody
    names themselves another's delegate; only the principal may hand over
    decisions above the policy thresholds (`include_major`)."""
    _require(can_delegate_for(actor, principal))
    if delegate.pk == actor.pk and actor.pk != principal.pk:
        raise PermissionDenied(_("You cannot make yourself someone else's delegate: the person away, their manager "
                                 "or HR names someone."))
    if include_major and actor.pk != principal.pk:
        raise PermissionDenied(_("Only %(name)s can hand over decisions above the policy thresholds.")
                               % {"name": principal.name})
    if delegate.pk == principal.pk:
        raise DomainError(_("A person cannot delegate to themselves."), code="self_delegation")
    if not delegate.is_active:
        raise DomainError(_("The delegate must be an active person."), code="inactive_person")
    check_instant(starts_at, _("From"))
    check_instant(ends_at, _("Until"))
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), code="bad_period")
    if ends_at <= timezone.now():
        raise DomainError(_("This period is already over."), code="past_period")
    reason = clean_line(reason, _("Reason"), limit=200)
    # Lock the principal so two overlapping delegations cannot both be created.
    Person.objects.select_for_update().filter(pk=principal.pk).first()
    overlapping = Delegation.objects.filter(
        principal=principal, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.exists():
        raise DomainError(_("There is already a delegation for this person in that period."), code="overlap")
    if _delegation_loops(principal=principal, delegate=delegate, starts_at=starts_at, ends_at=ends_at):
        raise DomainError(_("%(delegate)s already hands their work, directly or through others, back to %(principal)s "
                            "in that period: a delegation cycle is not allowed.")
                          % {"delegate": delegate.name, "principal": principal.name}, code="delegation_cycle")
    delegation = Delegation.objects.create(
        principal=principal, delegate=delegate, starts_at=starts_at, ends_at=ends_at,
        reason=reason, created_by=actor, include_major=include_major,
    )
    Principal.forget(delegate)
    delegations_changed()
    event_record(actor=actor, verb="delegation.create", subject=principal,
                 after={"delegation": delegation.pk, "delegate": delegate.pk, "starts_at": starts_at,
                        "ends_at": ends_at, "reason": delegation.reason, "include_major": include_major})
    if actor.pk != principal.pk:
        # Told at once, with the way to revoke it (their own page).
        notify(recipients=[principal], kind="delegation_set", key=f"delegation:{delegation.pk}:set",
               url=f"/org/people/{principal.pk}/#delegations", urgent=False,
               title=lambda: str(_("%(actor)s named %(delegate)s to act for you from %(start)s; you can revoke it "
                                   "on your page")) % {"actor": actor.name, "delegate": delegate.name,
                                                      "start": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")})
    return delegation


def _delegation_loops(*, principal: Person, delegate: Person, starts_at: datetime, ends_at: datetime) -> bool:
    """Would work handed to `delegate` come back to `principal` (ORG-5)? Follows
    the delegate's delegations overlapping the period, a few hops deep."""
    frontier, seen = {delegate.pk}, {delegate.pk}
    for _hop in range(MAX_DELEGATION_HOPS):
        onward = set(Delegation.objects.filter(
            principal_id__in=frontier, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at,
        ).values_list("delegate_id", flat=True))
        if principal.pk in onward:
            return True
        frontier = onward - seen
        if not frontier:
            return False
        seen |= frontier
    return False


@transaction.atomic
def delegation_cancel(*, actor: Person, delegation: Delegation) -> Delegation:
    _require(can_delegate_for(actor, delegation.principal))
    if Delegation.objects.filter(pk=delegation.pk, cancelled_at__isnull=True).update(cancelled_at=timezone.now()):
        event_record(actor=actor, verb="delegation.cancel", subject=delegation.principal,
                     before={"delegation": delegation.pk, "delegate": delegation.delegate_id})
    delegation.refresh_from_db()
    Principal.forget(delegation.delegate)
    delegations_changed()
    return delegation
