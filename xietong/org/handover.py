"""Handing over what a person holds (HOV): the liaison posts here, and every
module's holdings through their declared hand-overs (org/holdings.py reads)."""

from django.db import transaction
from django.utils.translation import gettext as _

from .actions import liaison_set
from .holdings import may_hand_over
from .models import Liaison, Person


def hand_over_liaison(*, actor: Person, holder: Person, to: Person, ids: list[str], note: str = "") -> int:
    moved = 0
    for liaison in Liaison.objects.filter(person=holder, department_id__in=[i for i in ids if str(i).isdigit()]) \
            .select_related("department", "partner"):
        liaison_set(actor=actor, department=liaison.department, person=to, partner=liaison.partner)
        moved += 1
    return moved



@transaction.atomic
def hand_over(*, actor: Person, holder: Person, to: Person, selection: dict[str, list[str]], note: str = "") -> int:
    """Give what `selection` names (holding key → subject ids) to `to`, all or
    nothing; each module's hand-over keeps state and due time."""
    from xietong.errors import DomainError, PermissionDenied
    from xietong.platform.manifest import HOLDINGS

    if not may_hand_over(actor, holder):
        raise PermissionDenied()
    if not to.is_active:
        raise DomainError(_("%(name)s is not active.") % {"name": to.name}, code="inactive_receiver")
    if to.pk == holder.pk:
        raise DomainError(_("Hand it over to someone else."), code="same_receiver")
    moved = 0
    for key, ids in selection.items():
        holding = HOLDINGS.get(key)
        if holding is None or holding.hand_over is None or not ids:
            continue
        moved += holding.hand_over(actor=actor, holder=holder, to=to, ids=ids, note=note)
    if not moved:
        raise DomainError(_("Choose what to hand over."), code="nothing_chosen")
    return moved
