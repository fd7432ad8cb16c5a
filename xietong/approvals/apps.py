from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "xietong.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from xietong.work.notify import NotificationKind, register_notification_kind
        from xietong.work.registry import (
            SubjectType,
            TaskKind,
            register_kind,
            register_module,
            register_subject,
            register_sweep,
        )

        from . import actions, effects
        from .models import Approval, FlowTemplate
        from .permissions import can_view_approval_id

        register_module("approvals", _("Approvals"))
        decisions = (("approved", _("Approved")), ("rejected", _("Rejected")), ("returned", _("Returned")),
                     ("transferred", _("Transferred")))
        register_kind(TaskKind(actions.KIND_APPROVE, _("Approve"), module="approvals", outcomes=decisions,
                               completed_by_module=True))
        register_kind(TaskKind(actions.KIND_APPROVE_BATCH, _("Approve (may be batched)"), module="approvals",
                               outcomes=decisions, completed_by_module=True, bulk=True,
                               on_bulk=actions.approve_from_inbox))
        register_kind(TaskKind(actions.KIND_RESUBMIT, _("Edit and resubmit"), module="approvals", escalates=False,
                               outcomes=(("resubmitted", _("Resubmitted")),), completed_by_module=True))
        # APR-5: given on the approval's page (a reason for an objection), escalating when late.
        register_kind(TaskKind(actions.KIND_REVIEW, _("Review an emergency decision"), module="approvals",
                               outcomes=(("confirmed", _("Confirmed")), ("objection", _("Objection raised"))),
                               completed_by_module=True))
        register_subject(SubjectType("approvals.approval", _("approval"), can_view=can_view_approval_id,
                                     url=lambda pk: f"/approvals/{pk}/", model=Approval))
        register_subject(SubjectType("approvals.flowtemplate", _("approval template"),
                                     can_view=lambda person, pk: actions.can_manage_templates(person),
                                     url=lambda pk: "", model=FlowTemplate))
        register_notification_kind(NotificationKind("approval_result", _("An approval of mine is decided")))
        register_sweep("approval_timeouts", actions.approvals_timeouts_run)
        effects.register()
