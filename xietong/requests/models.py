"""Collaboration requests between departments (REQ-1..5).

A person asks another department for something; its liaison accepts (naming
an owner and confirming or counter-proposing the date) or declines; the owner
delivers, saying before the date when it cannot be met; the requester
confirms with a rating or reopens. Every waiting step is a kernel Task; every
change an Event. The figures the collaboration map reads (response time,
on time, rating) are stored on the request when they become facts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Department
from xietong.work.models import Priority


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for acceptance")
    ACCEPTED = "accepted", _("In progress")
    DECLINED = "declined", _("Declined")
    IN_RULING = "in_ruling", _("With the coordination office")
    COMPLETED = "completed", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (RequestState.SUBMITTED, RequestState.ACCEPTED, RequestState.IN_RULING, RequestState.COMPLETED)


class Request(models.Model):
    title = models.CharField(_("what is needed"), max_length=200)
    reason = models.TextField(_("why"), blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("requester"))
    from_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("requesting department"))
    to_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("asked department"))
    service = models.ForeignKey("duties.DutyItem", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="requests", verbose_name=_("service"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    requested_date = models.DateField(_("requested date"), null=True, blank=True)
    # The agreed deadline: the requested date, or a new date the requester (or
    # the coordination office) agreed to.
    due_at = models.DateTimeField(_("due"))
    liaison = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                verbose_name=_("received by"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("part of"))
    state = models.CharField(_("state"), max_length=16, choices=RequestState.choices, default=RequestState.SUBMITTED)
    # Set by a ruling of the coordination office: the department must take it.
    must_accept = models.BooleanField(default=False)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    result = models.TextField(_("result"), blank=True)
    created_at = models.DateTimeField(_("created"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    auto_confirmed = models.BooleanField(default=False)
    # Working minutes from creation to the first answer (accept or decline).
    response_minutes = models.PositiveIntegerField(null=True, blank=True)
    # The first completion against the due time then agreed.
    on_time = models.BooleanField(null=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("collaboration request")
        verbose_name_plural = _("collaboration requests")
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="request_rating_range"),
            models.CheckConstraint(condition=~Q(from_department=models.F("to_department")),
                                   name="request_other_department"),
        ]
        indexes = [
            # The collaboration map: one period, every pair (REQ-5).
            models.Index(fields=["created_at", "from_department", "to_department"], name="request_map_idx",
                         include=["response_minutes", "on_time", "rating", "state"]),
            models.Index(fields=["requester", "-created_at"], name="request_requester_idx"),
            models.Index(fields=["to_department", "state"], name="request_to_state_idx"),
            models.Index(fields=["from_department", "state"], name="request_from_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def serial(self) -> str:
        return f"XZ{self.created_at:%Y%m%d}-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ProposalKind(models.TextChoices):
    COUNTER = "counter", _("Counter-proposal on acceptance")
    DELAY = "delay", _("Delay notice")


class ProposalState(models.TextChoices):
    PENDING = "pending", _("Waiting for the requester")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected: with the coordination office")
    RULED_NEW = "ruled_new", _("Ruled: new date")
    RULED_KEPT = "ruled_kept", _("Ruled: original date kept")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DateProposal(models.Model):
    """The receiving side cannot meet the date and says so before it (seed 003
    §5: 提前与相关部门沟通说明情况), proposing another."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=8, choices=ProposalKind.choices)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    old_due_at = models.DateTimeField(_("date before"))
    new_due_at = models.DateTimeField(_("proposed date"))
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=12, choices=ProposalState.choices, default=ProposalState.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request"], condition=Q(state="pending"),
                                               name="proposal_one_pending")]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.old_due_at:%Y-%m-%d} → {self.new_due_at:%Y-%m-%d}"


class Update(models.Model):
    """进展: what the owner reports along the way."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("done (%)"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(percent__isnull=True) | Q(percent__lte=100),
                                              name="update_percent_range")]

    def __str__(self) -> str:
        return self.body[:50]
