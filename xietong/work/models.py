"""The work kernel's tables (KER-1..6). The audit trail (`Event`, `Seal`)
is the layer below (xietong.audit).

- `Task`: everything someone must do; every inbox reads it.
- `Notification` (in-app) and `Delivery` (the outbox for every other channel).
- `Comment` / `Attachment`: discussion on any record.
"""


from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    """Something someone must do (KER-1). Assigned to a person, or to a role in
    a department that any holder may claim. Done and cancelled tasks stay."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=48)  # a key of work.kinds.KINDS
    module = models.CharField(_("module"), max_length=24)  # kind's prefix, for filtering
    title = models.CharField(_("title"), max_length=200)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    # The record's primary key as a number when it is one (every model's is):
    # what read models join on without casting subject_id (docs/kernel.md).
    subject_pk = models.BigIntegerField(null=True, blank=True)
    url = models.CharField(max_length=300, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="tasks", verbose_name=_("assignee"))
    # Whose task it is while `assignee` acts for them (delegation, ORG-5).
    delegated_from = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("on behalf of"))
    assignee_role = models.CharField(_("role"), max_length=32, blank=True)
    assignee_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="+", verbose_name=_("department"))
    # The person who started the record; may urge (催办), sees it under 我发起的.
    # No index of its own for requester, parent and completed_by: task_requester_idx,
    # task_parent_idx and task_done_by_idx lead with them, and every index is one more
    # write on each task created, escalated and closed (issue 13).
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("requested by"), db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    # A supervision task (督办) watches this task.
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               db_index=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    # A decision above the policy thresholds: it follows a delegation only
    # when the principal included major decisions (ORG-5).
    major = models.BooleanField(_("major decision"), default=False, db_default=False)
    state = models.CharField(_("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    outcome_note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # When the sweep handed the task to its kind's timeout action (on_timeout),
    # once per due time (a rescheduled task may time out again).
    timed_out_at = models.DateTimeField(null=True, blank=True)
    # A supervision task (督办): the step of its parent's escalation ladder that
    # made it. A task's own ladder is its `Escalation` row (`ladder`).
    step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    urged_at = models.DateTimeField(null=True, blank=True)
    urge_count = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # 待办: a person's open tasks, overdue first then by due time.
            models.Index(fields=["assignee", "due_at"], name="task_open_assignee_idx",
                         condition=Q(state="open")),
            # 待办: open tasks of a role in a department, for any holder.
            models.Index(fields=["assignee_role", "assignee_department"], name="task_open_role_idx",
                         condition=Q(state="open", assignee__isnull=True)),
            # The sweeps: reminders not yet sent (escalation steps: `Escalation`).
            models.Index(fields=["remind_at"], name="task_remind_due_idx",
                         condition=Q(state="open", reminded_at__isnull=True)),
            # The timeout actions of the kinds that have one.
            models.Index(fields=["kind", "due_at"], name="task_timeout_due_idx",
                         condition=Q(state="open", timed_out_at__isnull=True)),
            # Delegation returns: open tasks held for someone else.
            models.Index(fields=["delegated_from"], name="task_open_delegated_idx",
                         condition=Q(state="open", delegated_from__isnull=False)),
            # 已办 and 我发起的.
            models.Index(fields=["completed_by", "-completed_at"], name="task_done_by_idx"),
            models.Index(fields=["requester", "-created_at"], name="task_requester_idx"),
            # A record's tasks (its page, closing them with the record).
            models.Index(fields=["subject_type", "subject_id"], name="task_subject_idx"),
            models.Index(fields=["subject_type", "subject_pk"], name="task_subject_pk_idx"),
            models.Index(fields=["parent"], name="task_parent_idx", condition=Q(parent__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        """Open and past its due time, now."""
        return self.state == TaskState.OPEN and self.due_at is not None and self.due_at < timezone.now()

    @property
    def escalation_level(self) -> int:
        """Steps of the escalation ladder taken so far (0: none, or it does not
        escalate). A list's rows carry it (`with_ladder_level`); a single task
        reads `ladder` with its row."""
        if LADDER_LEVEL in self.__dict__:
            return self.__dict__[LADDER_LEVEL] or 0
        ladder = self._ladder
        return ladder.level if ladder is not None else 0

    @property
    def next_escalation_at(self) -> "datetime | None":
        """When the ladder's next step is due; None when none is."""
        ladder = self._ladder
        return ladder.next_at if ladder is not None else None

    @property
    def _ladder(self) -> "Escalation | None":
        try:
            return self.ladder  # type: ignore[attr-defined]
        except Escalation.DoesNotExist:
            return None  # cached: asked again, it is not read again

    @property
    def link(self) -> str:
        """Where the task is done: its record's page, else the task's own."""
        return self.url or self.page_url

    @property
    def page_url(self) -> str:
        """The task's own page (`work:task`), without resolving the URL per
        row: a list of tasks reversed it once for each."""
        return task_page_url(self.pk)


LADDER_LEVEL = "ladder_level"


def with_ladder_level(tasks: "models.QuerySet[Task]") -> "models.QuerySet[Task]":
    """Tasks with their ladder's level as a subquery in the select list, which
    PostgreSQL evaluates after the sort and the LIMIT: for the page's rows
    only, where a join would be made for every task the person has."""
    return tasks.annotate(**{LADDER_LEVEL: models.Subquery(
        Escalation.objects.filter(task=models.OuterRef("pk")).values("level")[:1])})


class Escalation(models.Model):
    """A task's escalation ladder (KER-3): the steps taken and when the next
    is due. A row of its own, made with the task when it escalates: the sweep
    moves it on at every step, and a task's row is wide, with a dozen indexes
    that an UPDATE of it would write again (issue 13: a thousand steps in
    10 ms here against 134 on the task). Closing or cancelling the task
    stops the clock (`next_at` NULL) and keeps the level it reached. Whoever
    changes the ladder locks this row: the sweep locks only it."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, primary_key=True, related_name="ladder")
    level = models.PositiveSmallIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_at"], name="escalation_due_idx", condition=Q(next_at__isnull=False))]

    def __str__(self) -> str:
        return f"task {self.task_id}: step {self.level}, next {self.next_at}"


def ladder_known(task: Task, ladder: Escalation | None) -> None:
    """Tell the task what its ladder row is (or that it has none) without
    reading it: after the action that wrote it. A level a list read with the
    row (`with_ladder_level`) no longer holds."""
    task.__dict__.pop(LADDER_LEVEL, None)
    if ladder is not None:
        ladder.task = task
    Task.ladder.related.set_cached_value(task, ladder)  # type: ignore[attr-defined]


class TaskCc(models.Model):
    """抄送: someone kept informed of a task (KER-2 抄送我的)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="cc")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "person"], name="taskcc_task_person_uniq")]
        # 抄送我的, newest first.
        indexes = [models.Index(fields=["person", "-created_at"], name="taskcc_person_idx")]

    def __str__(self) -> str:
        return f"cc {self.person_id} on task {self.task_id}"


class Notification(models.Model):
    """An in-app notification (KER-5). Other channels go through `Delivery`."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=120, unique=True)  # idempotency: one per event and recipient
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The unread count in the navigation.
            models.Index(fields=["recipient"], name="notification_unread_idx", condition=Q(read_at__isnull=True)),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")
    WEBHOOK = "webhook", _("Signed webhook")
    SMS = "sms", _("SMS / voice")


class RobotChannel(models.Model):
    """A group robot or webhook, for the whole company or one department."""

    kind = models.CharField(_("kind"), max_length=16, choices=Channel.choices)
    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address"), max_length=500)
    # The robot's signing secret, entered by an administrator; never shown again.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("robot channel")
        verbose_name_plural = _("robot channels")

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Gave up")


class Delivery(models.Model):
    """The outbox (KER-5): one message for one channel, written in the
    transaction of the change, delivered by workers with retries. Each
    message is claimed on its own just before it is sent; a worker that dies
    mid-send leaves that one row claimed until `claimed_until`, and another
    worker then sends it again with the same idempotency key."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=80, unique=True)  # the idempotency key
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    robot = models.ForeignKey(RobotChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    address = models.CharField(max_length=300, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The worker sending it now: only that worker may mark it sent or failed.
    claimed_by = models.CharField(max_length=64, blank=True, default="", db_default="")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The delivery worker: what is due (or whose claim expired).
            models.Index(fields=["next_attempt_at"], name="delivery_due_idx",
                         condition=Q(state__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} ({self.state})"


class Preference(models.Model):
    """A person's choice to receive (or not) one kind of notification on one channel."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    channel = models.CharField(max_length=16)  # Channel value, or "inapp"
    enabled = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind", "channel"], name="preference_uniq")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}/{self.channel}={self.enabled}"


class SweepRun(models.Model):
    """Jobs that run once per day or per occurrence (the digest, each
    schedule's occurrences): the unique row is the claim, so with several
    workers exactly one runs it."""

    name = models.CharField(max_length=64)
    day = models.DateField()
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="sweeprun_name_day_uniq")]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class SweepStatus(models.Model):
    """How each part of the sweep and each schedule has been doing, across
    all workers: shown to administrators at /work/workers/."""

    name = models.CharField(max_length=64, unique=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True)
    last_success_at = models.DateTimeField(null=True)
    last_count = models.PositiveIntegerField(default=0)
    last_error_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)  # the exception and the end of its traceback

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        """Its last run failed."""
        return self.last_error_at is not None and (self.last_success_at is None
                                                   or self.last_error_at > self.last_success_at)


class Comment(models.Model):
    """A comment on any record (KER-6); @mentions notify."""

    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "created_at"], name="comment_subject_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.subject_type}#{self.subject_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.subject_type}/{instance.subject_id}/{filename}"


class Attachment(models.Model):
    """A file on any record (KER-6), kept through Django's storage."""

    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="attachment_subject_idx")]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """What each background worker last did (KER-3, KER-5): written every
    loop, so that an administrator — and `xietong health`, which a process
    supervisor can call — sees a worker that stopped or keeps failing."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_loop_at = models.DateTimeField()
    loops = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return self.worker_id


_SENTINEL = 987654321
_PAGE_PATTERNS: dict[str, str] = {}


def task_page_url(pk: int) -> str:
    """A task's own page by its id (Task.page_url without the row)."""
    return task_page_pattern().format(pk)


def task_page_pattern() -> str:
    """`work:task`'s path with `{}` for the id, once per script prefix."""
    from django.urls import get_script_prefix, reverse

    prefix = get_script_prefix()
    pattern = _PAGE_PATTERNS.get(prefix)
    if pattern is None:
        pattern = _PAGE_PATTERNS[prefix] = reverse("work:task", args=[_SENTINEL]).replace(
            "{", "{{").replace("}", "}}").replace(str(_SENTINEL), "{}")
    return pattern
