"""Approval pages (APR-1..7): the lists, applying, the approval page with its
actions and timeline, resubmitting, the printable 审批单, and the template
editor with its "who would approve this" preview."""

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.audit.history import history_shown
from xietong.errors import DomainError
from xietong.inputs import parse_id
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Person
from xietong.pages import forbidden, show_error
from xietong.platform.manifest import SUBJECTS
from xietong.work import discussion
from xietong.work.registry import subject_visible
from xietong.work.verbs import verb_page

from . import actions, flows
from .definition import DefinitionError, definition_parse
from .forms import people_from, values_from_post
from .handlers import HANDLERS
from .models import Approval, ApprovalState, FlowTemplate, FlowVersion, VersionState
from .permissions import approval_gate, get_approval_for_user
from .queries import BOXES, box, form_rows, open_templates, pending_for
from .routing import explain, route_preview
from .verbs import LABELS, VERBS

PAGE_SIZE = 25



@member_required
def index(request: MemberRequest) -> HttpResponse:
    me = request.user
    name = request.GET.get("box", "todo")
    name = name if name in BOXES else "todo"
    page: Any
    if name == "todo":
        page = Paginator(pending_for(me), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        page = Paginator(box(me, name), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/index.html", {
        "box": name, "page": page,
        "boxes": [("todo", _("Waiting for me")), ("done", _("Handled by me")), ("started", _("Submitted by me")),
                  ("cc", _("CC'd to me"))],
    })


@member_required
@require_POST
def batch_approve(request: MemberRequest) -> HttpResponse:
    ids = [pk for pk in map(parse_id, request.POST.getlist("approver")) if pk]
    if not ids:
        messages.error(request, _("Select at least one approval."))
        return redirect("approvals:index")
    done, problems = actions.approvals_approve_batch(actor=request.user, approver_ids=ids,
                                                     comment=request.POST.get("comment", "")[:2000])
    if done:
        messages.success(request, _("%(n)s approval(s) approved.") % {"n": done})
    for problem in problems[:10]:
        messages.error(request, problem)
    return redirect("approvals:index")


@member_required
def new(request: MemberRequest) -> HttpResponse:
    return render(request, "approvals/new.html", {"templates": open_templates()})


def _open_template(key: str) -> FlowTemplate:
    template = FlowTemplate.objects.select_related("current_version").filter(key=key).first()
    if template is None or template.system or not template.is_active or template.current_version is None:
        raise Http404
    return template


def _chosen_nodes(definition: Any) -> list[dict[str, Any]]:
    from .definition import ApproveNode, _walk

    return [{"key": n.key, "name": n.name} for n in _walk(definition.nodes)
            if isinstance(n, ApproveNode) and any(r.rule == "chosen" for r in n.approvers)]


def _chosen_from(request: HttpRequest, nodes: list[dict[str, Any]]) -> dict[str, list[int]]:
    return {n["key"]: [p.pk for p in people_from(request.POST.get(f"chosen_{n['key']}", ""))] for n in nodes}


def _files_from(request: HttpRequest, definition: Any) -> dict[str, list[Any]]:
    return {f.key: request.FILES.getlist(f"f_{f.key}") for f in definition.form if f.type == "attachment"}


def _departments(definition: Any) -> Any:
    from xietong.org.models import Department

    wanted = any(f.type == "department" or any(c.type == "department" for c in f.columns) for f in definition.form)
    return Department.objects.filter(is_active=True).order_by("path") if wanted else []


@member_required
def apply(request: MemberRequest, key: str) -> HttpResponse:
    me = request.user
    template = _open_template(key)
    definition = actions.version_definition(template.current_version)  # type: ignore[arg-type]
    chosen_nodes = _chosen_nodes(definition)
    context: dict[str, Any] = {"template": template, "definition": definition, "fields": definition.form,
                               "values": {}, "errors": {}, "chosen_nodes": chosen_nodes,
                               "allow_emergency": definition.settings.allow_emergency,
                               "departments": _departments(definition)}
    if request.method == "GET":
        # Links may prefill fields (the policy page: ?parameter=<key>).
        context["values"] = {f.key: request.GET[f.key] for f in definition.form if f.key in request.GET}
    if request.method == "POST":
        data = values_from_post(definition.form, request.POST)
        context["values"] = data
        context["post"] = request.POST
        try:
            chosen = _chosen_from(request, chosen_nodes)
            if request.POST.get("preview"):
                handler = HANDLERS.get(template.handler)
                context["route"] = route_preview(me, admin=template.admin, definition=definition, data=data,
                                                 chosen=chosen, major=handler.major if handler else None)
                if request.htmx:  # type: ignore[attr-defined]
                    return render(request, "approvals/apply.html#route", context)
                return render(request, "approvals/apply.html", context)
            emergency = None
            if request.POST.get("emergency") and definition.settings.allow_emergency:
                leaders = people_from(request.POST.get("leader", ""))
                if len(leaders) != 1:
                    raise DomainError(_("Name the one director who leads the decision group."), code="leader")
                emergency = actions.Emergency(leader=leaders[0], members=people_from(request.POST.get("members", "")),
                                              reason=request.POST.get("emergency_reason", ""))
            approval = actions.approval_submit(actor=me, template=template, data=data,
                                               title=request.POST.get("title", ""), chosen=chosen,
                                               files=_files_from(request, definition), emergency=emergency)
        except actions.FormInvalid as error:
            context["errors"] = error.errors
            messages.error(request, str(error.message))
            return render(request, "approvals/apply.html", context, status=400)
        except DomainError as error:
            show_error(request, error)
            return render(request, "approvals/apply.html", context, status=400)
        messages.success(request, _("Submitted. %(serial)s is on its way.") % {"serial": approval.serial})
        return redirect(approval)
    return render(request, "approvals/apply.html", context)


@member_required
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    approval, access = get_approval_for_user(me, pk)
    steps = access.steps
    targets = {}
    for a in access.mine:
        targets[a.pk] = actions.return_targets(approval, a.step)
    return render(request, "approvals/detail.html", {
        "approval": approval, "access": access, "rows": form_rows(approval), "steps": steps,
        "explanations": {s.pk: [explain(e) for e in s.explanation] for s in steps},
        "targets": targets, "ccs": approval.ccs.select_related("person").order_by("created_at"),
        "history": history_shown(me, approval), "subject": ("approvals.approval", str(approval.pk)),
        "comments": discussion.comments_for(approval), "attachments": discussion.attachments_for(approval),
        "remaining": approval.plan[approval.current + 1:] if approval.state == ApprovalState.RUNNING else [],
        "subject_link": _subject_link(me, approval),
    })


def _subject_link(viewer: Person, approval: Approval) -> dict[str, Any] | None:
    """The record submitted with the approval, for whoever may see it."""
    if not approval.subject_type:
        return None
    spec = SUBJECTS.get(approval.subject_type)
    if spec is None or not subject_visible(viewer, approval.subject_type, approval.subject_id):
        return None
    record = approval.subject
    return {"kind": spec.name, "label": str(record) if record is not None else f"#{approval.subject_id}",
            "url": spec.url(approval.subject_id)}


# One view per verb, each at its own URL (urls.py): /approvals/<id>/approve/, /reject/, …
VERB_VIEWS = {verb.slug: verb_page(verb, load=approval_gate,
                                   detail="approvals:detail", labels=LABELS) for verb in VERBS}


@member_required
def resubmit(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    approval, access = get_approval_for_user(me, pk)
    if not access.can_resubmit:
        return forbidden(request)
    definition = actions.version_definition(approval.version)
    chosen_nodes = _chosen_nodes(definition)
    context: dict[str, Any] = {"template": approval.template, "definition": definition, "fields": definition.form,
                               "values": approval.data, "errors": {}, "approval": approval,
                               "chosen_nodes": chosen_nodes, "allow_emergency": False,
                               "departments": _departments(definition)}
    if request.method == "POST":
        data = values_from_post(definition.form, request.POST)
        context["values"] = data
        try:
            actions.approval_resubmit(actor=me, approval=approval, data=data, title=request.POST.get("title", ""),
                                      chosen=_chosen_from(request, chosen_nodes) if chosen_nodes else None,
                                      files=_files_from(request, definition))
        except actions.FormInvalid as error:
            context["errors"] = error.errors
            messages.error(request, str(error.message))
            return render(request, "approvals/apply.html", context, status=400)
        except DomainError as error:
            show_error(request, error)
            return render(request, "approvals/apply.html", context, status=400)
        messages.success(request, _("Resubmitted."))
        return redirect(approval)
    return render(request, "approvals/apply.html", context)


@member_required
def pdf(request: MemberRequest, pk: int) -> HttpResponse:
    from .pdf import approval_pdf

    me = request.user
    approval, _access = get_approval_for_user(me, pk)
    response = HttpResponse(approval_pdf(approval, viewer=me, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{approval.serial}.pdf"'
    return response


# --- templates (administrators) ---------------------------------------------

def _manager(request: MemberRequest) -> Person | None:
    me = request.user
    return me if flows.can_manage_templates(me) else None


@member_required
def templates(request: MemberRequest) -> HttpResponse:
    if not _manager(request):
        return forbidden(request)
    rows = FlowTemplate.objects.select_related("current_version").order_by("category", "key")
    return render(request, "approvals/templates.html", {"templates": rows})


EXAMPLE = {
    "form": [{"key": "amount", "type": "money", "label": "金额（元）", "label_en": "Amount", "required": True,
              "amount": True},
             {"key": "reason", "type": "textarea", "label": "事由", "label_en": "Reason", "required": True}],
    "nodes": [{"type": "approve", "key": "head", "name": "部门负责人", "name_en": "Department head", "mode": "any",
               "approvers": [{"rule": "dept_head"}]}],
    "settings": {"return_resume": "restart", "withdraw": "before_first_approval"},
}


@member_required
def template_new(request: MemberRequest) -> HttpResponse:
    me = _manager(request)
    if me is None:
        return forbidden(request)
    context: dict[str, Any] = {"definition_text": json.dumps(EXAMPLE, ensure_ascii=False, indent=2),
                               "post": request.POST, "categories": FlowTemplate._meta.get_field("category").choices}
    if request.method == "POST":
        context["definition_text"] = request.POST.get("definition", "")
        try:
            definition = _json(request.POST.get("definition", ""))
            admin = people_from(request.POST.get("admin", ""))
            version = flows.template_create(
                actor=me, key=request.POST.get("key", "").strip(), name=request.POST.get("name", ""),
                name_en=request.POST.get("name_en", ""), category=request.POST.get("category", "general"),
                description=request.POST.get("description", "")[:2000], definition=definition,
                admin=admin[0] if admin else None)
        except DomainError as error:
            show_error(request, error)
            return render(request, "approvals/template_new.html", context, status=400)
        messages.success(request, _("Template created as a draft. Preview it, then send it for publishing."))
        return redirect("approvals:template_edit", key=version.template.key)
    return render(request, "approvals/template_new.html", context)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DomainError(_("The definition is not valid JSON: %(error)s (line %(line)s, column %(col)s)")
                          % {"error": error.msg, "line": error.lineno, "col": error.colno}, code="bad_json") from None


@member_required
def template_edit(request: MemberRequest, key: str) -> HttpResponse:
    me = _manager(request)
    if me is None:
        return forbidden(request)
    template = get_object_or_404(FlowTemplate, key=key)
    versions = list(template.versions.order_by("-number"))
    latest = versions[0] if versions else None
    context: dict[str, Any] = {
        "template": template, "versions": versions,
        "definition_text": json.dumps(latest.definition if latest else EXAMPLE, ensure_ascii=False, indent=2),
    }
    if request.method == "POST":
        context["definition_text"] = request.POST.get("definition", "")
        try:
            version = flows.version_save_draft(actor=me, template=template,
                                                 definition=_json(request.POST.get("definition", "")),
                                                 note=request.POST.get("note", ""))
        except DomainError as error:
            show_error(request, error)
            return render(request, "approvals/template_edit.html", context, status=400)
        messages.success(request, _("Saved as draft version %(n)s.") % {"n": version.number})
        return redirect("approvals:template_edit", key=key)
    return render(request, "approvals/template_edit.html", context)


@member_required
@require_POST
def template_preview(request: MemberRequest, key: str) -> HttpResponse:
    """Who would approve a sample form, for the definition being edited."""
    me = _manager(request)
    if me is None:
        return forbidden(request)
    template = get_object_or_404(FlowTemplate, key=key)
    context: dict[str, Any] = {"template": template}
    try:
        definition = definition_parse(_json(request.POST.get("definition", "")))
        sample = _json(request.POST.get("sample", "") or "{}")
        applicants = people_from(request.POST.get("applicant", "")) or [me]
        if not isinstance(sample, dict):
            raise DomainError(_("The sample form must be a JSON object."), code="bad_sample")
        handler = HANDLERS.get(template.handler)
        context["route"] = route_preview(applicants[0], admin=template.admin, definition=definition, data=sample,
                                         chosen={}, major=handler.major if handler else None)
        context["applicant"] = applicants[0]
    except DefinitionError as error:
        context["problems"] = error.problems
    except DomainError as error:
        context["problems"] = [str(error.message)]
    return render(request, "approvals/_preview.html", context)


@member_required
@require_POST
def template_publish(request: MemberRequest, key: str, number: int) -> HttpResponse:
    me = _manager(request)
    if me is None:
        return forbidden(request)
    version = get_object_or_404(FlowVersion, template__key=key, number=number)
    try:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            raise DomainError(_("Say what changes and why."), code="reason_required")
        approval = flows.version_request_publish(actor=me, version=version,
                                                   reason=reason)
    except DomainError as error:
        show_error(request, error)
        return redirect("approvals:template_edit", key=key)
    version.refresh_from_db()
    if version.state == VersionState.PUBLISHED:
        messages.success(request, _("Version %(n)s is published.") % {"n": number})
    else:
        messages.success(request, _("Version %(n)s is sent for approval (%(serial)s); it is published when approved.")
                         % {"n": number, "serial": approval.serial})
    return redirect("approvals:template_edit", key=key)
