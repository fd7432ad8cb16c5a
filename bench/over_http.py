"""The write path over HTTP (issue 13): the product served as in production
(gunicorn, several workers, PostgreSQL), driven by wrk on loopback for a
bounded time, beside a bare Django app over one table (bench/ceiling: the
ceiling of what Django itself costs) and raw PostgreSQL doing the same
statements (the floor), all in the same run.

    .venv/bin/python bench/over_http.py                      # 100,000 tasks, 20 s per run, 3 rounds, conc 1 and 8
    .venv/bin/python bench/over_http.py --scale 0.1 --seconds 5 --rounds 1     # a quick run

Paths: `list` (my open tasks, 25 rows + count, API), `inbox` (the inbox
page, HTML), `create` (a collaboration request, API), `approve` (one node of
a two-node purchase approval, API), `complete` (a task, API). Each is also
counted in-process: statements per request, and their kinds.

The databases (default postgres://postgres@127.0.0.1:5432/xietong_bench_http
and …/xietong_bench_ceiling) are dropped and rebuilt. Needs `wrk` (Debian)
and gunicorn (a dependency). Figures go to stdout and bench/results/over_http.json.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import build_company, django_setup, log, recreate_database, results_dir  # noqa: E402

PATHS = ("list", "inbox", "create", "approve", "complete")


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default=os.environ.get("BENCH_HTTP_DATABASE_URL",
                                                        "postgres://postgres@127.0.0.1:5432/xietong_bench_http"))
    p.add_argument("--ceiling-database", default=os.environ.get(
        "BENCH_CEILING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xietong_bench_ceiling"))
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 tasks and 100,000 ceiling rows")
    p.add_argument("--seconds", type=int, default=20, help="per wrk run")
    p.add_argument("--rounds", type=int, default=3, help="runs per path and concurrency; the median is reported")
    p.add_argument("--conc", default="1,8", help="connections, comma-separated")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers, for the product and the ceiling")
    p.add_argument("--paths", default=",".join(PATHS))
    p.add_argument("--profile", type=int, default=0,
                   help="also profile N requests of each path in-process (pyinstrument), into bench/results")
    p.add_argument("--pool", type=int, default=0,
                   help="approvals made ready for all runs, and three times as many tasks (default: 250 per second of the runs)")
    return p.parse_args()


ARGS = parse()
CONC = [int(c) for c in ARGS.conc.split(",")]
CHOSEN = [p for p in ARGS.paths.split(",") if p]
# Approvals and tasks are used once each, across every round and concurrency.
POOL = ARGS.pool or int(250 * ARGS.seconds * ARGS.rounds)
ITEMS = max(1000, int(100_000 * ARGS.scale))
django_setup(ARGS.database)

from django.db import connection, connections  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

WRK = shutil.which("wrk") or ""
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


# --- the synthetic company ---------------------------------------------------

def build() -> dict[str, Any]:
    """A company of 2,000 people in 100 departments (at scale 1), a finance
    team and a CEO; `ITEMS` tasks, 300 of them open for the person whose list
    is read; API tokens and a signed-in session."""
    from django.utils import timezone

    from xietong.accounts.actions import token_create
    from xietong.approvals.builtin import builtin_install
    from xietong.org.models import Role, RoleAssignment
    from xietong.work.models import Task, TaskState
    from xietong.work.registry import TODO

    recreate_database(ARGS.database)
    people_n, departments_n = max(100, int(2000 * ARGS.scale)), max(10, int(100 * ARGS.scale))
    _root, hq, departments, people = build_company(people=people_n, departments=departments_n)
    hq.head = people[-1]
    hq.save(update_fields=["head"])
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(person=people[-2 - n], role=Role.FINANCE) for n in range(3)]
        + [RoleAssignment(person=people[-1], role=Role.CEO)])
    builtin_install()
    head = departments[0].head  # approves the pool's first nodes
    me = people[len(departments)]  # a member of departments[0], no head: the list's reader and the requester
    # Completes the pool's to-dos: not `me`, whose open list must stay the 300 the ceiling's owner has too.
    doer = people[len(departments) + 1]
    assert head is not None and me.primary_department_id == departments[0].pk
    now = timezone.now()
    rows = []
    for i in range(ITEMS):
        owner = me if i < 300 else people[i % len(people)]
        rows.append(Task(kind=TODO, module="work", title=f"事项 {i}", subject_type="bench.item", subject_id=str(i),
                         subject_pk=i, url="/work/", assignee=owner, requester=people[(i + 1) % len(people)],
                         created_at=now, due_at=now + timedelta(days=3),
                         state=TaskState.OPEN if i < 300 or i % 5 == 0 else TaskState.DONE))
    Task.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"built: {people_n} people, {departments_n} departments, {ITEMS} tasks")
    return {"me": me.pk, "head": head.pk, "doer": doer.pk, "target": departments[1].pk,
            "me_token": token_create(actor=me, name="bench")[1],
            "doer_token": token_create(actor=doer, name="bench")[1],
            "head_token": token_create(actor=head, name="bench")[1],
            "session": _session(me)}


def _session(person: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "xietong.accounts.backends.PersonBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    return store.session_key or ""


def _approvals_worker(args: tuple[int, int]) -> list[tuple[int, int]]:
    """`n` purchase applications of ¥80,000 (head, then finance) by members of
    the head's department: each waits for the head."""
    start, n = args
    connections.close_all()
    from xietong.approvals.actions import approval_submit
    from xietong.approvals.models import ApproverState, FlowTemplate, StepApprover
    from xietong.org.models import Department, Person

    template = FlowTemplate.objects.select_related("current_version", "admin").get(key="purchase")
    department = Department.objects.filter(kind="department").order_by("pk").first()
    assert department is not None
    applicants = list(Person.objects.filter(primary_department=department).exclude(pk=department.head_id or 0)
                      .order_by("pk")[:20])
    out = []
    for i in range(start, start + n):
        approval = approval_submit(actor=applicants[i % len(applicants)], template=template, data={
            "item": f"bench {i}", "category": "it", "amount": "80000", "reason": "bench"})
        a = StepApprover.objects.get(approval=approval, state=ApproverState.PENDING)
        out.append((approval.pk, a.pk))
    return out


def _tasks_worker(args: tuple[int, int]) -> list[int]:
    """`n` to-dos for the one who completes them, through the kernel (with their events)."""
    start, n = args
    connections.close_all()
    from xietong.org.models import Person
    from xietong.work.actions import task_create
    from xietong.work.registry import TODO

    doer = Person.objects.get(pk=FACTS["doer"])
    other = Person.objects.exclude(pk=doer.pk).order_by("pk").first()
    return [task_create(kind=TODO, title=f"bench {i}", subject=("bench.item", str(10_000_000 + i)), actor=other,
                        assignee=doer, requester=other, due_working_hours=16).pk for i in range(start, start + n)]


def _default_sigterm() -> None:
    """A pool's worker dies at once when the pool ends it (SIGTERM), instead
    of running the main process's handler: a worker that exits through
    Python while the pool waits for it can deadlock there."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pools(n: int, tasks_n: int | None = None) -> tuple[list[tuple[int, int]], list[int]]:
    """`n` approvals waiting for the head and `tasks_n` (default `n`) tasks for
    the reader, made in parallel through the product's own actions."""
    connections.close_all()
    ctx = multiprocessing.get_context("fork")

    def chunks(total: int) -> list[tuple[int, int]]:
        return [(i, min(250, total - i)) for i in range(0, total, 250)]

    t = time.perf_counter()
    with ctx.Pool(4, initializer=_default_sigterm) as pool:
        approvals = [a for part in pool.map(_approvals_worker, chunks(n)) for a in part]
        tasks = [t for part in pool.map(_tasks_worker, chunks(tasks_n if tasks_n is not None else n)) for t in part]
    log(f"made {len(approvals)} approvals and {len(tasks)} tasks ready in {time.perf_counter() - t:.0f}s")
    return approvals, tasks


# --- the ceiling ---------------------------------------------------------------

def build_ceiling() -> None:
    import psycopg

    name = ARGS.ceiling_database.rsplit("/", 1)[1]
    with psycopg.connect(ARGS.ceiling_database.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(ARGS.ceiling_database, autocommit=True) as db:
        db.execute("CREATE TABLE ceiling_item (id bigserial PRIMARY KEY, owner integer NOT NULL, "
                   "state varchar(16) NOT NULL DEFAULT 'open', title varchar(200) NOT NULL, note text NOT NULL "
                   "DEFAULT '', created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)")
        db.execute("INSERT INTO ceiling_item (owner, state, title, created_at, updated_at) SELECT "
                   "CASE WHEN i <= 300 THEN 1 ELSE i %% 2000 + 2 END, "
                   "CASE WHEN i <= 300 OR i %% 5 = 0 THEN 'open' ELSE 'done' END, '事项 ' || i, now(), now() "
                   "FROM generate_series(1, %s) AS i", [ITEMS])
        db.execute("CREATE INDEX ceiling_item_owner ON ceiling_item (owner, state, id)")
        db.execute("ANALYZE ceiling_item")


# --- serving and driving ---------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: str, database: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database, "XIETONG_DEBUG": "0", "XIETONG_TASKS": "dummy",
           "XIETONG_DB_CONN_MAX_AGE": "600", "XIETONG_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if app.startswith("bench."):
        env["DJANGO_SETTINGS_MODULE"] = "bench.ceiling.settings"
    else:
        env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen([GUNICORN, app, "-w", str(ARGS.workers), "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start on port {port}")


LUA = r"""
local method, headers = %(method)s, %(headers)s
local paths, bodies = %(paths)s, %(bodies)s
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  step, offset, counter, exhausted = %(threads)d, %(offset)d, 0, 0
end
function request()
  local i = offset + tid + counter * step + 1
  counter = counter + 1
  if #paths > 1 and i > #paths then
    exhausted = 1
    wrk.thread:stop()
    i = #paths
  end
  local n = #paths > 1 and i or 1
  return wrk.format(method, paths[n], headers, bodies[math.min(n, #bodies)])
end
function done(summary, latency, requests)
  local used, next = 0, 0
  for _, t in ipairs(threads) do
    if t:get("exhausted") == 1 then used = 1 end
    next = math.max(next, t:get("tid") + t:get("counter") * %(threads)d)
  end
  io.write(string.format('\nJSON {"requests": %%d, "seconds": %%f, "errors": %%d, "p50_ms": %%f, "p95_ms": %%f, "exhausted": %%d, "next": %%d}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, used, next))
end
"""


def lua_string(s: str) -> str:
    """A Lua 5.1 string literal: printable ASCII as is, every other byte as \\ddd."""
    out = []
    for byte in s.encode():
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wrk(port: int, *, method: str, paths: list[str], bodies: list[str], headers: dict[str, str], conc: int,
        offset: int = 0, seconds: int | None = None) -> dict[str, Any]:
    """One wrk run; a list of paths is walked once, each thread taking every
    n-th (`next`: where the following run starts)."""
    threads = min(conc, 2)
    script = LUA % {
        "method": lua_string(method),
        "headers": "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}",
        "paths": "{" + ", ".join(lua_string(p) for p in paths) + "}",
        "bodies": "{" + ", ".join(lua_string(b) for b in bodies or [""]) + "}",
        "threads": threads, "offset": offset,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        done = subprocess.run([WRK, f"-t{threads}", f"-c{conc}", f"-d{seconds or ARGS.seconds}s", "--timeout", "10s", "-s",
                               f.name, f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("JSON "))
    out = json.loads(line[5:])
    out["rps"] = out["requests"] / out["seconds"]
    return out


def check(port: int, method: str, path: str, body: str, headers: dict[str, str], expect: int) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode() if body else None,
                                     method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != expect:
        raise SystemExit(f"{method} {path} answered {status}, not {expect}: the run would measure errors")


def settle() -> None:
    """VACUUM (ANALYZE) both databases before a path is measured: the rows the
    build and the paths before wrote would otherwise bring autovacuum in during
    some run, at random (it took a third of one path's throughput in a run of
    2026-12-04), and leave the list's count without its visibility map."""
    import psycopg

    for url in (ARGS.database, ARGS.ceiling_database):
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rps": round(statistics.median(r["rps"] for r in runs), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p95_ms": round(statistics.median(r["p95_ms"] for r in runs), 2),
            "errors": sum(r["errors"] for r in runs), "exhausted": any(r["exhausted"] for r in runs),
            "rounds": [round(r["rps"], 1) for r in runs]}


# --- statements per request, in-process ---------------------------------------------

def _calls(facts: dict[str, Any], approvals: list[tuple[int, int]], tasks: list[int]) -> dict[str, Any]:
    """Each path as one call of Django's test client (approve and complete use up one of the pool's)."""
    api = {"HTTP_AUTHORIZATION": f"Bearer {facts['me_token']}"}
    head = {"HTTP_AUTHORIZATION": f"Bearer {facts['head_token']}"}
    doer = {"HTTP_AUTHORIZATION": f"Bearer {facts['doer_token']}"}

    def approve(c: Any) -> Any:
        approval, approver = approvals.pop()
        return c.post(f"/api/v1/approvals/{approval}/approve", {"approver": approver},
                      content_type="application/json", **head)

    return {
        "list": lambda c: c.get("/api/v1/tasks?limit=25", **api),
        "inbox": lambda c: c.get("/work/"),
        "create": lambda c: c.post("/api/v1/requests", {"to_department": facts["target"], "title": "计数"},
                                   content_type="application/json", **api),
        "approve": approve,
        "complete": lambda c: c.post(f"/api/v1/tasks/{tasks.pop()}/complete", {}, content_type="application/json",
                                     **doer),
    }


def _client(name: str, facts: dict[str, Any]) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if name == "inbox":
        client.cookies["sessionid"] = facts["session"]
    return client


def profile(facts: dict[str, Any], approvals: list[tuple[int, int]], tasks: list[int], n: int) -> None:
    """`n` requests of each path under pyinstrument; the text profile of each
    goes to bench/results/profile-<path>.txt."""
    from pyinstrument import Profiler

    calls = _calls(facts, approvals, tasks)
    for name in CHOSEN:
        client = _client(name, facts)
        calls[name](client)  # warm
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(n):
            response = calls[name](client)
            assert response.status_code in (200, 201), (name, response.status_code)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        (results_dir() / f"profile-{name}.txt").write_text(text)
        log(f"profiled {n} × {name}: bench/results/profile-{name}.txt")


def count_statements(facts: dict[str, Any], approvals: list[tuple[int, int]], tasks: list[int]) -> dict[str, Any]:
    """Each path through Django's test client, its statements captured on the
    second call: the first notes the token's last use, which is written once
    every few minutes, not per request."""
    from django.test.utils import CaptureQueriesContext

    calls = _calls(facts, approvals, tasks)
    out = {}
    for name in CHOSEN:
        client = _client(name, facts)
        calls[name](client)
        with CaptureQueriesContext(connection) as captured:
            response = calls[name](client)
        assert response.status_code in (200, 201), (name, response.status_code, response.content[:500])
        kinds: dict[str, int] = {}
        for q in captured.captured_queries:
            word = q["sql"].lstrip().split(" ", 1)[0].upper()
            kinds[word] = kinds.get(word, 0) + 1
        out[name] = {"statements": len(captured), "by_kind": kinds}
        log(f"{name}: {len(captured)} statements {kinds}")
    return out


# --- the floor: raw PostgreSQL ------------------------------------------------------

FLOOR_SQL = {
    "list": ["SELECT id, title, state, created_at FROM ceiling_item WHERE owner = 1 AND state = 'open' "
             "ORDER BY id DESC LIMIT 25", "SELECT count(*) FROM ceiling_item WHERE owner = 1 AND state = 'open'"],
    "create": ["INSERT INTO ceiling_item (owner, title, created_at, updated_at) VALUES (7, 'floor', now(), now()) "
               "RETURNING id"],
    "update": ["UPDATE ceiling_item SET state = 'done', note = 'floor', updated_at = now() WHERE id = %(id)s"],
}


def _floor_worker(args: tuple[str, int, float]) -> tuple[int, list[float]]:
    import psycopg

    name, worker, seconds = args
    latencies = []
    with psycopg.connect(ARGS.ceiling_database, autocommit=False) as db:
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            t = time.perf_counter()
            for sql in FLOOR_SQL[name]:
                db.execute(sql, {"id": 1 + (worker * 100_000 + i) % ITEMS} if "%(id)s" in sql else None)
            db.commit()
            latencies.append(time.perf_counter() - t)
            i += 1
    return len(latencies), latencies


def floor(name: str, conc: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    t = time.perf_counter()
    with ctx.Pool(conc, initializer=_default_sigterm) as pool:
        results = pool.map(_floor_worker, [(name, w, ARGS.seconds) for w in range(conc)])
    elapsed = time.perf_counter() - t
    latencies = sorted(x for r in results for x in r[1])
    return {"rps": round(sum(r[0] for r in results) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2)}


# --- the run ---------------------------------------------------------------------------

FACTS: dict[str, Any] = {}


def main() -> None:
    # Stopped from outside: still stop the servers (the `finally` below).
    signal.signal(signal.SIGTERM, lambda _signo, _frame: sys.exit(143))
    if not WRK:
        raise SystemExit("bench/over_http.py needs wrk (Debian: apt install wrk; scripts/bootstrap --test installs it)")
    FACTS.update(build())
    build_ceiling()
    spare = 2 + (ARGS.profile + 1 if ARGS.profile else 0)
    # A completion is three times cheaper than an approval: its pool is larger.
    wanted = {"approve", "complete"} & set(CHOSEN)
    approvals, tasks = pools(POOL + spare if "approve" in wanted else spare,
                             3 * POOL + spare if "complete" in wanted else spare)
    counts = count_statements(FACTS, approvals, tasks)
    if ARGS.profile:
        profile(FACTS, approvals, tasks, ARGS.profile)
    connections.close_all()
    product_port, ceiling_port = free_port(), free_port()
    product = serve("xietong.wsgi", ARGS.database, product_port)
    ceiling = serve("bench.ceiling.wsgi", ARGS.ceiling_database, ceiling_port)
    json_headers = {"Content-Type": "application/json"}
    me = {"Authorization": f"Bearer {FACTS['me_token']}", **json_headers}
    head = {"Authorization": f"Bearer {FACTS['head_token']}", **json_headers}
    doer = {"Authorization": f"Bearer {FACTS['doer_token']}", **json_headers}
    # The session, and the CSRF cookie a browser sends back after its first page
    # (without it every answer would make and set a new one).
    inbox = {"Cookie": f"sessionid={FACTS['session']}; csrftoken={get_random_string(32)}"}
    create_body = json.dumps({"to_department": FACTS["target"], "title": "跨部门协作请求", "reason": "bench"},
                             ensure_ascii=False)
    ceiling_ids = list(range(1, ITEMS + 1))
    figures: dict[str, Any] = {"cores": os.cpu_count(), "items": ITEMS, "seconds": ARGS.seconds,
                               "rounds": ARGS.rounds, "workers": ARGS.workers, "statements": counts, "paths": {}}
    try:
        check(product_port, "GET", "/api/v1/tasks?limit=25", "", me, 200)
        check(product_port, "GET", "/work/", "", inbox, 200)
        check(ceiling_port, "GET", "/items/?owner=1", "", {}, 200)
        # Warm up every worker of both servers (imports, connections, first plans).
        wrk(product_port, method="GET", paths=["/api/v1/tasks?limit=25"], bodies=[], headers=me, conc=8, seconds=2)
        wrk(product_port, method="GET", paths=["/work/"], bodies=[], headers=inbox, conc=8, seconds=2)
        wrk(ceiling_port, method="GET", paths=["/items/?owner=1"], bodies=[], headers={}, conc=8, seconds=2)
        used = {"approve": 0, "complete": 0}
        for name in CHOSEN:
            settle()
            figures["paths"][name] = {}
            for conc in CONC:
                runs, ceiling_runs = [], []
                for _round in range(ARGS.rounds):
                    if name == "list":
                        runs.append(wrk(product_port, method="GET", paths=["/api/v1/tasks?limit=25"], bodies=[],
                                        headers=me, conc=conc))
                    elif name == "inbox":
                        runs.append(wrk(product_port, method="GET", paths=["/work/"], bodies=[], headers=inbox,
                                        conc=conc))
                    elif name == "create":
                        runs.append(wrk(product_port, method="POST", paths=["/api/v1/requests"],
                                        bodies=[create_body], headers=me, conc=conc))
                    elif name == "approve":
                        run = wrk(product_port, method="POST",
                                  paths=[f"/api/v1/approvals/{a}/approve" for a, _ in approvals],
                                  bodies=[json.dumps({"approver": r}) for _, r in approvals], headers=head,
                                  conc=conc, offset=used["approve"])
                        used["approve"] += run["next"]
                        runs.append(run)
                    else:
                        run = wrk(product_port, method="POST", paths=[f"/api/v1/tasks/{t}/complete" for t in tasks],
                                  bodies=['{"note": "bench"}'], headers=doer, conc=conc, offset=used["complete"])
                        used["complete"] += run["next"]
                        runs.append(run)
                    if name in ("list", "create") or (name in ("approve", "complete") and _round == 0):
                        # The ceiling's counterpart: its list, its create, its update.
                        kind = {"list": "list", "inbox": "list", "create": "create"}.get(name, "update")
                        if kind == "list":
                            ceiling_runs.append(wrk(ceiling_port, method="GET", paths=["/items/?owner=1"], bodies=[],
                                                    headers={}, conc=conc))
                        elif kind == "create":
                            ceiling_runs.append(wrk(ceiling_port, method="POST", paths=["/items/"],
                                                    bodies=['{"owner": 7, "title": "ceiling"}'],
                                                    headers=json_headers, conc=conc))
                        else:
                            ceiling_runs.append(wrk(ceiling_port, method="POST",
                                                    paths=[f"/items/{i}/" for i in ceiling_ids[:50_000]],
                                                    bodies=['{"state": "done", "note": "ceiling"}'],
                                                    headers=json_headers, conc=conc))
                if not ceiling_runs:
                    ceiling_runs = [wrk(ceiling_port, method="GET", paths=["/items/?owner=1"], bodies=[], headers={},
                                        conc=conc)]
                ours, bare = median_of(runs), median_of(ceiling_runs)
                sql = floor({"list": "list", "inbox": "list", "create": "create"}.get(name, "update"), conc)
                ours["share_of_ceiling"] = round(ours["rps"] / bare["rps"], 3)
                figures["paths"][name][f"conc_{conc}"] = {"xietong": ours, "bare_django": bare, "postgresql": sql}
                log(f"{name} conc {conc}: {ours['rps']} req/s (p50 {ours['p50_ms']} ms, p95 {ours['p95_ms']} ms"
                    f"{', ERRORS ' + str(ours['errors']) if ours['errors'] else ''}"
                    f"{', POOL EXHAUSTED' if ours['exhausted'] else ''}) · bare Django {bare['rps']} req/s "
                    f"({ours['share_of_ceiling']:.0%}) · PostgreSQL {sql['rps']}/s")
        if {"list", "inbox"} <= set(figures["paths"]):
            # Issue 13: the inbox page within 1.5x of the API list's time, in the same run.
            figures["inbox_over_list"] = {f"conc_{c}": round(
                figures["paths"]["list"][f"conc_{c}"]["xietong"]["rps"]
                / figures["paths"]["inbox"][f"conc_{c}"]["xietong"]["rps"], 2) for c in CONC}
            log("inbox page ÷ API list (time per request): " + ", ".join(
                f"conc {c} {figures['inbox_over_list'][f'conc_{c}']}x" for c in CONC) + " (target ≤ 1.5x)")
    finally:
        for process in (product, ceiling):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    (results_dir() / "over_http.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
