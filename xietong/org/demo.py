"""The demo company (modelled on the EV-charging company of seed 003).

Built through the same actions as the screens, so it carries audit events
like real data. Only in demo mode (XIETONG_DEMO=1). Every demo account's
password is DEMO_PASSWORD, documented in the README.
"""


from django.conf import settings
from django.db import transaction

from xietong.errors import DomainError

from . import actions
from .models import Department, Person, Role

DEMO_PASSWORD = "xietong-demo"  # noqa: S105 — documented demo password, demo mode only

# code, name, name_en, kind, parent, cap
DEPARTMENTS = [
    ("hq", "绿能充电科技有限公司", "GreenCharge Technology Co., Ltd.", "company", None, None),
    ("gm_office", "总经理办公室", "General Manager's Office", "department", "hq", 8),
    ("market", "市场部", "Marketing", "department", "hq", 3),
    ("sales", "销售部", "Sales", "department", "hq", 10),
    ("tech", "技术部", "Technology", "department", "hq", 8),
    ("rd1", "研发一组", "R&D Group 1", "group", "tech", None),
    ("rd2", "研发二组", "R&D Group 2", "group", "tech", None),
    ("production", "生产部", "Production", "department", "hq", 10),
    ("ops", "运维部", "Operations & Maintenance", "department", "hq", 10),
    ("finance", "财务部", "Finance", "department", "hq", 5),
    ("hr", "人力资源部", "Human Resources", "department", "hq", 5),
    ("cs", "客服部", "Customer Service", "department", "hq", 6),
    ("audit", "审计部", "Internal Audit", "department", "hq", 4),
]

# username, name, department, position, roles, phone
PEOPLE = [
    ("wangjianguo", "王建国", "gm_office", "总经理", ["ceo", "leadership"], "13900000001"),
    ("chengang", "陈刚", "gm_office", "副总经理", ["leadership"], "13900000002"),
    ("liming", "李明", "gm_office", "办公室主任", ["coordination_office"], "13900000003"),
    ("zhouting", "周婷", "gm_office", "协调员", ["coordination_office", "coordinator"], "13900000004"),
    ("fangyuan", "方圆", "gm_office", "数据分析师", ["data_analyst"], "13900000005"),
    ("admin", "系统管理员", "gm_office", "系统管理员", ["admin"], ""),
    ("zhaolei", "赵磊", "market", "市场总监", [], "13900000011"),
    ("sunyue", "孙悦", "market", "市场专员", [], "13900000012"),
    ("qiancheng", "钱程", "market", "品牌经理", [], "13900000013"),
    ("chuhong", "褚红", "market", "市场调研员", [], "13900000014"),
    ("chenjing", "陈静", "sales", "销售总监", [], "13900000021"),
    ("liuyang", "刘洋", "sales", "大客户经理", [], "13900000022"),
    ("yangfan", "杨帆", "sales", "销售代表", [], "13900000023"),
    ("huanglei", "黄蕾", "sales", "销售助理", [], "13900000024"),
    ("zhangwei", "张伟", "tech", "技术总监", [], "13900000031"),
    ("machao", "马超", "tech", "技术接口人", [], "13900000032"),
    ("wuhao", "吴昊", "rd1", "组长", [], "13900000033"),
    ("zhengkai", "郑凯", "rd1", "软件工程师", [], "13900000034"),
    ("fengxue", "冯雪", "rd1", "硬件工程师", [], "13900000035"),
    ("heping", "何平", "rd2", "组长", [], "13900000036"),
    ("xunuo", "许诺", "rd2", "测试工程师", [], "13900000037"),
    ("hanmei", "韩梅", "rd2", "算法工程师", [], "13900000038"),
    ("linfeng", "林峰", "production", "生产总监", [], "13900000041"),
    ("gaoyuan", "高远", "production", "生产计划员", [], "13900000042"),
    ("luogang", "罗刚", "production", "质检主管", [], "13900000043"),
    ("liangshuang", "梁爽", "production", "采购专员", [], "13900000044"),
    ("weidong", "卫东", "production", "设备工程师", [], "13900000045"),
    ("songtao", "宋涛", "ops", "运维总监", [], "13900000051"),
    ("tangliang", "唐亮", "ops", "运维调度", [], "13900000052"),
    ("caoyang", "曹阳", "ops", "现场工程师", [], "13900000053"),
    ("shenbing", "沈冰", "ops", "现场工程师", [], "13900000054"),
    ("dongjie", "董洁", "finance", "财务总监", ["finance"], "13900000061"),
    ("yuanyuan", "袁媛", "finance", "会计", ["finance"], "13900000062"),
    ("dengli", "邓丽", "hr", "人力资源总监", ["hr"], "13900000071"),
    ("pengfei", "彭飞", "hr", "招聘主管", ["hr"], "13900000072"),
    ("zengmin", "曾敏", "cs", "客服主管", ["customer_service"], "13900000081"),
    ("xiechen", "谢晨", "cs", "客服专员", ["customer_service"], "13900000082"),
    ("suqi", "苏琪", "cs", "客服专员", ["customer_service"], "13900000083"),
    ("panyue", "潘越", "audit", "审计经理", ["auditor"], "13900000091"),
    ("jiangwen", "蒋文", "audit", "内审专员", ["auditor"], "13900000092"),
]

HEADS = {"hq": "wangjianguo", "gm_office": "liming", "market": "zhaolei", "sales": "chenjing",
         "tech": "zhangwei", "rd1": "wuhao", "rd2": "heping", "production": "linfeng", "ops": "songtao",
         "finance": "dongjie", "hr": "dengli", "cs": "zengmin", "audit": "panyue"}
LIAISONS = {"market": "sunyue", "sales": "liuyang", "tech": "machao", "production": "gaoyuan",
            "ops": "tangliang", "cs": "xiechen", "gm_office": "zhouting"}
# A liaison for one partner: sales talks to production through the planner.
PARTNER_LIAISONS = [("production", "sales", "gaoyuan"), ("tech", "ops", "wuhao")]
# Someone with an account but no place in the company (shows the refusal).
OUTSIDER = ("outsider", "外部访客")


class DemoRefused(DomainError):
    pass


@transaction.atomic
def load_demo() -> str:
    if not settings.XIETONG_DEMO:
        raise DemoRefused("Demo data is only loaded when XIETONG_DEMO=1.")
    if Department.objects.filter(code="hq").exists():
        return "demo company already loaded"
    admin = Person.objects.filter(username="admin").first() or Person.objects.create_user(
        "admin", DEMO_PASSWORD, name="系统管理员", is_staff=True, is_superuser=True
    )
    depts: dict[str, Department] = {}
    for code, name, name_en, kind, parent, cap in DEPARTMENTS:
        depts[code] = actions.department_create(
            actor=admin, code=code, name=name, name_en=name_en, kind=kind,
            parent=depts[parent] if parent else None, headcount_cap=cap,
        )
    people: dict[str, Person] = {"admin": admin}
    for username, name, dept, position, roles, phone in PEOPLE:
        if username == "admin":
            admin = actions.person_update(actor=admin, person=admin, changes={"primary_department": depts[dept]})
            people["admin"] = admin
            actions.membership_set(actor=admin, person=admin, department=depts[dept], position=position)
        else:
            people[username] = actions.person_create(
                actor=admin, username=username, name=name, primary_department=depts[dept], position=position,
                email=f"{username}@greencharge.example", phone=phone, employee_no=f"GC{len(people):04d}",
                password=DEMO_PASSWORD,
            )
        for role in roles:
            actions.role_grant(actor=admin, person=people[username], role=role)
    for code, username in HEADS.items():
        actions.department_update(actor=admin, department=depts[code], changes={"head": people[username]})
    for code, username in LIAISONS.items():
        actions.liaison_set(actor=admin, department=depts[code], person=people[username])
    for code, partner, username in PARTNER_LIAISONS:
        actions.liaison_set(actor=admin, department=depts[code], partner=depts[partner], person=people[username])
    # Group leaders also belong to their department; the tech liaison sits in its R&D group too.
    actions.membership_set(actor=admin, person=people["machao"], department=depts["rd1"], position="接口人")
    actions.role_grant(actor=admin, person=people["zhouting"], role=Role.COORDINATOR, department=depts["tech"])
    Person.objects.create_user(OUTSIDER[0], DEMO_PASSWORD, name=OUTSIDER[1])
    return f"demo company loaded: {len(depts)} departments, {len(people) + 1} accounts"
