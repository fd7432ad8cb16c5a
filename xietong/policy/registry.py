"""Every "X" of the regulations, declared once (POL-1), with its governance
(POL-2).

A parameter's value is its default until a change is approved, effective
from a date (`actions.parameter_set`); `queries.param()` reads the value in
force at an instant. Keys are stable: other modules and the compliance view
refer to them.

Each declaration also says how it may change — never the applicant's choice:
- `nature`: money thresholds, authority and time limits are always *major*
  (seed 000 §3: 重大调整需报CEO批准): the CEO approves after the owner's review.
- `owner`: the role whose holders review a change (the parameter's owner
  department); the coordination office for what belongs to no department.
- who may propose: the owner's holders, the coordination office and
  administrators (`may_propose`).
- `minimum`/`maximum`: every number has both; `RULES` relate parameters
  (the finance threshold may not exceed the CEO's), checked when a change is
  proposed and again when it is approved.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.errors import DomainError
from xietong.inputs import MONEY_MAX, parse_money
from xietong.org.models import Role

TYPES = ("int", "decimal", "bool", "text", "choice", "periods", "timezone", "regex")
UNITS = {
    "": ("", ""),
    "hours": ("小时", "hours"),
    "working_hours": ("工作小时", "working hours"),
    "working_days": ("工作日", "working days"),
    "days": ("自然日", "calendar days"),
    "months": ("月", "months"),
    "yuan": ("元", "yuan"),
    "count": ("次/个", "count"),
    "weekday": ("星期（1=周一）", "weekday (1 = Monday)"),
    "day_of_month": ("日（每月）", "day of month"),
    "points": ("分", "points"),
}
# What a parameter is, for POL-2: the first three are always major changes.
NATURES = ("money", "authority", "time_limit", "schedule", "setting")
MAJOR_NATURES = ("money", "authority", "time_limit")
PROPOSERS = (Role.COORDINATION_OFFICE, Role.ADMIN)
PERIODS_RE = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$")


@dataclass(frozen=True)
class Param:
    key: str
    spec: str  # SPEC.md feature ID(s)
    clause: str  # the regulation text it implements
    type: str
    default: Any
    unit: str
    zh: str
    en: str
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    nature: str = "setting"
    owner: str = Role.COORDINATION_OFFICE

    @property
    def description(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en

    @property
    def label(self) -> str:
        """How messages name it: its description, never its key."""
        return self.description

    @property
    def major(self) -> bool:
        return self.nature in MAJOR_NATURES

    @property
    def owner_label(self) -> str:
        return str(Role(self.owner).label)

    @property
    def unit_label(self) -> str:
        zh, en = UNITS[self.unit]
        return zh if (get_language() or "zh-hans").startswith("zh") else en

    def parse(self, raw: Any) -> Any:
        """Turn user input (text or JSON) into a stored value; DomainError if invalid."""
        text = str(raw).strip() if raw is not None else ""
        try:
            value: Any
            if self.type == "int":
                if not re.fullmatch(r"[+-]?\d{1,12}", text):
                    raise ValueError
                value = int(text)
            elif self.type == "decimal":
                if self.unit == "yuan":
                    value = parse_money(text, self.label, maximum=Decimal(self.maximum or MONEY_MAX))
                else:
                    value = Decimal(text)
                    if not value.is_finite() or value.as_tuple().exponent < -6 or len(text) > 30:  # type: ignore[operator]
                        raise InvalidOperation
            elif self.type == "bool":
                lowered = text.lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                    raise ValueError
                value = lowered in {"true", "1", "yes", "on"}
            elif self.type == "choice":
                if text not in self.choices:
                    raise ValueError
                value = text
            elif self.type == "periods":
                value = _parse_periods(text)
                value = ",".join(f"{a}-{b}" for a, b in value)
            elif self.type == "timezone":
                zoneinfo.ZoneInfo(text)
                value = text
            elif self.type == "regex":
                re.compile(text)
                value = text
            else:
                if not text:
                    raise ValueError
                value = text
        except (ValueError, InvalidOperation, re.error, zoneinfo.ZoneInfoNotFoundError):
            raise DomainError(
                _("“%(value)s” is not a valid value for “%(label)s”.") % {"value": text[:50], "label": self.label},
                code="bad_value",
            ) from None
        if self.minimum is not None and value < self.minimum:
            raise DomainError(_("“%(label)s” must be at least %(min)s %(unit)s.")
                              % {"label": self.label, "min": self.minimum, "unit": self.unit_label}, code="too_small")
        if self.maximum is not None and value > self.maximum:
            raise DomainError(_("“%(label)s” must be at most %(max)s %(unit)s.")
                              % {"label": self.label, "max": self.maximum, "unit": self.unit_label}, code="too_large")
        return value

    def to_json(self, value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    def from_json(self, stored: Any) -> Any:
        return Decimal(stored) if self.type == "decimal" else stored


def _parse_periods(text: str) -> list[tuple[str, str]]:
    if not PERIODS_RE.match(text.replace(" ", "")):
        raise ValueError
    periods = []
    last_end = "00:00"
    for chunk in text.replace(" ", "").split(","):
        start, end = chunk.split("-")
        for hhmm in (start, end):
            hh, mm = int(hhmm[:2]), int(hhmm[3:])
            if hh > 23 or mm > 59:
                raise ValueError
        if not (last_end <= start < end):
            raise ValueError
        periods.append((start, end))
        last_end = end
    return periods


def _p(key: str, spec: str, clause: str, type: str, default: Any, unit: str, zh: str, en: str, **kw: Any) -> Param:
    return Param(key=key, spec=spec, clause=clause, type=type, default=default, unit=unit, zh=zh, en=en, **kw)


TIME = {"nature": "time_limit"}
MONEY = {"nature": "money", "owner": Role.FINANCE}
AUTHORITY = {"nature": "authority"}
SCHEDULE = {"nature": "schedule"}


PARAMETERS: tuple[Param, ...] = (
    # --- organization ---
    _p("org.personnel_change_notice_days", "ORG-6", "seed 000 §2 人员变动需提前一个月报备", "int", 30, "days",
       "人员变动须提前报备的天数", "Days ahead a personnel change must be reported", minimum=0, maximum=365,
       owner=Role.HR, **TIME),
    _p("org.rotation_per_year", "ORG-6", "seed 000 §2 轮岗机制每年执行一次", "int", 1, "count",
       "每年轮岗次数", "Rotations per year", minimum=0, maximum=12, owner=Role.HR, **SCHEDULE),
    _p("org.headcount_cap_default", "ORG-1", "seed 000 §2 部门人员编制不超过X人", "int", 50, "count",
       "部门未单独设置时的默认编制上限", "Default headcount cap for a department without its own", minimum=1,
       maximum=100000, owner=Role.HR, **AUTHORITY),
    _p("org.duty_list_review_months", "ORG-4", "seed 002 职责清单应定期审核更新", "int", 12, "months",
       "职责清单复核周期", "Months between duty-list reviews", minimum=1, maximum=60, **TIME),
    # --- calendar ---
    _p("calendar.work_periods", "POL-3", "公司作息时间", "periods", "09:00-12:00,13:30-18:00", "",
       "每日工作时段（如 09:00-12:00,13:30-18:00）", "Daily working periods (e.g. 09:00-12:00,13:30-18:00)",
       owner=Role.HR, **TIME),
    _p("calendar.timezone", "POL-3", "公司所在时区", "timezone", "Asia/Shanghai", "",
       "计算截止时间所用的时区", "Time zone deadlines are computed in", owner=Role.ADMIN, **TIME),
    # --- work kernel ---
    _p("work.reminder_lead_hours", "KER-3", "SPEC KER-3 到期前提醒", "int", 4, "working_hours",
       "到期前多少工作小时提醒", "Working hours before due to send a reminder", minimum=0, maximum=80, **TIME),
    _p("work.escalate_head_after_hours", "KER-3", "seed 002 各部门负责人作为第一责任人", "int", 0, "working_hours",
       "逾期后多少工作小时升级至部门负责人", "Working hours overdue before escalating to the department head",
       minimum=0, maximum=400, **TIME),
    _p("work.escalate_office_after_hours", "KER-3", "seed 001 协商未果提交协调管理部门", "int", 8, "working_hours",
       "逾期后多少工作小时升级至协调管理部门", "Working hours overdue before escalating to the coordination office",
       minimum=0, maximum=400, **TIME),
    _p("work.escalate_leadership_after_hours", "KER-3", "seed 003 高层协调重大协作事项", "int", 24, "working_hours",
       "逾期后多少工作小时升级至公司领导", "Working hours overdue before escalating to leadership", minimum=0,
       maximum=800, **TIME),
    _p("work.urge_min_interval_hours", "KER-3", "SPEC KER-3 催办", "int", 4, "hours",
       "同一事项两次催办的最短间隔", "Minimum hours between two urges of the same task", minimum=0, maximum=168),
    # --- approvals ---
    _p("approval.finance_threshold_yuan", "APR-3", "seed 000 §4 X万元以下由部门负责人审批，X万元以上需财务部参与",
       "decimal", Decimal("50000"), "yuan", "超过此金额须财务部参与审批（以下由部门负责人审批）",
       "Amount above which finance joins the approval (below it the department head approves alone)",
       minimum=Decimal(0), maximum=Decimal(1_000_000_000), **MONEY),
    _p("approval.ceo_threshold_yuan", "APR-3", "seed 000 §3 采购审批依次经过部门负责人、财务部、CEO", "decimal",
       Decimal("200000"), "yuan", "超过此金额须CEO审批", "Amount above which the CEO approves", minimum=Decimal(0),
       maximum=Decimal(1_000_000_000), **MONEY),
    _p("approval.step_timeout_working_hours", "APR-4", "SPEC APR-4 每步超时处理", "int", 16, "working_hours",
       "每个审批步骤的处理时限", "Time allowed for each approval step", minimum=1, maximum=400, **TIME),
    # --- requests ---
    _p("request.response_working_hours", "REQ-2", "seed 003 §5 接到协作请求后应及时安排人员和资源", "int", 8, "working_hours",
       "协作请求须受理或拒绝的时限", "Time to accept or decline a collaboration request", minimum=1, maximum=200,
       **TIME),
    _p("request.default_due_working_days", "REQ-1", "seed 003 §5 按照要求完成协作任务", "int", 5, "working_days",
       "未指定日期时协作请求的默认完成期限", "Default time to complete a request with no requested date", minimum=1,
       maximum=120, **TIME),
    _p("request.date_decision_working_hours", "REQ-2", "seed 003 §5 无法按时完成的，应提前与相关部门沟通说明情况", "int", 8,
       "working_hours", "请求方答复新日期提议的时限", "Time for the requester to answer a proposed new date", minimum=1,
       maximum=200, **TIME),
    _p("request.auto_confirm_working_days", "REQ-3", "SPEC REQ-3 请求方确认并评价", "int", 5, "working_days",
       "完成后请求方未确认，自动确认的工作日数", "Working days after completion before a request is confirmed automatically",
       minimum=1, maximum=60, **TIME),
    _p("request.reopen_working_days", "REQ-3", "SPEC REQ-3 请求方可重新打开", "int", 3, "working_days",
       "重新打开后完成整改的期限", "Working days to finish a reopened request", minimum=1, maximum=60, **TIME),
    _p("request.ruling_working_days", "REQ-4", "seed 001 协商未果提交协调管理部门", "int", 3, "working_days",
       "协调管理部门对拒绝或争议请求作出裁定的期限", "Working days for the coordination office to rule on a refused or disputed request",
       minimum=1, maximum=60, **TIME),
    # --- meetings ---
    _p("meeting.minutes_due_hours", "MTG-3", "seed 000 §3 会议纪要需在会后X小时内完成", "int", 24, "hours",
       "会后须完成会议纪要的小时数", "Hours after a meeting by which the minutes are due", minimum=1, maximum=240,
       **TIME),
    _p("meeting.weekly_weekday", "MTG-1", "seed 000 §4 周会每周X召开", "int", 1, "weekday",
       "组长周会在星期几召开", "Weekday of the group leaders' weekly meeting", minimum=1, maximum=7, **SCHEDULE),
    _p("meeting.monthly_joint_day", "MTG-1", "seed 001 每月召开一次工作协调会", "int", 5, "day_of_month",
       "月度联席协调会在每月几日（遇非工作日顺延）", "Day of month of the joint coordination meeting (next working day if not one)",
       minimum=1, maximum=28, **SCHEDULE),
    _p("meeting.quarterly_strategy_day", "MTG-1", "seed 000 §4 季度战略会每季度X召开", "int", 15, "day_of_month",
       "季度战略会在每季首月几日", "Day of the quarter's first month for the strategy meeting", minimum=1, maximum=28,
       **SCHEDULE),
    _p("meeting.liaison_sync_weekday", "ORG-3", "seed 000 §7 跨部门协作需指定接口人，每周同步进展", "int", 5, "weekday",
       "接口人每周同步进展在星期几", "Weekday liaisons report weekly progress", minimum=1, maximum=7, **SCHEDULE),
    # --- documents ---
    _p("doc.naming_pattern", "DOC-1", "seed 000 §3 文件命名需规范，例如“项目名称_日期_版本号”", "regex",
       r"^[^_]+_\d{8}_[vV]\d+(\.\d+)*$", "", "文件命名规则（正则表达式）", "Document naming rule (regular expression)"),
    _p("doc.report_late_reason_required", "DOC-4", "seed 000 §3 逾期提交需说明原因", "bool", True, "",
       "逾期提交报告须说明原因", "A late report must give a reason", **AUTHORITY),
    # --- information sharing ---
    _p("info.feedback_response_working_hours", "INF-4", "seed 002 信息发布部门应及时核实情况，并给予答复", "int", 8,
       "working_hours", "信息反馈须答复的时限", "Time to answer feedback on shared information", minimum=1, maximum=200,
       **TIME),
    # --- handover ---
    _p("handover.notice_working_days", "HOV-1", "seed 002 部门负责人应提前[X]个工作日通知接收部门负责人", "int", 3,
       "working_days", "岗位变动前须提前通知的工作日数", "Working days of notice before a post change", minimum=0,
       maximum=60, owner=Role.HR, **TIME),
    # --- customer service ---
    _p("cs.department_response_working_hours", "CS-2", "seed 003 相关部门收到客户需求信息后应及时安排人员进行处理", "int", 8,
       "working_hours", "部门处理客服转办事项的时限", "Time for a department to handle a customer case", minimum=1,
       maximum=200, owner=Role.CUSTOMER_SERVICE, **TIME),
    _p("cs.intake_working_hours", "CS-1", "seed 003 客服部门应及时受理，并详细记录客户需求信息", "int", 4, "working_hours",
       "网站提交的客户需求须受理的时限", "Time for customer service to take up a case submitted on the website", minimum=1,
       maximum=200, owner=Role.CUSTOMER_SERVICE, **TIME),
    _p("cs.customer_confirm_working_hours", "CS-3", "seed 003 客服部门收到处理结果后，应及时与客户取得联系", "int", 8,
       "working_hours", "客服向客户确认处理结果的时限", "Time for customer service to confirm the result with the customer",
       minimum=1, maximum=200, owner=Role.CUSTOMER_SERVICE, **TIME),
    _p("cs.public_submissions_per_hour", "CS-1", "SPEC CS-1 网站渠道防滥用", "int", 5, "count",
       "同一来源每小时可在网站提交的客户需求数", "Cases one source may submit on the website per hour", minimum=1,
       maximum=1000, owner=Role.CUSTOMER_SERVICE),
    _p("cs.weekly_summary_weekday", "CS-3", "seed 003 对于客户提出的重要意见和建议，客服部门应及时整理汇总，提交给公司领导", "int", 1,
       "weekday", "每周向领导提交重要客户意见汇总在星期几", "Weekday the summary of important customer feedback goes to leadership",
       minimum=1, maximum=7, owner=Role.CUSTOMER_SERVICE, **SCHEDULE),
    # --- disputes ---
    _p("dispute.negotiation_working_days", "DSP-1", "seed 001 争议首先由相关部门负责人友好协商解决", "int", 5,
       "working_days", "部门负责人协商的期限，逾期提交协调管理部门", "Working days for heads to negotiate before the office rules",
       minimum=1, maximum=60, **TIME),
    # --- assessment ---
    _p("perf.assessment_cycle", "PERF-2", "seed 002 每季度/半年进行一次定期考核", "choice", "quarterly", "",
       "业务交叉工作定期考核周期", "Cycle of the cross-department assessment", choices=("quarterly", "half_year"),
       owner=Role.HR, **SCHEDULE),
    _p("perf.pass_score", "PERF-4", "seed 003 §6 考核不达标", "int", 60, "points",
       "考核达标分数线", "Assessment pass mark", minimum=0, maximum=100, owner=Role.HR, **AUTHORITY),
    _p("perf.consecutive_failures_flag", "PERF-4", "seed 000 §5 连续X次未达标者需进行培训或调岗", "int", 2, "count",
       "连续未达标多少次须培训或调岗", "Consecutive failed cycles that flag training or transfer", minimum=1, maximum=12,
       owner=Role.HR, **AUTHORITY),
    # --- feedback ---
    _p("survey.monthly_day", "FBK-1", "seed 000 §8 员工可通过匿名问卷每月收集流程痛点", "int", 25, "day_of_month",
       "每月匿名问卷发布日", "Day of month the anonymous survey opens", minimum=1, maximum=28, **SCHEDULE),
    _p("survey.min_answers_shown", "FBK-1", "SPEC FBK-1 达到最少答卷数才显示结果", "int", 5, "count",
       "显示匿名问卷结果所需的最少答卷数", "Answers needed before survey results are shown", minimum=3, maximum=1000,
       **AUTHORITY),
    # --- supervision ---
    _p("audit.sample_size", "SUP-3", "seed 000 §6 内部审计每季度执行一次，抽查流程合规性", "int", 20, "count",
       "每季度内部审计每类流程抽查记录数", "Records sampled per process in the quarterly audit", minimum=1,
       maximum=10000, owner=Role.AUDITOR),
    _p("audit.rectification_working_days", "SUP-3", "seed 000 §6 发现问题需立即整改", "int", 10, "working_days",
       "审计发现问题的整改期限", "Working days to rectify an audit finding", minimum=1, maximum=120,
       owner=Role.AUDITOR, **TIME),
)

BY_KEY: dict[str, Param] = {p.key: p for p in PARAMETERS}


def get_param(key: str) -> Param:
    try:
        return BY_KEY[key]
    except KeyError:
        raise DomainError(_("Unknown policy parameter “%(key)s”.") % {"key": key}, code="unknown_parameter") from None


def may_propose(person_roles: set[str], definition: Param, *, is_admin: bool = False) -> bool:
    """Who may propose a change (POL-2): holders of the parameter's owner
    role, the coordination office, administrators."""
    return is_admin or definition.owner in person_roles or bool(person_roles & set(PROPOSERS))


class ParamRule(NamedTuple):
    """`low` may not exceed `high` (both in force at the same instant)."""

    low: str
    high: str
    zh: str
    en: str

    @property
    def message(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en


RULES: tuple[ParamRule, ...] = (
    # seed 000 §3–4: head below X, finance above X, the CEO above Y. With X > Y, amounts between them would
    # skip finance.
    ParamRule("approval.finance_threshold_yuan", "approval.ceo_threshold_yuan",
              "财务部参与审批的金额不能高于须CEO审批的金额，否则介于两者之间的金额将跳过财务部。",
              "The finance threshold may not exceed the CEO threshold, or amounts between them would skip finance."),
    # KER-3: the ladder climbs in order.
    ParamRule("work.escalate_head_after_hours", "work.escalate_office_after_hours",
              "升级至协调管理部门的时间不能早于升级至部门负责人的时间。",
              "Escalation to the coordination office cannot come before escalation to the department head."),
    ParamRule("work.escalate_office_after_hours", "work.escalate_leadership_after_hours",
              "升级至公司领导的时间不能早于升级至协调管理部门的时间。",
              "Escalation to leadership cannot come before escalation to the coordination office."),
)


def rules_broken(values: dict[str, Any]) -> list[ParamRule]:
    """The rules `values` (key → value in force) break."""
    return [r for r in RULES if r.low in values and r.high in values and values[r.low] > values[r.high]]


def related_keys(key: str) -> set[str]:
    return {k for r in RULES if key in (r.low, r.high) for k in (r.low, r.high)}
