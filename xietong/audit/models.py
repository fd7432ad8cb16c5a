"""The audit trail's tables (KER-4): the bottom layer of the product, which
every other app may write to and none is below.

- `Event`: one fact, hash-chained per record, sealed periodically.
- `Seal`: a digest of every event in an id range, chained to the previous.
"""

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One fact, appended in the transaction of the change it records (KER-4).

    Each subject (any record) has its own chain: event n stores the hash of
    event n-1, and the unique (subject, seq) constraint means two concurrent
    appends to one subject cannot both win, while appends to different subjects
    never wait for each other. `before`/`after` are stored as canonical JSON
    text, exactly the bytes that were hashed, so verifying needs no JSON parse.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    # Who acted on whose behalf (delegation, ORG-5); null when acting for oneself.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    verb = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(max_length=64)  # "<app_label>.<model>"
    subject_id = models.CharField(max_length=64)
    seq = models.PositiveIntegerField()
    before_json = models.TextField(default="null")
    after_json = models.TextField(default="null")
    note = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "work_event"  # where the kernel created it (work 0001); moved to this app unchanged
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            # The chain is linear per subject: exactly one event per position.
            models.UniqueConstraint(fields=["subject_type", "subject_id", "seq"], name="event_subject_seq_uniq")
        ]
        indexes = [
            # The read model (docs/kernel.md): facts by what happened and when
            # (every approval decided this quarter), and by record type and
            # when (everything that happened to requests this month).
            models.Index(fields=["verb", "at"], name="event_verb_at_idx"),
            models.Index(fields=["subject_type", "at"], name="event_type_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} {self.verb} @{self.at:%Y-%m-%d %H:%M}"

    @property
    def before(self) -> Any:
        return json.loads(self.before_json)

    @property
    def after(self) -> Any:
        return json.loads(self.after_json)


class Seal(models.Model):
    """A digest of every event with id in (previous seal's last_id, last_id]
    (KER-4). Per-subject chains cannot see a whole chain or its newest events
    deleted; seals can. Seals chain to each other."""

    seq = models.PositiveIntegerField(unique=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    prev_digest = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        db_table = "work_seal"
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"seal {self.seq} ({self.first_id}..{self.last_id})"
