"""Demo duty lists and six weeks of collaboration requests (demo mode only),
made through the actions with past times, so that the collaboration map,
the inboxes and the escalation ladder look alive on first run."""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xietong.duties.actions import duty_save
from xietong.duties.models import DutyItem
from xietong.org.models import Department, Person
from xietong.policy.calendar import WorkingCalendar
from xietong.work.models import Priority

from . import actions as a
from .models import Request

# department code: (duty, content, standard, offered, response hours, delivery days, partners)
Duty = tuple[str, str, str, bool, int | None, int | None, list[str]]
DUTIES: dict[str, list[Duty]] = {
    "tech": [
        ("充电桩固件升级支持", "为客户现场或其他部门提供固件升级包、升级指导与回滚方案", "升级后设备在线率≥99%", True, 4, 3, ["ops", "cs"]),
        ("技术方案评审", "参与大客户项目的技术方案编制与评审", "方案经技术总监签字", True, 8, 5, ["sales", "market"]),
        ("新产品研发", "充电桩硬件与平台软件的研发、测试与发布", "按研发计划节点交付", False, None, None, ["production"]),
    ],
    "ops": [
        ("现场故障检修", "接客服转办或客户报修后，安排现场工程师上门检修", "城区4小时到场，郊区8小时", True, 2, 1, ["cs", "tech"]),
        ("充电站巡检", "按计划对运营中的充电站进行巡检并记录", "每站每月至少一次", False, None, None, []),
    ],
    "finance": [
        ("费用报销审核", "审核各部门报销单据的合规性", "票据齐全、金额准确", True, 8, 3, []),
        ("合同付款", "按合同约定办理供应商付款", "付款前完成三单匹配", True, 8, 5, ["production"]),
        ("客户退款处理", "处理充电费用争议产生的退款", "3个工作日内原路退回", True, 4, 3, ["cs"]),
    ],
    "production": [
        ("生产排期", "根据销售订单安排生产计划", "订单确认后2个工作日内给出交期", True, 8, 2, ["sales"]),
        ("样机制作", "为销售演示和测试制作样机", "按需求单规格交付", True, 8, 10, ["sales", "tech"]),
    ],
    "market": [
        ("市场活动物料", "设计与制作展会、推介会所需物料", "提前5个工作日提交需求", True, 8, 5, ["sales"]),
        ("竞品分析", "定期输出竞品与市场分析报告", "每季度一次", True, 16, 10, ["sales", "tech"]),
    ],
    "hr": [
        ("招聘支持", "根据用人部门需求发布岗位、组织面试", "需求确认后10个工作日内推荐候选人", True, 8, 10, []),
        ("培训组织", "组织跨部门协作与业务培训", "每季度至少一次", True, 16, 10, []),
    ],
    "cs": [
        ("客户回访", "对已处理的客户问题进行回访并记录满意度", "结案后2个工作日内回访", True, 4, 2, ["ops"]),
    ],
    "sales": [
        ("客户需求收集", "收集大客户的功能与服务需求并反馈给相关部门", "每月汇总一次", False, None, None, ["tech", "market"]),
    ],
}

# (asking, asked, weight): who asks whom most, in a charging-pile company.
PAIRS: list[tuple[str, str, int]] = [("sales", "tech", 9), ("sales", "production", 8), ("sales", "finance", 4), ("sales", "market", 3),
         ("cs", "ops", 8), ("cs", "finance", 4), ("cs", "tech", 5), ("ops", "tech", 6), ("ops", "production", 3),
         ("market", "tech", 3), ("production", "finance", 4), ("production", "tech", 3), ("tech", "hr", 2),
         ("ops", "hr", 2), ("market", "finance", 2), ("tech", "production", 3)]

TITLES = {
    "tech": ["客户现场固件升级包", "大客户充电方案技术评审", "平台接口联调支持", "充电桩掉线问题分析", "新功能可行性评估"],
    "production": ["样机制作（演示用）", "订单交期确认", "加急生产排期", "备件补货"],
    "finance": ["客户退款处理", "项目费用报销审核", "供应商付款确认", "投标保证金支付"],
    "market": ["展会物料设计", "客户案例宣传稿", "竞品价格调研"],
    "ops": ["现场故障检修", "充电站巡检配合", "设备安装调试"],
    "hr": ["招聘现场工程师", "新员工协作培训"],
}


def _working_moment(cal: WorkingCalendar, start: datetime, rnd: random.Random) -> datetime:
    """A working moment at or after `start`."""
    return cal.add_working_hours(start, rnd.choice([0.5, 1, 2, 3]))


@transaction.atomic
def load_demo_requests() -> str:
    if not settings.XIETONG_DEMO:
        return "demo requests: skipped (XIETONG_DEMO is off)"
    if Request.objects.exists():
        return "demo requests: already loaded"
    depts = {d.code: d for d in Department.objects.all()}
    people = {p.username: p for p in Person.objects.all()}
    for code, items in DUTIES.items():
        head = depts[code].head
        if head is None:
            continue
        for title, content, standard, offered, hours, days, partners in items:
            duty_save(actor=head, department=depts[code], fields={
                "title": title, "content": content, "standard": standard, "offered": offered,
                "response_working_hours": hours, "delivery_working_days": days,
                "responsibility": f"{depts[code].name}负责人对结果负责"},
                partners=[depts[p] for p in partners])
    members: dict[str, list[Person]] = {}
    for person in Person.objects.filter(is_active=True).exclude(primary_department=None).select_related(
            "primary_department"):
        members.setdefault(person.primary_department.code, []).append(person)  # type: ignore[union-attr]
    rnd = random.Random(20261121)  # noqa: S311 — demo data, not security
    cal = WorkingCalendar.load(lenient=True)
    now = timezone.now()
    made = 0
    weighted = [(source, target) for source, target, weight in PAIRS for _i in range(weight)]
    for _n in range(70):
        source, target = rnd.choice(weighted)
        created = _working_moment(cal, now - timedelta(days=rnd.randint(2, 42), hours=rnd.randint(0, 8)), rnd)
        if created >= now:
            continue
        requester = rnd.choice([p for p in members[source] if p.pk != depts[source].head_id] or members[source])
        services = list(DutyItem.objects.filter(department=depts[target], offered=True))
        service = rnd.choice(services) if services and rnd.random() < 0.5 else None
        requested = cal.local_date(cal.add_working_days(created, rnd.choice([2, 3, 5, 8])))
        r = a.request_submit(actor=requester, to_department=depts[target], now=created, service=service,
                             title=service.title if service else rnd.choice(TITLES[target]),
                             reason="客户项目推进需要", expected_result="按期交付并书面确认",
                             requested_date=requested, priority=rnd.choice([2, 2, 2, 3, 4]))
        made += 1
        _play(r, rnd=rnd, cal=cal, now=now, members=members[target])
    _scenes(people, depts, cal=cal, now=now)
    return f"demo requests: {made} over six weeks, plus duty lists and the scenes for 刘洋, 马超 and 郑凯"


def _play(r: Request, *, rnd: random.Random, cal: WorkingCalendar, now: datetime, members: list[Person]) -> None:
    """Take one request along a plausible path, stopping where `now` is reached."""
    liaison = r.liaison
    if liaison is None:
        return
    answer_at = cal.add_working_hours(r.created_at, rnd.choice([0.5, 1, 2, 4, 6, 10]))
    roll = rnd.random()
    if answer_at >= now or roll < 0.06:
        return  # still waiting for the liaison (some of them late)
    if roll < 0.13:
        a.request_decline(actor=liaison, request=r, reason="不属于本部门职责，请联系相关部门", now=answer_at)
        if rnd.random() < 0.5:
            escalate_at = answer_at + timedelta(hours=2)
            if escalate_at < now:
                a.request_escalate(actor=r.requester, request=r, reason="职责清单写明由该部门负责", now=escalate_at)
        return
    owner = rnd.choice([p for p in members if p.pk != r.requester_id] or [liaison])
    r = a.request_accept(actor=liaison, request=r, owner=owner, now=answer_at)
    work = rnd.random()
    if work < 0.12 and answer_at + timedelta(hours=3) < min(now, r.due_at):
        at = answer_at + timedelta(hours=3)
        a.request_propose_date(actor=owner, request=r, reason="等待供应商到货",
                               new_date=cal.local_date(cal.add_working_days(r.due_at, 3)), now=at)
        if at + timedelta(hours=4) < now:
            a.request_decide_date(actor=r.requester, request=r, accept=rnd.random() < 0.8, note="客户等不了", now=at
                                  + timedelta(hours=4))
        r.refresh_from_db()
    late = rnd.random() < 0.22
    done_at = r.due_at + timedelta(hours=rnd.randint(4, 40)) if late else cal.subtract_working_hours(
        r.due_at, rnd.choice([1, 4, 8, 12]))
    done_at = max(done_at, answer_at + timedelta(hours=1))
    if done_at >= now or work > 0.88:
        if answer_at + timedelta(hours=5) < now:
            a.request_update(actor=owner, request=r, body="已安排人员，正在处理", percent=rnd.choice([20, 40, 60]),
                             now=answer_at + timedelta(hours=5))
        return  # in progress (some overdue)
    r = a.request_complete(actor=owner, request=r, result="已按要求完成，详见附件说明", now=done_at)
    confirm_at = cal.add_working_hours(done_at, rnd.choice([1, 2, 6, 12]))
    if confirm_at >= now or rnd.random() < 0.15:
        return  # waiting for the requester (or for auto-confirmation)
    if rnd.random() < 0.1:
        a.request_reopen(actor=r.requester, request=r, reason="现场验证仍有问题，请再处理", now=confirm_at)
        again = cal.add_working_hours(confirm_at, 6)
        if again >= now:
            return
        r = a.request_complete(actor=owner, request=r, result="已复查并修复", now=again)
        confirm_at = cal.add_working_hours(again, 2)
        if confirm_at >= now:
            return
    rating = rnd.choice([5, 5, 4, 4, 4, 3, 3, 2]) if not late else rnd.choice([4, 3, 3, 2, 2, 1])
    a.request_confirm(actor=r.requester, request=r, rating=rating, now=confirm_at,
                      comment="响应及时，结果满意" if rating >= 4 else ("基本满足" if rating == 3 else "延误较多，影响客户交付"))


def _scenes(people: dict[str, Person], depts: dict[str, Department], *, cal: WorkingCalendar,
            now: datetime) -> None:
    """The journeys the README walks through, on the current week."""
    # Waiting for 马超 (tech liaison) to accept.
    a.request_submit(actor=people["liuyang"], to_department=depts["tech"], title="大客户充电桩固件升级支持",
                     reason="华东物流园 40 台充电桩频繁掉线", expected_result="提供升级包并远程指导升级",
                     requested_date=cal.local_date(cal.add_working_days(now, 5)), priority=Priority.HIGH, now=now)
    # 郑凯 owns one and has asked 刘洋 for a later date.
    r = a.request_submit(actor=people["liuyang"], to_department=depts["tech"], title="充电方案技术评审",
                         reason="投标截止前需要技术方案", expected_result="评审意见书",
                         requested_date=cal.local_date(cal.add_working_days(now, 3)), now=now - timedelta(hours=3))
    a.request_accept(actor=people["machao"], request=r, owner=people["zhengkai"], now=now - timedelta(hours=2))
    a.request_propose_date(actor=people["zhengkai"], request=r, reason="等待硬件组测试数据",
                           new_date=cal.local_date(cal.add_working_days(now, 6)), now=now - timedelta(hours=1))
