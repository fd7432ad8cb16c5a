"""Duty lists (职责清单, ORG-4): what each department is responsible for,
and which of those duties it offers to other departments as a service —
the catalogue a requester picks from (REQ-1)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Department, Person


class DutyItem(models.Model):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="duties",
                                   verbose_name=_("department"))
    title = models.CharField(_("duty"), max_length=200)
    content = models.TextField(_("work content"), blank=True)
    process = models.TextField(_("process"), blank=True)
    standard = models.TextField(_("standard"), blank=True)
    responsibility = models.TextField(_("responsibility"), blank=True)
    # Crossover areas (业务交叉): the departments this duty is shared with.
    partners = models.ManyToManyField(Department, blank=True, related_name="crossover_duties",
                                      verbose_name=_("crossover partners"))
    # Offered in the service catalogue: other departments may request it.
    offered = models.BooleanField(_("offered as a service"), default=False)
    response_working_hours = models.PositiveIntegerField(_("standard response time (working hours)"), null=True,
                                                         blank=True)
    delivery_working_days = models.PositiveIntegerField(_("standard delivery time (working days)"), null=True,
                                                        blank=True)
    sort_order = models.IntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["department__path", "sort_order", "pk"]
        indexes = [models.Index(fields=["department", "sort_order"], name="duty_dept_idx",
                                condition=Q(is_active=True))]

    def __str__(self) -> str:
        return self.title


class DutyList(models.Model):
    """A department's list as a whole: when it was last reviewed and when the
    next review falls due (seed 002: 职责清单应定期审核更新)."""

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="duty_list")
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    next_review_at = models.DateTimeField(_("next review due"), null=True, blank=True)
    # The open review task, once the sweep has asked for one.
    review_task = models.ForeignKey("work.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("duty list")
        verbose_name_plural = _("duty lists")
        indexes = [models.Index(fields=["next_review_at"], name="dutylist_review_due_idx",
                                condition=Q(review_task__isnull=True))]

    def __str__(self) -> str:
        return str(self.department)
