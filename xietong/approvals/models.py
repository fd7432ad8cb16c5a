"""Approvals (APR-1..7): flow templates stored as versioned data, and the
approvals running on them.

- `FlowTemplate` / `FlowVersion`: a form and an ordered list of nodes, as a
  schema-validated JSON definition (`definition.py`). A running approval keeps
  the version it started on.
- `Approval`: one application; its `plan` is the route chosen at submit time
  (conditions evaluated on the form), walked node by node.
- `Step` / `StepApprover`: a node reached in a round, and each person asked to
  act on it. Every pending approver holds a kernel Task (the inbox).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    EXPENSE = "expense", _("Expense")
    RESOURCE = "resource", _("Resource")
    POLICY = "policy", _("Policy and process")
    PROJECT = "project", _("Project")
    GENERAL = "general", _("General")


class FlowTemplate(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.GENERAL)
    description = models.TextField(_("description"), blank=True)
    # 流程管理员: an empty approver goes to them (APR-4).
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("flow administrator"))
    # A registered handler (handlers.py) run when an approval ends; code is
    # named, never stored.
    handler = models.CharField(_("handler"), max_length=48, blank=True)
    builtin = models.BooleanField(_("built in"), default=False)
    # Started by the product itself (publishing a template), not from "new".
    system = models.BooleanField(default=False)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey("FlowVersion", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("published version"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("flow template")
        verbose_name_plural = _("flow templates")
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and not (get_language() or "zh-hans").startswith("zh"):
            return self.name_en
        return self.name


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Awaiting approval")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Not approved")


class FlowVersion(models.Model):
    template = models.ForeignKey(FlowTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    state = models.CharField(_("state"), max_length=12, choices=VersionState.choices, default=VersionState.DRAFT)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="flowversion_number_uniq")]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.number}"


class ApprovalState(models.TextChoices):
    RUNNING = "running", _("In approval")
    RETURNED = "returned", _("Returned to the applicant")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (ApprovalState.RUNNING, ApprovalState.RETURNED)


class Approval(models.Model):
    template = models.ForeignKey(FlowTemplate, on_delete=models.PROTECT, related_name="approvals")
    version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="approvals")
    title = models.CharField(_("title"), max_length=200)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("applicant"))
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    data = models.JSONField(_("form"), default=dict)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.RUNNING)
    # APR-5: decided by a temporary decision group; reviewed afterwards by the
    # approvers the thresholds would have asked (a task each, escalating).
    emergency = models.BooleanField(_("emergency"), default=False)
    emergency_group = models.JSONField(default=dict, blank=True)
    # When the last post-hoc review of an emergency decision was given.
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    # The route chosen at submit: the template's nodes after conditions.
    plan = models.JSONField(default=list)
    chosen = models.JSONField(default=dict, blank=True)  # node key -> [person ids] picked by the applicant
    current = models.IntegerField(default=0)  # index into plan of the node in progress
    resume_at = models.CharField(max_length=40, blank=True)  # node key to jump back to after a return
    round = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("submitted"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The record another module submitted for approval (a project, a document,
    # a booking…), as the kernel names records: "<app_label>.<model>" and its
    # id; empty for a form filled in on its own (APR as a service).
    subject_type = models.CharField(max_length=64, blank=True, default="", db_default="")
    subject_id = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [
            # approvals_for(record): a record's approvals.
            models.Index(fields=["subject_type", "subject_id"], name="approval_subject_idx",
                         condition=~models.Q(subject_type="")),
            # 我发起的: an applicant's approvals, newest first.
            models.Index(fields=["applicant", "-submitted_at"], name="approval_applicant_idx"),
            # Supervision and reports: open approvals by template.
            models.Index(fields=["template", "state"], name="approval_template_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.pk])

    @property
    def subject(self) -> models.Model | None:
        """The submitted record (its model from the manifests' record types), or None."""
        if not self.subject_type:
            return None
        from xietong.platform.manifest import SUBJECTS

        spec = SUBJECTS.get(self.subject_type)
        model = getattr(spec, "model", None)
        if model is None:
            return None
        return model._default_manager.filter(pk=self.subject_id).first()

    @property
    def serial(self) -> str:
        return f"SP{self.submitted_at:%Y%m%d}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def amount_wan(self) -> Decimal | None:
        return None if self.amount is None else (self.amount / 10000).quantize(Decimal("0.01"))


class StepState(models.TextChoices):
    ACTIVE = "active", _("In progress")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Sent")  # a CC node


class Step(models.Model):
    """A node of the plan reached in a round. After a return the node is
    reached again as a new Step; the old ones stay for the timeline."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveIntegerField()
    index = models.PositiveIntegerField()  # position in approval.plan
    node_key = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=12)  # approve | cc
    mode = models.CharField(max_length=12, blank=True)  # sequential | all | any
    state = models.CharField(max_length=12, choices=StepState.choices, default=StepState.ACTIVE)
    # Why these people (the routing explanation): rule, org facts, substitutions.
    explanation = models.JSONField(default=list)
    # A later return made this step's approval no longer count (去重 ignores it).
    superseded = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["approval", "started_at", "id"]
        indexes = [models.Index(fields=["approval", "round", "index"], name="step_approval_idx")]

    def __str__(self) -> str:
        return f"{self.approval_id}#{self.index} {self.node_key}"

    @property
    def label(self) -> str:
        if self.name_en and not (get_language() or "zh-hans").startswith("zh"):
            return self.name_en
        return self.name


class ApproverState(models.TextChoices):
    WAITING = "waiting", _("Waiting for their turn")
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned")
    TRANSFERRED = "transferred", _("Transferred")
    CANCELLED = "cancelled", _("No longer needed")
    SKIPPED = "skipped", _("Approved automatically")


OPEN_APPROVER_STATES = (ApproverState.WAITING, ApproverState.PENDING)


class Origin(models.TextChoices):
    RULE = "rule", _("By the template's rule")
    ADMIN = "admin", _("Flow administrator (no approver found)")
    BEFORE = "before", _("Added before (加签)")
    AFTER = "after", _("Added after (加签)")
    PARALLEL = "parallel", _("Added in parallel (加签)")
    TRANSFER = "transfer", _("Transferred (转交)")
    EMERGENCY = "emergency", _("Emergency decision group leader")


class TimeoutAction(models.TextChoices):
    REMIND = "remind", _("Remind only")
    ESCALATE = "escalate", _("Escalate (supervision ladder)")
    APPROVE = "approve", _("Approve automatically")
    REJECT = "reject", _("Reject automatically")


class StepApprover(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="approvers")
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="approvers")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.FloatField(default=0)
    state = models.CharField(max_length=12, choices=ApproverState.choices, default=ApproverState.WAITING)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.RULE)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    # Becomes pending when this approver has approved (依次, 加签 before/after).
    waits_for = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    task = models.ForeignKey("work.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=200, blank=True)  # why auto-approved / substituted
    comment = models.TextField(blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    timeout_action = models.CharField(max_length=12, choices=TimeoutAction.choices, default=TimeoutAction.ESCALATE)
    timeout_hours = models.PositiveIntegerField(null=True, blank=True)  # working hours; null: the parameter
    batch = models.BooleanField(default=False)

    class Meta:
        ordering = ["step", "position", "id"]
        indexes = [
            # 我已审批: what a person acted on, newest first.
            models.Index(fields=["acted_by", "-acted_at"], name="approver_acted_idx"),
            models.Index(fields=["person", "state"], name="approver_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on step {self.step_id}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_APPROVER_STATES

    @property
    def added(self) -> bool:
        """Added by 加签: must sign whatever the node's mode."""
        return self.origin in (Origin.BEFORE, Origin.AFTER, Origin.PARALLEL)


class ApprovalCc(models.Model):
    """抄送: someone kept informed of an approval (APR-4)."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="ccs")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["approval", "person"], name="approvalcc_uniq")]
        indexes = [models.Index(fields=["person", "-created_at"], name="approvalcc_person_idx")]

    def __str__(self) -> str:
        return f"cc {self.person_id} on {self.approval_id}"
