"""A real `xietong worker` process against faults: a module sweep that
always raises, and the database going away (KER-3, KER-5)."""

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from xietong.work.models import Channel, Delivery, DeliveryState, RobotChannel, WorkerHeartbeat
from xietong.work.notify import notify
from xietong.work.tests.test_delivery import Receiver, _database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _notices(first: int, count: int) -> None:
    for n in range(first, first + count):
        notify(recipients=[], kind="task_escalated", key=f"task:{n}:escalate:1", title=f"#{n}", urgent=True)


def _sent() -> int:
    # The webhooks of this test (the sweeps may e-mail others, e.g. the administrators' calendar task).
    return Delivery.objects.filter(state=DeliveryState.SENT, channel=Channel.WEBHOOK).count()


class Outage:
    """The database unreachable for the worker for a while, for real."""

    def __enter__(self) -> "Outage":
        if connection.vendor == "sqlite":
            # Another writer holds the file: every write of the worker times out ("database is locked").
            self.holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
            self.holder.execute("BEGIN EXCLUSIVE")
        else:
            # PostgreSQL refuses new connections to the database and ends the worker's (a restart, a failover).
            self._admin(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" WITH ALLOW_CONNECTIONS false',
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'xietong-test-worker'")
        return self

    @staticmethod
    def _admin(*statements: str) -> None:
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname="postgres",
                             autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    def __exit__(self, *exc: object) -> None:
        if connection.vendor == "sqlite":
            self.holder.rollback()
            self.holder.close()
        else:
            self._admin(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" WITH ALLOW_CONNECTIONS true')


def test_a_worker_survives_a_failing_sweep_and_a_database_outage_and_delivers_everything(company, tmp_path):
    hook = Receiver()
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="ops", url=hook.url)
    _notices(0, 5)
    env = {**os.environ, "DATABASE_URL": _database_url(), "XIETONG_TASKS": "dummy",
           "DJANGO_SETTINGS_MODULE": "tests.worker_settings", "PGAPPNAME": "xietong-test-worker",
           "XIETONG_SQLITE_LOCK_WAIT_SECONDS": "1"}
    log = (tmp_path / "worker.log").open("w")  # a file, not a pipe: a full pipe would stall the worker
    worker = subprocess.Popen([sys.executable, "-m", "xietong.cli", "worker", "--poll", "0.2", "--sweep-every", "0.5"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        # The failing sweep runs every half second; the outbox goes out all the same.
        assert _wait(lambda: _sent() == 5), "first notices not delivered"
        assert _wait(lambda: WorkerHeartbeat.objects.filter(last_error__contains="boom").exists())
        with Outage():
            time.sleep(4)
            assert worker.poll() is None, "the worker died in the outage"
        assert _wait(lambda: WorkerHeartbeat.objects.filter(last_error__contains="database").exists()), \
            "the outage was not noticed"
        _notices(5, 5)  # after the outage, new work is done as before
        assert _wait(lambda: _sent() == 10), "notices after the outage not delivered"
        assert worker.poll() is None
        beat = WorkerHeartbeat.objects.get()
        assert beat.errors >= 2 and timezone.now() - beat.last_loop_at < timedelta(seconds=30)
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        hook.close()
    output = (tmp_path / "worker.log").read_text()
    keys = [r["headers"]["X-Xietong-Idempotency-Key"] for r in hook.requests]
    assert len(keys) == 10 and len(set(keys)) == 10, output[-2000:]
    assert WorkerHeartbeat.objects.get().stopped_at is not None  # a clean stop is recorded


def test_health_says_whether_a_worker_works(company, capsys):
    with pytest.raises(SystemExit) as failed:
        call_command("health")
    assert failed.value.code == 1 and "no worker has run" in capsys.readouterr().out
    WorkerHeartbeat.objects.create(worker_id="w1", host="h", pid=1, started_at=timezone.now(),
                                   last_loop_at=timezone.now(), loops=3)
    call_command("health")
    assert "healthy" in capsys.readouterr().out
    WorkerHeartbeat.objects.filter(worker_id="w1").update(last_error="boom", last_error_at=timezone.now())
    with pytest.raises(SystemExit):
        call_command("health")
    assert "FAILING: boom" in capsys.readouterr().out
    call_command("health", "--no-workers")
