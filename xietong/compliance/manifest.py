"""Compliance's declaration (SUP-2; docs/compliance.md). The clauses are the
catalogue's (clauses.toml); each module declares the checks of its own."""

from django.utils.translation import gettext_lazy as _

from xietong.platform import Module, NavEntry
from xietong.platform.kinds import SubjectType

from .models import Snapshot
from .permissions import can_view_snapshot, sees_compliance
from .snapshot import snapshots_due

MODULE = Module(
    key="compliance",
    label=_("Compliance"),
    subjects=(SubjectType("compliance.snapshot", _("compliance snapshot"), can_view=can_view_snapshot,
                          model=Snapshot),),
    sweeps=(("compliance_snapshots", snapshots_due),),
    urls="xietong.compliance.urls",
    api=(("/", "xietong.compliance.api:router"),),
    nav=(NavEntry("compliance", _("Compliance"), "compliance:index", visible=sees_compliance, order=150),),
    demo="xietong.compliance.demo:load_demo_compliance",
)
