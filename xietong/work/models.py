"""The audit trail (KER-4): append-only events, hash-chained per subject.

Each subject (any record) has its own chain: event n of a subject stores the
hash of event n-1. The unique (subject, seq) constraint means two concurrent
appends to one subject cannot both win, while appends to different subjects
never wait for each other — no company-wide lock.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Who acted on whose behalf (delegation, ORG-5); null when acting for oneself.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(max_length=64)  # "<app_label>.<model>"
    subject_id = models.CharField(max_length=64)
    seq = models.PositiveIntegerField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            # The chain is linear per subject: exactly one event per position.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "seq"], name="event_subject_seq_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.verb} @{self.at:%Y-%m-%d %H:%M}"
