"""Import departments and people from Excel or CSV (ORG-2, INT-4).

Every row is checked first, without writing; if any row is bad, each is
reported and nothing is imported. Then the rows go through the same actions
as the screens (the same checks and audit events) in chunks, each its own
transaction (`import_org`). Large files run as a background job
(`import_job_start`, `import_job_run`) with their progress on the page.

Excel: a sheet "departments" (or 部门) and a sheet "people" (or 人员).
CSV: one kind per file, recognised by its header. Headers may be English or
Chinese (see COLUMNS).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.errors import DomainError, PermissionDenied
from xietong.inputs import clean_line, parse_int
from xietong.platform.manifest import ROLES
from xietong.sheets import append_row, new_sheet

from . import actions
from .models import Department, DepartmentKind, ImportJob, ImportState, Person
from .permissions import can_manage_org, can_manage_people, can_manage_person

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
# Writes per transaction: long enough to be quick, short enough that another
# writer waits at most about a second behind one (SQLite has a single writer).
CHUNK = 200


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
    total: int = 0  # the writes planned
    stopped_at: int | None = None  # the write that failed, when it stopped part-way

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def partial(self) -> bool:
        return self.stopped_at is not None


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


def import_org(*, actor: Person, filename: str, content: bytes,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Check every row against the rules and the database first, writing
    nothing; if any row is bad, nothing is imported and each bad row is
    reported. Then write the rows in chunks of CHUNK, each its own
    transaction, through the same actions as the screens (the same audit
    events), so that nobody else's writes wait behind a long import (on
    SQLite an 8,000-row file in one transaction held the write lock for 35 s).
    Should a row fail while writing — someone changed the same record since
    the check — the rows before it stay imported, the report says where it
    stopped, and importing the file again finishes it (existing codes and
    usernames are updated, not duplicated). `progress(done, total)` is told
    after each chunk."""
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
    plan = _check(actor, departments, people, report)
    if report.errors:
        return report
    report.total = len(plan)
    for start in range(0, len(plan), CHUNK):
        try:
            with transaction.atomic():
                for step in plan[start:start + CHUNK]:
                    step.write(actor, report)
        except DomainError as exc:
            failed = next(s for s in plan[start:start + CHUNK] if s.failed) if any(
                s.failed for s in plan[start:start + CHUNK]) else plan[start]
            report.errors.append(RowError(failed.sheet, failed.row, str(exc.message)))
            report.stopped_at = start
            _recount(plan[:start], report)
            return report
        if progress is not None:
            progress(min(start + CHUNK, len(plan)), len(plan))
    _recount(plan, report)
    return report


def _required(kind: str, record: dict[str, str], *names: str) -> str | None:
    """The empty required columns, named as both header languages spell them."""
    missing = [f"{COLUMNS[kind][n]} ({n})" for n in names if not record.get(n)]
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



def _recount(done: list["Step"], report: ImportReport) -> None:
    report.departments = len({s.key for s in done if s.kind == "department"})
    report.people = len({s.key for s in done if s.kind == "person"})


@dataclass
class Step:
    """One write of the import: a row's department or person, or a link set
    once everything it points at exists (a manager, a head)."""

    kind: str  # department | person | manager | head
    sheet: str
    row: int
    key: str
    record: dict[str, str]
    failed: bool = False

    def write(self, actor: Person, report: ImportReport) -> None:
        try:
            WRITERS[self.kind](actor, self.record)
        except DomainError:
            self.failed = True
            raise


def _check(actor: Person, departments: Rows, people: Rows, report: ImportReport) -> list[Step]:
    """Every row against the same rules the actions apply, and against the
    database and the rest of the file; nothing is written."""
    dept_sheet, people_sheet = _("departments"), _("people")
    in_file_people = {r["username"]: n for n, r in people if r.get("username")}
    codes: dict[str, Department] = {}
    steps: list[Step] = []
    heads: list[Step] = []

    def bad(sheet: str, number: int, message: Any) -> None:
        report.errors.append(RowError(sheet, number, str(message)))

    for number, record in _ordered(departments):
        problem = _required("departments", record, "code", "name", "kind")
        if problem:
            bad(dept_sheet, number, problem)
            continue
        code = record["code"]
        if code in codes:
            bad(dept_sheet, number, _("The code “%(code)s” appears twice in the file.") % {"code": code})
            continue
        kind = KIND_ALIASES.get(record["kind"], record["kind"].lower())
        if kind not in DepartmentKind.values:
            bad(dept_sheet, number, _("Unknown kind “%(kind)s”.") % {"kind": record["kind"]})
            continue
        parent = None
        if record.get("parent_code"):
            parent = codes.get(record["parent_code"]) or Department.objects.filter(code=record["parent_code"]).first()
            if parent is None:
                bad(dept_sheet, number, _("No department with code “%(code)s”.") % {"code": record["parent_code"]})
                continue
        head_name = record.get("head_username", "")
        head = Person.objects.filter(username=head_name).first() if head_name else None
        if head_name and head is None and head_name not in in_file_people:
            bad(dept_sheet, number, _("No person with username “%(u)s”.") % {"u": head_name})
            continue
        cap = None
        if record.get("headcount_cap"):
            try:
                cap = parse_int(str(record["headcount_cap"]).removesuffix(".0"), _("Headcount cap"), minimum=1,
                                maximum=1_000_000)
            except DomainError as exc:
                bad(dept_sheet, number, exc.message)
                continue
        existing = Department.objects.filter(code=code).first()
        candidate = Department(pk=existing.pk if existing else None, code=code, name=record["name"],
                               name_en=record.get("name_en", ""), kind=kind, parent=parent,
                               head=head if head is not None and head.is_active else None, headcount_cap=cap,
                               path=existing.path if existing else "")
        try:
            actions.validate_department(candidate)
        except DomainError as exc:
            bad(dept_sheet, number, exc.message)
            continue
        codes[code] = candidate
        record.update(kind=kind, headcount_cap=str(cap or ""))
        steps.append(Step("department", dept_sheet, number, code, {**record, "head_username": head_name
                                                                   if head is not None else ""}))
        if head is None and head_name:
            heads.append(Step("head", dept_sheet, number, code, record))
    known_codes = set(codes)
    managers: list[Step] = []
    seen: set[str] = set()
    manage_org = can_manage_org(actor)
    for number, record in people:
        problem = _required("people", record, "username", "name", "department_code")
        if problem:
            bad(people_sheet, number, problem)
            continue
        username = record["username"]
        if username.lower() in seen:
            bad(people_sheet, number, _("The username “%(u)s” appears twice in the file.") % {"u": username})
            continue
        seen.add(username.lower())
        if record["department_code"] not in known_codes and not Department.objects.filter(
                code=record["department_code"], is_active=True).exists():
            bad(people_sheet, number, _("No department with code “%(code)s”.") % {"code": record["department_code"]})
            continue
        known = Person.objects.filter(username=username).first()
        if known is not None and not can_manage_person(actor, known):
            bad(people_sheet, number, _("%(name)s is an administrator: only an administrator changes their record.")
                % {"name": known.name})
            continue
        person = Person(pk=known.pk if known else None, username=username, name=record["name"],
                           employee_no=record.get("employee_no", ""), email=record.get("email", ""),
                           phone=record.get("phone", ""))
        try:
            actions.validate_person(person)
            clean_line(record.get("position", ""), _("Position"), limit=64)
            for chunk in filter(None, (c.strip() for c in record.get("other_departments", "").split(";"))):
                other, _sep, position = chunk.partition(":")
                if other.strip() not in known_codes and not Department.objects.filter(
                        code=other.strip(), is_active=True).exists():
                    raise DomainError(_("No department with code “%(code)s”.") % {"code": other.strip()})
                clean_line(position, _("Position"), limit=64)
            for role in filter(None, (r.strip() for r in record.get("roles", "").split(";"))):
                if role not in ROLES:
                    raise DomainError(_("Unknown role “%(role)s”.") % {"role": role})
                if not manage_org:
                    raise DomainError(_("Only an administrator grants roles."))
            manager = record.get("manager_username", "")
            if manager and manager == username:
                raise DomainError(_("A person cannot be their own manager."))
            if manager and manager not in in_file_people and not Person.objects.filter(username=manager).exists():
                raise DomainError(_("No person with username “%(u)s”.") % {"u": manager})
        except DomainError as exc:
            bad(people_sheet, number, exc.message)
            continue
        steps.append(Step("person", people_sheet, number, username, record))
        if record.get("manager_username"):
            managers.append(Step("manager", people_sheet, number, username, record))
    return steps + managers + heads


def _write_department(actor: Person, record: dict[str, str]) -> None:
    parent = _department(record["parent_code"]) if record.get("parent_code") else None
    head = Person.objects.filter(username=record["head_username"]).first() if record.get("head_username") else None
    fields: dict[str, Any] = {"code": record["code"], "name": record["name"], "name_en": record.get("name_en", ""),
                              "kind": record["kind"], "parent": parent, "head": head,
                              "headcount_cap": int(record["headcount_cap"]) if record.get("headcount_cap") else None}
    existing = Department.objects.filter(code=record["code"]).first()
    if existing:
        actions.department_update(actor=actor, department=existing, changes=fields)
    else:
        actions.department_create(actor=actor, **fields)


def _department(code: str) -> Department:
    found = Department.objects.filter(code=code).first()
    if found is None:  # removed since the check
        raise DomainError(_("No department with code “%(code)s”.") % {"code": code})
    return found


def _person(username: str) -> Person:
    found = Person.objects.filter(username=username).first()
    if found is None:
        raise DomainError(_("No person with username “%(u)s”.") % {"u": username})
    return found


def _write_person(actor: Person, record: dict[str, str]) -> None:
    department = _department(record["department_code"])
    fields: dict[str, Any] = {"username": record["username"], "name": record["name"],
                              "employee_no": record.get("employee_no", ""), "email": record.get("email", ""),
                              "phone": record.get("phone", ""), "primary_department": department}
    existing = Person.objects.filter(username=record["username"]).first()
    if existing:
        subject = actions.person_update(actor=actor, person=existing, changes=fields)
        if record.get("position"):
            actions.membership_set(actor=actor, person=subject, department=department, position=record["position"])
    else:
        subject = actions.person_create(actor=actor, position=record.get("position", ""), **fields)
    for chunk in filter(None, (c.strip() for c in record.get("other_departments", "").split(";"))):
        code, _sep, position = chunk.partition(":")
        actions.membership_set(actor=actor, person=subject, department=_department(code.strip()),
                               position=position.strip())
    for role in filter(None, (r.strip() for r in record.get("roles", "").split(";"))):
        actions.role_grant(actor=actor, person=subject, role=role)


def _write_manager(actor: Person, record: dict[str, str]) -> None:
    actions.person_update(actor=actor, person=_person(record["username"]),
                          changes={"manager": _person(record["manager_username"])})


def _write_head(actor: Person, record: dict[str, str]) -> None:
    actions.department_update(actor=actor, department=_department(record["code"]),
                              changes={"head": _person(record["head_username"])})


WRITERS: dict[str, Callable[[Person, dict[str, str]], None]] = {
    "department": _write_department, "person": _write_person, "manager": _write_manager, "head": _write_head}


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


# --- the background job ----------------------------------------------------------

MAX_BYTES = 20 * 1024 * 1024


@transaction.atomic
def import_job_start(*, actor: Person, filename: str, content: bytes) -> ImportJob:
    """Queue an import for a background worker (`import_job_run`); its page
    shows the progress and, at the end, the report."""
    if not can_manage_people(actor):
        raise PermissionDenied()
    filename = clean_line(filename, _("File name"), limit=200, required=True)
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise DomainError(_("Upload an .xlsx or .csv file."), code="bad_file_type")
    if len(content) > MAX_BYTES:
        raise DomainError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
                          code="file_too_large")
    job = ImportJob.objects.create(created_by=actor, filename=filename, content=content, created_at=timezone.now(),
                                   language=translation.get_language() or "")
    event_record(actor=actor, verb="import.queue", subject=job, first=True,
                 after={"filename": filename, "bytes": len(content)})
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


@task
def run_import(job_id: int) -> str:
    """The background job (Django's tasks API, run by `xietong worker`)."""
    job = import_job_run(job_id)
    return job.state if job is not None else "taken"


def import_job_run(job_id: int) -> ImportJob | None:
    """Run a queued import (a background worker does). Exactly one worker
    takes each job; progress is written after each chunk."""
    now = timezone.now()
    if ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(state=ImportState.RUNNING,
                                                                           started_at=now) != 1:
        return None  # another worker took it, or it already ran
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.language or job.created_by.language or settings.LANGUAGE_CODE):
        return _import_job_run(job)


def _import_job_run(job: ImportJob) -> ImportJob:
    job_id = job.pk

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        report = import_org(actor=job.created_by, filename=job.filename, content=bytes(job.content),
                            progress=progress)
    except PermissionDenied:
        report = ImportReport(errors=[RowError("", 0, _("You may not import these departments or people."))])
    state = ImportState.DONE if report.ok else ImportState.FAILED
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id).update(
            state=state, finished_at=timezone.now(), departments=report.departments, people=report.people,
            total=report.total, done=report.total if report.ok else job.done,
            errors=[{"sheet": e.sheet, "row": e.row, "message": e.message} for e in report.errors[:500]])
        event_record(actor=job.created_by, verb="import.finish", subject=job,
                     after={"state": state, "departments": report.departments, "people": report.people,
                            "errors": len(report.errors), "stopped_part_way": report.partial})
    job.refresh_from_db()
    return job
