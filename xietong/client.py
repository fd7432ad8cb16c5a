"""The client's address, for rate limits, sign-in lockout and the audit trail.

Behind reverse proxies (a TLS terminator, a load balancer) every request
arrives from the proxy, so REMOTE_ADDR is the same for everyone. With
XIETONG_TRUSTED_PROXIES=N, the address is the one N hops back in
X-Forwarded-For: each trusted proxy appends the address it received from,
so the N-th entry from the right is what the outermost trusted proxy saw.
Entries further left were written by the client and are not trusted.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104 — a placeholder, never bound
    hops = getattr(settings, "XIETONG_TRUSTED_PROXIES", 0)
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote  # not through all the proxies we were told of: take what we see
    return _valid(forwarded[-hops]) or remote
