"""The member actor: a member acting for themselves through the portal.

A member sees and changes only their own data. Every portal read or write that names an
object by id passes it through :func:`own` first; an object that belongs to someone else is
reported as *not found* (404), never as forbidden (403), so ids of other members' objects
cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import NotFound
from huiyuan.core.permissions import Actor, Role

if TYPE_CHECKING:
    from huiyuan.stores.models import Staff


@dataclass(frozen=True)
class MemberActor:
    """Who acts in the portal: the signed-in member."""

    member_id: int

    @property
    def label(self) -> str:
        return f"member:{self.member_id}"


def _owner_of(obj: Any) -> int | None:
    """The member id an object belongs to (``member_id``, or its card's member)."""
    for attr in ("member_id", "owner_member_id"):
        value = getattr(obj, attr, None)
        if value is not None:
            return int(value)
    card = getattr(obj, "card", None)
    if card is not None and getattr(card, "member_id", None) is not None:
        return int(card.member_id)
    return None


def own(actor: MemberActor, member_id: int | None) -> None:
    """Refuse with NotFound unless ``member_id`` is the acting member's own id.

    Pass the owner id of the object being touched (``card.member_id``,
    ``coupon.member_id``…); ``None`` (no owner) is refused too.
    """
    if member_id is None or int(member_id) != actor.member_id:
        raise NotFound(_("Not found."), code="not_found")


def own_object(actor: MemberActor, obj: Any) -> Any:
    """Return ``obj`` when it belongs to the acting member, else raise NotFound.

    Works for any object with a ``member_id`` or a ``card`` with one; ``None`` is refused.
    """
    if obj is None:
        raise NotFound(_("Not found."), code="not_found")
    own(actor, _owner_of(obj))
    return obj


@dataclass(frozen=True)
class SelfServiceActor(Actor):
    """The staff-shaped actor a member's own act is recorded and checked with.

    Services take an ``Actor``; a member acting for themselves is recorded as
    ``member:<id>`` in the audit log (or ``portal`` before they exist), with the store
    the act happens at. ``role`` only decides what the called service allows.
    """

    member_id: int | None = None

    @property
    def label(self) -> str:
        if self.staff is not None:
            return f"{self.staff.display_name} (portal)"
        if self.member_id is not None:
            return f"member:{self.member_id}"
        return "portal"


def audit_actor(
    member_id: int | None, *, store_id: int | None = None, staff: Staff | None = None
) -> SelfServiceActor:
    """An actor for a member's own act at ``store_id`` (optionally through ``staff``'s QR)."""
    return SelfServiceActor(
        role=Role.CASHIER,
        staff=staff,
        store_ids=frozenset({store_id}) if store_id is not None else None,
        store_id=store_id,
        member_id=member_id,
    )
