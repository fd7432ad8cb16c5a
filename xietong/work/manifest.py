"""The work kernel's declaration (docs/modules.md): its own task kinds,
tasks as records, the notifications every module shares, the escalation
ladder's parameters, its pages and API."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import admin, always, member
from xietong.platform import ClauseCheck, Holding, Metric, Module, NavEntry
from xietong.platform.kinds import EMAIL, INAPP, NotificationKind, SubjectType, TaskKind
from xietong.platform.params import TIME, ParamRule, param

from . import calendar_tasks, compliance, holdings
from .models import Task
from .permissions import can_view_task, task_url
from .registry import ACKNOWLEDGE, SUPERVISE, TODO

MODULE = Module(
    key="work",
    label=_("General"),
    kinds=(
        TaskKind(TODO, _("To-do"), module="work"),
        TaskKind(ACKNOWLEDGE, _("Read and acknowledge"), module="work", bulk=True,
                 outcomes=(("acknowledged", _("Acknowledged")),)),
        TaskKind(SUPERVISE, _("Supervise an overdue task"), module="work", escalates=False,
                 outcomes=(("followed_up", _("Followed up")),)),
        # POL-3: next year's holidays are published each November; until an
        # administrator enters them, deadlines in that year count Monday–Friday.
        TaskKind(calendar_tasks.KIND_ENTER_CALENDAR, _("Enter next year's working calendar"), module="policy",
                 outcomes=(("entered", _("Entered")),), completed_by_module=True),
    ),
    subjects=(SubjectType("work.task", _("task"), can_view=can_view_task, url=task_url, model=Task),),
    notifications=(
        NotificationKind("task_assigned", _("A task is assigned to me")),
        NotificationKind("task_reminder", _("A task of mine is due soon")),
        NotificationKind("task_overdue", _("A task of mine is overdue"), robots=True),
        NotificationKind("task_escalated", _("I must supervise an overdue task"), robots=True),
        NotificationKind("task_urged", _("Someone urges me on a task")),
        NotificationKind("task_done", _("A task I requested is done"), defaults=(INAPP,)),
        NotificationKind("task_delegated", _("Work is delegated to me or returned"), defaults=(INAPP,)),
        NotificationKind("mention", _("Someone mentions me")),
        NotificationKind("comment", _("A comment on something I follow"), defaults=(INAPP,)),
        NotificationKind("digest", _("Daily digest of my open and overdue tasks"), defaults=(EMAIL,)),
        NotificationKind("delegation_set", _("Someone names a delegate for me"), defaults=(INAPP, EMAIL)),
    ),
    parameters=(
    param("work.reminder_lead_hours", "KER-3", "SPEC KER-3 到期前提醒", "int", 4, "working_hours",
          "到期前多少工作小时提醒", "Working hours before due to send a reminder", minimum=0, maximum=80, **TIME),
    param("work.escalate_head_after_hours", "KER-3", "seed 002 各部门负责人作为第一责任人", "int", 0, "working_hours",
          "逾期后多少工作小时升级至部门负责人", "Working hours overdue before escalating to the department head",
          minimum=0, maximum=400, **TIME),
    param("work.escalate_office_after_hours", "KER-3", "seed 001 协商未果提交协调管理部门", "int", 8, "working_hours",
          "逾期后多少工作小时升级至协调管理部门", "Working hours overdue before escalating to the coordination office",
          minimum=0, maximum=400, **TIME),
    param("work.escalate_leadership_after_hours", "KER-3", "seed 003 高层协调重大协作事项", "int", 24, "working_hours",
          "逾期后多少工作小时升级至公司领导", "Working hours overdue before escalating to leadership", minimum=0,
          maximum=800, **TIME),
    param("work.urge_min_interval_hours", "KER-3", "SPEC KER-3 催办", "int", 4, "hours",
          "同一事项两次催办的最短间隔", "Minimum hours between two urges of the same task", minimum=0, maximum=168),
    ),
    parameter_rules=(
        # KER-3: the ladder climbs in order.
        ParamRule("work.escalate_head_after_hours", "work.escalate_office_after_hours",
                  "升级至协调管理部门的时间不能早于升级至部门负责人的时间。",
                  "Escalation to the coordination office cannot come before escalation to the department head."),
        ParamRule("work.escalate_office_after_hours", "work.escalate_leadership_after_hours",
                  "升级至公司领导的时间不能早于升级至协调管理部门的时间。",
                  "Escalation to leadership cannot come before escalation to the coordination office."),
    ),
    urls="xietong.work.urls",
    api=(("/", "xietong.work.api:router"),),
    sweeps=(("calendar_next_year", calendar_tasks.calendar_next_year_run),),
    nav=(
        NavEntry("inbox", _("Inbox"), "work:inbox", visible=member, order=10, badge="todo"),
        NavEntry("notifications", _("Notifications"), "work:notifications", visible=member, order=50,
                 badge="unread"),
        NavEntry("robots", _("Robots"), "work:robots", visible=admin, order=120),
        NavEntry("workers", _("Workers"), "work:workers", visible=admin, order=130),
        NavEntry("preferences", _("Preferences"), "work:preferences", visible=always, order=140),
    ),
    demo="xietong.work.demo:load_demo_work",
    checks=(ClauseCheck("S003-6-delays-escalated", compliance.ladder_findings),),
    metrics=(Metric("work.on_time", _("Tasks done on time"), unit="percent", better="higher", aggregate="rate",
                    facts=compliance.on_time_facts),
             Metric("work.missed", _("Tasks that fell due undone"), unit="count", better="lower", aggregate="count",
                    facts=compliance.missed_facts),
             Metric("work.escalations", _("Escalation steps"), unit="count", better="lower", aggregate="count",
                    facts=compliance.escalation_facts)),
    holdings=(Holding("work.tasks", _("Open tasks"), held=holdings.open_tasks, hand_over=holdings.hand_over_tasks),),
)
