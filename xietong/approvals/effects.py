"""The built-in handlers (POL-2): a parameter change and a template's new
version take effect only when their approval is approved."""

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.errors import DomainError
from xietong.org.models import Person
from xietong.policy.actions import parameter_set
from xietong.policy.registry import get_param
from xietong.work.audit import event_record

from .handlers import Handler, register_handler
from .models import Approval, FlowVersion, VersionState


def _effective(day: str) -> datetime:
    tz = timezone.get_default_timezone()
    at = datetime.combine(date.fromisoformat(day), time.min, tzinfo=tz)
    return max(at, timezone.now())


def _parameter_validate(applicant: Person, data: dict[str, Any]) -> None:
    definition = get_param(data["parameter"])
    definition.parse(data["value"])
    if date.fromisoformat(data["effective_from"]) < timezone.localdate():
        raise DomainError(_("A change cannot take effect in the past."), code="past_effective")


def _parameter_approved(approval: Approval) -> None:
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


def _publish_validate(applicant: Person, data: dict[str, Any]) -> None:
    version = _version_of(data)
    if version.state not in (VersionState.DRAFT, VersionState.IN_REVIEW):
        raise DomainError(_("Only a draft version can be published."), code="not_draft")


def _publish_approved(approval: Approval) -> None:
    from .actions import version_publish

    version_publish(version=_version_of(approval.data), actor=None, approval=approval)


def _publish_ended(approval: Approval) -> None:
    version = _version_of(approval.data)
    if FlowVersion.objects.filter(pk=version.pk, state=VersionState.IN_REVIEW).update(state=VersionState.REJECTED):
        event_record(actor=None, verb="template.publish_refused", subject=version.template,
                     after={"version": version.number, "approval": approval.state}, note=approval.serial)


def register() -> None:
    register_handler(Handler("policy.parameter_change", gettext_lazy("Change a policy parameter"),
                             approved=_parameter_approved, validate=_parameter_validate))
    register_handler(Handler("approvals.publish", gettext_lazy("Publish a template version"),
                             approved=_publish_approved, validate=_publish_validate, ended=_publish_ended))
