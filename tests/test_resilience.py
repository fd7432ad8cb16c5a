"""The product against a database it cannot use, served for real
(`manage.py runserver` in another process): a read-only database, one that
is down, one whose write lock another writer holds. Reads keep working where
they can; everything else is a 503 with Retry-After — a page in the reader's
language, or the API's JSON error — and never a bare "Server Error (500)"."""

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from xietong.accounts.actions import token_create
from xietong.work.tests.test_delivery import _database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / f"server-{port}.log").open("w")
    # The product's WSGI application behind the standard library's server: no start-up checks,
    # which would need the database (runserver's do), and DEBUG off as in production.
    code = ("import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'xietong.settings');"
            "from wsgiref.simple_server import make_server; from xietong.wsgi import application;"
            f"make_server('127.0.0.1', {port}, application).serve_forever()")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "XIETONG_TASKS": "dummy", "XIETONG_DEBUG": "0",
                                   "XIETONG_ALLOWED_HOSTS": "127.0.0.1", **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _i in range(100):
            try:
                urllib.request.urlopen(f"{base}/static/xietong/app.css", timeout=2)  # noqa: S310 — our own server
                break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def call(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None,
         ) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_read_only_database_still_reads_and_refuses_writes_with_a_503(company, tmp_path):
    from django.test import Client

    from xietong.work.notify import notify

    _t, raw = token_create(actor=company.employee, name="read")
    notify(recipients=[company.employee], kind="task_urged", key="k1", title="请尽快处理")
    browser = Client()
    browser.force_login(company.employee)  # a session made before the database went read-only
    session = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    bearer = {"Authorization": f"Bearer {raw}"}
    with serve({"DATABASE_URL": _database_url(), "XIETONG_READ_ONLY": "1"}, tmp_path) as base:
        status, _h, body = call(f"{base}/api/v1/me", headers=bearer)
        assert status == 200 and '"username": "liuyang"' in body  # reads work
        status, headers, body = call(f"{base}/api/v1/notifications/read", method="POST", headers={
            **bearer, "Content-Type": "application/json"}, data=b'{"all": true}')
        assert status == 503 and headers["Retry-After"] == "10" and '"code": "read_only"' in body
        status, _h, body = call(f"{base}/accounts/login/", headers={"Accept-Language": "zh-hans"})
        assert status == 200 and "只读模式" in body  # the page, with the banner
        status, _h, body = call(f"{base}/work/notifications/", headers={**session, "Accept-Language": "en"})
        assert status == 200 and "请尽快处理" in body and "Read-only mode" in body  # a signed-in reader reads
        # Opening a notification marks it read, a write: the read-only page, in the reader's language.
        from xietong.work.models import Notification

        pk = Notification.objects.get(key__startswith="k1").pk
        status, headers, body = call(f"{base}/work/notifications/{pk}/", headers={**session, "Accept-Language": "en"})
        assert status == 503 and "read-only mode" in body and headers["Retry-After"] == "10"


def test_a_database_that_is_down_answers_503_in_both_languages(company, tmp_path):
    down = {"DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere"}
    with serve(down, tmp_path) as base:
        status, headers, body = call(f"{base}/api/v1/me", headers={"Authorization": "Bearer xt_anything"})
        assert status == 503 and headers["Retry-After"] == "10"
        assert '"code": "unavailable"' in body
        for language, words in (("zh-hans", "暂时无法使用"), ("en", "Temporarily unavailable")):
            status, headers, body = call(f"{base}/service/public/track/ABCDEFGHJK/",
                                         headers={"Accept-Language": language})
            assert status == 503 and words in body and "Server Error" not in body
        # Signed in: the session is looked up in a middleware, before any view (it was a 500).
        session = {"Cookie": "sessionid=" + "a" * 32, "Accept-Language": "en"}
        for path in ("/requests/", "/accounts/login/", "/favicon.ico"):
            status, headers, body = call(f"{base}{path}", headers=session)
            assert status == 503 and "Temporarily unavailable" in body and headers["Retry-After"] == "10", path


def test_a_write_lock_held_too_long_is_a_503_not_a_500(company, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single writer; PostgreSQL's writers do not queue on one lock (tested on SQLite)")
    _t, raw = token_create(actor=company.employee, name="write")
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    with serve({"DATABASE_URL": _database_url(), "XIETONG_SQLITE_LOCK_WAIT_SECONDS": "1"}, tmp_path) as base:
        holder.execute("BEGIN EXCLUSIVE")  # an import, a long sweep: the one writer is busy
        try:
            status, headers, body = call(f"{base}/api/v1/notifications/read", method="POST", headers={
                "Authorization": f"Bearer {raw}", "Content-Type": "application/json"}, data=b'{"all": true}')
        finally:
            holder.rollback()
            holder.close()
        assert status == 503 and headers["Retry-After"] == "10", body
        status, _h, body = call(f"{base}/api/v1/notifications/read", method="POST", headers={
            "Authorization": f"Bearer {raw}", "Content-Type": "application/json"}, data=b'{"all": true}')
        assert status == 200  # the lock released, the same request works
