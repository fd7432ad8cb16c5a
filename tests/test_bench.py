"""The benchmarks still run: each at a tiny size, on its own PostgreSQL
database, as `bench/README` runs them at full size. (The finding: a column
added without a database default broke bench/kernel.py's COPY, and nothing
ran it; its dropped-and-rebuilt database also met the anchors of the one
before, and `audit verify` counted 23 breaks.)

PostgreSQL only, as the benchmarks are: this runs in the suite's PostgreSQL
pass."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


@pytest.fixture
def bench_db(db):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks build PostgreSQL databases (COPY, SKIP LOCKED): the PostgreSQL pass runs this")
    name = f"xt_bench_smoke_{uuid.uuid4().hex[:8]}"
    yield f"{SERVER}/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: str, database: str, tmp_path: Path, *args: str) -> dict:
    env = {**os.environ, "BENCH_RESULTS_DIR": str(tmp_path / "results"),
           "XIETONG_AUDIT_ANCHOR_DIR": str(tmp_path / "anchors")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, f"bench/{script}.py", "--database", database, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads((tmp_path / "results" / f"{script}.json").read_text()) if script != "kernel" else {}


def test_the_kernel_benchmark_runs_and_its_trail_verifies(bench_db, tmp_path):
    # What the database of the same name left behind in the anchors before it was dropped.
    stale = tmp_path / "anchors" / f"postgresql-{bench_db.rsplit('/', 1)[1]}"
    stale.mkdir(parents=True)
    (stale / "seals.log").write_text(json.dumps({"seq": 1, "first_id": 1, "last_id": 9, "count": 9,
                                                 "digest": "0" * 64, "prev_digest": ""}) + "\n")
    run("kernel", bench_db, tmp_path, "--scale", "0.01", "--requests", "10", "--ops", "10", "--overdue", "200")
    figures = json.loads((tmp_path / "results" / "kernel-0.01.json").read_text())
    assert figures["audit_verify"]["breaks"] == 0
    assert figures["audit_verify"]["events"] > 50_000  # the 50,000 written by COPY, and the set-up's own
    sweep = figures["escalation_sweep"]
    assert sweep["steps"] == sweep["tasks"] == 200 and sweep["steps_with_workers"] == 200
    assert 0 < sweep["share_of_floor"] < 1  # the sweep's rate over its floor's (a COPY of its rows)
    assert figures["create_complete"]["4_process"]["ops_per_second"] > 0


def test_the_approvals_benchmark_approves_every_application(bench_db, tmp_path):
    figures = run("approvals", bench_db, tmp_path, "--ops", "2", "--people", "800", "--departments", "20")
    assert figures["approved_in_database"] == 2 * (1 + 1 + 4)  # the warm-up, one process, four


def test_the_requests_benchmark_confirms_every_request_and_maps_a_quarter(bench_db, tmp_path):
    figures = run("requests", bench_db, tmp_path, "--ops", "2", "--people", "800", "--departments", "20",
                  "--map-rows", "2000", "--map-runs", "2")
    assert figures["confirmed_in_database"] == 2 * (1 + 1 + 4)
    assert figures["map_quarter"]["requests_total"] == 2000 and figures["map_quarter"]["runs"] == 2


def test_the_http_benchmark_serves_both_apps_and_drives_every_path_without_errors(bench_db, tmp_path):
    ceiling = f"{bench_db}_ceiling"
    try:
        figures = run("over_http", bench_db, tmp_path, "--ceiling-database", ceiling, "--scale", "0.01",
                      "--seconds", "1", "--rounds", "1", "--conc", "2", "--pool", "400", "--workers", "2")
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{ceiling.rsplit("/", 1)[1]}" WITH (FORCE)')
    assert set(figures["paths"]) == {"list", "inbox", "create", "approve", "complete"}
    for name, by_conc in figures["paths"].items():
        measured = by_conc["conc_2"]
        assert measured["xietong"]["rps"] > 0 and measured["bare_django"]["rps"] > 0, name
        assert measured["xietong"]["errors"] == 0 and not measured["xietong"]["exhausted"], name
        assert measured["postgresql"]["rps"] > measured["xietong"]["rps"], name
    # Counted in-process: an approval moves on, a request is created, a task is completed.
    assert {"INSERT", "UPDATE"} <= set(figures["statements"]["approve"]["by_kind"])
    assert figures["statements"]["list"]["statements"] >= 2


def test_the_compliance_benchmark_snapshots_days_and_serves_the_view(bench_db, tmp_path):
    figures = run("compliance", bench_db, tmp_path, "--scale", "0.005", "--days", "2", "--samples", "3")
    assert figures["snapshot"]["days"] == 2
    assert figures["snapshot"]["records_per_day_median"] > 0  # the day's tasks were judged
    assert set(figures["view"]) == {"month", "quarter", "clause"}
    assert all(v["n"] == 3 for v in figures["view"].values())
