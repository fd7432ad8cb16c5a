from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.audit.history import history_shown
from xietong.errors import DomainError
from xietong.inputs import parse_id
from xietong.org.gates import MemberRequest, member_required
from xietong.pages import forbidden, show_error

from . import actions
from .forms import (
    DelegationForm,
    DepartmentForm,
    ImportForm,
    LiaisonForm,
    MembershipForm,
    PersonForm,
    RoleForm,
)
from .importer import import_job_start, template_workbook
from .models import Delegation, Department, ImportJob, Liaison, Person, RoleAssignment
from .permissions import (
    can_manage_org,
    can_manage_people,
    get_department_for_user,
    get_person_for_user,
    mask_email,
    mask_phone,
)
from .queries import (
    department_head,
    department_headcount,
    department_list,
    headcount_warning,
    people_search,
)

PAGE_SIZE = 50



@member_required
def departments(request: MemberRequest) -> HttpResponse:
    return render(request, "org/departments.html", {
        "departments": department_list(), "can_edit": can_manage_org(request.user),
    })


@member_required
def department(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    dept, access = get_department_for_user(me, pk)
    members = dept.memberships.select_related("person").filter(person__is_active=True).order_by("person__name")
    headcount = department_headcount(dept)
    return render(request, "org/department.html", {
        "dept": dept, "access": access, "members": members,
        "head": department_head(dept), "headcount": headcount,
        "warning": headcount_warning(dept, headcount=headcount),
        "liaisons": Liaison.objects.filter(department=dept).select_related("person", "partner"),
        "children": dept.children.filter(is_active=True).select_related("head"),
        "liaison_form": LiaisonForm(), "history": history_shown(me, dept, limit=50) if access.can_edit else [],
    })


@member_required
def department_edit(request: MemberRequest, pk: int | None = None) -> HttpResponse:
    me = request.user
    if not can_manage_org(me):
        return forbidden(request)
    dept = get_object_or_404(Department, pk=pk) if pk else None
    initial = {}
    if dept:
        initial = {f: getattr(dept, f) for f in ("code", "name", "name_en", "kind", "parent", "head",
                                                  "headcount_cap", "sort_order")}
    form = DepartmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sort_order"] = data.get("sort_order") or 0
        try:
            if dept:
                dept = actions.department_update(actor=me, department=dept, changes=data)
            else:
                dept = actions.department_create(actor=me, **data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("org:department", dept.pk)
    return render(request, "org/department_edit.html", {"form": form, "dept": dept})


@member_required
@require_POST
def liaison_set(request: MemberRequest, pk: int) -> HttpResponse:
    dept, _access = get_department_for_user(request.user, pk)
    form = LiaisonForm(request.POST)
    if form.is_valid():
        try:
            actions.liaison_set(actor=request.user, department=dept, **form.cleaned_data)
            messages.success(request, _("Liaison saved."))
        except DomainError as exc:
            show_error(request, exc)
    else:
        messages.error(request, _("Choose a person."))
    return redirect("org:department", dept.pk)


@member_required
@require_POST
def liaison_clear(request: MemberRequest, pk: int, liaison_pk: int) -> HttpResponse:
    dept, _access = get_department_for_user(request.user, pk)
    liaison = get_object_or_404(Liaison, pk=liaison_pk, department=dept)
    try:
        actions.liaison_clear(actor=request.user, liaison=liaison)
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:department", dept.pk)


@member_required
def people(request: MemberRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    dept = None
    department_id = parse_id(request.GET.get("department"))
    if department_id:
        dept = Department.objects.filter(pk=department_id).first()
    page = Paginator(people_search(query=query, department=dept), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "dept": dept, "can_edit": can_manage_people(request.user)}
    if getattr(request, "htmx", False):
        return render(request, "org/people.html#results", context)
    return render(request, "org/people.html", context)


@member_required
def person(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    subject, access = get_person_for_user(me, pk)
    return render(request, "org/person.html", {
        "person": subject, "access": access,
        "email": subject.email if access.can_see_personal_data else mask_email(subject.email) if subject.email else "",
        "phone": subject.phone if access.can_see_personal_data else mask_phone(subject.phone) if subject.phone else "",
        "memberships": subject.memberships.select_related("department"),
        "roles": access.roles,
        "delegations": Delegation.objects.filter(principal=subject).select_related("delegate", "created_by").order_by(
            "-starts_at")[:20],
        "membership_form": MembershipForm(), "role_form": RoleForm(), "delegation_form": DelegationForm(),
        "can_manage_org": can_manage_org(me),
        "history": history_shown(me, subject, limit=50) if access.can_edit else [],
    })


@member_required
def person_edit(request: MemberRequest, pk: int | None = None) -> HttpResponse:
    me = request.user
    if not can_manage_people(me):
        return forbidden(request)
    subject = get_object_or_404(Person, pk=pk) if pk else None
    initial = {}
    if subject:
        initial = {f: getattr(subject, f) for f in ("username", "name", "employee_no", "email", "phone",
                                                     "primary_department", "manager")}
    form = PersonForm(request.POST or None, initial=initial)
    if subject:
        form.fields["position"].widget = form.fields["position"].hidden_widget()
        form.fields["password"].widget = form.fields["password"].hidden_widget()
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if subject:
                data.pop("position"), data.pop("password")
                subject = actions.person_update(actor=me, person=subject, changes=data)
            else:
                subject = actions.person_create(actor=me, **data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("org:person", subject.pk)
    return render(request, "org/person_edit.html", {"form": form, "person": subject})


def _person_post(request: MemberRequest, pk: int) -> Person:
    subject, _access = get_person_for_user(request.user, pk)
    return subject


@member_required
@require_POST
def person_deactivate(request: MemberRequest, pk: int) -> HttpResponse:
    subject = _person_post(request, pk)
    try:
        if subject.is_active:
            actions.person_deactivate(actor=request.user, person=subject, reason=request.POST.get("reason", ""))
        else:
            actions.person_reactivate(actor=request.user, person=subject)
        messages.success(request, _("Saved."))
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:person", subject.pk)


@member_required
@require_POST
def membership_add(request: MemberRequest, pk: int) -> HttpResponse:
    subject = _person_post(request, pk)
    form = MembershipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a department."))
        return redirect("org:person", subject.pk)
    try:
        _m, warning = actions.membership_set(actor=request.user, person=subject, **form.cleaned_data)
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Saved."))
        if warning:
            messages.warning(request, _("%(dept)s now has %(count)s people, above its cap of %(cap)s.") % {
                "dept": form.cleaned_data["department"].name, "count": warning[0], "cap": warning[1]})
    return redirect("org:person", subject.pk)


@member_required
@require_POST
def membership_remove(request: MemberRequest, pk: int, dept_pk: int) -> HttpResponse:
    subject = _person_post(request, pk)
    try:
        actions.membership_remove(actor=request.user, person=subject,
                                  department=get_object_or_404(Department, pk=dept_pk))
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:person", subject.pk)


@member_required
@require_POST
def role_grant(request: MemberRequest, pk: int) -> HttpResponse:
    subject = _person_post(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            actions.role_grant(actor=request.user, person=subject, **form.cleaned_data)
            messages.success(request, _("Saved."))
        except DomainError as exc:
            show_error(request, exc)
    return redirect("org:person", subject.pk)


@member_required
@require_POST
def role_revoke(request: MemberRequest, pk: int, role_pk: int) -> HttpResponse:
    subject = _person_post(request, pk)
    try:
        actions.role_revoke(actor=request.user, assignment=get_object_or_404(RoleAssignment, pk=role_pk, person=subject))
    except DomainError as exc:
        show_error(request, exc)
    return redirect("org:person", subject.pk)


@member_required
def import_view(request: MemberRequest) -> HttpResponse:
    me = request.user
    if not can_manage_people(me):
        return forbidden(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_start(actor=me, filename=upload.name or "", content=upload.read())
        except DomainError as error:
            show_error(request, error)
        else:
            return redirect("org:import_job", job.pk)
    recent = ImportJob.objects.select_related("created_by").order_by("-created_at")
    if not can_manage_org(me):
        recent = recent.filter(created_by=me)
    return render(request, "org/import.html", {"form": form, "recent": recent.defer("content")[:10]})


@member_required
def import_job(request: MemberRequest, pk: int) -> HttpResponse:
    """An import's progress (polled while it runs) and its report."""
    me = request.user
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    if not can_manage_people(me) or (job.created_by_id != me.pk and not can_manage_org(me)):
        raise Http404
    template = "org/import_job.html#job" if request.htmx else "org/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


@member_required
def import_template(request: MemberRequest) -> HttpResponse:
    if not can_manage_people(request.user):
        return forbidden(request)
    response = HttpResponse(template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="xietong-org-import.xlsx"'
    return response


# --- what a person holds (HOV; platform Holding) -----------------------------------------

@member_required
def person_holdings(request: MemberRequest, pk: int) -> HttpResponse:
    """What this person holds in every module, for themselves, HR and their
    head; handing it over (all of a selection, or nothing) for HR and the head."""
    from xietong.platform.kinds import subject_url

    from .handover import hand_over
    from .holdings import held_by, may_hand_over, may_see_holdings

    subject, _access = get_person_for_user(request.user, pk)
    if not may_see_holdings(request.user, subject):
        return forbidden(request)
    can_hand_over = may_hand_over(request.user, subject)
    if request.method == "POST":
        if not can_hand_over:
            return forbidden(request)
        selection: dict[str, list[str]] = {}
        for value in request.POST.getlist("item"):
            key, _sep, subject_id = value.partition(":")
            selection.setdefault(key, []).append(subject_id)
        try:
            to = _receiver(request.POST.get("to", ""))
            moved = hand_over(actor=request.user, holder=subject, to=to, selection=selection,
                              note=request.POST.get("note", ""))
            messages.success(request, _("%(n)s item(s) handed over to %(name)s.") % {"n": moved, "name": to.name})
        except DomainError as error:
            show_error(request, error)
        return redirect("org:person_holdings", subject.pk)
    groups = [(holding, [(item, subject_url(item.subject_type, item.subject_id)) for item in items])
              for holding, items in held_by(subject)]
    return render(request, "org/holdings.html", {
        "person": subject, "groups": groups, "can_hand_over": can_hand_over,
        "open_items": sum(len(items) for holding, items in groups if holding.open_work),
    })


def _receiver(text: str) -> Person:
    """Whom to hand over to: a username, or a name only one active person has."""
    text = text.strip()[:150]
    if not text:
        raise DomainError(_("Name the person who takes it over."), code="receiver_required")
    found = Person.objects.filter(username=text, is_active=True).first()
    if found is None:
        named = list(Person.objects.filter(name=text, is_active=True)[:2])
        if len(named) != 1:
            raise DomainError(_("No single active person is called “%(text)s”: give their username.") % {"text": text},
                              code="receiver_unknown")
        found = named[0]
    return found
