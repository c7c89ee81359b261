"""Where a webhook may be sent: an http(s) URL whose host resolves to public addresses only.

A merchant's staff choose the URL, and the server makes the request: without a guard a
subscription could reach the server's own network (the database, a cloud metadata
service). So the URL is checked when it is saved (its shape; an address or ``localhost``
written in it) and again at each send, after resolving the name: every address must be
global, and the request goes to the address that was checked (a name that resolves
differently a moment later — DNS rebinding — changes nothing). Redirects are not followed.
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` lifts the address rule (a receiver on the same machine,
tests).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import ValidationFailed
from huiyuan.webhooks import conf

MAX_URL_LENGTH = 500
LOCAL_NAMES = ("localhost", "localhost.localdomain")


class TargetRefused(Exception):
    """The target resolves to an address the guard does not allow (or does not resolve)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query


def _address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if conf.allow_private_targets():
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _invalid(message: str | Promise) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_webhook_url", field="url")


def target_parse(url: str) -> Target:
    """The URL's parts, or ``invalid_webhook_url`` (a private address written in it, too)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise _invalid(_("Enter an http or https URL of at most 500 characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid(_("Enter an http or https URL of at most 500 characters.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(_("Enter an http or https URL of at most 500 characters."))
    if parts.username or parts.password or parts.fragment or any(c.isspace() for c in url):
        raise _invalid(_("The URL must not hold a user name, a password or a fragment."))
    host = parts.hostname
    literal = _literal(host)
    local = host.lower().rstrip(".") in LOCAL_NAMES or host.lower().endswith(".localhost")
    if (literal is not None and not _address_allowed(literal)) or (
        local and not conf.allow_private_targets()
    ):
        raise _invalid(_("Webhooks cannot be sent to private, loopback or link-local addresses."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        path=path,
    )


def target_resolve(target: Target) -> str:
    """The address to connect to: the first one the name resolves to, when every one of
    them is allowed. Raises ``TargetRefused`` otherwise."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"cannot resolve {target.host}: {exc}") from exc
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not addresses:
        raise TargetRefused(f"{target.host} has no address")
    for text in addresses:
        address = ipaddress.ip_address(text)
        if not _address_allowed(address):
            raise TargetRefused(f"{target.host} resolves to a non-public address ({address})")
    return addresses[0]
