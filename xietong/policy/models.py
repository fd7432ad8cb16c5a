"""Policy parameter values with history (POL-1) and the working calendar (POL-3)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParameterValue(models.Model):
    """One value of a registered parameter, in force from `effective_from`
    until a later row takes over. Rows are never edited: this is the history."""

    key = models.CharField(_("parameter"), max_length=80)
    value = models.JSONField(_("value"))
    effective_from = models.DateTimeField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=300)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        verbose_name = _("parameter value")
        verbose_name_plural = _("parameter values")
        # param(): the latest value of one key in force at an instant.
        indexes = [models.Index(fields=["key", "-effective_from", "-id"], name="param_value_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("Statutory schedule (chinesecalendar)")
    ADMIN = "admin", _("Entered by an administrator")


class CalendarYear(models.Model):
    """A year whose schedule is known. Deadlines in a year without a row raise
    an error instead of guessing (the schedule is published each November)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Make-up workday (调休上班)")


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a holiday on a weekday or a make-up
    workday on a weekend (or any day the company decides)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class PolicyState(models.Model):
    """One row whose random token a database trigger changes with every write
    to parameters, calendar days or calendar years (snapshot.py)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=64)

    class Meta:
        db_table = "policy_state"

    def __str__(self) -> str:
        return self.token
