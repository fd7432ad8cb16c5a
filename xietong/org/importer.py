"""Import departments and people from Excel or CSV (ORG-2, INT-4).

All or nothing: every row goes through the same actions as the screens
(so the same checks and audit events) inside one transaction; if any row is
bad, each bad row is reported and the transaction is rolled back.

Excel: a sheet "departments" (or 部门) and a sheet "people" (or 人员).
CSV: one kind per file, recognised by its header. Headers may be English or
Chinese (see COLUMNS).
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.errors import DomainError, PermissionDenied
from xietong.sheets import append_row, new_sheet

from . import actions
from .models import Department, DepartmentKind, Person, Role
from .permissions import can_manage_org, can_manage_people

COLUMNS = {
    "departments": {
        "code": "编码", "name": "名称", "name_en": "英文名称", "kind": "类型", "parent_code": "上级编码",
        "head_username": "负责人账号", "headcount_cap": "编制",
    },
    "people": {
        "username": "账号", "name": "姓名", "employee_no": "工号", "email": "邮箱", "phone": "手机",
        "department_code": "主部门编码", "position": "岗位", "manager_username": "上级账号",
        "other_departments": "兼职部门", "roles": "角色",
    },
}
SHEET_NAMES = {"departments": ("departments", "部门"), "people": ("people", "人员")}
KIND_ALIASES = {"公司": "company", "部门": "department", "小组": "group", "组": "group"}
MAX_ROWS = 50_000


@dataclass
class RowError:
    sheet: str
    row: int
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    departments: int = 0
    people: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _normalise(header: list[Any], kind: str) -> list[str]:
    reverse = {zh: en for en, zh in COLUMNS[kind].items()}
    names = []
    for cell in header:
        text = str(cell or "").strip()
        names.append(reverse.get(text, text.lower()))
    return names


def _rows(table: list[list[Any]], kind: str) -> list[tuple[int, dict[str, str]]]:
    if not table:
        return []
    header = _normalise(table[0], kind)
    rows = []
    for number, values in enumerate(table[1:], start=2):
        record = {h: str(v).strip() if v is not None else "" for h, v in zip(header, values, strict=False)}
        if any(record.values()):
            rows.append((number, record))
    return rows


def read_tables(filename: str, content: bytes) -> dict[str, list[list[Any]]]:
    if filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types for a bad file
            raise DomainError(_("The file is not a readable Excel workbook."), code="bad_file") from None
        tables = {}
        for kind, names in SHEET_NAMES.items():
            for sheet_name in workbook.sheetnames:
                if sheet_name.strip().lower() in names:
                    tables[kind] = [list(r) for r in workbook[sheet_name].iter_rows(values_only=True)]
        if not tables:
            raise DomainError(_("The workbook needs a sheet named “departments”/“部门” or “people”/“人员”."),
                              code="no_sheet")
        return tables
    if filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise DomainError(_("The CSV file must be UTF-8 or GB18030 text."), code="bad_encoding") from None
        table = list(csv.reader(io.StringIO(text)))
        if not table:
            raise DomainError(_("The file is empty."), code="empty")
        people_header = set(_normalise(table[0], "people"))
        kind = "people" if "username" in people_header else "departments"
        return {kind: table}
    raise DomainError(_("Upload an .xlsx or .csv file."), code="bad_file_type")


def import_org(*, actor: Person, filename: str, content: bytes) -> ImportReport:
    report = ImportReport()
    try:
        tables = read_tables(filename, content)
    except DomainError as exc:
        report.errors.append(RowError("", 0, str(exc.message)))
        return report
    if not can_manage_people(actor) or ("departments" in tables and not can_manage_org(actor)):
        raise PermissionDenied()
    departments = _rows(tables.get("departments", []), "departments")
    people = _rows(tables.get("people", []), "people")
    if len(departments) + len(people) > MAX_ROWS:
        report.errors.append(RowError("", 0, _("At most %(n)s rows per file.") % {"n": MAX_ROWS}))
        return report
    with transaction.atomic():
        pending_heads = _import_departments(actor, departments, report)
        _import_people(actor, people, report)
        _set_pending_heads(actor, pending_heads, report)
        if report.errors:
            transaction.set_rollback(True)
            report.departments = report.people = 0
    return report


def _required(record: dict[str, str], *names: str) -> str | None:
    missing = [n for n in names if not record.get(n)]
    return _("Missing: %(cols)s") % {"cols": ", ".join(missing)} if missing else None


def _ordered(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """Parents before children, whatever the order in the file."""
    by_code = {r["code"]: (n, r) for n, r in rows if r.get("code")}
    done: set[str] = set()
    ordered: list[tuple[int, dict[str, str]]] = []

    def visit(code: str, trail: tuple[str, ...]) -> None:
        if code in done or code in trail or code not in by_code:
            return
        parent = by_code[code][1].get("parent_code", "")
        visit(parent, (*trail, code))
        done.add(code)
        ordered.append(by_code[code])

    for code in by_code:
        visit(code, ())
    ordered += [(n, r) for n, r in rows if not r.get("code")]
    return ordered


Rows = list[tuple[int, dict[str, str]]]


def _import_departments(actor: Person, rows: Rows, report: ImportReport) -> Rows:
    """Returns the rows whose head is a person of this file, to set afterwards."""
    sheet = _("departments")
    for number, record in _ordered(rows):
        problem = _required(record, "code", "name", "kind")
        if problem:
            report.errors.append(RowError(sheet, number, problem))
            continue
        kind = KIND_ALIASES.get(record["kind"], record["kind"].lower())
        if kind not in DepartmentKind.values:
            report.errors.append(RowError(sheet, number, _("Unknown kind “%(kind)s”.") % {"kind": record["kind"]}))
            continue
        parent = None
        if record.get("parent_code"):
            parent = Department.objects.filter(code=record["parent_code"]).first()
            if parent is None:
                report.errors.append(RowError(sheet, number, _("No department with code “%(code)s”.") % {
                    "code": record["parent_code"]}))
                continue
        head = None
        if record.get("head_username"):
            head = Person.objects.filter(username=record["head_username"]).first()
            if head is None:
                # The head may be a person in this same file: set after people are imported.
                record["_pending_head"] = record["head_username"]
        cap = None
        if record.get("headcount_cap"):
            try:
                cap = int(float(record["headcount_cap"]))
            except ValueError:
                report.errors.append(RowError(sheet, number, _("The headcount cap must be a whole number.")))
                continue
        fields: dict[str, Any] = {"code": record["code"], "name": record["name"], "name_en": record.get("name_en", ""),
                  "kind": kind, "parent": parent, "head": head, "headcount_cap": cap}
        try:
            existing = Department.objects.filter(code=record["code"]).first()
            if existing:
                actions.department_update(actor=actor, department=existing, changes=fields)
            else:
                actions.department_create(actor=actor, **fields)
            report.departments += 1
        except DomainError as exc:
            report.errors.append(RowError(sheet, number, str(exc.message)))
    return [(n, r) for n, r in rows if r.get("_pending_head")]


def _import_people(actor: Person, rows: Rows, report: ImportReport) -> None:
    sheet = _("people")
    managers: list[tuple[int, Person, str]] = []
    for number, record in rows:
        problem = _required(record, "username", "name", "department_code")
        if problem:
            report.errors.append(RowError(sheet, number, problem))
            continue
        dept = Department.objects.filter(code=record["department_code"]).first()
        if dept is None:
            report.errors.append(RowError(sheet, number, _("No department with code “%(code)s”.") % {
                "code": record["department_code"]}))
            continue
        fields: dict[str, Any] = {"username": record["username"], "name": record["name"],
                  "employee_no": record.get("employee_no", ""), "email": record.get("email", ""),
                  "phone": record.get("phone", ""), "primary_department": dept}
        try:
            existing = Person.objects.filter(username=record["username"]).first()
            if existing:
                subject = actions.person_update(actor=actor, person=existing, changes=fields)
                if record.get("position"):
                    actions.membership_set(actor=actor, person=subject, department=dept, position=record["position"])
            else:
                subject = actions.person_create(actor=actor, position=record.get("position", ""), **fields)
            for chunk in filter(None, (c.strip() for c in record.get("other_departments", "").split(";"))):
                code, _sep, position = chunk.partition(":")
                other = Department.objects.filter(code=code.strip()).first()
                if other is None:
                    raise DomainError(_("No department with code “%(code)s”.") % {"code": code.strip()})
                actions.membership_set(actor=actor, person=subject, department=other, position=position.strip())
            for role in filter(None, (r.strip() for r in record.get("roles", "").split(";"))):
                if role not in Role.values:
                    raise DomainError(_("Unknown role “%(role)s”.") % {"role": role})
                actions.role_grant(actor=actor, person=subject, role=role)
            if record.get("manager_username"):
                managers.append((number, subject, record["manager_username"]))
            report.people += 1
        except DomainError as exc:
            report.errors.append(RowError(sheet, number, str(exc.message)))
    for number, subject, username in managers:
        manager = Person.objects.filter(username=username).first()
        if manager is None:
            report.errors.append(RowError(sheet, number, _("No person with username “%(u)s”.") % {"u": username}))
            continue
        try:
            actions.person_update(actor=actor, person=subject, changes={"manager": manager})
        except DomainError as exc:
            report.errors.append(RowError(sheet, number, str(exc.message)))


def _set_pending_heads(actor: Person, rows: Rows, report: ImportReport) -> None:
    for number, record in rows:
        head = Person.objects.filter(username=record["_pending_head"]).first()
        dept = Department.objects.filter(code=record["code"]).first()
        if head is None:
            report.errors.append(RowError(_("departments"), number, _("No person with username “%(u)s”.") % {
                "u": record["_pending_head"]}))
        elif dept is not None:
            try:
                actions.department_update(actor=actor, department=dept, changes={"head": head})
            except DomainError as exc:
                report.errors.append(RowError(_("departments"), number, str(exc.message)))


def template_workbook() -> bytes:
    """An empty workbook with both sheets and Chinese headers, plus an example row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = new_sheet(workbook, "部门", first=True)
    append_row(sheet, list(COLUMNS["departments"].values()))
    append_row(sheet, ["tech", "技术部", "Technology", "部门", "hq", "zhangsan", 30])
    people = new_sheet(workbook, "人员")
    append_row(people, list(COLUMNS["people"].values()))
    append_row(people, ["zhangsan", "张三", "E001", "zhangsan@example.com", "13800000000", "tech", "总监", "",
                        "ops:顾问", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
