"""Approvals' declaration (docs/modules.md): approval tasks, approvals and
templates as records, the thresholds and the step time limit, the handlers
of parameter changes and template versions, pages, API and demo."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from xietong.org.principal import member
from xietong.platform import ClauseCheck, Holding, Metric, Module, NavEntry
from xietong.platform.kinds import NotificationKind, SubjectType, TaskKind
from xietong.platform.params import MONEY, TIME, ParamRule, param

from . import actions, compliance, effects, flows
from .models import Approval, FlowTemplate
from .permissions import can_view_approval_id

DECISIONS = (("approved", _("Approved")), ("rejected", _("Rejected")), ("returned", _("Returned")),
             ("transferred", _("Transferred")))

MODULE = Module(
    key="approvals",
    label=_("Approvals"),
    kinds=(
        # A node that approves or rejects by itself when late does it through
        # the kind's timeout action (APR-4).
        TaskKind(actions.KIND_APPROVE, _("Approve"), module="approvals", outcomes=DECISIONS,
                 completed_by_module=True, due_param="approval.step_timeout_working_hours",
                 on_timeout=actions.approver_timeout),
        TaskKind(actions.KIND_APPROVE_BATCH, _("Approve (may be batched)"), module="approvals", outcomes=DECISIONS,
                 completed_by_module=True, bulk=True, on_bulk=actions.approve_from_inbox,
                 due_param="approval.step_timeout_working_hours", on_timeout=actions.approver_timeout),
        TaskKind(actions.KIND_RESUBMIT, _("Edit and resubmit"), module="approvals", escalates=False,
                 outcomes=(("resubmitted", _("Resubmitted")),), completed_by_module=True),
        # APR-5: given on the approval's page (a reason for an objection), escalating when late.
        TaskKind(actions.KIND_REVIEW, _("Review an emergency decision"), module="approvals",
                 outcomes=(("confirmed", _("Confirmed")), ("objection", _("Objection raised"))),
                 completed_by_module=True, due_param="approval.step_timeout_working_hours"),
    ),
    subjects=(
        SubjectType("approvals.approval", _("approval"), can_view=can_view_approval_id,
                    url=lambda pk: f"/approvals/{pk}/", model=Approval),
        SubjectType("approvals.flowtemplate", _("approval template"),
                    can_view=lambda person, pk: flows.can_manage_templates(person), url=lambda pk: "",
                    model=FlowTemplate),
    ),
    notifications=(NotificationKind("approval_result", _("An approval of mine is decided")),),
    parameters=(
        param("approval.finance_threshold_yuan", "APR-3", "seed 000 §4 X万元以下由部门负责人审批，X万元以上需财务部参与",
              "decimal", Decimal("50000"), "yuan", "超过此金额须财务部参与审批（以下由部门负责人审批）",
              "Amount above which finance joins the approval (below it the department head approves alone)",
              minimum=Decimal(0), maximum=Decimal(1_000_000_000), **MONEY),
        param("approval.ceo_threshold_yuan", "APR-3", "seed 000 §3 采购审批依次经过部门负责人、财务部、CEO", "decimal",
              Decimal("200000"), "yuan", "超过此金额须CEO审批", "Amount above which the CEO approves", minimum=Decimal(0),
              maximum=Decimal(1_000_000_000), **MONEY),
        param("approval.step_timeout_working_hours", "APR-4", "SPEC APR-4 每步超时处理", "int", 16, "working_hours",
              "每个审批步骤的处理时限", "Time allowed for each approval step", minimum=1, maximum=400, **TIME),
    ),
    parameter_rules=(
        # seed 000 §3–4: head below X, finance above X, the CEO above Y. With X > Y, amounts between them
        # would skip finance.
        ParamRule("approval.finance_threshold_yuan", "approval.ceo_threshold_yuan",
                  "财务部参与审批的金额不能高于须CEO审批的金额，否则介于两者之间的金额将跳过财务部。",
                  "The finance threshold may not exceed the CEO threshold, or amounts between them would skip finance."),
    ),
    approval_handlers=effects.BUILTIN,
    urls="xietong.approvals.urls",
    api=(("/", "xietong.approvals.api:router"),),
    nav=(NavEntry("approvals", _("Approvals"), "approvals:index", visible=member, order=20),),
    demo="xietong.approvals.demo:load_demo_approvals",
    checks=(ClauseCheck("S000-3-purchase-chain", compliance.purchase_chain),
            ClauseCheck("S000-4-approval-by-amount", compliance.authority_by_amount),
            ClauseCheck("S000-3-process-change-approved", compliance.changes_through_approval),
            ClauseCheck("S000-4-emergency-reviewed", compliance.emergencies_reviewed)),
    metrics=(Metric("approvals.cycle_hours", _("Hours from submission to decision"), unit="hours", better="lower",
                    aggregate="mean", facts=compliance.cycle_facts),
             Metric("approvals.returns", _("Approvals returned"), unit="count", better="lower", aggregate="count",
                    facts=compliance.return_facts)),
    holdings=(Holding("approvals.pending", _("Approvals waiting for them"), held=compliance.pending_approvals,
                      hand_over=compliance.hand_over_approvals),
              Holding("approvals.templates", _("Approval templates they administer"),
                      held=compliance.administered_templates)),
)
