from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "xietong.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from xietong.work.registry import (
            SubjectType,
            TaskKind,
            register_kind,
            register_module,
            register_subject,
            register_sweep,
        )

        from . import actions as a
        from .models import Case, WeeklySummary
        from .permissions import can_view_case_id, can_view_summaries

        register_module("service", _("Customer service"))
        register_kind(TaskKind(a.KIND_INTAKE, _("Take up a customer case"), module="service",
                               outcomes=(("solved", _("Solved by customer service")),
                                         ("passed", _("Passed to departments"))), completed_by_module=True))
        register_kind(TaskKind(a.KIND_HANDLE, _("Handle a customer case"), module="service",
                               outcomes=(("returned", _("Result returned")),), completed_by_module=True))
        register_kind(TaskKind(a.KIND_CONFIRM, _("Confirm with the customer"), module="service",
                               outcomes=(("satisfied", _("Customer satisfied")),
                                         ("unsatisfied", _("Customer not satisfied"))), completed_by_module=True))
        register_kind(TaskKind(a.KIND_SUMMARY, _("Read the customer feedback summary"), module="service", bulk=True,
                               outcomes=(("read", _("Read")),)))
        register_subject(SubjectType(a.SUBJECT, _("customer case"), can_view=can_view_case_id,
                                     url=lambda pk: f"/service/{pk}/", model=Case))
        register_subject(SubjectType("service.weeklysummary", _("customer feedback summary"),
                                     can_view=lambda person, pk: can_view_summaries(person),
                                     url=lambda pk: f"/service/summaries/{pk}/", model=WeeklySummary))
        register_sweep("case_weekly_summary", a.weekly_summary_run)
