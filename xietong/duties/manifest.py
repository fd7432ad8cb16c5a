"""Duty lists' declaration (ORG-4; docs/modules.md)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import member
from xietong.platform import Module, NavEntry
from xietong.platform.kinds import SubjectType, TaskKind
from xietong.platform.params import TIME, param

from . import actions
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
    sweeps=(("duty_reviews", actions.duty_reviews_run),),
    parameters=(
        # The key keeps the "org." of its first declaration: values in force are stored under it.
        param("org.duty_list_review_months", "ORG-4", "seed 002 职责清单应定期审核更新", "int", 12, "months",
              "职责清单复核周期", "Months between duty-list reviews", minimum=1, maximum=60, **TIME),
    ),
    urls="xietong.duties.urls",
    nav=(NavEntry("duties", _("Duty lists"), "duties:index", visible=member, order=80),),
)
