"""A day's compliance snapshot (SUP-2): what every clause check found for
the records decided that day, computed once by the worker after the day
ended and sealed by an audit event that carries its digest, so a past
figure can be shown to be the one computed then (snapshot.verify)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    day = models.DateField(_("day"), unique=True)
    computed_at = models.DateTimeField(_("computed"))
    automated = models.PositiveSmallIntegerField(_("clauses checked"))
    catalogue = models.PositiveSmallIntegerField(_("clauses in the catalogue"))
    records = models.PositiveIntegerField(_("records judged"), default=0)
    digest = models.CharField(_("digest"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("compliance snapshot")
        verbose_name_plural = _("compliance snapshots")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"compliance {self.day}"


class Result(models.Model):
    """One clause in one department on one day: how many records it applied to, how many passed."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="results")
    day = models.DateField()
    clause = models.CharField(max_length=48)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    applies = models.PositiveIntegerField()
    passed = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "clause"], name="compliance_result_day_idx"),
                   models.Index(fields=["department", "day"], name="compliance_result_dept_idx")]

    def __str__(self) -> str:
        return f"{self.clause} {self.day}: {self.passed}/{self.applies}"


class Record(models.Model):
    """One record a clause applied to on that day, with its finding's evidence."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="findings")
    day = models.DateField()
    clause = models.CharField(max_length=48)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    passed = models.BooleanField()
    at = models.DateTimeField()
    evidence = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["clause", "day"], name="compliance_record_clause_idx",
                                condition=models.Q(passed=False)),
                   models.Index(fields=["subject_type", "subject_id"], name="compliance_record_subject_idx")]

    def __str__(self) -> str:
        return f"{self.clause} {self.subject_type}:{self.subject_id} {'passed' if self.passed else 'failed'}"
