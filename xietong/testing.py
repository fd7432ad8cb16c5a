"""Named personas across departments for tests (STYLE: healthchecks `hc/test.py`).

    company.employee   刘洋, sales, no role
    company.sales_head 陈静, head of sales
    company.tech_head  张伟, head of tech (tech has group rd1 under it)
    company.engineer   郑凯, in tech/rd1, reports to the rd1 leader
    company.finance    董洁, finance role
    company.ceo        王建国, CEO + leadership
    company.auditor    潘越, auditor
    company.hr         邓丽, HR
    company.admin      系统管理员, administrator role
    company.outsider   an active account with no department and no role
    company.office     周敏, the coordination office
    company.service    谢晨, customer service (in the office)
"""

from collections.abc import Callable
from dataclasses import dataclass

from xietong.org import actions
from xietong.org.models import Department, Person, Role
from xietong.service.roles import CUSTOMER_SERVICE

PASSWORD = "persona-password-1"  # noqa: S105 — test personas only


@dataclass
class Company:
    hq: Department
    sales: Department
    tech: Department
    rd1: Department
    finance_dept: Department
    employee: Person
    sales_head: Person
    tech_head: Person
    rd1_lead: Person
    engineer: Person
    finance: Person
    ceo: Person
    auditor: Person
    hr: Person
    admin: Person
    outsider: Person
    office: Person
    service: Person


def build_company() -> Company:
    root = Person.objects.create_superuser("root", PASSWORD, name="root")
    hq = actions.department_create(actor=root, code="hq", name="总公司", name_en="HQ", kind="company", parent=None)

    def dept(code: str, name: str, parent: Department, kind: str = "department") -> Department:
        return actions.department_create(actor=root, code=code, name=name, name_en=code.title(), kind=kind,
                                         parent=parent)

    sales, tech, fin, office = dept("sales", "销售部", hq), dept("tech", "技术部", hq), dept("finance", "财务部", hq), dept(
        "office", "总经理办公室", hq)
    rd1 = dept("rd1", "研发一组", tech, kind="group")

    def person(username: str, name: str, department: Department, *roles: str, position: str = "") -> Person:
        p = actions.person_create(actor=root, username=username, name=name, primary_department=department,
                                  password=PASSWORD, email=f"{username}@example.com", phone="13812345678",
                                  position=position)
        for role in roles:
            actions.role_grant(actor=root, person=p, role=role)
        return p

    ceo = person("ceo", "王建国", office, Role.CEO, Role.LEADERSHIP)
    company = Company(
        hq=hq, sales=sales, tech=tech, rd1=rd1, finance_dept=fin,
        employee=person("liuyang", "刘洋", sales),
        sales_head=person("chenjing", "陈静", sales),
        tech_head=person("zhangwei", "张伟", tech),
        rd1_lead=person("wuhao", "吴昊", rd1, position="组长"),
        engineer=person("zhengkai", "郑凯", rd1),
        finance=person("dongjie", "董洁", fin, Role.FINANCE),
        ceo=ceo,
        auditor=person("panyue", "潘越", office, Role.AUDITOR),
        hr=person("dengli", "邓丽", office, Role.HR),
        admin=person("sysadmin", "系统管理员", office, Role.ADMIN),
        outsider=Person.objects.create_user("outsider", PASSWORD, name="外部访客"),
        office=person("zhoumin", "周敏", office, Role.COORDINATION_OFFICE),
        service=person("xiechen", "谢晨", office, CUSTOMER_SERVICE),
    )
    for department, head in ((hq, ceo), (sales, company.sales_head), (tech, company.tech_head),
                             (rd1, company.rd1_lead), (fin, company.finance)):
        actions.department_update(actor=root, department=department, changes={"head": head})
        department.refresh_from_db()
    return company

# Queries every signed-in page spends on the navigation's inbox badges
# (KER-2): role assignments, the open/overdue aggregate, unread notifications.
NAV_QUERIES = 3


def together[T](*calls: Callable[[], T]) -> tuple[list[T], list[BaseException]]:
    """Run the calls at the same moment, each in its own thread and database
    connection (a transactional test): their results and the errors raised."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list[T] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], T]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 — the test inspects them
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
