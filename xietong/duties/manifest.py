"""Duty lists' declaration (ORG-4; docs/modules.md)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import member
from xietong.platform import ClauseCheck, Module, NavEntry
from xietong.platform.kinds import SubjectType, TaskKind
from xietong.platform.params import SCHEDULE, TIME, param
from xietong.work.schedules import MONTHLY, NEXT, Schedule

from . import actions, compliance
from .models import DutyItem, DutyList

MODULE = Module(
    key="duties",
    label=_("Duty lists"),
    kinds=(TaskKind(actions.KIND_REVIEW, _("Review the duty list"), module="duties",
                    outcomes=(("reviewed", _("Reviewed")),), completed_by_module=True),),
    subjects=(
        SubjectType("duties.dutyitem", _("duty"), can_view=actions.can_view_duty, url=actions.duty_url,
                    model=DutyItem),
        SubjectType("duties.dutylist", _("duty list"), can_view=actions.can_view_duty, url=actions.duty_list_url,
                    model=DutyList),
    ),
    schedules=(Schedule("duties.review", _("Duty lists due for review"), module="duties", every=MONTHLY,
                        day_param="org.duty_list_review_day", at="09:00", holiday=NEXT, run=actions.duty_reviews_for),),
    parameters=(
        # The key keeps the "org." of its first declaration: values in force are stored under it.
        param("org.duty_list_review_months", "ORG-4", "seed 002 职责清单应定期审核更新", "int", 12, "months",
              "职责清单复核周期", "Months between duty-list reviews", minimum=1, maximum=60, **TIME),
        param("org.duty_list_review_day", "ORG-4", "seed 002 职责清单应定期审核更新", "int", 1, "day_of_month",
              "每月几日提醒到期的职责清单复核（遇非工作日顺延）",
              "Day of the month the lists falling due are sent for review (next working day if not one)",
              minimum=1, maximum=28, **SCHEDULE),
    ),
    urls="xietong.duties.urls",
    nav=(NavEntry("duties", _("Duty lists"), "duties:index", visible=member, order=80),),
    checks=(ClauseCheck("S002-duty-list-review", compliance.reviewed_in_time),),
)
