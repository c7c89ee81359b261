"""Rows made through services, for the money tests."""

from __future__ import annotations

import itertools
import uuid

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardType
from huiyuan.core.permissions import Actor
from huiyuan.ledger import services as ledger
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.points.services import earn_rule_publish

_mobiles = itertools.count(13000000000)


def key() -> str:
    return uuid.uuid4().hex


def card_type(owner: Actor, code: str = "std", **extra) -> CardType:
    return card_services.card_type_create(
        actor=owner,
        code=code,
        name=extra.pop("name", "普通卡"),
        category=extra.pop("category", "tier"),
        **extra,
    )


def member(actor: Actor, name: str = "王小明") -> Member:
    return member_register(
        actor=actor,
        data=MemberInput(name=name, mobile=str(next(_mobiles) + 800000000)),
        channel="store",
    )


def card(
    actor: Actor, owner: Actor, *, ctype: CardType | None = None, holder: Member | None = None
) -> Card:
    ctype = ctype or CardType.objects.filter(code="std").first() or card_type(owner)
    holder = holder or member(actor)
    return card_services.card_issue(actor=actor, card_type_id=ctype.pk, member_id=holder.pk)


def balances(card_obj: Card) -> dict[str, int]:
    return {a.kind: a.balance for a in Account.objects.filter(card_id=card_obj.pk)}


def lots(card_obj: Card) -> list[tuple[str, int, int]]:
    return [
        (lot.account.kind, lot.amount, lot.remaining)
        for lot in Lot.objects.filter(account__card_id=card_obj.pk)
        .select_related("account")
        .order_by("pk")
    ]


def default_rule(owner: Actor, **extra) -> None:
    earn_rule_publish(
        actor=owner, code="base", name="每消费1元积1分", unit_fen=100, points_per_unit=1, **extra
    )


__all__ = ["balances", "card", "card_type", "default_rule", "key", "ledger", "lots", "member"]
