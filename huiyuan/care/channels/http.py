"""A small HTTP client for the providers (standard library): a timeout, a bounded read."""

from __future__ import annotations

import urllib.error
import urllib.request

MAX_READ = 64 * 1024


class ProviderUnreachable(Exception):
    pass


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """(status, text) of the answer; raises ProviderUnreachable when there is none."""
    if not url.startswith(("https://", "http://")):
        raise ProviderUnreachable(f"not an http(s) address: {url[:40]}")
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - checked above
            return resp.status, resp.read(MAX_READ).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_READ).decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise ProviderUnreachable(f"{type(exc).__name__}: {exc}") from exc
