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
