"""Demo customer cases over six weeks (demo mode only), through the actions."""

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xietong.org.models import Department, Person
from xietong.policy.calendar import WorkingCalendar

from . import actions as a
from .models import Case

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
STREETS = ["深圳市南山区科技园", "深圳市福田区车公庙", "广州市天河区珠江新城", "东莞市松山湖", "佛山市顺德区大良"]
# category, subject, what the customer says, departments
STORIES = [
    ("fault", "充电桩扫码无反应", "在充电站扫码后充电桩没有任何反应，换了两个桩都一样", ["ops"]),
    ("fault", "充电中途断电", "充到一半自动停止，车辆显示充电故障", ["ops", "tech"]),
    ("billing", "充电费用重复扣款", "同一次充电被扣了两次费用，要求退款", ["finance"]),
    ("billing", "发票开具问题", "企业账户申请的发票抬头错误，需要重开", ["finance"]),
    ("installation", "家用充电桩安装预约", "购买了家用充电桩，希望本周末上门安装", ["ops"]),
    ("complaint", "现场工程师迟到", "预约上午十点上门，下午两点才到，非常不满", ["ops"]),
    ("suggestion", "希望增加夜间优惠", "建议晚上十一点后充电给予电价优惠", ["market"]),
    ("fault", "App 显示桩离线", "App 上显示附近的桩都离线，但现场看是亮灯的", ["tech"]),
]


@transaction.atomic
def load_demo_cases() -> str:
    if not settings.XIETONG_DEMO:
        return "demo cases: skipped (XIETONG_DEMO is off)"
    if Case.objects.exists():
        return "demo cases: already loaded"
    people = {p.username: p for p in Person.objects.all()}
    depts = {d.code: d for d in Department.objects.all()}
    agents = [people[u] for u in ("zengmin", "xiechen", "suqi")]
    rnd = random.Random(8)  # noqa: S311 — demo data, not security
    cal = WorkingCalendar.load(lenient=True)
    now = timezone.now()
    made = 0
    unsatisfied_shown = False
    for n in range(30):
        category, title, said, targets = rnd.choice(STORIES)
        created = cal.add_working_hours(now - timedelta(days=rnd.randint(1, 42)), rnd.choice([0.5, 2, 5]))
        if created >= now:
            continue
        customer = {"customer_name": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(["", *GIVEN]),
                    "customer_phone": f"139{rnd.randint(10000000, 99999999)}",
                    "customer_address": f"{rnd.choice(STREETS)}{rnd.randint(1, 200)}号",
                    "plate_number": f"粤B{rnd.choice('ACDF')}{rnd.randint(1000, 9999)}",
                    "category": category, "title": title, "description": said}
        agent = rnd.choice(agents)
        made += 1
        if n % 6 == 0:
            case = a.case_submit_public(data=customer, source=f"demo-{n}", now=created)
            if created > now - timedelta(days=2):
                continue  # still waiting for customer service
        elif rnd.random() < 0.25:
            a.case_record(actor=agent, data={**customer, "channel": rnd.choice(["hotline", "onsite"])},
                          answer="已电话指导客户完成操作，问题解决", now=created)
            continue
        else:
            case = a.case_record(actor=agent, data={**customer, "channel": rnd.choice(["hotline", "onsite"]),
                                                    "complaint": category == "complaint"}, now=created)
        at = created + timedelta(minutes=20)
        a.case_pass(actor=agent, case=case, departments=[depts[t] for t in targets], instructions="请尽快处理并回复客服",
                    now=at)
        for department in targets:
            back = cal.add_working_hours(at, rnd.choice([1, 3, 6, 12]))
            if back >= now or rnd.random() < 0.12:
                break
            handler = a.department_liaison(depts[department], partner=depts["cs"])
            if handler is None:
                break
            a.case_return(actor=handler, case=case, result="已处理：" + {"ops": "工程师已上门检修完毕",
                          "tech": "已远程重启并升级固件", "finance": "已核实并原路退款", "market": "已记录建议，纳入下季度活动"}[
                              department], department=depts[department].pk, now=back)
            at = back
        case.refresh_from_db()
        if case.state != "confirming":
            continue
        confirm_at = cal.add_working_hours(at, rnd.choice([1, 2, 4]))
        if confirm_at >= now or rnd.random() < 0.15:
            continue
        if not unsatisfied_shown or rnd.random() < 0.18:
            # At least one customer is not satisfied: the case goes back for a second round (CS-3).
            unsatisfied_shown = True
            a.case_confirm(actor=case.recorded_by or agent, case=case, satisfied=False, satisfaction=2,
                           words="客户表示问题仍未解决，要求再次上门", now=confirm_at)
        else:
            a.case_confirm(actor=case.recorded_by or agent, case=case, satisfied=True,
                           satisfaction=rnd.choice([5, 5, 4, 4, 3]), now=confirm_at)
            if rnd.random() < 0.5 and case.survey_token:
                case.refresh_from_db()
                a.survey_answer(token=case.survey_token or "", rating=rnd.choice([5, 4, 4, 3, 2]),
                                comment="服务还可以", now=confirm_at + timedelta(hours=3))
    # Last week's summary for leadership.
    today = cal.local_date(now)
    a.summary_make(today - timedelta(days=today.weekday() + 7), now=now, tz=cal.tz)
    return f"demo cases: {made} over six weeks and last week's summary"
