from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "xietong.policy"
    label = "policy"
    verbose_name = _("Policy and calendar")

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

        register_module("policy", _("Policy and calendar"))
        # POL-3: next year's holidays are published each November; until an
        # administrator enters them, deadlines in that year count Monday–Friday.
        register_kind(TaskKind(actions.KIND_ENTER_CALENDAR, _("Enter next year's working calendar"), module="policy",
                               outcomes=(("entered", _("Entered")),), completed_by_module=True))
        register_subject(SubjectType("policy.calendaryear", _("working calendar year"),
                                     can_view=lambda person, pk: actions.can_manage_calendar(person),
                                     url=lambda pk: f"/policy/calendar/?year={pk}",
                                     exists=lambda pk: pk.isascii() and pk.isdigit() and 2000 <= int(pk) <= 2100))
        register_sweep("calendar_next_year", actions.calendar_next_year_run)
