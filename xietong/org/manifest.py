"""The organization's declaration (docs/modules.md): the company's roles,
departments and people as records, its parameters, pages, API and demo."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xietong.platform import Holding, Module, NavEntry, RoleDef
from xietong.platform.kinds import SubjectType
from xietong.platform.params import AUTHORITY, SCHEDULE, TIME, param

from . import handover, holdings
from .models import Department, Person, Role
from .permissions import can_manage_org, can_manage_people
from .principal import member, people_managers

MODULE = Module(
    key="org",
    label=_("Organization"),
    # The kernel's roles (SPEC Roles); modules add theirs in their manifests.
    roles=tuple(RoleDef(role.value, role.label) for role in Role),
    subjects=(
        # Their history, comments and files are for those who may edit them,
        # as on their own pages (a person's history holds personal data).
        SubjectType("org.department", _("department"), can_view=lambda person, _pk: can_manage_org(person),
                    url=lambda pk: reverse("org:department", args=[pk]), model=Department),
        SubjectType("org.person", _("person"),
                    can_view=lambda person, pk: str(person.pk) == pk or can_manage_people(person),
                    url=lambda pk: reverse("org:person", args=[pk]), model=Person,
                    personal_fields=("email", "phone"),
                    sees_personal=lambda viewer, pk: str(viewer.pk) == pk or can_manage_people(viewer)),
    ),
    parameters=(
        param("org.personnel_change_notice_days", "ORG-6", "seed 000 §2 人员变动需提前一个月报备", "int", 30, "days",
              "人员变动须提前报备的天数", "Days ahead a personnel change must be reported", minimum=0, maximum=365,
              owner=Role.HR, **TIME),
        param("org.rotation_per_year", "ORG-6", "seed 000 §2 轮岗机制每年执行一次", "int", 1, "count",
              "每年轮岗次数", "Rotations per year", minimum=0, maximum=12, owner=Role.HR, **SCHEDULE),
        param("org.headcount_cap_default", "ORG-1", "seed 000 §2 部门人员编制不超过X人", "int", 50, "count",
              "部门未单独设置时的默认编制上限", "Default headcount cap for a department without its own", minimum=1,
              maximum=100000, owner=Role.HR, **AUTHORITY),
    ),
    urls="xietong.org.urls",
    api=(("/", "xietong.org.api:router"),),
    nav=(
        NavEntry("departments", _("Departments"), "org:departments", visible=member, order=60),
        NavEntry("people", _("People"), "org:people", visible=member, order=70),
        NavEntry("import", _("Import"), "org:import", visible=people_managers, order=110),
    ),
    demo="xietong.org.demo:load_demo",
    holdings=(Holding("org.liaison", _("Liaison posts"), held=holdings.liaison_posts, hand_over=handover.hand_over_liaison),
              Holding("org.roles", _("Roles"), held=holdings.roles, open_work=False)),
)
