"""Who is knocking: the client's address, behind as many trusted proxies as configured."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or the one the trusted proxies forwarded.

    With ``TRUSTED_PROXY_COUNT`` = n, each proxy appends the address it was reached from,
    so the client is the n-th entry of X-Forwarded-For from the right; anything left of it
    was written by the client and is ignored.
    """
    candidate = request.META.get("REMOTE_ADDR") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
