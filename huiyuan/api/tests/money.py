"""Helpers for the money endpoint tests: rows made through services, and what must not change."""

from __future__ import annotations

import uuid
from typing import Any

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardType
from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Actor
from huiyuan.ledger.models import Account, IdempotencyKey, Lot, Operation
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.points.services import earn_rule_publish, points_adjust
from huiyuan.stores.models import Staff, Store
from huiyuan.tiers.models import MemberTier
from huiyuan.wallet.models import Recharge, Refund
from huiyuan.wallet.services import recharge_package_create, wallet_recharge


def key() -> str:
    return uuid.uuid4().hex


def at_store(staff: Staff, store: Store) -> Actor:
    """``staff`` acting at ``store`` (as the console would after choosing it)."""
    return staff.as_actor(store_id=store.pk)


def card_type(owner: Actor, code: str = "std", **extra: Any) -> CardType:
    existing = CardType.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return card_services.card_type_create(
        actor=owner,
        code=code,
        name=extra.pop("name", "普通卡"),
        category=extra.pop("category", "tier"),
        validity_months=extra.pop("validity_months", 24),
        **extra,
    )


def member(owner: Actor, store: Store, mobile: str, name: str = "王小明") -> Member:
    return member_register(
        actor=owner,
        data=MemberInput(name=name, mobile=mobile),
        channel="store",
        store_id=store.pk,
    )


def card(actor: Actor, owner: Actor, holder: Member, store: Store, code: str = "std") -> Card:
    return card_services.card_issue(
        actor=actor,
        card_type_id=card_type(owner, code).pk,
        member_id=holder.pk,
        store_id=store.pk,
    )


def rule(owner: Actor) -> None:
    earn_rule_publish(
        actor=owner, code="base", name="每消费1元积1分", unit_fen=100, points_per_unit=1
    )


def fund(
    actor: Actor, owner: Actor, card_obj: Card, principal: int, bonus: int, points: int
) -> None:
    """Recharge ``principal`` (with a package giving ``bonus``) and grant ``points``."""
    package = None
    if bonus:
        package = recharge_package_create(
            actor=owner, name=f"充{principal}送{bonus}", pay_fen=principal, bonus_fen=bonus
        )
    if principal:
        wallet_recharge(
            actor=actor,
            card_id=card_obj.pk,
            amount_fen=principal,
            method="cash",
            package_id=package.pk if package else None,
            idempotency_key=key(),
        )
    if points:
        points_adjust(
            actor=owner, card_id=card_obj.pk, delta=points, reason="开卡礼", idempotency_key=key()
        )


def balances(card_obj: Card) -> dict[str, int]:
    return {a.kind: a.balance for a in Account.objects.filter(card_id=card_obj.pk)}


def money_snapshot() -> dict[str, Any]:
    """Everything a refused money request must leave as it was."""
    return {
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "lots": list(Lot.objects.order_by("pk").values_list("pk", "remaining")),
        "operations": Operation.objects.count(),
        "keys": IdempotencyKey.objects.count(),
        "sales": list(Sale.objects.order_by("pk").values_list("pk", "status", "card_id")),
        "recharges": Recharge.objects.count(),
        "refunds": Refund.objects.count(),
        "cards": list(Card.objects.order_by("pk").values_list("pk", "status", "expires_at")),
        "tiers": list(MemberTier.objects.order_by("pk").values_list("member_id", "tier_id")),
        "members": list(Member.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }
