"""What the benchmarks share: their options, Django set up on their own
database, logging, a fresh database, a synthetic company, and timing a pool
of processes. Importing it imports nothing of Django."""

import argparse
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parser(doc: str | None, *, env: str, database: str, ops: int, what: str) -> argparse.ArgumentParser:
    """The options every company benchmark takes; a script adds its own."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default=os.environ.get(env, f"postgres://postgres@127.0.0.1:5432/{database}"))
    p.add_argument("--people", type=int, default=2000)
    p.add_argument("--departments", type=int, default=100)
    p.add_argument("--ops", type=int, default=ops, help=f"{what} (or floor operations) per process")
    return p


def django_setup(url: str) -> None:
    """Point Django at the benchmark's database (persistent connections, no
    debug, queued jobs stored not run) and set it up."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    os.environ.setdefault("XIETONG_TASKS", "dummy")
    os.environ["XIETONG_DB_CONN_MAX_AGE"] = "600"
    os.environ["XIETONG_DEBUG"] = "0"
    import django

    django.setup()


def results_dir() -> Path:
    """Where the figures are written: bench/results, or BENCH_RESULTS_DIR."""
    out = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).resolve().parent / "results")
    out.mkdir(parents=True, exist_ok=True)
    return out


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url`, then migrate it. The
    audit anchors of the dropped database go with it: they would otherwise
    name events the new one never had (breaks in `audit verify`)."""
    import shutil

    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from xietong.audit.anchors import anchor_root

    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    anchors = anchor_root()
    if anchors is not None:
        shutil.rmtree(anchors, ignore_errors=True)
    connections.close_all()
    call_command("migrate", verbosity=0)


def build_company(*, people: int, departments: int) -> tuple[Any, Any, list[Any], list[Any]]:
    """Departments under one root, each headed by one of `people`; everyone a
    member of one; the working calendar seeded. Returns (root, hq, departments, people)."""
    from xietong.org import actions
    from xietong.org.models import Membership, Person
    from xietong.policy.actions import calendar_seed_from_library

    calendar_seed_from_library()
    root = Person.objects.create_superuser("root", None, name="root")
    hq = actions.department_create(actor=root, code="hq", name="总部", kind="company", parent=None)
    depts = [actions.department_create(actor=root, code=f"d{i}", name=f"部门{i}", kind="department", parent=hq)
             for i in range(departments)]
    staff = Person.objects.bulk_create([
        Person(username=f"p{i}", name=f"员工{i}", primary_department=depts[i % len(depts)],
               password="!")  # noqa: S106 — unusable password
        for i in range(people)])
    Membership.objects.bulk_create([Membership(person=p, department=p.primary_department) for p in staff])
    for i, department in enumerate(depts):
        department.head = staff[i]
        department.save(update_fields=["head"])
    return root, hq, depts, staff


def per_second(worker: Callable[[tuple[int, int, str]], tuple[int, float]], *, processes: int, ops: int,
               mode: str, offset: int) -> float:
    """Run `worker((n + offset, ops, mode))` in `processes` forked processes; operations per second overall."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    t = time.perf_counter()
    with ctx.Pool(processes) as pool:
        results = pool.map(worker, [(w + offset, ops, mode) for w in range(processes)])
    return sum(r[0] for r in results) / (time.perf_counter() - t)


def copy(table: str, columns: list[str], rows: Any) -> int:
    """COPY rows (tuples) into a table of the set-up database; returns the count."""
    from django.db import connection

    n = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
    return n


def copy_org(*, people: int, departments: int, now: Any) -> None:
    """A flat company by COPY: department 1 the company, the others under it,
    person i a member of department 1 + i % departments; department d headed
    by person d."""
    from django.db import connection

    copy("org_department", ["id", "code", "name", "name_en", "kind", "parent_id", "path", "sort_order", "is_active"],
         ((i, f"d{i}", f"部门{i}", f"Dept {i}", "company" if i == 1 else "department", None if i == 1 else 1,
           f"/{1:08d}/" if i == 1 else f"/{1:08d}/{i:08d}/", i, True) for i in range(1, departments + 1)))
    copy("org_person", ["id", "password", "username", "name", "employee_no", "email", "phone", "primary_department_id",
                        "language", "is_active", "is_staff", "is_superuser", "must_change_password", "date_joined"],
         ((i, "!", f"u{i}", f"员工{i}", f"E{i:06d}", f"u{i}@bench.example", "", 1 + i % departments, "", True,
           False, False, False, now) for i in range(1, people + 1)))
    copy("org_membership", ["person_id", "department_id", "position"],
         ((i, 1 + i % departments, "") for i in range(1, people + 1)))
    with connection.cursor() as c:
        c.execute("UPDATE org_department SET head_id = id WHERE id <= %s", [min(departments, people)])
        c.execute("SELECT setval(pg_get_serial_sequence('org_department','id'), %s)", [departments])
        c.execute("SELECT setval(pg_get_serial_sequence('org_person','id'), %s)", [people])
