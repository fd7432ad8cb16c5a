from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DayKind


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class CalendarComputeForm(forms.Form):
    start = forms.DateTimeField(label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=7, decimal_places=2)
    unit = forms.ChoiceField(label=_("Unit"), choices=[("days", _("working days")), ("hours", _("working hours"))])
