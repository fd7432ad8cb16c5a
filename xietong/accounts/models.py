from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal API token (INT-2). Only its SHA-256 is stored; the token is
    shown once, when created. `prefix` lets a person recognise it in a list."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [
            models.Index(fields=["person"], name="apitoken_live_idx", condition=Q(revoked_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OidcIdentity(models.Model):
    """A sign-in identity at an OpenID provider (INT-3), bound to one person
    at first link by (issuer, subject) — never by a username or an e-mail
    the provider lets its users choose."""

    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities")
    linked_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SSO identity")
        verbose_name_plural = _("SSO identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_uniq"),
            # One identity per person and provider: a second subject cannot take over an account.
            models.UniqueConstraint(fields=["issuer", "person"], name="oidc_identity_person_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
