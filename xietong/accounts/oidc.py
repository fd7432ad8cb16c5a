"""OIDC single sign-on (INT-3), enabled by OIDC_RP_CLIENT_ID in the environment.

People are provisioned by HR; SSO matches the claim `preferred_username`
(else the e-mail) to an existing active account and never creates one unless
OIDC_CREATE_USER is set.
"""

from typing import Any

from django.db.models import Q, QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from xietong.org.models import Person


class XietongOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[Person]:
        username = (claims.get("preferred_username") or "").strip()
        email = (claims.get("email") or "").strip()
        if not username and not email:
            return Person.objects.none()
        match = Q()
        if username:
            match |= Q(username__iexact=username)
        if email:
            match |= Q(email__iexact=email)
        return Person.objects.filter(match, is_active=True)

    def create_user(self, claims: dict[str, Any]) -> Person:
        username = claims.get("preferred_username") or claims.get("email", "").split("@")[0]
        return Person.objects.create_user(
            username=username, name=claims.get("name") or username, email=claims.get("email", "")
        )
