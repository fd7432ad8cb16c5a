import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.errors import DomainError, PermissionDenied
from xietong.org.models import Person
from xietong.org.permissions import is_administrator
from xietong.work.audit import event_record

from .models import ApiToken, OidcIdentity

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


@transaction.atomic
def sso_sign_in(*, issuer: str, subject: str, claims: dict[str, Any], create: bool = False) -> Person | None:
    """The person an OpenID identity signs in (INT-3; see accounts.oidc): the
    one it is bound to, or — at first sign-in — the one active,
    non-administrator person with the e-mail the provider has verified,
    bound from then on. None when there is nobody to sign in."""
    identity = OidcIdentity.objects.select_related("person").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        if not identity.person.is_active:
            return None
        OidcIdentity.objects.filter(pk=identity.pk).update(last_used_at=timezone.now())
        return identity.person
    email = str(claims.get("email") or "").strip()
    refused = None
    if claims.get("email_verified") is not True or not email:
        refused = "email_not_verified"
    else:
        people = list(Person.objects.filter(email__iexact=email, is_active=True)[:2])
        if len(people) > 1:
            refused = "email_ambiguous"
        elif people and is_administrator(people[0]):
            refused = "administrator"
        elif people and OidcIdentity.objects.filter(issuer=issuer, person=people[0]).exists():
            refused = "already_linked"  # another subject of this provider holds the account
        elif people:
            person = people[0]
        elif create:
            username = _free_username(str(claims.get("preferred_username") or email.split("@")[0]))
            person = Person.objects.create_user(username=username, name=str(claims.get("name") or username)[:100],
                                                email=email)
            event_record(actor=None, verb="person.create", subject=person, first=True,
                         after={"username": username, "email": email, "by": "sso"})
        else:
            refused = "no_person"
    if refused:
        event_record(actor=None, verb="account.sso_refused", subject=("accounts.sso", f"{issuer}|{subject}"[:64]),
                     after={"why": refused})
        return None
    OidcIdentity.objects.create(issuer=issuer, subject=subject, person=person, last_used_at=timezone.now())
    event_record(actor=person, verb="account.sso_link", subject=person, after={"issuer": issuer, "subject": subject})
    return person


def _free_username(wanted: str) -> str:
    base = "".join(c for c in wanted if c.isalnum() or c in "._-")[:50] or "sso"
    candidate, n = base, 1
    while Person.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate
