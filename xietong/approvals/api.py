"""Approvals over REST (APR-1..7): submit, act (one endpoint per verb), list mine, read the timeline,
manage templates. Same permissions as the pages; errors in the one shape."""

from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Status
from ninja.pagination import paginate

from xietong.apikit import Paged
from xietong.errors import DomainError, PermissionDenied
from xietong.inputs import Id
from xietong.org.gates import api_member
from xietong.org.models import Person
from xietong.work.verbs import verb_operation

from . import actions, flows
from .definition import DefinitionError, definition_parse
from .forms import one_person, people_from
from .handlers import HANDLERS
from .models import Approval, FlowTemplate, FlowVersion, Step
from .permissions import approval_gate, get_approval_for_user
from .queries import box as approvals_box
from .queries import pending_for, timeline
from .routing import explain, route_preview
from .schemas import (
    ApprovalDetailOut,
    ApprovalOut,
    BatchIn,
    BatchOut,
    Key,
    PendingOut,
    PreviewIn,
    PublishIn,
    ResubmitIn,
    RouteNodeOut,
    SubmitIn,
    TemplateDetailOut,
    TemplateIn,
    TemplateOut,
    VersionIn,
    VersionOut,
)
from .verbs import VERBS

router = Router(tags=["approvals"])


Number = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _chosen(chosen: dict[str, list[str]]) -> dict[str, list[int]]:
    return {key: [p.pk for p in people_from(",".join(names))] for key, names in chosen.items()}


def _ref(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "username": person.username, "name": person.name}


def _summary(approval: Approval) -> dict[str, Any]:
    return {"id": approval.pk, "serial": approval.serial, "template": approval.template.key,
            "version": approval.version.number, "title": approval.title, "applicant": _ref(approval.applicant),
            "state": approval.state, "emergency": approval.emergency, "amount": approval.amount,
            "submitted_at": approval.submitted_at, "finished_at": approval.finished_at,
            "subject_type": approval.subject_type, "subject_id": approval.subject_id}


def _detail(approval: Approval, *, timeline_steps: list[Step] | None = None) -> dict[str, Any]:
    """`timeline_steps`: the approval's timeline, when the caller has read it."""
    steps: list[dict[str, Any]] = []
    for s in timeline(approval) if timeline_steps is None else timeline_steps:
        steps.append({
            "id": s.pk, "round": s.round, "index": s.index, "node_key": s.node_key, "name": s.label, "kind": s.kind, "mode": s.mode,
            "state": s.state, "superseded": s.superseded, "why": [explain(e) for e in s.explanation],
            "approvers": [{"id": a.pk, "person": _ref(a.person), "state": a.state, "origin": a.origin,
                        "acted_by": _ref(a.acted_by), "on_behalf_of": _ref(a.on_behalf_of), "acted_at": a.acted_at,
                        "comment": a.comment, "due_at": a.task.due_at if a.task else None}
                       for a in s.approvers.all()]})
    out = _summary(approval)
    out.update(data=approval.data, route=[n["key"] for n in approval.plan],
               current=approval.current, steps=steps)
    return out


@router.get("/approvals/pending", response=list[PendingOut], summary="Waiting for me (待我审批)")
@paginate(Paged)
def pending(request: HttpRequest) -> Any:
    return [{"approver": a.pk, "approval": _summary(a.approval), "step": a.step.label, "batch": a.batch,
             "due_at": a.task.due_at if a.task else None} for a in pending_for(api_member(request))]


@router.get("/approvals", response=list[ApprovalOut], summary="Mine: box = started | done | cc")
@paginate(Paged)
def approvals(request: HttpRequest, box: Literal["started", "done", "cc"] = "started") -> Any:
    me = api_member(request)
    return [_summary(a) for a in approvals_box(me, box).select_related("version")]


@router.post("/approvals", response={201: ApprovalDetailOut}, summary="Submit an application")
def submit(request: HttpRequest, body: SubmitIn) -> Any:
    me = api_member(request)
    template = FlowTemplate.objects.filter(key=body.template).first()
    if template is None or template.system:
        raise Http404
    emergency = None
    if body.emergency:
            emergency = actions.Emergency(leader=one_person(body.emergency.leader),
                                      members=people_from(",".join(body.emergency.members)),
                                      reason=body.emergency.reason)
    approval = actions.approval_submit(actor=me, template=template, data=body.data, title=body.title,
                                       chosen=_chosen(body.chosen), emergency=emergency)
    return Status(201, _detail(approval))


@router.get("/approvals/{int:approval_id}", response=ApprovalDetailOut, summary="An approval with its timeline")
def approval(request: HttpRequest, approval_id: Id) -> Any:
    found, _access = get_approval_for_user(api_member(request), approval_id)
    return _detail(found)


@router.post("/approvals/batch-approve", response=BatchOut, summary="Approve several (nodes that allow it)")
def batch(request: HttpRequest, body: BatchIn) -> Any:
    done, problems = actions.approvals_approve_batch(actor=api_member(request), approver_ids=body.approvers,
                                                     comment=body.comment)
    return {"approved": done, "problems": problems}


@router.post("/approvals/{int:approval_id}/resubmit", response=ApprovalDetailOut)
def resubmit(request: HttpRequest, approval_id: Id, body: ResubmitIn) -> Any:
    me = api_member(request)
    found, _access = get_approval_for_user(me, approval_id)
    actions.approval_resubmit(actor=me, approval=found, data=body.data, title=body.title,
                              chosen=_chosen(body.chosen) or None)
    found.refresh_from_db()
    return _detail(found)


# One endpoint per verb: POST /approvals/{id}/approve, /reject, … (verbs.py).
for _verb in VERBS:
    router.post(f"/approvals/{{int:pk}}/{_verb.slug}", response=ApprovalDetailOut, summary=_verb.summary,
                operation_id=f"approval_{_verb.slug.replace('-', '_')}")(
        verb_operation(_verb, load=approval_gate, prefix="approval", out=_detail, kept_current=True))


# --- templates ---------------------------------------------------------------

def _manager(request: HttpRequest) -> Person:
    me = api_member(request)
    if not flows.can_manage_templates(me):
        raise PermissionDenied()
    return me


@router.get("/approval-templates", response=list[TemplateOut], summary="Templates open for applications")
def templates(request: HttpRequest) -> Any:
    me = api_member(request)
    rows = FlowTemplate.objects.select_related("current_version").order_by("category", "key")
    if not flows.can_manage_templates(me):
        rows = rows.filter(is_active=True, system=False, current_version__isnull=False)
    return list(rows)


@router.get("/approval-templates/{key}", response=TemplateDetailOut)
def template(request: HttpRequest, key: Key) -> Any:
    me = api_member(request)
    found = get_object_or_404(FlowTemplate.objects.select_related("current_version"), key=key)
    if found.system and not flows.can_manage_templates(me):
        raise Http404
    out = TemplateOut.from_orm(found).dict()
    out["definition"] = found.current_version.definition if found.current_version else None
    return out


@router.post("/approval-templates", response={201: VersionOut}, summary="Create a template (first version: draft)")
def template_create(request: HttpRequest, body: TemplateIn) -> Any:
    me = _manager(request)
    version = flows.template_create(actor=me, key=body.key, name=body.name, name_en=body.name_en,
                                      category=body.category, description=body.description,
                                      definition=body.definition, admin=one_person(body.admin) if body.admin else None)
    return Status(201, version)


@router.post("/approval-templates/{key}/versions", response={201: VersionOut}, summary="Save a new draft version")
def version_create(request: HttpRequest, key: Key, body: VersionIn) -> Any:
    me = _manager(request)
    found = get_object_or_404(FlowTemplate, key=key)
    return Status(201, flows.version_save_draft(actor=me, template=found, definition=body.definition, note=body.note))


@router.post("/approval-templates/{key}/versions/{int:number}/publish", response=ApprovalOut,
             summary="Send a draft for publishing (POL-2: itself approved)")
def version_publish(request: HttpRequest, key: Key, number: Number, body: PublishIn) -> Any:
    me = _manager(request)
    version = get_object_or_404(FlowVersion.objects.select_related("template"), template__key=key, number=number)
    if not body.reason.strip():
        raise DomainError(_("Say what changes and why."), code="reason_required")
    found = flows.version_request_publish(actor=me, version=version, reason=body.reason)
    return _summary(found)


@router.post("/approval-templates/{key}/preview", response=list[RouteNodeOut], summary="Who would approve this form")
def preview(request: HttpRequest, key: Key, body: PreviewIn) -> Any:
    me = _manager(request)
    found = get_object_or_404(FlowTemplate, key=key)
    raw = body.definition
    if raw is None:
        latest = found.versions.order_by("-number").first()
        raw = latest.definition if latest else None
    try:
        definition = definition_parse(raw)
    except DefinitionError as error:
        raise DomainError("; ".join(error.problems), code="bad_definition", details={"problems": error.problems}) \
            from None
    applicant = one_person(body.applicant) if body.applicant else me
    return [{"key": r["node"]["key"], "name": r["node"]["name"], "type": r["node"]["type"],
             "people": [_ref(p) for p in r["people"]], "why": r["why"]}
            for r in route_preview(applicant, admin=found.admin, definition=definition, data=body.data,
                                   chosen={}, major=HANDLERS[found.handler].major if found.handler in HANDLERS
                                   else None)]
