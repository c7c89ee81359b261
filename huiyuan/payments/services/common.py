"""What the payment services share: who acts, and the system actor that books a recharge."""

from __future__ import annotations

from dataclasses import dataclass

from huiyuan.core.permissions import Actor, Role
from huiyuan.selfservice.actor import MemberActor


@dataclass(frozen=True)
class MemberSelf(Actor):
    """A member acting for themselves, as the audit log records them (``member:<id>``).

    It holds no staff permission (no store), so only services written for members accept it.
    """

    member_id: int = 0

    @property
    def label(self) -> str:
        return f"member:{self.member_id}"


def member_self(actor: MemberActor) -> MemberSelf:
    return MemberSelf(role=Role.CASHIER, store_ids=frozenset(), member_id=actor.member_id)


def booking_actor(store_id: int) -> Actor:
    """The system, acting at the order's store, books a verified payment as a recharge."""
    return Actor(role=Role.OWNER, store_id=store_id)
