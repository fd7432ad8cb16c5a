from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "xietong.requests"
    label = "requests"
    verbose_name = _("Collaboration requests")

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

        from . import actions as a
        from .models import Request
        from .permissions import can_view_request_id

        withdrawn = ("withdrawn", _("Withdrawn"))
        register_module("requests", _("Requests"))
        register_kind(TaskKind(a.KIND_RESPOND, _("Accept or decline a request"), module="requests",
                               outcomes=(("accepted", _("Accepted")), ("declined", _("Declined")), withdrawn),
                               completed_by_module=True))
        register_kind(TaskKind(a.KIND_DELIVER, _("Deliver a request"), module="requests",
                               outcomes=(("completed", _("Completed")), withdrawn), completed_by_module=True))
        register_kind(TaskKind(a.KIND_DECIDE_DATE, _("Answer a proposed new date"), module="requests",
                               outcomes=(("accepted", _("Accepted")), ("rejected", _("Disputed")),
                                         ("moot", _("No longer needed")), withdrawn), completed_by_module=True))
        register_kind(TaskKind(a.KIND_CONFIRM, _("Confirm and rate a request"), module="requests", escalates=False,
                               outcomes=(("confirmed", _("Confirmed")), ("reopened", _("Reopened")),
                                         ("auto_confirmed", _("Confirmed automatically"))),
                               completed_by_module=True))
        register_kind(TaskKind(a.KIND_RULE, _("Rule on a request"), module="requests",
                               outcomes=(("for_requester", _("For the requester")),
                                         ("for_department", _("For the asked department")), withdrawn),
                               completed_by_module=True))
        register_subject(SubjectType(a.SUBJECT, _("collaboration request"), can_view=can_view_request_id,
                                     url=lambda pk: f"/requests/{pk}/", model=Request))
        register_notification_kind(NotificationKind("request_update", _("News on a collaboration request"),
                                                     defaults=("inapp",)))
        register_sweep("request_auto_confirm", a.requests_auto_confirm_run)
