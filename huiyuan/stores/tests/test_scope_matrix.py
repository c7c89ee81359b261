"""Store × role × operation: the 通存通兑 policy, enforced in every card and money service.

The actors are those of ``conftest.py`` (store-scoped roles work at S01 only; chain-wide
staff choose S01 as the counter they work at) plus a cashier's and a store manager's
terminal key at S01. Each operation is tried on something belonging to S01 (own) and to
S02 (other). An allowed operation does what it says; a refused one raises its specific
code — ``permission_denied`` when the role lacks the permission, ``out_of_store_scope``
when the policy keeps the operation at the home store — and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as cards
from huiyuan.cards.models import Card, CardHolder, CardType
from huiyuan.checkout import services as checkout
from huiyuan.checkout.models import Sale
from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import ROLE_PERMS, Actor, Perm, Role
from huiyuan.ledger.models import Account, IdempotencyKey, Lot, Operation
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.points.services import earn_rule_publish, points_adjust, points_revoke
from huiyuan.stores.models import Store
from huiyuan.stores.scope import DEFAULT_POLICY, OPS, Reach, ScopeOp
from huiyuan.stores.services import api_key_create, store_scope_policy_update
from huiyuan.tiers.models import MemberTier, TierChange
from huiyuan.tiers.services import tier_create, tier_move
from huiyuan.wallet.models import Recharge, Refund
from huiyuan.wallet.services import wallet_recharge, wallet_refund

pytestmark = pytest.mark.django_db


def key() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------------------- the world


@dataclass
class Target:
    """What an operation works on, all belonging to ``store``."""

    store: Store
    member: Member
    card: Card
    extra: dict[str, Any] = field(default_factory=dict)


_mobiles = iter(range(13_700_000_000, 13_800_000_000))


def _member(owner: Actor, store: Store, name: str = "王小明") -> Member:
    return member_register(
        actor=owner,
        data=MemberInput(name=name, mobile=str(next(_mobiles))),
        channel="store",
        store_id=store.pk,
    )


def _card(at: Actor, member: Member, store: Store, code: str = "std") -> Card:
    card_type = CardType.objects.get(code=code)
    return cards.card_issue(
        actor=at, card_type_id=card_type.pk, member_id=member.pk, store_id=store.pk
    )


def _balance(card: Card, kind: str) -> int:
    return Account.objects.get(card_id=card.pk, kind=kind).balance


def snapshot() -> dict[str, Any]:
    """Everything a refused operation must leave as it was."""
    return {
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "lots": list(Lot.objects.order_by("pk").values_list("pk", "remaining")),
        "operations": Operation.objects.count(),
        "keys": IdempotencyKey.objects.count(),
        "sales": list(Sale.objects.order_by("pk").values_list("pk", "status", "card_id")),
        "recharges": Recharge.objects.count(),
        "refunds": Refund.objects.count(),
        "cards": list(
            Card.objects.order_by("pk").values_list("pk", "status", "expires_at", "store_id")
        ),
        "holders": CardHolder.objects.count(),
        "tiers": list(MemberTier.objects.order_by("pk").values_list("member_id", "tier_id")),
        "tier_changes": TierChange.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# ------------------------------------------------------------------------ the operations


@dataclass(frozen=True)
class Op:
    """How to set up, perform and check one operation of the policy."""

    op: ScopeOp
    perm: Perm
    run: Callable[[Actor, Target], Any]
    check: Callable[[Target, Any], None]
    prepare: Callable[[Actor, Target], None] = lambda at, t: None
    funded: bool = True


def _prepare_lost(at: Actor, t: Target) -> None:
    cards.card_report_lost(actor=at, card_id=t.card.pk, reason="丢失")


def _prepare_empty(at: Actor, t: Target) -> None:
    t.extra["empty"] = _card(at, t.member, t.store)


def _prepare_family(at: Actor, t: Target) -> None:
    t.extra["family"] = _card(at, t.member, t.store, code="family")
    t.extra["second"] = _member(at, t.store, name="李四")


def _prepare_grant(at: Actor, t: Target) -> None:
    t.extra["grant"] = points_adjust(
        actor=at, card_id=t.card.pk, delta=10, reason="活动", idempotency_key=key()
    )


def _prepare_sale(at: Actor, t: Target) -> None:
    t.extra["sale"] = checkout.sale_quick(
        actor=at,
        data=checkout.QuickSaleInput(amount_fen=1000, card_id=t.card.pk, balance_fen=1000),
        idempotency_key=key(),
    )


def _prepare_walkin(at: Actor, t: Target) -> None:
    t.extra["sale"] = checkout.sale_quick(
        actor=at,
        data=checkout.QuickSaleInput(amount_fen=1000, external_method="cash"),
        idempotency_key=key(),
    )


def _prepare_tier(at: Actor, t: Target) -> None:
    t.extra["tier"] = tier_create(actor=at, code="gold", name="金卡", level=2)


def _sale_check(t: Target, sale: Sale) -> None:
    assert (sale.paid_principal_fen, sale.card_id) == (1000, t.card.pk)
    assert _balance(t.card, Account.Kind.PRINCIPAL) == 9000


def _reissue_check(t: Target, new: Card) -> None:
    t.card.refresh_from_db()
    assert (t.card.status, t.card.replaced_by_id) == (Card.Status.VOID, new.pk)
    assert _balance(new, Account.Kind.PRINCIPAL) == 10000


def _renew_check(t: Target, card: Card) -> None:
    assert card.expires_at is not None and t.card.expires_at is not None
    assert card.expires_at > t.card.expires_at + dt.timedelta(days=300)


def _reverse_check(t: Target, sale: Sale) -> None:
    assert sale.status == Sale.Status.REVERSED
    assert _balance(t.card, Account.Kind.PRINCIPAL) == 10000


OPERATIONS = [
    Op(
        ScopeOp.CARD_ISSUE,
        Perm.CARD_ISSUE,
        run=lambda a, t: cards.card_issue(
            actor=a,
            card_type_id=CardType.objects.get(code="std").pk,
            member_id=t.member.pk,
            store_id=t.store.pk,
        ),
        check=lambda t, card: None if card.store_id == t.store.pk else pytest.fail("store"),
        funded=False,
    ),
    Op(
        ScopeOp.SPEND,
        Perm.SALE_CREATE,
        run=lambda a, t: checkout.sale_quick(
            actor=a,
            data=checkout.QuickSaleInput(amount_fen=1000, card_id=t.card.pk, balance_fen=1000),
            idempotency_key=key(),
        ),
        check=_sale_check,
    ),
    Op(
        ScopeOp.RECHARGE,
        Perm.WALLET_RECHARGE,
        run=lambda a, t: wallet_recharge(
            actor=a, card_id=t.card.pk, amount_fen=1000, method="cash", idempotency_key=key()
        ),
        check=lambda t, r: (
            None if _balance(t.card, Account.Kind.PRINCIPAL) == 11000 else pytest.fail("balance")
        ),
    ),
    Op(
        ScopeOp.REPORT_LOST,
        Perm.CARD_MANAGE,
        run=lambda a, t: cards.card_report_lost(actor=a, card_id=t.card.pk, reason="丢失"),
        check=lambda t, card: None if card.status == Card.Status.LOST else pytest.fail("lost"),
    ),
    Op(
        ScopeOp.MARK_FOUND,
        Perm.CARD_MANAGE,
        prepare=_prepare_lost,
        run=lambda a, t: cards.card_unreport_lost(actor=a, card_id=t.card.pk, reason="找到"),
        check=lambda t, card: None if card.status == Card.Status.ACTIVE else pytest.fail("found"),
    ),
    Op(
        ScopeOp.RENEW,
        Perm.CARD_MANAGE,
        run=lambda a, t: cards.card_renew(actor=a, card_id=t.card.pk, months=12),
        check=_renew_check,
    ),
    Op(
        ScopeOp.REISSUE,
        Perm.CARD_MANAGE,
        run=lambda a, t: cards.card_reissue(
            actor=a, card_id=t.card.pk, idempotency_key=key(), reason="补卡"
        ),
        check=_reissue_check,
    ),
    Op(
        ScopeOp.CANCEL,
        Perm.CARD_MANAGE,
        prepare=_prepare_empty,
        run=lambda a, t: cards.card_cancel(actor=a, card_id=t.extra["empty"].pk, reason="不用了"),
        check=lambda t, card: (
            None if card.status == Card.Status.CANCELLED else pytest.fail("cancel")
        ),
    ),
    Op(
        ScopeOp.ADD_HOLDER,
        Perm.CARD_ISSUE,
        prepare=_prepare_family,
        run=lambda a, t: cards.card_add_holder(
            actor=a, card_id=t.extra["family"].pk, member_id=t.extra["second"].pk
        ),
        check=lambda t, holder: (
            None
            if (holder.card_id, holder.member_id) == (t.extra["family"].pk, t.extra["second"].pk)
            else pytest.fail("holder")
        ),
    ),
    Op(
        ScopeOp.REFUND,
        Perm.WALLET_REFUND,
        run=lambda a, t: wallet_refund(
            actor=a,
            card_id=t.card.pk,
            amount_fen=1000,
            method="cash",
            reason="退款",
            idempotency_key=key(),
        ),
        check=lambda t, r: (
            None if _balance(t.card, Account.Kind.PRINCIPAL) == 9000 else pytest.fail("refund")
        ),
    ),
    Op(
        ScopeOp.POINTS_ADJUST,
        Perm.POINTS_ADJUST,
        run=lambda a, t: points_adjust(
            actor=a, card_id=t.card.pk, delta=10, reason="活动", idempotency_key=key()
        ),
        check=lambda t, op: (
            None if _balance(t.card, Account.Kind.POINTS) == 110 else pytest.fail("points")
        ),
    ),
    Op(
        ScopeOp.POINTS_REVOKE,
        Perm.POINTS_ADJUST,
        prepare=_prepare_grant,
        run=lambda a, t: points_revoke(
            actor=a,
            operation_id=t.extra["grant"].pk,
            card_id=t.card.pk,
            reason="发错了",
            idempotency_key=key(),
        ),
        check=lambda t, op: (
            None if _balance(t.card, Account.Kind.POINTS) == 100 else pytest.fail("revoke")
        ),
    ),
    Op(
        ScopeOp.POINTS_SUPPLEMENT,
        Perm.SALE_CREATE,
        prepare=_prepare_walkin,
        run=lambda a, t: checkout.sale_supplement_points(
            actor=a, sale_number=t.extra["sale"].number, card_id=t.card.pk, idempotency_key=key()
        ),
        check=lambda t, sale: (
            None
            if (sale.card_id, sale.points_earned) == (t.card.pk, 10)
            else pytest.fail("supplement")
        ),
    ),
    Op(
        ScopeOp.SALE_REVERSE,
        Perm.SALE_REVERSE,
        prepare=_prepare_sale,
        run=lambda a, t: checkout.sale_reverse(
            actor=a, sale_id=t.extra["sale"].pk, reason="退货", idempotency_key=key()
        ),
        check=_reverse_check,
    ),
    Op(
        ScopeOp.TIER_MOVE,
        Perm.TIER_MOVE,
        prepare=_prepare_tier,
        run=lambda a, t: tier_move(
            actor=a, member_id=t.member.pk, tier_id=t.extra["tier"].pk, reason="贵宾"
        ),
        check=lambda t, tier: (
            None
            if MemberTier.objects.get(member=t.member).tier_id == t.extra["tier"].pk
            else pytest.fail("tier")
        ),
    ),
]


def test_every_operation_of_the_policy_is_in_the_matrix():
    assert [o.op for o in OPERATIONS] == list(ScopeOp)


# ------------------------------------------------------------------------------ actors

ACTORS = [
    *(("staff", role) for role in Role),
    ("key", Role.CASHIER),
    ("key", Role.STORE_MANAGER),
]
STORE_SCOPED = [a for a in ACTORS if a[0] == "key" or a[1] in (Role.STORE_MANAGER, Role.CASHIER)]


def _actor(who: tuple[str, Role], staff, stores, terminal, owner) -> Actor:
    kind, role = who
    if kind == "key":
        api_key, _secret = api_key_create(
            actor=owner, terminal_id=terminal.pk, name="POS", role=role
        )
        return api_key.as_actor()
    # Everyone works at the S01 counter; store-scoped staff can only be there anyway.
    return staff[role].as_actor(store_id=stores[0].pk)


@pytest.fixture
def world(owner, staff, stores):
    card_type_std = cards.card_type_create(
        actor=owner, code="std", name="普通卡", category="tier", validity_months=24
    )
    cards.card_type_create(
        actor=owner, code="family", name="家庭卡", category="tier", holding="family"
    )
    earn_rule_publish(
        actor=owner, code="base", name="每消费1元积1分", unit_fen=100, points_per_unit=1
    )
    assert card_type_std.validity_months == 24

    def target(store: Store, operation: Op) -> Target:
        at = staff[Role.OWNER].as_actor(store_id=store.pk)
        member = _member(owner, store)
        card = _card(at, member, store)
        if operation.funded:
            wallet_recharge(
                actor=at, card_id=card.pk, amount_fen=10000, method="cash", idempotency_key=key()
            )
            points_adjust(
                actor=at, card_id=card.pk, delta=100, reason="开卡礼", idempotency_key=key()
            )
        made = Target(store=store, member=member, card=card)
        operation.prepare(at, made)
        made.card.refresh_from_db()
        return made

    return target


def _expected(who: tuple[str, Role], operation: Op, home: str, policy: dict) -> str | None:
    """None when the operation must succeed, else the refusal's code."""
    if operation.perm not in ROLE_PERMS[who[1]]:
        return "permission_denied"
    if home == "own" or who not in STORE_SCOPED or policy[operation.op] == Reach.CHAIN:
        return None
    return "out_of_store_scope"


def _try(actor: Actor, operation: Op, target: Target, expected: str | None) -> None:
    if expected is None:
        result = operation.run(actor, target)
        operation.check(target, result)
        return
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        operation.run(actor, target)
    assert refused.value.code == expected
    if expected == "out_of_store_scope":
        assert refused.value.details == {
            "operation": operation.op.value,
            "store_id": target.store.pk,
        }
    else:
        assert refused.value.details == {"permission": operation.perm.value}
    assert snapshot() == before


# -------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("home", ["own", "other"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.op.value)
@pytest.mark.parametrize("who", ACTORS, ids=lambda w: f"{w[0]}-{w[1].value}")
def test_matrix(world, staff, stores, terminal, owner, who, operation, home):
    target = world(stores[0] if home == "own" else stores[1], operation)
    actor = _actor(who, staff, stores, terminal, owner)
    _try(actor, operation, target, _expected(who, operation, home, DEFAULT_POLICY))


INVERTED = {
    op: (Reach.HOME if reach == Reach.CHAIN else Reach.CHAIN) if OPS[op].configurable else reach
    for op, reach in DEFAULT_POLICY.items()
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.op.value)
@pytest.mark.parametrize("who", STORE_SCOPED, ids=lambda w: f"{w[0]}-{w[1].value}")
def test_the_chains_policy_decides_for_another_stores_card(
    world, staff, stores, terminal, owner, who, operation
):
    """With every configurable reach turned round, what was refused at another store is
    allowed and what was allowed is refused (card issue stays at one's own stores)."""
    store_scope_policy_update(
        actor=owner,
        rules={op.value: reach.value for op, reach in INVERTED.items() if OPS[op].configurable},
    )
    target = world(stores[1], operation)
    actor = _actor(who, staff, stores, terminal, owner)
    _try(actor, operation, target, _expected(who, operation, "other", INVERTED))
