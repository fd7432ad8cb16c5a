"""The compliance snapshots at the kernel benchmark's size (issue 14): a
company with 1,000,000 tasks at scale 1 (its closed tasks spread over the
last 92 days, a fifth of them late) and 100,000 collaboration requests and
100,000 customer cases with their tasks, then

- the daily snapshot: seconds to compute and seal one day (every clause
  check over that day), for the last `--days` days, beside the floor: the
  same day's decided tasks read by one plain SQL statement;
- the compliance view from the snapshots: p50/p95 of the overview of a
  month and of a quarter (with their six-period trend), and of one clause's
  page, in-process (the view's own work, no HTTP).

    .venv/bin/python bench/compliance.py                  # scale 1
    .venv/bin/python bench/compliance.py --scale 0.05 --days 3 --samples 20

The database (default postgres://postgres@127.0.0.1:5432/xietong_bench_compliance)
is dropped and rebuilt. Figures go to stdout and bench/results/compliance.json.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import copy, copy_org, django_setup, log, recreate_database, results_dir  # noqa: E402


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default=os.environ.get(
        "BENCH_COMPLIANCE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xietong_bench_compliance"))
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 tasks, 100,000 requests and cases")
    p.add_argument("--days", type=int, default=7, help="days to snapshot (the latest ones)")
    p.add_argument("--samples", type=int, default=50, help="requests per view figure")
    return p.parse_args()


ARGS = parse()
django_setup(ARGS.database)

from django.db import connection  # noqa: E402

SCALE = ARGS.scale
PEOPLE = max(50, int(20_000 * SCALE))
DEPARTMENTS = max(5, int(500 * SCALE))
TASKS = max(2000, int(1_000_000 * SCALE))
RECORDS = max(200, int(100_000 * SCALE))  # requests, and cases
SPAN_DAYS = 92
NOW = datetime.now(UTC)


def build() -> None:
    log(f"building: {PEOPLE} people, {DEPARTMENTS} departments, {TASKS} tasks, {RECORDS} requests and cases")
    recreate_database(ARGS.database)
    from xietong.policy.actions import calendar_seed_from_library

    calendar_seed_from_library()
    t0 = time.perf_counter()
    copy_org(people=PEOPLE, departments=DEPARTMENTS, now=NOW)
    copy("org_roleassignment", ["person_id", "role", "department_id"], [(2, "auditor", None)])
    rng = random.Random(14)

    def moment(day_back: int) -> datetime:
        return NOW - timedelta(days=day_back, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))

    # Requests (and their answer and delivery tasks), cases (and their intake task), plain to-dos: closed
    # tasks spread over the span, a fifth of them late; a tenth of all tasks still open.
    requests_rows, tasks_rows = [], []
    task_id = 0

    def task(kind: str, module: str, subject_type: str, subject: int, assignee: int, created: datetime,
             due: datetime, done: datetime | None) -> None:
        nonlocal task_id
        task_id += 1
        tasks_rows.append((task_id, kind, module, f"任务{task_id}", subject_type, str(subject), subject, "",
                           assignee, "", None, None, 2, "done" if done else "open", "done" if done else "",
                           "", created, due, 0, 0, done, assignee if done else None))

    for i in range(1, RECORDS + 1):
        created = moment(rng.randint(2, SPAN_DAYS))
        # Between two departments (never the company, 1): from one, to the next.
        asking, asked = 2 + i % (DEPARTMENTS - 1), 2 + (i + 1) % (DEPARTMENTS - 1)
        liaison = asked  # the department's head answers
        answer_due = created + timedelta(hours=8)
        answered = answer_due + (timedelta(hours=rng.randint(1, 20)) if rng.random() < 0.2
                                 else -timedelta(hours=rng.randint(1, 7)))
        deliver_due = created + timedelta(days=5)
        delivered = deliver_due + (timedelta(days=rng.randint(1, 4)) if rng.random() < 0.2
                                   else -timedelta(hours=rng.randint(1, 48)))
        done = delivered if delivered < NOW else None
        requests_rows.append((i, f"请求{i}", "", "", 1 + i % PEOPLE, asking, asked, None, 2, None,
                              deliver_due, liaison, liaison, None, "completed" if done else "accepted", False, "", "",
                              created, answered, done, None, False, int((answered - created).total_seconds() // 60),
                              None if done is None else done <= deliver_due, None, "", 0))
        task("requests.respond", "requests", "requests.request", i, liaison, created, answer_due, answered)
        task("requests.deliver", "requests", "requests.request", i, liaison, answered, deliver_due, done)
    for i in range(1, RECORDS + 1):
        created = moment(rng.randint(1, SPAN_DAYS))
        due = created + timedelta(hours=4)
        took = due + (timedelta(hours=rng.randint(1, 10)) if rng.random() < 0.2 else -timedelta(hours=2))
        task("service.intake", "service", "service.case", i, 3, created, due, took if took < NOW else None)
    while task_id < TASKS:
        created = moment(rng.randint(1, SPAN_DAYS))
        due = created + timedelta(days=3)
        is_open = rng.random() < 0.1
        done = None if is_open else due + (timedelta(hours=rng.randint(1, 30)) if rng.random() < 0.2
                                           else -timedelta(hours=rng.randint(1, 40)))
        task("work.todo", "work", "bench.item", task_id + 1, rng.randint(1, PEOPLE), created, due,
             done if done is None or done < NOW else None)
    copy("requests_request", ["id", "title", "reason", "expected_result", "requester_id", "from_department_id",
                              "to_department_id", "service_id", "priority", "requested_date", "due_at", "liaison_id",
                              "owner_id", "parent_id", "state", "must_accept", "decline_reason", "result",
                              "created_at", "responded_at", "completed_at", "confirmed_at", "auto_confirmed",
                              "response_minutes", "on_time", "rating", "rating_comment", "reopen_count"], requests_rows)
    copy("service_case", ["id", "tracking_code", "channel", "category", "title", "description", "customer_name",
                          "customer_phone", "customer_address", "plate_number", "customer_email", "state",
                          "recorded_by_id", "complaint", "important", "resolution", "customer_feedback", "round",
                          "created_at", "source_hash", "survey_comment"],
         ((i, f"T{i:010d}", "hotline", "fault", f"客户需求{i}", "描述", "客户", "13800000000", "", "", "", "closed", 3,
           False, False, "", "", 1, NOW - timedelta(days=SPAN_DAYS), "", "") for i in range(1, RECORDS + 1)))
    copy("work_task", ["id", "kind", "module", "title", "subject_type", "subject_id", "subject_pk", "url",
                       "assignee_id", "assignee_role", "assignee_department_id", "requester_id", "priority", "state",
                       "outcome", "outcome_note", "created_at", "due_at", "step", "urge_count", "completed_at",
                       "completed_by_id"], tasks_rows)
    with connection.cursor() as c:
        for table in ("requests_request", "service_case", "work_task"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        c.execute("VACUUM ANALYZE")
        c.execute("CHECKPOINT")
    log(f"built in {time.perf_counter() - t0:.0f}s ({task_id} tasks)")


def pcts(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1), "n": len(ordered)}


def measure_snapshots() -> dict[str, Any]:
    from django.utils import timezone

    from xietong.compliance.snapshot import snapshot_day
    from xietong.policy.queries import day_bounds

    today = timezone.localtime(NOW).date()
    seconds, floors, records = [], [], []
    for back in range(ARGS.days, 0, -1):
        day = today - timedelta(days=back)
        start, end = day_bounds(day)
        t = time.perf_counter()
        with connection.cursor() as c:  # the floor: the day's decided tasks, one statement
            c.execute("SELECT id, kind, assignee_id, due_at, completed_at FROM work_task WHERE "
                      "(completed_at >= %s AND completed_at < %s AND completed_at <= due_at) OR "
                      "(due_at >= %s AND due_at < %s AND (completed_at IS NULL OR completed_at > due_at))",
                      [start, end, start, end])
            c.fetchall()
        floors.append(time.perf_counter() - t)
        t = time.perf_counter()
        snapshot = snapshot_day(day, now=NOW)
        seconds.append(time.perf_counter() - t)
        records.append(snapshot.records if snapshot else 0)
        log(f"{day}: {seconds[-1]:.2f} s, {records[-1]} records (floor {floors[-1] * 1000:.0f} ms)")
    return {"days": len(seconds), "seconds_per_day_median": round(statistics.median(seconds), 2),
            "seconds_per_day_max": round(max(seconds), 2), "records_per_day_median": int(statistics.median(records)),
            "floor_ms_median": round(statistics.median(floors) * 1000, 1)}


def older_history(days: int = 184) -> int:
    """The view's trend reads six periods back: give it half a year of
    snapshots by copying the computed days' results to the days before them
    (their Result rows, as the worker would have left them; no findings)."""
    from django.utils import timezone

    from xietong.compliance.models import Result, Snapshot

    real = list(Snapshot.objects.order_by("day"))
    if not real:
        return 0
    sample = list(Result.objects.filter(snapshot=real[-1]).values_list("clause", "department_id", "applies",
                                                                         "passed"))
    first = real[0].day
    today = timezone.localtime(NOW).date()
    made = 0
    with connection.cursor() as c:
        c.execute("SELECT coalesce(max(id), 0) FROM compliance_snapshot")
        next_id = c.fetchone()[0] + 1
    snapshots: list[tuple[Any, ...]] = []
    results: list[tuple[Any, ...]] = []
    for back in range(1, days - len(real) + 1):
        day = first - timedelta(days=back)
        if day >= today:
            continue
        snapshots.append((next_id, day, NOW, real[-1].automated, real[-1].catalogue, 0, "0" * 64))
        results.extend((next_id, day, clause, dept, applies, passed) for clause, dept, applies, passed in sample)
        next_id += 1
        made += 1
    copy("compliance_snapshot", ["id", "day", "computed_at", "automated", "catalogue", "records", "digest"], snapshots)
    copy("compliance_result", ["snapshot_id", "day", "clause", "department_id", "applies", "passed"], results)
    with connection.cursor() as c:
        c.execute("SELECT setval(pg_get_serial_sequence('compliance_snapshot','id'), %s)", [next_id])
        c.execute("ANALYZE compliance_result")
    log(f"{made} earlier days of results copied ({len(results)} rows): the view reads half a year")
    return len(results)


def measure_view() -> dict[str, Any]:
    from django.test import Client

    from xietong.org.models import Person

    auditor = Person.objects.get(pk=2)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(auditor)
    month = f"{NOW:%Y-%m}"
    quarter = f"{NOW.year}-Q{(NOW.month - 1) // 3 + 1}"
    out = {}
    for name, url in (("month", f"/compliance/?period={month}"), ("quarter", f"/compliance/?period={quarter}"),
                      ("clause", f"/compliance/clauses/S003-5-respond/?period={month}")):
        assert client.get(url).status_code == 200
        samples = []
        for _ in range(ARGS.samples):
            t = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200
        out[name] = pcts(samples)
        log(f"view {name}: {out[name]}")
    return out


def main() -> None:
    build()
    figures: dict[str, Any] = {"cores": os.cpu_count(), "scale": SCALE, "tasks": TASKS, "requests": RECORDS,
                               "cases": RECORDS, "at": NOW.isoformat()}
    figures["snapshot"] = measure_snapshots()
    figures["result_rows"] = older_history()
    figures["view"] = measure_view()
    path = results_dir() / "compliance.json"
    import json

    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    log(f"written to {path} (targets: a day in minutes, the view's p95 ≤ 300 ms)")


if __name__ == "__main__":
    main()
