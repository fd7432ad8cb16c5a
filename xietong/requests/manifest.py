"""Collaboration requests' declaration (REQ-1..4; docs/modules.md)."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import member
from xietong.platform import ClauseCheck, Holding, Metric, Module, NavEntry
from xietong.platform.kinds import INAPP, NotificationKind, SubjectType, TaskKind
from xietong.platform.params import TIME, param

from . import actions as a
from . import compliance
from .models import Request
from .permissions import can_view_request_id

WITHDRAWN = ("withdrawn", _("Withdrawn"))

MODULE = Module(
    key="requests",
    label=_("Requests"),
    kinds=(
        TaskKind(a.KIND_RESPOND, _("Accept or decline a request"), module="requests",
                 outcomes=(("accepted", _("Accepted")), ("declined", _("Declined")), WITHDRAWN),
                 completed_by_module=True, due_param="request.response_working_hours"),
        TaskKind(a.KIND_DELIVER, _("Deliver a request"), module="requests",
                 outcomes=(("completed", _("Completed")), WITHDRAWN), completed_by_module=True),
        TaskKind(a.KIND_DECIDE_DATE, _("Answer a proposed new date"), module="requests",
                 outcomes=(("accepted", _("Accepted")), ("rejected", _("Disputed")), ("moot", _("No longer needed")),
                           WITHDRAWN), completed_by_module=True, due_param="request.date_decision_working_hours"),
        TaskKind(a.KIND_CONFIRM, _("Confirm and rate a request"), module="requests", escalates=False,
                 outcomes=(("confirmed", _("Confirmed")), ("reopened", _("Reopened")),
                           ("auto_confirmed", _("Confirmed automatically"))), completed_by_module=True,
                 due_param="request.auto_confirm_working_days", on_timeout=a.request_confirm_timeout),
        TaskKind(a.KIND_RULE, _("Rule on a request"), module="requests",
                 outcomes=(("for_requester", _("For the requester")), ("for_department", _("For the asked department")),
                           WITHDRAWN), completed_by_module=True, due_param="request.ruling_working_days"),
    ),
    subjects=(SubjectType(a.SUBJECT, _("collaboration request"), can_view=can_view_request_id,
                          url=lambda pk: f"/requests/{pk}/", model=Request),),
    notifications=(NotificationKind("request_update", _("News on a collaboration request"), defaults=(INAPP,)),),
    parameters=(
        param("request.response_working_hours", "REQ-2", "seed 003 §5 接到协作请求后应及时安排人员和资源", "int", 8, "working_hours",
              "协作请求须受理或拒绝的时限", "Time to accept or decline a collaboration request", minimum=1, maximum=200,
              **TIME),
        param("request.default_due_working_days", "REQ-1", "seed 003 §5 按照要求完成协作任务", "int", 5, "working_days",
              "未指定日期时协作请求的默认完成期限", "Default time to complete a request with no requested date", minimum=1,
              maximum=120, **TIME),
        param("request.date_decision_working_hours", "REQ-2", "seed 003 §5 无法按时完成的，应提前与相关部门沟通说明情况", "int", 8,
              "working_hours", "请求方答复新日期提议的时限", "Time for the requester to answer a proposed new date", minimum=1,
              maximum=200, **TIME),
        param("request.auto_confirm_working_days", "REQ-3", "SPEC REQ-3 请求方确认并评价", "int", 5, "working_days",
              "完成后请求方未确认，自动确认的工作日数", "Working days after completion before a request is confirmed automatically",
              minimum=1, maximum=60, **TIME),
        param("request.reopen_working_days", "REQ-3", "SPEC REQ-3 请求方可重新打开", "int", 3, "working_days",
              "重新打开后完成整改的期限", "Working days to finish a reopened request", minimum=1, maximum=60, **TIME),
        param("request.ruling_working_days", "REQ-4", "seed 001 协商未果提交协调管理部门", "int", 3, "working_days",
              "协调管理部门对拒绝或争议请求作出裁定的期限", "Working days for the coordination office to rule on a refused or disputed request",
              minimum=1, maximum=60, **TIME),
    ),
    urls="xietong.requests.urls",
    api=(("/", "xietong.requests.api:router"),),
    nav=(NavEntry("requests", _("Requests"), "requests:index", visible=member, order=30),),
    demo="xietong.requests.demo:load_demo_requests",
    checks=(ClauseCheck("S003-5-respond", compliance.responded_in_time),
            ClauseCheck("S003-5-complete-by-date", compliance.completed_by_date),
            ClauseCheck("S003-5-delay-notice", compliance.delay_told_ahead),
            ClauseCheck("S001-4.2-ruled-by-office", compliance.ruled_in_time)),
    metrics=(Metric("requests.response_hours", _("Working hours to answer a request"), unit="hours", better="lower",
                    aggregate="mean", facts=compliance.response_facts),
             Metric("requests.on_time", _("Requests delivered by the agreed date"), unit="percent", better="higher",
                    aggregate="rate", facts=compliance.delivered_facts),
             Metric("requests.rating", _("Requesters' rating"), unit="points", better="higher", aggregate="mean",
                    facts=compliance.rating_facts)),
    holdings=(Holding("requests.owned", _("Requests they deliver"), held=compliance.owned_requests,
                      hand_over=compliance.hand_over_requests),
              Holding("requests.waiting", _("Requests waiting for their answer"), held=compliance.waiting_requests,
                      hand_over=compliance.hand_over_requests)),
)
