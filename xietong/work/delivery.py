"""Sending the outbox (KER-5): e-mail, WeCom / DingTalk / Feishu robots, a
generic signed webhook, and a pluggable SMS/voice sender.

A worker lists what is due, then claims each message on its own just
before sending it: one conditional UPDATE (`pending`, or `sending` with an
expired lease → `sending`, leased to this worker for LEASE). Of several
workers, exactly one gets each message; a slow receiver delays only the
message being sent, never the lease of the messages after it (a lease that
covered a whole batch ran out mid-batch, and a second worker sent those
messages again). Success or failure is written only by the worker holding
the claim. A worker killed mid-send leaves that one message `sending`; when
its lease runs out another worker sends it again with the same idempotency
key, so the receiver can drop the duplicate.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from xietong.inputs import one_line

from .models import Channel, Delivery, DeliveryState

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# A lease always outlasts one send (TIMEOUT_SECONDS), with room to record its result.
LEASE = timedelta(seconds=max(getattr(settings, "XIETONG_DELIVERY_LEASE_SECONDS", 120), TIMEOUT_SECONDS + 5))
MAX_ATTEMPTS = getattr(settings, "XIETONG_DELIVERY_MAX_ATTEMPTS", 8)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)


class DeliveryFailed(Exception):
    pass


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str, key: str) -> None: ...


class LoggingSmsSender:
    """The default: writes the message to the log. Replace it with a gateway's
    sender through XIETONG_SMS_SENDER (a dotted path to a class like this)."""

    def send(self, *, phone: str, text: str, key: str) -> None:
        logger.warning("SMS to %s [%s]: %s", phone, key, text)


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _absolute(url: str) -> str:
    base = getattr(settings, "XIETONG_BASE_URL", "")
    return f"{base}{url}" if url.startswith("/") else url


def _text(payload: dict[str, Any]) -> str:
    parts = [payload["title"]]
    if payload.get("body"):
        parts.append(payload["body"])
    if payload.get("url"):
        parts.append(_absolute(payload["url"]))
    return "\n".join(parts)


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 — admin-configured https/http URL
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read()
    except Exception as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


def _sign_dingtalk(url: str, secret: str) -> str:
    """DingTalk robot signing: HMAC-SHA256 of "timestamp\\nsecret", base64, in the query."""
    if not secret:
        return url
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def feishu_signature(timestamp: str, secret: str) -> str:
    """Feishu robot signing: HMAC-SHA256 keyed by "timestamp\\nsecret" over nothing."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send(delivery: Delivery) -> None:
    """Send one outbox row; raise DeliveryFailed to retry."""
    payload = delivery.payload
    text = _text(payload)
    if delivery.channel == Channel.EMAIL:
        # One line whatever the row holds (rows written before titles were normalised):
        # a line break in a subject is refused by the mailer, on every retry.
        message = EmailMessage(subject=one_line(payload["title"], 300), body=text, to=[delivery.address],
                               headers={"Message-ID": f"<{delivery.key.replace(':', '.')}@xietong>"})
        try:
            message.send()
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    elif delivery.channel == Channel.SMS:
        sender: SmsSender = import_string(getattr(settings, "XIETONG_SMS_SENDER",
                                                  "xietong.work.delivery.LoggingSmsSender"))()
        try:
            sender.send(phone=delivery.address, text=text, key=delivery.key)
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    elif delivery.channel == Channel.WECOM:
        # WeCom group robots carry their key in the URL; they have no signature.
        reply = _post_json(delivery.address, {"msgtype": "text", "text": {"content": text}})
        if reply.get("errcode", 0) != 0:
            raise DeliveryFailed(f"WeCom: {reply}")
    elif delivery.channel == Channel.DINGTALK:
        secret = delivery.robot.secret if delivery.robot else ""
        reply = _post_json(_sign_dingtalk(delivery.address, secret),
                           {"msgtype": "text", "text": {"content": text}})
        if reply.get("errcode", 0) != 0:
            raise DeliveryFailed(f"DingTalk: {reply}")
    elif delivery.channel == Channel.FEISHU:
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        secret = delivery.robot.secret if delivery.robot else ""
        if secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": feishu_signature(timestamp, secret), **body}
        reply = _post_json(delivery.address, body)
        if reply.get("code", 0) != 0:
            raise DeliveryFailed(f"Feishu: {reply}")
    elif delivery.channel == Channel.WEBHOOK:
        secret = delivery.robot.secret if delivery.robot else ""
        body_bytes = json.dumps({"id": delivery.key, **payload, "url": _absolute(payload.get("url", ""))},
                                ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {"X-Xietong-Idempotency-Key": delivery.key, "X-Xietong-Timestamp": timestamp}
        if secret:
            headers["X-Xietong-Signature"] = webhook_signature(secret, timestamp, body_bytes)
        request = urllib.request.Request(delivery.address, data=body_bytes, method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):  # noqa: S310
                pass
        except Exception as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    else:  # pragma: no cover — the model's choices forbid it
        raise DeliveryFailed(f"unknown channel {delivery.channel}")


def _due(now: datetime) -> Q:
    # A message being sent has next_attempt_at = claimed_until: one condition
    # (and the partial index delivery_due_idx) covers both.
    return Q(state__in=[DeliveryState.PENDING, DeliveryState.SENDING], next_attempt_at__lte=now)


def delivery_claim(pk: int, *, worker: str, now: datetime) -> Delivery | None:
    """Claim one due message for `worker`; None when another worker has it
    (or it is no longer due)."""
    until = now + LEASE
    if Delivery.objects.filter(_due(now), pk=pk).update(
            state=DeliveryState.SENDING, claimed_until=until, claimed_by=worker, next_attempt_at=until,
            attempts=F("attempts") + 1) != 1:
        return None
    return Delivery.objects.select_related("robot").get(pk=pk)


def deliveries_send_due(*, limit: int = 100, now: datetime | None = None,
                        worker: str | None = None) -> dict[str, int]:
    """Send what is due, one claim per message; return counts by outcome.
    `now` stands in for the clock (tests); each claim otherwise reads it
    afresh, so that a slow send never shortens the next message's lease."""
    worker = worker or uuid.uuid4().hex
    counts = {"sent": 0, "retry": 0, "dead": 0}
    due = list(Delivery.objects.filter(_due(now or timezone.now())).order_by("next_attempt_at", "pk")
               .values_list("pk", flat=True)[:limit])
    for pk in due:
        delivery = delivery_claim(pk, worker=worker, now=now or timezone.now())
        if delivery is None:
            continue  # another worker took it first
        mine = Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING, claimed_by=worker)
        try:
            send(delivery)
        except DeliveryFailed as exc:
            dead = delivery.attempts >= MAX_ATTEMPTS
            mine.update(state=DeliveryState.DEAD if dead else DeliveryState.PENDING, claimed_until=None,
                        claimed_by="", next_attempt_at=timezone.now() + backoff(delivery.attempts),
                        last_error=str(exc)[:2000])
            counts["dead" if dead else "retry"] += 1
            logger.warning("delivery %s failed (attempt %s): %s", delivery.key, delivery.attempts, exc)
            continue
        mine.update(state=DeliveryState.SENT, sent_at=timezone.now(), claimed_until=None, claimed_by="",
                    last_error="")
        counts["sent"] += 1
    return counts
