"""Policy and the working calendar (POL-1..3): their pages, API, the
calendar's own parameters, and the parameters of the modules still to
come (each moves into its module's manifest when the module is built)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.models import Role
from xietong.org.principal import member
from xietong.org.queries import is_member
from xietong.platform import Module, NavEntry
from xietong.platform.kinds import SubjectType
from xietong.platform.manifest import PARAMETERS
from xietong.platform.params import AUTHORITY, SCHEDULE, TIME, param

from . import actions

MODULE = Module(
    key="policy",
    label=_("Policy and calendar"),
    # The task asking for next year's calendar (POL-3) is the kernel's: work.calendar_tasks.
    subjects=(SubjectType("policy.calendaryear", _("working calendar year"),
                          can_view=lambda person, pk: actions.can_manage_calendar(person),
                          url=lambda pk: f"/policy/calendar/?year={pk}",
                          exists=lambda pk: pk.isascii() and pk.isdigit() and 2000 <= int(pk) <= 2100),
              # A parameter is a record of its own (its changes are events): every member may read its page.
              SubjectType("policy.parameter", _("policy parameter"), can_view=lambda person, key: is_member(person),
                          url=lambda key: f"/policy/parameters/{key}/", exists=lambda key: key in PARAMETERS)),
    parameters=(
        param("calendar.work_periods", "POL-3", "公司作息时间", "periods", "09:00-12:00,13:30-18:00", "",
              "每日工作时段（如 09:00-12:00,13:30-18:00）", "Daily working periods (e.g. 09:00-12:00,13:30-18:00)",
              owner=Role.HR, **TIME),
        param("calendar.timezone", "POL-3", "公司所在时区", "timezone", "Asia/Shanghai", "",
              "计算截止时间所用的时区", "Time zone deadlines are computed in", owner=Role.ADMIN, **TIME),
        # --- declared ahead of their modules (issues 16–22) ---
        # meetings
        param("meeting.minutes_due_hours", "MTG-3", "seed 000 §3 会议纪要需在会后X小时内完成", "int", 24, "hours",
              "会后须完成会议纪要的小时数", "Hours after a meeting by which the minutes are due", minimum=1, maximum=240,
              **TIME),
        param("meeting.weekly_weekday", "MTG-1", "seed 000 §4 周会每周X召开", "int", 1, "weekday",
              "组长周会在星期几召开", "Weekday of the group leaders' weekly meeting", minimum=1, maximum=7, **SCHEDULE),
        param("meeting.monthly_joint_day", "MTG-1", "seed 001 每月召开一次工作协调会", "int", 5, "day_of_month",
              "月度联席协调会在每月几日（遇非工作日顺延）", "Day of month of the joint coordination meeting (next working day if not one)",
              minimum=1, maximum=28, **SCHEDULE),
        param("meeting.quarterly_strategy_day", "MTG-1", "seed 000 §4 季度战略会每季度X召开", "int", 15, "day_of_month",
              "季度战略会在每季首月几日", "Day of the quarter's first month for the strategy meeting", minimum=1, maximum=28,
              **SCHEDULE),
        param("meeting.liaison_sync_weekday", "ORG-3", "seed 000 §7 跨部门协作需指定接口人，每周同步进展", "int", 5, "weekday",
              "接口人每周同步进展在星期几", "Weekday liaisons report weekly progress", minimum=1, maximum=7, **SCHEDULE),
        # documents
        param("doc.naming_pattern", "DOC-1", "seed 000 §3 文件命名需规范，例如“项目名称_日期_版本号”", "regex",
              r"^[^_]+_\d{8}_[vV]\d+(\.\d+)*$", "", "文件命名规则（正则表达式）", "Document naming rule (regular expression)"),
        param("doc.report_late_reason_required", "DOC-4", "seed 000 §3 逾期提交需说明原因", "bool", True, "",
              "逾期提交报告须说明原因", "A late report must give a reason", **AUTHORITY),
        # information sharing
        param("info.feedback_response_working_hours", "INF-4", "seed 002 信息发布部门应及时核实情况，并给予答复", "int", 8,
              "working_hours", "信息反馈须答复的时限", "Time to answer feedback on shared information", minimum=1, maximum=200,
              **TIME),
        # handover
        param("handover.notice_working_days", "HOV-1", "seed 002 部门负责人应提前[X]个工作日通知接收部门负责人", "int", 3,
              "working_days", "岗位变动前须提前通知的工作日数", "Working days of notice before a post change", minimum=0,
              maximum=60, owner=Role.HR, **TIME),
        # disputes
        param("dispute.negotiation_working_days", "DSP-1", "seed 001 争议首先由相关部门负责人友好协商解决", "int", 5,
              "working_days", "部门负责人协商的期限，逾期提交协调管理部门", "Working days for heads to negotiate before the office rules",
              minimum=1, maximum=60, **TIME),
        # assessment
        param("perf.assessment_cycle", "PERF-2", "seed 002 每季度/半年进行一次定期考核", "choice", "quarterly", "",
              "业务交叉工作定期考核周期", "Cycle of the cross-department assessment", choices=("quarterly", "half_year"),
              owner=Role.HR, **SCHEDULE),
        param("perf.pass_score", "PERF-4", "seed 003 §6 考核不达标", "int", 60, "points",
              "考核达标分数线", "Assessment pass mark", minimum=0, maximum=100, owner=Role.HR, **AUTHORITY),
        param("perf.consecutive_failures_flag", "PERF-4", "seed 000 §5 连续X次未达标者需进行培训或调岗", "int", 2, "count",
              "连续未达标多少次须培训或调岗", "Consecutive failed cycles that flag training or transfer", minimum=1, maximum=12,
              owner=Role.HR, **AUTHORITY),
        # feedback
        param("survey.monthly_day", "FBK-1", "seed 000 §8 员工可通过匿名问卷每月收集流程痛点", "int", 25, "day_of_month",
              "每月匿名问卷发布日", "Day of month the anonymous survey opens", minimum=1, maximum=28, **SCHEDULE),
        param("survey.min_answers_shown", "FBK-1", "SPEC FBK-1 达到最少答卷数才显示结果", "int", 5, "count",
              "显示匿名问卷结果所需的最少答卷数", "Answers needed before survey results are shown", minimum=3, maximum=1000,
              **AUTHORITY),
        # supervision
        param("audit.sample_size", "SUP-3", "seed 000 §6 内部审计每季度执行一次，抽查流程合规性", "int", 20, "count",
              "每季度内部审计每类流程抽查记录数", "Records sampled per process in the quarterly audit", minimum=1,
              maximum=10000, owner=Role.AUDITOR),
        param("audit.rectification_working_days", "SUP-3", "seed 000 §6 发现问题需立即整改", "int", 10, "working_days",
              "审计发现问题的整改期限", "Working days to rectify an audit finding", minimum=1, maximum=120,
              owner=Role.AUDITOR, **TIME),
    ),
    urls="xietong.policy.urls",
    api=(("/policy", "xietong.policy.api:policy_router"), ("/calendar", "xietong.policy.api:calendar_router")),
    nav=(
        NavEntry("policy", _("Policy"), "policy:parameters", visible=member, order=90),
        NavEntry("calendar", _("Calendar"), "policy:calendar", visible=member, order=100),
    ),
)
