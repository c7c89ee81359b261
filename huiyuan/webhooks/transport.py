"""One HTTP POST to a vetted address (``targets``), with a timeout, no redirects and a
bounded read of the answer. Standard library only (``http.client``)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from huiyuan.webhooks.targets import Target, TargetRefused, target_resolve

MAX_READ = 64 * 1024
EXCERPT_LENGTH = 1000
ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to ``address`` while speaking to ``host`` (the Host header)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to ``address``, checking the certificate against ``host`` (SNI too)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """Send ``body``; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def done(status: int | None, excerpt: str = "", error: str = "") -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, excerpt[:EXCERPT_LENGTH], error[:ERROR_LENGTH], elapsed)

    try:
        address = target_resolve(target)
    except TargetRefused as exc:
        return done(None, error=f"refused: {exc}")
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target.host, target.port, address=address, timeout=timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(MAX_READ)
        return done(response.status, data.decode("utf-8", errors="replace"))
    except (OSError, http.client.HTTPException) as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
