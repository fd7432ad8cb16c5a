import hashlib
import secrets
import string
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.client import client_ip
from xietong.errors import DomainError, PermissionDenied
from xietong.org.models import Person
from xietong.org.permissions import can_manage_person, is_administrator
from xietong.org.principal import PERSON_COLUMNS, read_with_facts, with_facts_sql

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


# The active person a live token belongs to, the token's id when its last use is worth
# writing down, and the person's roles, memberships and delegations (the principal's
# facts): one fixed statement (prepared) on every API call, where the person and their
# facts were two round trips and the ORM took four times longer to build the person's
# read than the database to answer it.
_AUTHENTICATE_SQL = with_facts_sql(f"""
SELECT {PERSON_COLUMNS}, CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %(stale)s THEN t.id END
  FROM accounts_apitoken t JOIN org_person p ON p.id = t.person_id
 WHERE t.digest = %(digest)s AND t.revoked_at IS NULL AND p.is_active = %(yes)s
   AND (t.expires_at IS NULL OR t.expires_at > %(now)s)
""")  # noqa: S608 — only the model's own column names are interpolated


def token_authenticate(raw: str) -> Person | None:
    """The active person a raw token belongs to, or None; their principal
    (org.principal) comes with them, read in the same statement."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    found = read_with_facts(_AUTHENTICATE_SQL, {
        "digest": token_digest(raw), "stale": connection.ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION)},
        now=now)
    if found is None:
        return None
    person, touch = found
    if touch is not None:
        # Coarse on purpose: one write per token per few minutes, not per call;
        # and only a note, so a database that cannot be written (read-only
        # mode) still lets a token read.
        try:
            with transaction.atomic():
                ApiToken.objects.filter(pk=touch).update(last_used_at=now)
        except DatabaseError:
            pass
    return person


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


# --- sign-in and passwords (INT-3): each an audit event (KER-4) -------------------

def _where(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {"ip": client_ip(request), "agent": request.headers.get("User-Agent", "")[:120]}


def _signin_subject(username: str) -> Any:
    person = Person.objects.filter(username__iexact=username).first() if username else None
    return person if person is not None else ("accounts.signin", (username or "?")[:64])


@transaction.atomic
def signin_record(*, verb: str, request: HttpRequest | None, person: Person | None = None,
                  username: str = "") -> None:
    """account.sign_in / sign_out / sign_in_failed / locked_out, on the
    person's record (or, for a username nobody has, on its own)."""
    subject = person if person is not None else _signin_subject(username)
    after = {**_where(request), **({"username": username[:64]} if person is None else {})}
    event_record(actor=person, verb=verb, subject=subject, after=after)


@transaction.atomic
def password_change(*, actor: Person, current: str, new: str) -> None:
    """A person changes their own password: the current one, then a new one
    the validators accept (length, not common, not like the username)."""
    if not actor.has_usable_password() or not actor.check_password(current):
        raise DomainError(_("The current password is not right."), code="wrong_password")
    if new == current:
        raise DomainError(_("Choose a password different from the current one."), code="same_password")
    try:
        validate_password(new, actor)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="weak_password") from None
    actor.set_password(new)
    actor.must_change_password = False
    actor.save(update_fields=["password", "must_change_password"])
    event_record(actor=actor, verb="account.password_change", subject=actor)


TEMPORARY_ALPHABET = string.ascii_letters + string.digits


@transaction.atomic
def password_reset(*, actor: Person, person: Person) -> str:
    """HR (or an administrator) resets someone's password: a temporary one,
    shown once to the one who reset it, that must be changed at the next
    sign-in. An administrator's only by an administrator; never one's own."""
    if not can_manage_person(actor, person):
        raise PermissionDenied()
    if actor.pk == person.pk:
        raise DomainError(_("Change your own password on your password page."), code="own_password")
    if not person.is_active:
        raise DomainError(_("%(name)s's account is not active.") % {"name": person.name}, code="inactive_person")
    temporary = "".join(secrets.choice(TEMPORARY_ALPHABET) for _i in range(14))
    person.set_password(temporary)
    person.must_change_password = True
    person.save(update_fields=["password", "must_change_password"])
    # Signed-in sessions and API tokens keep working only as long as the
    # account does; a reset is often because someone else knows the password.
    ApiToken.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
    event_record(actor=actor, verb="account.password_reset", subject=person, after={"tokens_revoked": True})
    return temporary
