"""Parsing only: forms turn POST data into arguments for actions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.platform.manifest import ROLES

from .models import Department, DepartmentKind, Person


def _people() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Person.objects.filter(is_active=True), required=False)


class DepartmentForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=Department.objects.filter(is_active=True),
                                    required=False)
    head = forms.ModelChoiceField(label=_("Head"), queryset=Person.objects.filter(is_active=True), required=False)
    headcount_cap = forms.IntegerField(label=_("Headcount cap"), required=False, min_value=1)
    sort_order = forms.IntegerField(label=_("Order"), required=False, initial=0)


class PersonForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=100)
    employee_no = forms.CharField(label=_("Employee number"), max_length=32, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    primary_department = forms.ModelChoiceField(label=_("Primary department"),
                                                queryset=Department.objects.filter(is_active=True))
    position = forms.CharField(label=_("Position"), max_length=64, required=False)
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Person.objects.filter(is_active=True),
                                     required=False)
    password = forms.CharField(label=_("Initial password (optional)"), required=False,
                               widget=forms.PasswordInput(render_value=False))


class MembershipForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True))
    position = forms.CharField(label=_("Position"), max_length=64, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=lambda: [(r.key, r.label) for r in ROLES.values()])
    department = forms.ModelChoiceField(label=_("Department (optional)"),
                                        queryset=Department.objects.filter(is_active=True), required=False)


class LiaisonForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Liaison"), queryset=Person.objects.filter(is_active=True))
    partner = forms.ModelChoiceField(label=_("For partner department (optional)"),
                                     queryset=Department.objects.filter(is_active=True), required=False)


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(label=pgettext_lazy("the person who acts for another", "Delegate"), queryset=Person.objects.filter(is_active=True))
    starts_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    include_major = forms.BooleanField(
        label=_("Also decisions above the policy thresholds (only the person away may choose this)"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel (.xlsx) or CSV file"))
