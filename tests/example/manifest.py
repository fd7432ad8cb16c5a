"""A module declared only here and in INSTALLED_APPS (tests/settings.py):
docs/modules.md walks through it, tests/test_modules.py proves every part of
it is wired without a line in a central file."""

from xietong.approvals.handlers import Handler
from xietong.org.principal import member
from xietong.platform import Module, NavEntry, RoleDef
from xietong.platform.kinds import NotificationKind, SubjectType, TaskKind
from xietong.platform.params import SCHEDULE, TIME, param
from xietong.work.schedules import MONTHLY, NEXT, Schedule

from . import actions
from .models import Note
from .roles import EDITOR

MODULE = Module(
    key="example",
    label="Example notes",
    roles=(RoleDef(EDITOR, "Note editor"),),
    kinds=(TaskKind(actions.KIND_READ, "Read a note", module="example", due_param="example.read_working_hours",
                    outcomes=(("read", "Read"),)),),
    subjects=(SubjectType(actions.SUBJECT, "note", can_view=lambda person, pk: True, url=lambda pk: "/example/",
                          model=Note),),
    notifications=(NotificationKind("example_note", "A note for my department"),),
    parameters=(param("example.read_working_hours", "EX-1", "an example clause: 收到通知后X小时内阅读", "int", 6,
                      "working_hours", "阅读通知的时限", "Time to read a note", minimum=1, maximum=80, **TIME),
                param("example.monthly_day", "EX-2", "an example clause: 每月X日发布月度说明（遇节假日顺延）", "int", 5,
                      "day_of_month", "月度说明在每月几日发布", "Day of the month the monthly note comes out", minimum=1,
                      maximum=31, **SCHEDULE)),
    schedules=(Schedule("example.monthly", "Monthly note", module="example", every=MONTHLY,
                        day_param="example.monthly_day", at="09:00", holiday=NEXT, run=actions.monthly_note),),
    urls="tests.example.urls",
    api=(("/example", "tests.example.api:router"),),
    nav=(NavEntry("example", "Notes", "example:index", visible=member, order=200),),
    demo="tests.example.demo:load_demo_example",
    # Approvals as a service: a note submitted for approval is marked approved by this handler.
    approval_handlers=(Handler("example.note_approval", "Approve a note", approved=actions.note_approved),),
)
