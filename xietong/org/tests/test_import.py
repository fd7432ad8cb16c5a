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


def test_the_import_page_queues_a_job_and_reports_bad_rows(company, client, django_capture_on_commit_callbacks):
    from xietong.org.importer import import_job_run
    from xietong.org.models import ImportJob

    client.force_login(company.admin)
    upload = io.BytesIO(workbook(GOOD_DEPTS, [["", "无账号", "", "", "", "qa", "", "", "", ""]]))
    upload.name = "org.xlsx"
    from django.tasks import task_backends

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/org/import/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/org/import/{job.pk}/"
    queued = task_backends["default"].results  # type: ignore[attr-defined]  # the dummy backend keeps them
    assert [r.args for r in queued] == [[job.pk]]  # queued for a worker
    waiting = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="queued"' in waiting and 'hx-trigger="every 2s"' in waiting  # the page polls
    import_job_run(job.pk)  # what the background worker does
    assert import_job_run(job.pk) is None  # once
    page = client.get(response.url).content.decode()
    assert "import-errors" in page and "hx-trigger" not in page
    assert not Department.objects.filter(code="qa").exists()
    assert client.force_login(company.hr) is None and client.get(response.url).status_code == 404  # not hers


def test_the_background_report_is_in_the_language_of_the_page_that_started_it(company, client):
    """The finding: the worker wrote the report in its own language (zh), so an
    English page listed Chinese problems; each required column is named in both
    header languages."""
    from django.utils import translation

    from xietong.org.importer import import_job_run
    from xietong.org.models import ImportJob

    client.force_login(company.admin)
    upload = io.BytesIO(workbook([], [["", "无账号", "", "", "", "qa", "", "", "", ""]]))
    upload.name = "org.xlsx"
    client.post("/org/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    job = ImportJob.objects.get()
    assert job.language == "en"
    with translation.override("zh-hans"):  # the worker's own language
        import_job_run(job.pk)
    job.refresh_from_db()
    assert [e["message"] for e in job.errors] == ["Missing: 账号 (username)"]
    assert job.errors[0]["sheet"] == "people"


def test_the_import_page_refuses_an_employee(company, client):
    client.force_login(company.employee)
    assert client.get("/org/import/").status_code == 403
    assert client.get("/org/import/template.xlsx").status_code == 403


def test_rows_are_written_in_chunks_each_its_own_transaction(company, monkeypatch):
    """The finding: an 8,000-row import held SQLite's write lock for 35 s; now each chunk commits."""
    from xietong.org import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    people = [[f"p{n}", f"员工{n}", "", "", "", "sales", "", "", "", ""] for n in range(7)]
    seen: list[tuple[int, int]] = []
    report = import_org(actor=company.admin, filename="org.xlsx", content=workbook([], people),
                        progress=lambda done, total: seen.append((done, total)))
    assert report.ok and report.people == 7
    assert seen == [(2, 7), (4, 7), (6, 7), (7, 7)]


def test_a_row_that_fails_while_writing_stops_there_and_says_so(company, monkeypatch):
    from xietong.org import actions, importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    temp = actions.department_create(actor=company.admin, code="temp", name="临时组", kind="department",
                                     parent=company.hq)
    people = [[f"p{n}", f"员工{n}", "", "", "", "sales", "", "", "", ""] for n in range(4)]
    people.append(["late", "迟到者", "", "", "", "temp", "", "", "", ""])

    def meanwhile(done: int, total: int) -> None:  # someone removes the department after the check
        if done == 2:
            Department.objects.filter(pk=temp.pk).delete()

    report = import_org(actor=company.admin, filename="org.xlsx", content=workbook([], people), progress=meanwhile)
    assert report.partial and report.people == 4
    (error,) = report.errors
    assert error.row == 6 and "temp" in error.message
    assert not Person.objects.filter(username="late").exists()
    assert Person.objects.filter(username__in=["p0", "p1", "p2", "p3"]).count() == 4


def test_hr_cannot_grant_roles_or_change_an_administrator_by_import(company):
    csv_text = "账号,姓名,主部门编码,角色\nsysadmin,换名,office,\nnewbie,新人,sales,finance\n"
    report = import_org(actor=company.hr, filename="people.csv", content=csv_text.encode())
    assert [(e.row, "administrator" in e.message or "grants roles" in e.message) for e in report.errors] == [
        (2, True), (3, True)]
    assert Person.objects.get(username="sysadmin").name == "系统管理员"
