import io

import openpyxl
import pytest

from xietong.errors import PermissionDenied
from xietong.org.importer import import_org, template_workbook
from xietong.org.models import Department, Person


def workbook(departments: list[list], people: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "部门"
    sheet.append(["编码", "名称", "英文名称", "类型", "上级编码", "负责人账号", "编制"])
    for row in departments:
        sheet.append(row)
    sheet2 = wb.create_sheet("人员")
    sheet2.append(["账号", "姓名", "工号", "邮箱", "手机", "主部门编码", "岗位", "上级账号", "兼职部门", "角色"])
    for row in people:
        sheet2.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD_DEPTS = [
    ["qa1", "质检一组", "QA 1", "小组", "qa", "", ""],  # child before parent: order must not matter
    ["qa", "质量部", "Quality", "部门", "hq", "lihua", 5],
]
GOOD_PEOPLE = [
    ["lihua", "李华", "Q001", "lihua@example.com", "13700000000", "qa", "质量总监", "", "", ""],
    ["wangfang", "王芳", "Q002", "", "", "qa1", "质检员", "lihua", "sales:顾问", "coordinator"],
]


def test_a_good_workbook_imports_everything(company):
    report = import_org(actor=company.admin, filename="org.xlsx", content=workbook(GOOD_DEPTS, GOOD_PEOPLE))
    assert report.ok, report.errors
    assert (report.departments, report.people) == (2, 2)
    qa = Department.objects.get(code="qa")
    assert qa.head.username == "lihua" and qa.headcount_cap == 5
    assert Department.objects.get(code="qa1").parent == qa
    wangfang = Person.objects.get(username="wangfang")
    assert wangfang.manager.username == "lihua"
    assert set(wangfang.memberships.values_list("department__code", flat=True)) == {"qa1", "sales"}
    assert wangfang.role_assignments.filter(role="coordinator").exists()


def test_a_bad_row_imports_nothing_and_reports_each_bad_row(company):
    people = [*GOOD_PEOPLE,
              ["", "无账号", "", "", "", "qa", "", "", "", ""],
              ["zhaoliu", "赵六", "", "not-an-email", "", "qa", "", "", "", ""],
              ["sunqi", "孙七", "", "", "", "nowhere", "", "", "", ""]]
    before = (Department.objects.count(), Person.objects.count())
    report = import_org(actor=company.admin, filename="org.xlsx", content=workbook(GOOD_DEPTS, people))
    assert not report.ok
    assert [(e.row, e.sheet) for e in report.errors] == [(4, "people"), (5, "people"), (6, "people")]
    assert "username" in report.errors[0].message
    assert "e-mail" in report.errors[1].message
    assert "nowhere" in report.errors[2].message
    assert (Department.objects.count(), Person.objects.count()) == before


def test_a_csv_of_people_in_gb18030(company):
    csv_text = "账号,姓名,主部门编码,岗位\nxiaoming,小明,sales,销售代表\n"
    report = import_org(actor=company.hr, filename="people.csv", content=csv_text.encode("gb18030"))
    assert report.ok, report.errors
    assert Person.objects.get(username="xiaoming").name == "小明"


def test_an_unreadable_file_is_reported(company):
    report = import_org(actor=company.admin, filename="org.xlsx", content=b"not a workbook")
    assert not report.ok and "Excel" in report.errors[0].message


def test_the_template_round_trips(company):
    wb = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert wb.sheetnames == ["部门", "人员"]


def test_employees_cannot_import(company):
    with pytest.raises(PermissionDenied):
        import_org(actor=company.employee, filename="org.xlsx", content=workbook(GOOD_DEPTS, GOOD_PEOPLE))


def test_the_import_page_reports_bad_rows(company, client):
    client.force_login(company.admin)
    upload = io.BytesIO(workbook(GOOD_DEPTS, [["", "无账号", "", "", "", "qa", "", "", "", ""]]))
    upload.name = "org.xlsx"
    response = client.post("/org/import/", {"file": upload})
    assert response.status_code == 200
    assert b"import-errors" in response.content
    assert not Department.objects.filter(code="qa").exists()


def test_the_import_page_refuses_an_employee(company, client):
    client.force_login(company.employee)
    assert client.get("/org/import/").status_code == 403
    assert client.get("/org/import/template.xlsx").status_code == 403
