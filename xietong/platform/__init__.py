"""The module platform: what every area of the product declares about
itself, in one place (its `manifest.py`), and the registries the kernel,
the URLs, the API, the navigation and the demo read it from.

    # xietong/meetings/manifest.py
    MODULE = Module(
        key="meetings", label=_("Meetings"),
        kinds=(TaskKind("meetings.minutes", _("Write the minutes"), module="meetings",
                        due_param="meeting.minutes_due_hours"),),
        subjects=(SubjectType("meetings.meeting", _("meeting"), can_view=can_view_meeting, model=Meeting),),
        parameters=(Param(...),), roles=(RoleDef("secretary", _("Meeting secretary")),),
        urls="xietong.meetings.urls", api=(("meetings", "xietong.meetings.api:router"),),
        nav=(NavEntry("meetings", _("Meetings"), "meetings:index", visible=is_member),),
        demo="xietong.meetings.demo:load_demo_meetings",
    )

    # xietong/meetings/apps.py
    class MeetingsConfig(ModuleConfig):
        name = "xietong.meetings"

Adding a module is its folder and one line in INSTALLED_APPS
(docs/modules.md). This package is the bottom layer: it imports nothing of
the product.
"""

from .manifest import (
    Module,
    ModuleConfig,
    NavEntry,
    RoleDef,
    module_for,
    modules,
    register,
)
from .owed import ClauseCheck, Fact, Finding, Held, Holding, Metric

__all__ = ["ClauseCheck", "Fact", "Finding", "Held", "Holding", "Metric", "Module", "ModuleConfig", "NavEntry", "RoleDef", "module_for", "modules", "register"]
