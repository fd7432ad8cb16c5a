"""Benchmark of collaboration requests (issue 5).

1. A request's whole life through the actions — submit → accept → complete →
   confirm — per second with 1 and 4 processes, beside the kernel floor in
   the same run (the three tasks it holds, respond / deliver / confirm,
   created and completed through the kernel's own actions).
2. The collaboration map (REQ-5) for one quarter over 1,000,000 requests
   spread over a year (target: p95 ≤ 1 s).

    .venv/bin/python bench/requests.py                      # 2,000 people, 100 departments, 1,000,000 requests
    .venv/bin/python bench/requests.py --ops 100 --map-rows 100000   # a quick run

The database (default postgres://postgres@127.0.0.1:5432/xietong_bench_requests)
is dropped and rebuilt. Figures go to stdout and bench/results/requests.json.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 — after the path is set
    build_company,
    django_setup,
    log,
    parser,
    per_second,
    recreate_database,
    results_dir,
)

p = parser(__doc__, env="BENCH_REQUESTS_DATABASE_URL", database="xietong_bench_requests", ops=200, what="requests")
p.add_argument("--map-rows", type=int, default=1_000_000, help="requests behind the map")
p.add_argument("--map-runs", type=int, default=30)
ARGS = p.parse_args()
django_setup(ARGS.database)

from django.db import connection, connections


def build() -> None:
    """Departments under one root, each with a head who is also its liaison;
    everyone else a member of one."""
    from xietong.org.models import Role, RoleAssignment

    recreate_database(ARGS.database)
    _root, _hq, _departments, people = build_company(people=ARGS.people, departments=ARGS.departments)
    RoleAssignment.objects.create(person=people[0], role=Role.ADMIN)
    log(f"built: {ARGS.people} people, {ARGS.departments} departments")


def _worker(args: tuple[int, int, str]) -> tuple[int, float]:
    worker, ops, mode = args
    connections.close_all()
    from django.utils import timezone

    from xietong.org.models import Department, Person
    from xietong.requests.actions import (
        request_accept,
        request_complete,
        request_confirm,
        request_submit,
    )
    from xietong.work.actions import task_complete, task_create
    from xietong.work.registry import TODO

    departments = list(Department.objects.filter(kind="department").select_related("head").order_by("pk"))
    heads = {d.head_id for d in departments if d.head_id is not None}
    people = [p for p in Person.objects.filter(primary_department__in=departments).select_related(
        "primary_department").order_by("pk")[worker * 60: worker * 60 + 600] if p.pk not in heads][:60]
    members: dict[int, list[Person]] = {}
    for p in Person.objects.filter(primary_department__in=departments).exclude(pk__in=heads).order_by("pk")[:2000]:
        members.setdefault(p.primary_department_id or 0, []).append(p)
    index = {d.pk: n for n, d in enumerate(departments)}
    t = time.perf_counter()
    for i in range(ops):
        requester = people[i % len(people)]
        # Another department than the requester's own.
        home = index[requester.primary_department_id or 0]
        target = departments[(home + 1 + i % (len(departments) - 1)) % len(departments)]
        liaison = target.head
        owner = members[target.pk][i % len(members[target.pk])]
        assert liaison is not None
        if mode == "requests":
            r = request_submit(actor=requester, to_department=target, title=f"bench {worker}-{i}", reason="bench")
            r = request_accept(actor=liaison, request=r, owner=owner)
            r = request_complete(actor=owner, request=r, result="done")
            request_confirm(actor=requester, request=r, rating=5)
        else:
            # The kernel floor: the three tasks a request holds, through the kernel's actions.
            for assignee in (liaison, owner, requester):
                task = task_create(kind=TODO, title=f"floor {worker}-{i}", subject=("bench.floor", f"{worker}-{i}"),
                                   actor=requester, assignee=assignee, requester=requester, due_working_hours=16,
                                   now=timezone.now())
                task_complete(actor=assignee, task=task)
    return ops, time.perf_counter() - t


def run(processes: int, mode: str) -> float:
    return per_second(_worker, processes=processes, ops=ARGS.ops, mode=mode, offset=8 if mode == "kernel" else 0)


def fill_map_rows() -> None:
    """ARGS.map_rows requests over the last 365 days between random pairs of
    departments, in the shapes the actions leave (answered, completed on time
    or not, rated or not, some still open). Written by one INSERT … SELECT."""
    from xietong.org.models import Department, Person

    ids = list(Department.objects.filter(kind="department").order_by("pk").values_list("pk", flat=True))
    person = Person.objects.order_by("pk").values_list("pk", flat=True).first()
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO requests_request (title, reason, expected_result, requester_id, from_department_id,
                to_department_id, priority, due_at, state, must_accept, decline_reason, result, created_at,
                responded_at, completed_at, response_minutes, on_time, rating, rating_comment, auto_confirmed,
                reopen_count)
            SELECT 'map ' || g, '', '', %(person)s, f, CASE WHEN t = f THEN %(first)s + ((t - %(first)s + 1) %% %(n)s)
                   ELSE t END, 2, c + interval '5 days',
                   CASE WHEN r < 0.06 THEN 'submitted' WHEN r < 0.12 THEN 'declined' WHEN r < 0.25 THEN 'accepted'
                        WHEN r < 0.35 THEN 'completed' ELSE 'confirmed' END,
                   false, '', '', c, CASE WHEN r >= 0.06 THEN c + interval '2 hours' END,
                   CASE WHEN r >= 0.25 THEN c + interval '4 days' END,
                   CASE WHEN r >= 0.06 THEN (random() * 960)::int END,
                   CASE WHEN r >= 0.25 THEN random() < 0.8 END,
                   CASE WHEN r >= 0.35 AND random() < 0.85 THEN 1 + (random() * 4)::int END, '', false, 0
            FROM (SELECT g, now() - random() * interval '365 days' AS c,
                         %(first)s + (random() * (%(n)s - 1))::int AS f,
                         %(first)s + (random() * (%(n)s - 1))::int AS t, random() AS r
                  FROM generate_series(1, %(rows)s) g) s
        """, {"person": person, "first": ids[0], "n": len(ids), "rows": ARGS.map_rows})
    connections.close_all()
    import psycopg

    with psycopg.connect(ARGS.database, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE requests_request")
    log(f"map rows: {ARGS.map_rows} requests written in {time.perf_counter() - t:.0f} s")


def time_map() -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from xietong.requests.queries import collaboration_map

    end = timezone.localdate()
    start = end - timedelta(days=91)
    timings = []
    data = None
    for _run in range(ARGS.map_runs):
        t = time.perf_counter()
        data = collaboration_map(start, end)
        data.as_json("zh-hans")
        timings.append((time.perf_counter() - t) * 1000)
    assert data is not None
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM requests_request WHERE created_at >= %s", [start])
        in_quarter = cur.fetchone()[0]  # type: ignore[index]
    return {"requests_total": ARGS.map_rows, "requests_in_quarter": in_quarter, "links": len(data.links),
            "p50_ms": round(statistics.median(timings), 1), "p95_ms": round(p95, 1), "runs": len(timings)}


def main() -> None:
    build()
    from xietong.requests.models import Request

    figures: dict = {"cores": os.cpu_count(), "people": ARGS.people, "departments": ARGS.departments,
                     "ops_per_process": ARGS.ops}
    run(1, "requests")  # warm-up
    for processes in (1, 4):
        requests = run(processes, "requests")
        floor = run(processes, "kernel")
        figures[f"{processes}_process"] = {"requests_per_second": round(requests, 1),
                                           "kernel_floor_per_second": round(floor, 1),
                                           "share_of_floor": round(requests / floor, 2)}
        log(f"x{processes}: {requests:.1f} requests/s (submit + accept + complete + confirm) beside the kernel "
            f"floor {floor:.1f}/s (3 tasks created + completed)")
    figures["scaling_4_vs_1"] = round(figures["4_process"]["requests_per_second"]
                                      / figures["1_process"]["requests_per_second"], 2)
    figures["confirmed_in_database"] = Request.objects.filter(state="confirmed").count()
    fill_map_rows()
    figures["map_quarter"] = time_map()
    log(f"map of a quarter: p50 {figures['map_quarter']['p50_ms']} ms, p95 {figures['map_quarter']['p95_ms']} ms "
        f"over {figures['map_quarter']['requests_in_quarter']} requests in the quarter")
    (results_dir() / "requests.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
