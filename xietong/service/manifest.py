"""Customer service's declaration (CS-1..3; docs/modules.md): its role,
the case and the weekly summary as records, its time limits, pages, API and
demo."""

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import member
from xietong.platform import ClauseCheck, Holding, Metric, Module, NavEntry, RoleDef
from xietong.platform.kinds import SubjectType, TaskKind
from xietong.platform.params import SCHEDULE, TIME, param
from xietong.work.schedules import NEXT, WEEKLY, Schedule

from . import actions as a
from . import compliance
from .models import Case, WeeklySummary
from .permissions import can_view_case_id, can_view_summaries
from .roles import CUSTOMER_SERVICE

MODULE = Module(
    key="service",
    label=_("Customer service"),
    roles=(RoleDef(CUSTOMER_SERVICE, _("Customer service")),),
    kinds=(
        TaskKind(a.KIND_INTAKE, _("Take up a customer case"), module="service",
                 outcomes=(("solved", _("Solved by customer service")), ("passed", _("Passed to departments"))),
                 completed_by_module=True, due_param="cs.intake_working_hours"),
        TaskKind(a.KIND_HANDLE, _("Handle a customer case"), module="service",
                 outcomes=(("returned", _("Result returned")),), completed_by_module=True,
                 due_param="cs.department_response_working_hours"),
        TaskKind(a.KIND_CONFIRM, _("Confirm with the customer"), module="service",
                 outcomes=(("satisfied", _("Customer satisfied")), ("unsatisfied", _("Customer not satisfied"))),
                 completed_by_module=True, due_param="cs.customer_confirm_working_hours"),
        TaskKind(a.KIND_SUMMARY, _("Read the customer feedback summary"), module="service", bulk=True,
                 outcomes=(("read", _("Read")),)),
    ),
    subjects=(
        SubjectType(a.SUBJECT, _("customer case"), can_view=can_view_case_id, url=lambda pk: f"/service/{pk}/",
                    model=Case),
        SubjectType("service.weeklysummary", _("customer feedback summary"),
                    can_view=lambda person, pk: can_view_summaries(person),
                    url=lambda pk: f"/service/summaries/{pk}/", model=WeeklySummary),
    ),
    schedules=(Schedule("service.weekly_summary", _("Weekly summary of important customer feedback"), module="service",
                        every=WEEKLY, day_param="cs.weekly_summary_weekday", at="09:00", holiday=NEXT,
                        run=a.weekly_summary_for),),
    parameters=(
        param("cs.department_response_working_hours", "CS-2", "seed 003 相关部门收到客户需求信息后应及时安排人员进行处理", "int", 8,
              "working_hours", "部门处理客服转办事项的时限", "Time for a department to handle a customer case", minimum=1,
              maximum=200, owner=CUSTOMER_SERVICE, **TIME),
        param("cs.intake_working_hours", "CS-1", "seed 003 客服部门应及时受理，并详细记录客户需求信息", "int", 4, "working_hours",
              "网站提交的客户需求须受理的时限", "Time for customer service to take up a case submitted on the website", minimum=1,
              maximum=200, owner=CUSTOMER_SERVICE, **TIME),
        param("cs.customer_confirm_working_hours", "CS-3", "seed 003 客服部门收到处理结果后，应及时与客户取得联系", "int", 8,
              "working_hours", "客服向客户确认处理结果的时限", "Time for customer service to confirm the result with the customer",
              minimum=1, maximum=200, owner=CUSTOMER_SERVICE, **TIME),
        param("cs.public_submissions_per_hour", "CS-1", "SPEC CS-1 网站渠道防滥用", "int", 5, "count",
              "同一来源每小时可在网站提交的客户需求数", "Cases one source may submit on the website per hour", minimum=1,
              maximum=1000, owner=CUSTOMER_SERVICE),
        param("cs.weekly_summary_weekday", "CS-3", "seed 003 对于客户提出的重要意见和建议，客服部门应及时整理汇总，提交给公司领导", "int", 1,
              "weekday", "每周向领导提交重要客户意见汇总在星期几", "Weekday the summary of important customer feedback goes to leadership",
              minimum=1, maximum=7, owner=CUSTOMER_SERVICE, **SCHEDULE),
    ),
    urls="xietong.service.urls",
    api=(("/", "xietong.service.api:router"),),
    nav=(NavEntry("service", _("Customer cases"), "service:index", visible=member, order=40),),
    demo="xietong.service.demo:load_demo_cases",
    checks=(ClauseCheck("S003-4.3-case-passed-on", compliance.passed_on_in_time),
            ClauseCheck("S003-4.3-case-handled", compliance.handled_in_time),
            ClauseCheck("S003-4.3-case-confirmed", compliance.confirmed_in_time)),
    metrics=(Metric("service.resolution_hours", _("Hours to close a customer case"), unit="hours", better="lower",
                    aggregate="mean", facts=compliance.resolution_facts),
             Metric("service.satisfaction", _("Customer satisfaction"), unit="points", better="higher",
                    aggregate="mean", facts=compliance.satisfaction_facts),
             Metric("service.complaints", _("Complaints"), unit="count", better="lower", aggregate="count",
                    facts=compliance.complaint_facts)),
    holdings=(Holding("service.cases", _("Customer cases they handle"), held=compliance.handled_cases,
                      hand_over=compliance.hand_over_cases),),
)
