"""Customer-service cases (CS-1..5, seed 003 客户服务协作管理).

A case comes in by hotline, website or on-site; customer service solves it
on the spot or passes it to departments, each returning its result; customer
service confirms with the customer, and an unsatisfied customer's words go
back to the departments as a new round. Customer personal data is kept here
only, shown masked, and revealed (and logged) only to those who need it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Department
from xietong.personal import mask_name


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    WEBSITE = "website", _("Website")
    ONSITE = "onsite", _("On site")


class Category(models.TextChoices):
    FAULT = "fault", _("Charger fault")
    BILLING = "billing", _("Billing and payment")
    INSTALLATION = "installation", _("Installation")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    OTHER = "other", _("Other")


class CaseState(models.TextChoices):
    NEW = "new", _("Waiting for customer service")
    OPEN = "open", _("With customer service")
    WITH_DEPARTMENTS = "with_departments", _("With departments")
    CONFIRMING = "confirming", _("Confirming with the customer")
    CLOSED = "closed", _("Closed")


PERSONAL_FIELDS = ("customer_name", "customer_phone", "customer_address", "plate_number", "customer_email")


class Case(models.Model):
    tracking_code = models.CharField(max_length=16, unique=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.OTHER)
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what the customer says"))
    customer_name = models.CharField(_("customer name"), max_length=100)
    customer_phone = models.CharField(_("phone"), max_length=32)
    customer_address = models.CharField(_("address"), max_length=300, blank=True)
    plate_number = models.CharField(_("plate number"), max_length=16, blank=True)
    customer_email = models.EmailField(_("e-mail"), blank=True)
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    complaint = models.BooleanField(_("complaint"), default=False)
    important = models.BooleanField(_("important feedback"), default=False)
    resolution = models.TextField(_("answer to the customer"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    customer_feedback = models.TextField(_("customer's words"), blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(_("received"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The website form: a keyed hash of the source address (rate limit), never the address itself.
    source_hash = models.CharField(max_length=64, blank=True)
    survey_token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    survey_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    survey_comment = models.TextField(blank=True)
    survey_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer case")
        verbose_name_plural = _("customer cases")
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="case_satisfaction_range"),
            models.CheckConstraint(condition=Q(survey_rating__isnull=True) | Q(survey_rating__gte=1,
                                                                                survey_rating__lte=5),
                                   name="case_survey_range"),
        ]
        indexes = [
            models.Index(fields=["state", "-created_at"], name="case_state_idx"),
            models.Index(fields=["source_hash", "created_at"], name="case_source_idx",
                         condition=~Q(source_hash="")),
            models.Index(fields=["created_at"], name="case_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def serial(self) -> str:
        return f"KF{self.created_at:%Y%m%d}-{self.pk}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.customer_name)


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Being handled")
    RETURNED = "returned", _("Result returned")
    CANCELLED = "cancelled", _("Cancelled")


class Assignment(models.Model):
    """One department's part in one round of a case (CS-2)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    round = models.PositiveSmallIntegerField()
    instructions = models.TextField(_("what to do"), blank=True)
    state = models.CharField(max_length=12, choices=AssignmentState.choices, default=AssignmentState.PENDING)
    result = models.TextField(_("result"), blank=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("handled by"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)
    task = models.ForeignKey("work.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["round", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "round", "department"], name="assignment_once")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.round}: {self.department_id}"


class WeeklySummary(models.Model):
    """Important customer feedback of one week, for leadership (CS-3)."""

    week_start = models.DateField(unique=True)
    created_at = models.DateTimeField()
    cases = models.ManyToManyField(Case, related_name="+")
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("weekly feedback summary")
        verbose_name_plural = _("weekly feedback summaries")

    def __str__(self) -> str:
        return f"{self.week_start}"
