import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.errors import DomainError, PermissionDenied
from xietong.org.models import Person
from xietong.work.audit import event_record

from .models import ApiToken

TOKEN_PREFIX = "xt_"  # noqa: S105 — a public prefix, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: Person, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """INT-2: a new personal token. Returns the row and the raw token (shown once)."""
    if not actor.is_active:
        raise PermissionDenied()
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the script that uses it."), code="name_required")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must be in the future."), code="past_expiry")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=actor, name=name[:80], prefix=raw[:10], digest=token_digest(raw), expires_at=expires_at
    )
    event_record(actor=actor, verb="token.create", subject=actor, after={"token": token.pk, "name": token.name})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Person, token: ApiToken) -> None:
    if token.person_id != actor.pk:
        raise PermissionDenied()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        event_record(actor=actor, verb="token.revoke", subject=actor, before={"token": token.pk})


def token_authenticate(raw: str) -> Person | None:
    """The active person a raw token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("person")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.person.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Coarse on purpose: one write per token per few minutes, not per call.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person
