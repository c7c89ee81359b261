"""The joining link a store's or a staff member's QR code carries.

The link names the joining store, optionally the staff member who signed the member up
(credited as ``registered_by``) and a referring member's code. It is signed, so nobody can
edit it to credit another store or person; it does not expire (it is printed on a poster),
and a store or staff member that is no longer active simply stops being credited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALT = "huiyuan.portal.join"


@dataclass(frozen=True)
class JoinLink:
    store_id: int
    staff_id: int | None = None
    referrer_code: str = ""


def join_link_make(link: JoinLink) -> str:
    """The signed token for ``/m/join/?t=<token>``."""
    payload: dict[str, object] = {"s": link.store_id}
    if link.staff_id is not None:
        payload["st"] = link.staff_id
    if link.referrer_code:
        payload["r"] = link.referrer_code
    return signing.dumps(payload, salt=SALT, compress=True)


def join_link_read(token: str) -> JoinLink | None:
    """The link a token names, or None when it was altered or is not a token at all."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        return None
    staff = payload.get("st")
    referrer = payload.get("r")
    return JoinLink(
        store_id=payload["s"],
        staff_id=staff if isinstance(staff, int) else None,
        referrer_code=referrer if isinstance(referrer, str) else "",
    )
