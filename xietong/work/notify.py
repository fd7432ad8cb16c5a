"""Notifications (KER-5): decide who hears what on which channel.

    notify(recipients=[p], kind="task_assigned", title=_("New task: %(t)s") % …,
           url=task.link, key=f"task:{task.pk}:assigned")

writes in-app rows and outbox rows (`Delivery`) in the caller's transaction;
workers send the outbox (`delivery.py`). `key` makes each message idempotent:
the same key for the same recipient and channel is written once.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.fastsql import insert_rows_together
from xietong.inputs import one_line
from xietong.org.models import Department, Person
from xietong.platform.kinds import INAPP, NotificationKind
from xietong.platform.manifest import NOTIFICATIONS

from .models import Channel, Delivery, DeliveryState, Notification, Preference, RobotChannel

__all__ = ["INAPP", "NOTIFICATION_KINDS", "NotificationKind", "notify"]
PERSONAL_CHANNELS = (INAPP, Channel.EMAIL.value, Channel.SMS.value)


# Every notification kind, as the modules' manifests declared them (the kernel's own: work/manifest.py).
NOTIFICATION_KINDS = NOTIFICATIONS


Text = str | Promise | Callable[[], str]


def preferences_for(people: Iterable[Person], kind: str) -> dict[int, set[str]]:
    """The personal channels each person receives this kind on."""
    people = list(people)
    defaults = set(NOTIFICATION_KINDS[kind].defaults)
    chosen: dict[int, set[str]] = {p.pk: set(defaults) for p in people}
    if not chosen:
        return chosen
    # A fixed statement, on every notification: the ORM took longer to build it than to run it.
    # On PostgreSQL one array parameter, whatever the number of people: the same
    # text each time (prepared once), nothing to parse for a sweep's thousand.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PREFERENCES_PG, [kind, list(chosen)])
        else:
            cursor.execute(_PREFERENCES_SQL.format(people=", ".join(["%s"] * len(chosen))), [kind, *chosen])
        rows = cursor.fetchall()
    for person_id, channel, enabled in rows:
        (chosen[person_id].add if enabled else chosen[person_id].discard)(channel)
    return chosen


_PREFERENCES_SQL = "SELECT person_id, channel, enabled FROM work_preference WHERE kind = %s AND person_id IN ({people})"
_PREFERENCES_PG = "SELECT person_id, channel, enabled FROM work_preference WHERE kind = %s AND person_id = ANY(%s::bigint[])"


@dataclass
class Message:
    recipients: list[Person]
    kind: str
    title: "Text"
    key: str
    body: "Text" = ""
    url: str = ""
    urgent: bool = False
    department: Department | None = None


def notify(
    *,
    recipients: Iterable[Person],
    kind: str,
    title: Text,
    key: str,
    body: Text = "",
    url: str = "",
    urgent: bool = False,
    department: Department | None = None,
    now: datetime | None = None,
) -> int:
    """Write the in-app notifications and outbox rows for one event."""
    return notify_many([Message(recipients=list(recipients), kind=kind, title=title, key=key, body=body, url=url,
                                urgent=urgent, department=department)], now=now)


def notify_many(messages: Iterable[Message], *, now: datetime | None = None) -> int:
    """Write many messages with a handful of queries (the sweeps). Urgent
    matters go on every personal channel the person has, whatever their
    preferences (seed 000 §7: urgent by phone). Returns rows written."""
    now = now or timezone.now()
    messages = [m for m in messages if any(p is not None and p.is_active for p in m.recipients)
                or m.urgent or NOTIFICATION_KINDS[m.kind].robots]
    if not messages:
        return 0
    wanted_by_kind: dict[str, dict[int, set[str]]] = {}
    for kind in {m.kind for m in messages}:
        people = {p.pk: p for m in messages if m.kind == kind for p in m.recipients if p is not None}
        wanted_by_kind[kind] = preferences_for(people.values(), kind)
    robots: list[RobotChannel] | None = None
    inapp: list[tuple] = []
    outbox: list[tuple] = []

    def deliver(key: str, channel: str, address: str, payload: dict, recipient: int | None = None,
                robot: int | None = None) -> None:
        outbox.append((key, channel, recipient, robot, address, payload, DeliveryState.PENDING, 0, now, "", now))

    # Render each message in the languages its recipients read (and Chinese
    # for the robots), switching language once per language, not per message.
    people_of = [list({p.pk: p for p in m.recipients if p is not None and p.is_active}.values()) for m in messages]
    wanted_in: dict[str, list[int]] = {}
    for n, m in enumerate(messages):
        languages = {p.language or "zh-hans" for p in people_of[n]}
        if m.urgent or NOTIFICATION_KINDS[m.kind].robots:
            languages.add("zh-hans")
        for language in languages:
            wanted_in.setdefault(language, []).append(n)

    def render(m: Message) -> tuple[str, str]:
        # A title becomes an e-mail subject: one line, whatever a record's title held.
        return (one_line(m.title() if callable(m.title) else str(m.title)),
                m.body() if callable(m.body) else str(m.body))

    rendered: dict[str, dict[int, tuple[str, str]]] = {}
    for language, indexes in wanted_in.items():
        with translation.override(language):
            rendered[language] = {n: render(messages[n]) for n in indexes}
    for n, m in enumerate(messages):
        for person in people_of[n]:
            wanted = set(PERSONAL_CHANNELS) if m.urgent else wanted_by_kind[m.kind][person.pk]
            title, body = rendered[person.language or "zh-hans"][n]
            if INAPP in wanted:
                inapp.append((f"{m.key}:{person.pk}", person.pk, m.kind, title, body, m.url, m.urgent, now))
            payload = {"kind": m.kind, "title": title, "body": body, "url": m.url, "urgent": m.urgent}
            if Channel.EMAIL in wanted and person.email:
                deliver(f"{m.key}:email:{person.pk}", Channel.EMAIL, person.email, payload, recipient=person.pk)
            if Channel.SMS in wanted and person.phone:
                deliver(f"{m.key}:sms:{person.pk}", Channel.SMS, person.phone, payload, recipient=person.pk)
        if NOTIFICATION_KINDS[m.kind].robots or m.urgent:
            if robots is None:
                robots = list(RobotChannel.objects.filter(active=True).select_related("department"))
            for robot in _robots_for(robots, m.department):
                title, body = rendered["zh-hans"][n]
                payload = {"kind": m.kind, "title": title, "body": body, "url": m.url, "urgent": m.urgent}
                deliver(f"{m.key}:robot:{robot.pk}", robot.kind, robot.url, payload, robot=robot.pk)
    # The same key twice (a retried action, two sweeps) writes nothing more.
    insert_rows_together([
        (Notification, ["key", "recipient", "kind", "title", "body", "url", "urgent", "created_at"], inapp),
        (Delivery, ["key", "channel", "recipient", "robot", "address", "payload", "state", "attempts",
                    "next_attempt_at", "last_error", "created_at"], outbox)], ignore_conflicts=True)
    # No wake-up job: every worker polls the outbox (`xietong worker --poll`).
    return len(inapp) + len(outbox)


def _robots_for(robots: list[RobotChannel], department: Department | None) -> list[RobotChannel]:
    """The company's robots and those of the department and its ancestors."""
    paths = department.path if department is not None else ""
    return [r for r in robots if r.department is None or (paths and paths.startswith(r.department.path))]


def preferences_of(person: Person) -> dict[str, set[str]]:
    """Every kind's personal channels for one person: defaults, then their choices."""
    chosen = {key: set(kind.defaults) for key, kind in NOTIFICATION_KINDS.items()}
    for kind, channel, enabled in Preference.objects.filter(person=person).values_list("kind", "channel", "enabled"):
        if kind in chosen:
            (chosen[kind].add if enabled else chosen[kind].discard)(channel)
    return chosen


@transaction.atomic
def preferences_save(*, person: Person, chosen: dict[str, set[str]]) -> int:
    """A person's notification choices (KER-5): only the kinds given, only
    what changed, with one audit event. Returns the number of changes."""
    from xietong.audit.trail import event_record
    from xietong.errors import DomainError

    if not set(chosen) <= NOTIFICATION_KINDS.keys() or any(not c <= set(PERSONAL_CHANNELS) for c in chosen.values()):
        raise DomainError(_("Unknown notification kind or channel."), code="bad_preference")
    current = preferences_of(person)
    changes = {(kind, channel): channel in channels for kind, channels in chosen.items()
               for channel in PERSONAL_CHANNELS if (channel in channels) != (channel in current[kind])}
    if not changes:
        return 0
    for (kind, channel), enabled in changes.items():
        Preference.objects.update_or_create(person=person, kind=kind, channel=channel, defaults={"enabled": enabled})
    event_record(actor=person, verb="preferences.update", subject=person, after={
        f"{kind}:{channel}": enabled for (kind, channel), enabled in sorted(changes.items())})
    return len(changes)


def preference_set(*, person: Person, kind: str, channel: str, enabled: bool) -> None:
    """One channel of one kind on or off (see preferences_save)."""
    current = preferences_of(person).get(kind, set())
    preferences_save(person=person, chosen={kind: (current | {channel}) if enabled else (current - {channel})})


def notifications_mark_read(*, person: Person, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def robot_create(*, actor: Person, kind: str, name: str, url: str, secret: str = "",
                 department: Department | None = None) -> RobotChannel:
    """Add a group robot or webhook (administrators only). The secret is kept
    for signing and never shown again."""
    from xietong.audit.trail import event_record
    from xietong.errors import DomainError, PermissionDenied
    from xietong.org.permissions import can_manage_org

    if not can_manage_org(actor):
        raise PermissionDenied()
    if kind not in {Channel.WECOM, Channel.DINGTALK, Channel.FEISHU, Channel.WEBHOOK}:
        raise DomainError(_("Choose a robot kind."), code="bad_robot_kind")
    if not url.startswith(("https://", "http://")):
        raise DomainError(_("The address must start with https:// or http://."), code="bad_url")
    robot = RobotChannel.objects.create(kind=kind, name=name.strip()[:100] or kind, url=url, secret=secret,
                                        department=department)
    event_record(actor=actor, verb="robot.create", subject=robot, after={
        "kind": kind, "name": robot.name, "department": department.pk if department else None,
        "signed": bool(secret)})
    return robot


@transaction.atomic
def robot_set_active(*, actor: Person, robot: RobotChannel, active: bool) -> RobotChannel:
    from xietong.audit.trail import event_record
    from xietong.errors import PermissionDenied
    from xietong.org.permissions import can_manage_org

    if not can_manage_org(actor):
        raise PermissionDenied()
    if robot.active == active:
        return robot
    robot.active = active
    robot.save(update_fields=["active"])
    event_record(actor=actor, verb="robot.activate" if active else "robot.deactivate", subject=robot,
                 before={"active": not active}, after={"active": active})
    return robot
