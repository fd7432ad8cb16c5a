from datetime import datetime, time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xietong.errors import DomainError
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Person

from .actions import password_change, password_reset, token_create, token_revoke
from .models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        return context


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@member_required  # the API refuses outsiders: no tokens for them either
def tokens(request: MemberRequest) -> HttpResponse:
    person = request.user
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_on"]
        expires_at = (
            datetime.combine(expires, time(23, 59), tzinfo=timezone.get_current_timezone()) if expires else None
        )
        try:
            _token, raw = token_create(actor=person, name=form.cleaned_data["name"], expires_at=expires_at)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            form = TokenForm()
    rows = ApiToken.objects.filter(person=person).order_by("-created_at")
    return render(request, "accounts/tokens.html", {"form": form, "tokens": rows, "raw": raw})


@member_required
@require_POST
def token_revoke_view(request: MemberRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, person=request.user)
    token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


def locked_out(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=429)


class PasswordForm(forms.Form):
    current = forms.CharField(label=gettext_lazy("Current password"), max_length=200,
                              widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new = forms.CharField(label=gettext_lazy("New password"), max_length=200,
                          widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    again = forms.CharField(label=gettext_lazy("New password again"), max_length=200,
                            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


@login_required
def password(request: HttpRequest) -> HttpResponse:
    """Change one's own password (INT-3); the only page open after HR reset it."""
    person: Person = request.user  # type: ignore[assignment]
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["new"] != data["again"]:
                raise DomainError(_("The two new passwords differ."), code="mismatch")
            password_change(actor=person, current=data["current"], new=data["new"])
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            update_session_auth_hash(request, person)  # stay signed in here, signed out elsewhere
            messages.success(request, _("Your password is changed."))
            return redirect("web:home")
    return render(request, "accounts/password.html", {"form": form, "forced": person.must_change_password})


@member_required
@require_POST
def password_reset_view(request: MemberRequest, pk: int) -> HttpResponse:
    """HR resets someone's password: the temporary one is shown here, once."""
    actor = request.user
    person = get_object_or_404(Person, pk=pk)
    try:
        temporary = password_reset(actor=actor, person=person)
    except DomainError as exc:
        if exc.status == 403:
            return render(request, "web/forbidden.html", status=403)
        messages.error(request, str(exc.message))
        return redirect("org:person", person.pk)
    return render(request, "accounts/password_reset.html", {"person": person, "temporary": temporary})
