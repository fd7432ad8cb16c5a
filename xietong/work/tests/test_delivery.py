import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from xietong.work.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    deliveries_send_due,
    feishu_signature,
    webhook_signature,
)
from xietong.work.models import Channel, Delivery, DeliveryState, RobotChannel
from xietong.work.notify import notify


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that fails the first `failures`
    requests, and answers each after `delay` seconds (a slow receiver)."""

    def __init__(self, *, failures: int = 0, reply: dict | None = None, hang_first: bool = False,
                 delay: float = 0):
        self.requests: list[dict] = []
        self.failures = failures
        self.reply = reply or {}
        self.hang_first = hang_first
        self.delay = delay
        self.release = threading.Event()
        self.first_arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if receiver.hang_first and len(receiver.requests) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                time.sleep(receiver.delay)
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(receiver.reply).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _escalation_notice(company, robot_department=None):
    notify(recipients=[company.sales_head], kind="task_escalated", key="task:1:escalate:1", title="逾期督办：报价单",
           url="/work/tasks/1/", department=robot_department or company.sales)


def test_a_failed_webhook_is_retried_with_backoff_and_the_same_key(company, receiver):
    hook = receiver(failures=1)
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="ops", url=hook.url, secret="s3cret")
    _escalation_notice(company)
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert deliveries_send_due()["retry"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1 and "500" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)  # backed off
    assert deliveries_send_due()["sent"] == 0  # not due yet
    assert deliveries_send_due(now=delivery.next_attempt_at + timedelta(seconds=1))["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    keys = {r["headers"]["X-Xietong-Idempotency-Key"] for r in hook.requests}
    assert len(hook.requests) == 2 and keys == {delivery.key}
    last = hook.requests[-1]
    expected = webhook_signature("s3cret", last["headers"]["X-Xietong-Timestamp"], last["body"])
    assert last["headers"]["X-Xietong-Signature"] == expected
    assert json.loads(last["body"])["title"] == "逾期督办：报价单"


def test_dingtalk_messages_are_signed_in_the_query(company, receiver):
    import base64
    import hashlib
    import hmac

    hook = receiver(reply={"errcode": 0})
    RobotChannel.objects.create(kind=Channel.DINGTALK, name="钉钉", url=hook.url + "?access_token=t", secret="SEC")
    _escalation_notice(company)
    assert deliveries_send_due()["sent"] >= 1
    query = urllib.parse.parse_qs(urllib.parse.urlparse(hook.requests[0]["path"]).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC", f"{timestamp}\nSEC".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected and query["access_token"] == ["t"]
    assert json.loads(hook.requests[0]["body"])["msgtype"] == "text"


def test_feishu_messages_carry_a_signature_and_errors_retry(company, receiver):
    hook = receiver(reply={"code": 19021, "msg": "sign match fail"})
    RobotChannel.objects.create(kind=Channel.FEISHU, name="飞书", url=hook.url, secret="FS")
    _escalation_notice(company)
    assert deliveries_send_due()["retry"] == 1  # Feishu said no: try again later
    body = json.loads(hook.requests[0]["body"])
    assert body["sign"] == feishu_signature(body["timestamp"], "FS")


def test_a_wecom_robot_of_another_department_hears_nothing(company, receiver):
    hook = receiver(reply={"errcode": 0})
    RobotChannel.objects.create(kind=Channel.WECOM, name="技术部群", url=hook.url, department=company.tech)
    _escalation_notice(company, robot_department=company.sales)
    assert not Delivery.objects.filter(channel=Channel.WECOM).exists()
    _escalation_notice(company, robot_department=company.rd1)  # rd1 is inside tech
    deliveries_send_due()
    assert len(hook.requests) == 1


def test_email_and_urgent_sms_are_sent(company, settings):
    settings.XIETONG_SMS_SENDER = "xietong.work.tests.test_delivery.RecordingSms"
    RecordingSms.sent.clear()
    notify(recipients=[company.employee], kind="task_urged", key="task:9:urge:1", title="请尽快", urgent=True)
    counts = deliveries_send_due()
    assert counts["sent"] == 2
    assert mail.outbox[0].to == [company.employee.email] and mail.outbox[0].subject == "请尽快"
    assert RecordingSms.sent == [(company.employee.phone, f"task:9:urge:1:sms:{company.employee.pk}")]


class RecordingSms:
    sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str, key: str) -> None:
        self.sent.append((phone, key))


def test_preferences_turn_a_channel_off_but_not_for_urgent(company):
    from xietong.work.notify import preference_set

    preference_set(person=company.employee, kind="task_urged", channel="email", enabled=False)
    notify(recipients=[company.employee], kind="task_urged", key="k1", title="t")
    assert not Delivery.objects.filter(key__startswith="k1:").exists()
    notify(recipients=[company.employee], kind="task_urged", key="k2", title="t", urgent=True)
    assert Delivery.objects.filter(key=f"k2:email:{company.employee.pk}").exists()


def test_the_same_key_is_written_once(company):
    for _ in range(2):
        notify(recipients=[company.employee], kind="task_assigned", key="task:5:assigned", title="t")
    assert Delivery.objects.filter(key__startswith="task:5:assigned").count() == 1


def test_it_gives_up_after_the_last_attempt(company, receiver):
    hook = receiver(failures=100)
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="down", url=hook.url)
    _escalation_notice(company)
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert deliveries_send_due()["dead"] == 1
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.DEAD


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_lost_when_a_worker_is_killed_mid_batch(company, receiver):
    hook = receiver(hang_first=True)
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="ops", url=hook.url)
    for n in range(5):
        notify(recipients=[], kind="task_escalated", key=f"task:{n}:escalate:1", title=f"#{n}", urgent=True)
    assert Delivery.objects.count() == 5
    env = {**os.environ, "DATABASE_URL": _database_url(), "XIETONG_TASKS": "dummy"}
    worker = subprocess.Popen([sys.executable, "-m", "xietong.cli", "worker", "--once"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert hook.first_arrived.wait(60), worker.stdout.read() if worker.poll() is not None else "no request"
        os.kill(worker.pid, signal.SIGKILL)  # mid-send, after claiming the batch
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    hook.release.set()
    # The dead worker held one message (the one it was sending), not the batch:
    (claimed,) = Delivery.objects.filter(state=DeliveryState.SENDING)
    assert deliveries_send_due()["sent"] == 4  # the others go out at once …
    assert Delivery.objects.get(pk=claimed.pk).state == DeliveryState.SENDING  # … its claim holds until the lease ends
    counts = deliveries_send_due(now=timezone.now() + LEASE + timedelta(seconds=1))
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 5, counts
    delivered_keys = {r["headers"]["X-Xietong-Idempotency-Key"] for r in hook.requests}
    assert delivered_keys == set(Delivery.objects.values_list("key", flat=True))
    time.sleep(0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_slow_receiver_deliver_each_message_once(company, receiver):
    """The finding: with two workers, 7 of 30 webhooks went out twice — one lease covered a whole batch."""
    hook = receiver(delay=0.3)
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="ops", url=hook.url)
    for n in range(30):
        notify(recipients=[], kind="task_escalated", key=f"task:{n}:escalate:1", title=f"#{n}", urgent=True)
    # A lease (15 s, the floor above one send's timeout) shorter than a batch takes to send
    # (30 × 0.3 s): with one claim for the batch, the second worker took over messages still queued.
    env = {**os.environ, "DATABASE_URL": _database_url(), "XIETONG_TASKS": "dummy",
           "XIETONG_DELIVERY_LEASE_SECONDS": "2"}
    workers = [subprocess.Popen([sys.executable, "-m", "xietong.cli", "worker", "--poll", "0.2",
                                 "--sweep-every", "3600"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        # Only the webhooks: the workers' sweeps may notify others too (e-mail), which is not this test.
        hooks = Delivery.objects.filter(channel=Channel.WEBHOOK)
        while hooks.exclude(state=DeliveryState.SENT).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(20)
            except subprocess.TimeoutExpired:
                w.kill()
    assert hooks.filter(state=DeliveryState.SENT).count() == 30
    keys = [r["headers"]["X-Xietong-Idempotency-Key"] for r in hook.requests]
    assert len(keys) == 30 and len(set(keys)) == 30  # every message once, none twice


def test_each_message_speaks_its_recipients_language_and_robots_chinese(company, receiver):
    from django.utils.translation import gettext as _

    from xietong.work.models import Notification
    from xietong.work.notify import Message, notify_many

    hook = receiver()
    RobotChannel.objects.create(kind=Channel.WEBHOOK, name="ops", url=hook.url)
    company.employee.language = "en"
    company.employee.save(update_fields=["language"])
    company.sales_head.language = "zh-hans"
    company.sales_head.save(update_fields=["language"])

    def title() -> str:
        return _("Overdue: %(title)s") % {"title": "报价单"}

    notify_many([Message(recipients=[company.employee], kind="task_overdue", key="lang:1", title=title),
                 Message(recipients=[company.sales_head], kind="task_escalated", key="lang:2", title=title)])
    assert Notification.objects.get(key=f"lang:1:{company.employee.pk}").title == "Overdue: 报价单"
    chinese = Notification.objects.get(key=f"lang:2:{company.sales_head.pk}").title
    assert chinese != "Overdue: 报价单" and "报价单" in chinese
    # The escalation goes to the robots too, in Chinese whoever its recipients are.
    robot = Delivery.objects.get(key__startswith="lang:2:robot:")
    assert robot.payload["title"] == chinese
