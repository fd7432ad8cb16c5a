"""The inbox, task pages, notifications, preferences, robots, and the
comments / attachments / history of any record (KER-2, 4, 5, 6)."""

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from xietong.audit.history import history_shown
from xietong.errors import DomainError
from xietong.inputs import parse_id
from xietong.org.forms import DelegationForm
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Delegation, Department, Person, Role
from xietong.org.permissions import can_manage_org, get_person_for_user
from xietong.org.queries import has_role
from xietong.pages import forbidden, show_error
from xietong.platform.manifest import SCHEDULES

from . import actions, delegation, discussion, notify, task_verbs
from .heartbeat import STALE_AFTER, worker_states
from .history import may_read_history
from .models import Attachment, Channel, Notification, RobotChannel, SweepStatus, Task
from .permissions import get_task_for_user
from .queries import BOXES, InboxFilter, counts
from .queries import inbox as inbox_query
from .queries import notifications as notification_query
from .registry import KINDS, SUPERVISE, module_label, outcome_label, subject_visible
from .verbs import verb_page

PAGE_SIZE = 25



def _filter_from(request: HttpRequest) -> InboxFilter:
    box = request.GET.get("box", "todo")
    return InboxFilter(box=box if box in BOXES else "todo", module=request.GET.get("module", "")[:24],
                       kind=request.GET.get("kind", "")[:48], overdue=request.GET.get("overdue") == "1")


@member_required
def inbox(request: MemberRequest) -> HttpResponse:
    me, f = request.user, _filter_from(request)
    paginator: Paginator[Task] = Paginator(cast(Any, inbox_query(me, f)), PAGE_SIZE)  # a Box pages as a queryset
    if f == InboxFilter():
        # The unfiltered 待办 count is the navigation badge: no second COUNT.
        paginator.count = counts(me).todo  # type: ignore[misc]
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "f": f, "page": page, "now": timezone.now(), "checkboxes": f.box == "todo", "modules": [(key, module_label(key)) for key in dict.fromkeys(k.module for k in KINDS.values())],
        "kinds": [(k.key, k.label) for k in KINDS.values()], "bulk_kinds": {k for k, v in KINDS.items() if v.bulk},
        "boxes": [("todo", _("To do")), ("done", pgettext("inbox box: what I handled", "Done")),
                  ("started", _("Started by me")), ("cc", _("CC'd to me"))],
    }
    template = "work/inbox.html#results" if request.htmx else "work/inbox.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@member_required
@require_POST
def bulk_complete(request: MemberRequest) -> HttpResponse:
    ids = [pk for pk in map(parse_id, request.POST.getlist("task")) if pk]
    if not ids:
        messages.error(request, _("Select at least one task."))
        return redirect("work:inbox")
    done, problems = actions.tasks_complete_bulk(actor=request.user, ids=ids)
    if done:
        messages.success(request, _("%(n)s task(s) completed.") % {"n": done})
    for problem in problems[:10]:
        messages.error(request, problem)
    return redirect("work:inbox")


@member_required
def task(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    item, access = get_task_for_user(me, pk)
    now = timezone.now()
    spec = KINDS.get(item.kind)
    return render(request, "work/task.html", {
        "task": item, "access": access, "kind": spec, "now": now,
        "outcome": outcome_label(item.kind, item.outcome) if item.outcome else "",
        "outcomes": spec.outcomes if spec else (),
        "supervision": item.children.filter(kind=SUPERVISE).select_related("assignee").order_by("pk"),
        "urge_wait": actions.urge_wait(item, now=now) if access.can_urge else None,
        "history": history_shown(me, item), "subject": ("work.task", str(item.pk)),
        "comments": discussion.comments_for(item), "attachments": discussion.attachments_for(item),
        "is_supervision": item.kind == SUPERVISE,
    })


# One view per task verb, each at its own URL (urls.py): /work/tasks/<id>/claim/, /complete/, …
TASK_VERB_VIEWS = {verb.slug: verb_page(verb, load=task_verbs.load, detail="work:task", labels=task_verbs.LABELS)
                   for verb in task_verbs.VERBS}


# --- any record: comments, attachments, history ---------------------------------

def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("work:inbox")


@member_required
@require_POST
def comment_add(request: MemberRequest, subject_type: str, subject_id: str) -> HttpResponse:
    if not subject_visible(request.user, subject_type, subject_id):
        raise Http404
    try:
        discussion.comment_add(actor=request.user, subject=(subject_type, subject_id),
                               body=request.POST.get("body", ""))
    except DomainError as error:
        show_error(request, error)
    return _back(request)


@member_required
@require_POST
def attachment_add(request: MemberRequest, subject_type: str, subject_id: str) -> HttpResponse:
    if not subject_visible(request.user, subject_type, subject_id):
        raise Http404
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError(_("Choose a file."), code="file_required")
        discussion.attachment_add(actor=request.user, subject=(subject_type, subject_id), upload=upload)
        messages.success(request, _("File attached."))
    except DomainError as error:
        show_error(request, error)
    return _back(request)


def _attachment_for_user(request: MemberRequest, pk: int) -> Attachment:
    item = get_object_or_404(Attachment, pk=pk, removed_at__isnull=True)
    if not subject_visible(request.user, item.subject_type, item.subject_id):
        raise Http404
    return item


@member_required
def attachment_download(request: MemberRequest, pk: int) -> HttpResponseBase:
    item = _attachment_for_user(request, pk)
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name,
                            content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_required
@require_POST
def attachment_remove(request: MemberRequest, pk: int) -> HttpResponse:
    item = _attachment_for_user(request, pk)
    try:
        discussion.attachment_remove(actor=request.user, attachment=item)
        messages.success(request, _("File removed."))
    except DomainError as error:
        show_error(request, error)
    return _back(request)


@member_required
def record_history(request: MemberRequest, subject_type: str, subject_id: str) -> HttpResponse:
    """The audit history of any record the viewer may see (KER-4)."""
    me = request.user
    if not may_read_history(me, subject_type, subject_id):
        raise Http404
    return render(request, "work/history.html", {
        "history": history_shown(me, (subject_type, subject_id)), "subject_type": subject_type,
        "subject_id": subject_id})


# --- notifications -----------------------------------------------------------------

@member_required
def notifications(request: MemberRequest) -> HttpResponse:
    page = Paginator(notification_query(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "work/notifications.html", {"page": page})


@member_required
def notification_open(request: MemberRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if item.read_at is None:
        Notification.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect(item.url)
    return redirect("work:notifications")


@member_required
@require_POST
def notifications_read(request: MemberRequest) -> HttpResponse:
    n = notify.notifications_mark_read(person=request.user)
    messages.success(request, _("%(n)s notification(s) marked as read.") % {"n": n})
    return redirect("work:notifications")


@member_required
def preferences(request: MemberRequest) -> HttpResponse:
    me = request.user
    kinds = list(notify.NOTIFICATION_KINDS.values())
    channels = [(notify.INAPP, _("In the app")), (Channel.EMAIL.value, _("E-mail")), (Channel.SMS.value, _("SMS"))]
    if request.method == "POST":
        notify.preferences_save(person=me, chosen={
            kind.key: {c for c, _label in channels if request.POST.get(f"{kind.key}:{c}") == "on"} for kind in kinds})
        messages.success(request, _("Preferences saved."))
        return redirect("work:preferences")
    chosen = notify.preferences_of(me)
    rows = [(k, [(c, f"{k.key}:{c}", c in chosen[k.key]) for c, _label in channels]) for k in kinds]
    return render(request, "work/preferences.html", {"rows": rows, "channels": channels})


# --- administration -----------------------------------------------------------

@member_required
def robots(request: MemberRequest) -> HttpResponse:
    me = request.user
    if not can_manage_org(me):
        return forbidden(request)
    if request.method == "POST":
        department = None
        department_id = parse_id(request.POST.get("department"))
        if department_id:
            department = Department.objects.filter(pk=department_id).first()
        try:
            notify.robot_create(actor=me, kind=request.POST.get("kind", ""), name=request.POST.get("name", ""),
                                url=request.POST.get("url", "").strip(), secret=request.POST.get("secret", "").strip(),
                                department=department)
            messages.success(request, _("Robot added."))
            return redirect("work:robots")
        except DomainError as error:
            show_error(request, error)
    return render(request, "work/robots.html", {
        "robots": RobotChannel.objects.select_related("department").order_by("pk"),
        "kinds": [(c.value, c.label) for c in Channel if c not in (Channel.EMAIL, Channel.SMS)],
        "departments": Department.objects.filter(is_active=True).order_by("path"),
    })


@member_required
@require_POST
def robot_toggle(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    if not can_manage_org(me):
        return forbidden(request)
    robot = get_object_or_404(RobotChannel, pk=pk)
    notify.robot_set_active(actor=me, robot=robot, active=not robot.active)
    return redirect("work:robots")


@member_required
@require_POST
def sweep_now(request: MemberRequest) -> HttpResponse:
    """Run the sweep in this request (administrators; the demo's button)."""
    me = request.user
    if not (can_manage_org(me) or has_role(me, Role.COORDINATION_OFFICE)):
        return forbidden(request)
    from .sweep import sweep_run

    result = sweep_run()
    messages.success(request, _("Sweep done: %(r)s reminder(s), %(e)s escalation step(s).")
                     % {"r": result["reminders"], "e": result["escalations"]})
    return redirect("work:inbox")





@member_required
def workers(request: MemberRequest) -> HttpResponse:
    """The background workers' heartbeats (administrators): which loop, which
    stopped, what failed last. `xietong health` checks the same."""
    if not can_manage_org(request.user):
        return forbidden(request)
    states = worker_states()
    return render(request, "work/workers.html", {
        "states": states, "alive": sum(1 for s in states if s.alive),
        "stale_minutes": int(STALE_AFTER.total_seconds() // 60),
        "parts": [(status, SCHEDULES.get(status.name)) for status in SweepStatus.objects.order_by("name")]})


# --- delegation (ORG-5), posted from a person's page ---------------------

def _person_for(request: MemberRequest, pk: int) -> Person:
    subject, _access = get_person_for_user(request.user, pk)
    return subject


@member_required
@require_POST
def delegation_create(request: MemberRequest, pk: int) -> HttpResponse:
    subject = _person_for(request, pk)
    form = DelegationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a delegate and a valid period."))
        return redirect("org:person", subject.pk)
    try:
        delegation.delegation_create(actor=request.user, principal=subject, **form.cleaned_data)
        messages.success(request, _("Delegation saved."))
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:person", subject.pk)


@member_required
@require_POST
def delegation_cancel(request: MemberRequest, pk: int, delegation_pk: int) -> HttpResponse:
    subject = _person_for(request, pk)
    try:
        delegation.delegation_cancel(actor=request.user,
                                  delegation=get_object_or_404(Delegation, pk=delegation_pk, principal=subject))
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:person", subject.pk)
