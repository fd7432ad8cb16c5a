from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "xietong.duties"
    label = "duties"
    verbose_name = _("Duty lists")

    def ready(self) -> None:
        from xietong.work.registry import (
            SubjectType,
            TaskKind,
            register_kind,
            register_module,
            register_subject,
            register_sweep,
        )

        from . import actions
        from .models import DutyItem, DutyList

        register_module("duties", _("Duty lists"))
        register_kind(TaskKind(actions.KIND_REVIEW, _("Review the duty list"), module="duties",
                               outcomes=(("reviewed", _("Reviewed")),), completed_by_module=True))
        register_subject(SubjectType("duties.dutyitem", _("duty"), can_view=actions.can_view_duty,
                                     url=actions.duty_url, model=DutyItem))
        register_subject(SubjectType("duties.dutylist", _("duty list"), can_view=actions.can_view_duty,
                                     url=actions.duty_list_url, model=DutyList))
        register_sweep("duty_reviews", actions.duty_reviews_run)
