"""The built-in handlers (POL-2): a parameter change and a template's new
version take effect only when their approval is approved.

A parameter change: proposed only by the parameter's owner role, the
coordination office or an administrator; reviewed by the owner's holders,
then by the CEO when the registry declares the parameter major; its value
checked against its bounds and the rules between parameters at submission
and again when it is approved; one change per parameter and effective date,
whether pending or approved. A template's new version is always major: an
approval route is authority (who signs what)."""

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.audit.trail import event_record
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.org.models import Person
from xietong.org.permissions import can_manage_org
from xietong.org.queries import person_roles
from xietong.policy.actions import parameter_set, parameters_lock
from xietong.policy.queries import change_check, change_scheduled_on
from xietong.policy.registry import get_param, may_propose

from .handlers import Handler
from .models import OPEN_STATES, Approval, FlowVersion, VersionState


def _effective(day: str) -> datetime:
    tz = timezone.get_default_timezone()
    at = datetime.combine(date.fromisoformat(day), time.min, tzinfo=tz)
    return max(at, timezone.now())


def _parameter_validate(applicant: Person, data: dict[str, Any], approval: Approval | None) -> None:
    definition = get_param(data["parameter"])
    roles = {r.role for r in person_roles(applicant)}
    if not may_propose(roles, definition, is_admin=can_manage_org(applicant)):
        raise PermissionDenied(_("A change to “%(label)s” is proposed by %(owner)s, the coordination office or an "
                                 "administrator.") % {"label": definition.label, "owner": definition.owner_label})
    value = definition.parse(data["value"])
    day = date.fromisoformat(data["effective_from"])
    if day < timezone.localdate():
        raise DomainError(_("A change cannot take effect in the past."), code="past_effective")
    # One change per parameter and day, pending or approved: two of them would each show as "the" value.
    parameters_lock()
    pending = Approval.objects.filter(template__handler="policy.parameter_change", state__in=OPEN_STATES,
                                      data__parameter=definition.key, data__effective_from=day.isoformat())
    if approval is not None:
        pending = pending.exclude(pk=approval.pk)
    if pending.exists() or change_scheduled_on(definition.key, day) is not None:
        raise Conflict(_("“%(label)s” already has a change for %(day)s that is pending or approved. Withdraw it, "
                         "or choose another date.") % {"label": definition.label, "day": day},
                       code="change_exists")
    change_check(definition.key, value, _effective(day.isoformat()))


def _parameter_major(data: dict[str, Any]) -> bool:
    try:
        return get_param(str(data.get("parameter", ""))).major
    except DomainError:
        return True  # unknown: the strictest route (validate refuses it anyway)


def _parameter_approved(approval: Approval, subject: Any = None) -> None:
    data = approval.data
    parameter_set(actor=approval.applicant, key=data["parameter"], raw_value=data["value"],
                  reason=data["reason"], effective_from=_effective(data["effective_from"]),
                  approved_in=approval.serial)


def _version_of(data: dict[str, Any]) -> FlowVersion:
    try:
        return FlowVersion.objects.select_related("template").get(template__key=data["template"],
                                                                   number=int(float(data["version"])))
    except (FlowVersion.DoesNotExist, ValueError):
        raise DomainError(_("No such template version."), code="not_found") from None


def _publish_validate(applicant: Person, data: dict[str, Any], approval: Approval | None) -> None:
    version = _version_of(data)
    if version.state not in (VersionState.DRAFT, VersionState.IN_REVIEW):
        raise DomainError(_("Only a draft version can be published."), code="not_draft")


def _publish_approved(approval: Approval, subject: Any = None) -> None:
    from .flows import version_publish

    version_publish(version=_version_of(approval.data), actor=None, approval=approval)


def _publish_ended(approval: Approval, subject: Any = None) -> None:
    version = _version_of(approval.data)
    if FlowVersion.objects.filter(pk=version.pk, state=VersionState.IN_REVIEW).update(state=VersionState.REJECTED):
        event_record(actor=None, verb="template.publish_refused", subject=version.template,
                     after={"version": version.number, "approval": approval.state}, note=approval.serial)


BUILTIN = (
    Handler("policy.parameter_change", gettext_lazy("Change a policy parameter"),
            approved=_parameter_approved, validate=_parameter_validate, major=_parameter_major),
    Handler("approvals.publish", gettext_lazy("Publish a template version"),
            approved=_publish_approved, validate=_publish_validate, ended=_publish_ended, major=lambda data: True),
)
