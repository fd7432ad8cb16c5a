"""OIDC single sign-on (INT-3), enabled by OIDC_RP_CLIENT_ID in the environment.

An account is bound to the provider's (issuer, subject) the first time it
signs in, and only then: by an e-mail address the provider says it has
verified, matching exactly one active person who is not an administrator.
After that the binding alone signs the person in. `preferred_username` and
an unverified e-mail are claims the provider's users may choose, so nothing
is ever matched on them (`{"preferred_username": "Admin"}` signed in as the
superuser). Administrators sign in with their own password. People are
provisioned by HR; SSO never creates one unless OIDC_CREATE_USER is set.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from xietong.org.models import Person

from .actions import sso_sign_in

logger = logging.getLogger(__name__)


class XietongOIDCBackend(OIDCAuthenticationBackend):
    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Person | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("Claims verification failed")
        issuer = str(payload.get("iss") or getattr(settings, "OIDC_OP_ISSUER", "") or "")
        subject = str(payload.get("sub") or "")
        if not issuer or not subject or str(claims.get("sub", subject)) != subject:
            # OpenID Connect Core 5.3.2: the UserInfo subject must be the ID token's.
            raise SuspiciousOperation("The ID token and the user info name different subjects")
        return sso_sign_in(issuer=issuer, subject=subject, claims=claims,
                           create=bool(getattr(settings, "OIDC_CREATE_USER", False)))

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # A subject is all a bound account needs; linking asks for a verified e-mail itself.
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Person]:
        # Never used for matching: see get_or_create_user.
        return Person.objects.none()
