"""Organization (ORG-1, 2, 3, 5): departments, people, memberships, roles,
liaisons and delegation. Writes go through `actions.py`; reads through
`queries.py`.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.platform.manifest import role_label


class DepartmentKind(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    GROUP = "group", _("Group")


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"),
    )
    # "/00000001/00000004/": ancestors then self, zero-padded so that ordering by
    # path is tree order; a subtree is one indexed prefix query.
    path = models.CharField(max_length=500, editable=False, db_index=True)
    head = models.ForeignKey(
        "Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="headed_departments",
        verbose_name=_("head"),
    )
    headcount_cap = models.PositiveIntegerField(_("headcount cap"), null=True, blank=True)
    sort_order = models.IntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def path_segment(pk: int) -> str:
        return f"{pk:08d}/"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: object) -> "Person":
        person = self.model(username=username, **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, username: str, password: str | None = None, **fields: object) -> "Person":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("name", username)
        return self.create_user(username, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """An employee and their sign-in account (ORG-2). Never deleted: deactivated."""

    username = models.CharField(_("username"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    primary_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("primary department"),
    )
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
        verbose_name=_("manager"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the Django admin"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    # Set when HR resets the password: the next sign-in must choose a new one.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    objects = PersonManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "username"]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in a department, with a position (组长, 协调员 …)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="memberships")
    position = models.CharField(_("position"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["person", "department"], name="membership_person_dept_uniq")
        ]
        # department_headcount() and the department page count members per department.
        indexes = [models.Index(fields=["department", "person"], name="membership_dept_idx")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.department}"


class Role(models.TextChoices):
    """The kernel's company roles (SPEC Roles), held company-wide or for one
    department. Modules add roles in their manifests (`platform.RoleDef`):
    the set is open, and `RoleAssignment.role` takes any registered key.
    Department positions are Memberships."""

    ADMIN = "admin", _("Administrator")
    COORDINATION_OFFICE = "coordination_office", _("Coordination office")
    HR = "hr", _("Human resources")
    FINANCE = "finance", _("Finance")
    LEADERSHIP = "leadership", _("Leadership")
    CEO = "ceo", _("CEO")
    AUDITOR = "auditor", _("Auditor / supervision")
    COORDINATOR = "coordinator", _("Coordinator")
    DATA_ANALYST = "data_analyst", _("Data analyst")


class RoleAssignment(models.Model):
    """A role held by a person, company-wide or scoped to one department."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    # A key of platform.ROLES: the kernel's roles and the modules' (an open set, checked by the actions).
    role = models.CharField(_("role"), max_length=32)
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Two partial constraints instead of nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(fields=["person", "role", "department"], name="role_person_role_dept_uniq",
                                    condition=Q(department__isnull=False)),
            models.UniqueConstraint(fields=["person", "role"], name="role_person_role_company_uniq",
                                    condition=Q(department__isnull=True)),
        ]
        # role_holders(): "who is finance / the coordination office".
        indexes = [models.Index(fields=["role", "department"], name="role_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.person}: {self.role_label}"

    @property
    def role_label(self) -> Any:
        return role_label(self.role)


class Liaison(models.Model):
    """The interface person (接口人) of a department (ORG-3), in general
    (partner empty) or for one partner department."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="liaisons")
    partner = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("partner department"),
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="liaison_for",
                               verbose_name=_("liaison"))

    class Meta:
        verbose_name = _("liaison")
        verbose_name_plural = _("liaisons")
        constraints = [
            models.UniqueConstraint(fields=["department", "partner"], name="liaison_dept_partner_uniq",
                                    condition=Q(partner__isnull=False)),
            models.UniqueConstraint(fields=["department"], name="liaison_dept_general_uniq",
                                    condition=Q(partner__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.person}"


class Delegation(models.Model):
    """While away, `principal`'s work goes to `delegate` (ORG-5)."""

    principal = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations_given",
                                  verbose_name=_("person away"))
    delegate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations_received",
                                 verbose_name=_("delegate"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Decisions above the policy thresholds (approvals of large amounts, major
    # changes) stay with the principal unless the principal says so here.
    include_major = models.BooleanField(_("includes major decisions"), default=False)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_period_valid"),
            models.CheckConstraint(condition=~Q(principal=models.F("delegate")), name="delegation_not_self"),
        ]
        # acting_for(): the live delegation of one person.
        indexes = [
            models.Index(
                fields=["principal", "starts_at", "ends_at"], name="delegation_live_idx",
                condition=Q(cancelled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.delegate}"


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Stopped with problems")


class ImportJob(models.Model):
    """An import of departments and people (ORG-2, INT-4), run in the
    background in chunks so that nobody else's writes wait for it."""

    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    state = models.CharField(max_length=12, choices=ImportState.choices, default=ImportState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    departments = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"sheet", "row", "message"}]
    # The language of the page that started it: the worker writes the report in it.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"import {self.pk} {self.filename} ({self.state})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.state == ImportState.DONE else 0)
