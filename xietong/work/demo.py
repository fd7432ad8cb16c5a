"""Work for the demo company: open, due-soon and overdue tasks, so that the
inbox, the escalation ladder and supervision (督办) show on first run."""

from datetime import timedelta

from django.utils import timezone

from xietong.org.models import Department, Person, Role
from xietong.policy.calendar import WorkingCalendar

from .actions import task_create
from .delegation import delegation_create
from .models import Priority, Task
from .registry import ACKNOWLEDGE, TODO
from .sweep import escalations_run


def load_demo_work() -> str:
    if Task.objects.filter(subject_type="demo.item").exists():
        return "demo tasks already loaded"
    people = {p.username: p for p in Person.objects.all()}
    tech = Department.objects.get(code="tech")
    now = timezone.now()
    # The ops director is on leave this week; the dispatcher acts for him (ORG-5).
    delegation_create(actor=people["songtao"], principal=people["songtao"], delegate=people["tangliang"],
                      starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6), reason="年假")
    calendar = WorkingCalendar.load(lenient=True)

    def subject(n: int) -> tuple[str, str]:
        return ("demo.item", str(n))

    def create(n: int, title: str, assignee: str, requester: str, *, due: object, created: object = None,
               kind: str = TODO, priority: int = Priority.NORMAL, cc: tuple[str, ...] = ()) -> Task:
        created_at = created or now
        return task_create(kind=kind, title=title, subject=subject(n), actor=people[requester],
                           assignee=people[assignee], requester=people[requester], due_at=due,  # type: ignore[arg-type]
                           priority=priority, cc=[people[c] for c in cc], now=created_at)  # type: ignore[arg-type]

    # Overdue by three working days: every step of the ladder has fired.
    due = calendar.subtract_working_hours(now, 27)
    create(1, "提交十月销售回款明细", "yangfan", "dongjie" if "dongjie" in people else "chenjing", due=due,
           created=due - timedelta(days=5), priority=Priority.HIGH, cc=("chenjing",))
    # Overdue by two working hours: only the head supervises.
    due = calendar.subtract_working_hours(now, 2)
    create(2, "提交研发一组本周周报", "wuhao", "zhangwei", due=due, created=due - timedelta(days=3))
    # Due soon, and open with time to spare.
    create(3, "修复充电桩固件 OTA 升级失败", "zhengkai", "zhangwei", due=calendar.add_working_hours(now, 2),
           priority=Priority.URGENT)
    create(4, "准备华东区充电桩报价单", "liuyang", "chenjing", due=calendar.add_working_days(now, 2))
    create(5, "整理客户回访记录", "yangfan", "chenjing", due=calendar.add_working_days(now, 3))
    # Notices to acknowledge: these may be completed in bulk.
    for n, title in enumerate(("阅知：2026年第四季度销售政策", "阅知：跨部门协作管理制度（修订）",
                               "阅知：年终考核安排"), start=10):
        create(n, title, "huanglei", "chenjing", kind=ACKNOWLEDGE, due=calendar.add_working_days(now, 5))
    # A role task any coordinator of Technology may take.
    task_create(kind=TODO, title="评估市场部新品发布会的技术支持需求", subject=subject(20),
                actor=people["zhaolei"], requester=people["zhaolei"], role=Role.COORDINATOR, department=tech,
                due_at=calendar.add_working_days(now, 2))
    steps = escalations_run(now=now)
    return f"demo tasks loaded ({Task.objects.count()} tasks, {steps} escalation steps)"
