"""Flow templates and their versions (APR-1): create, save a draft, publish —
directly for administrators setting up, or through the POL-2 approval
`approvals.publish` (version_request_publish)."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.inputs import clean_line
from xietong.org.models import Person

from .actions import approval_submit
from .definition import definition_parse
from .models import Approval, FlowTemplate, FlowVersion, VersionState


def can_manage_templates(person: Person) -> bool:
    from xietong.org.permissions import can_manage_org

    return can_manage_org(person)


@transaction.atomic
def template_create(*, actor: Person, key: str, name: str, name_en: str = "", category: str = "general",
                    description: str = "", definition: Any, admin: Person | None = None) -> FlowVersion:
    """A new template with its first version as a draft (APR-1)."""
    if not can_manage_templates(actor):
        raise PermissionDenied()
    from django.core.validators import validate_slug

    try:
        validate_slug(key)
    except Exception:
        raise DomainError(_("The key may contain only letters, digits, - and _."), code="bad_key") from None
    if not name.strip():
        raise DomainError(_("A template needs a name."), code="name_required")
    if FlowTemplate.objects.filter(key=key).exists():
        raise DomainError(_("A template with this key already exists."), code="duplicate_key")
    name, name_en = clean_line(name, _("Name"), limit=100), clean_line(name_en, _("English name"), limit=100)
    template = FlowTemplate.objects.create(key=key, name=name, name_en=name_en,
                                           category=category, description=description, admin=admin)
    event_record(actor=actor, verb="template.create", subject=template, first=True,
                 after={"key": key, "name": template.name, "category": category})
    return version_save_draft(actor=actor, template=template, definition=definition, note="")


@transaction.atomic
def version_save_draft(*, actor: Person, template: FlowTemplate, definition: Any, note: str = "") -> FlowVersion:
    """Save a template's definition as a new draft version (APR-1). Validated
    in full; the published version and running approvals are untouched."""
    if not can_manage_templates(actor):
        raise PermissionDenied()
    from .definition import DefinitionError

    try:
        parsed = definition_parse(definition)
    except DefinitionError as error:
        raise DomainError(_("The definition has problems: %(problems)s") % {"problems": "; ".join(error.problems)},
                          code="bad_definition", details={"problems": error.problems}) from None
    FlowTemplate.objects.select_for_update().filter(pk=template.pk).first()
    number = (template.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = FlowVersion.objects.create(template=template, number=number, definition=parsed.model_dump(
        mode="json", exclude_defaults=False), note=clean_line(note, _("Note"), limit=300), created_by=actor,
        created_at=timezone.now())
    event_record(actor=actor, verb="template.draft", subject=template, after={"version": number}, note=version.note)
    return version


@transaction.atomic
def version_publish(*, version: FlowVersion, actor: Person | None, approval: Approval | None = None) -> FlowVersion:
    """Make a version the one new approvals use. Called when its POL-2
    publishing approval is approved, or by the built-in installer."""
    template = FlowTemplate.objects.select_for_update().get(pk=version.template_id)
    now = timezone.now()
    previous = template.current_version_id
    FlowVersion.objects.filter(template=template, state=VersionState.PUBLISHED).update(state=VersionState.SUPERSEDED)
    FlowVersion.objects.filter(pk=version.pk).update(state=VersionState.PUBLISHED, published_at=now)
    template.current_version = version
    template.save(update_fields=["current_version"])
    event_record(actor=actor, verb="template.publish", subject=template, at=now,
                 before={"version": previous}, after={"version": version.number},
                 note=approval.serial if approval else "")
    version.refresh_from_db()
    return version


@transaction.atomic
def version_request_publish(*, actor: Person, version: FlowVersion, reason: str) -> Approval:
    """POL-2: publishing a template version is itself approved (department
    review, then the CEO: a route is authority, so always a major change).
    It is published when approved."""
    if not can_manage_templates(actor):
        raise PermissionDenied()
    if FlowVersion.objects.filter(pk=version.pk, state=VersionState.DRAFT).update(
            state=VersionState.IN_REVIEW) != 1:
        raise Conflict(_("Only a draft version can be sent for publishing."), code="not_draft")
    publisher = FlowTemplate.objects.get(key="template_publish")
    return approval_submit(
        actor=actor, template=publisher, system=True,
        title=f"{version.template.name} v{version.number}",
        data={"template": version.template.key, "version": version.number,
              "reason": reason})
