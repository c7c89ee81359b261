"""Quotes of a basket: priced exactly as ``sale_complete`` would price it now, read without
locks and without writing anything (the quote equals the sale made right after it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.checkout import hooks
from huiyuan.checkout.services import coupon_seam, joining
from huiyuan.checkout.services.common import (
    sale_config,
)
from huiyuan.checkout.services.inputs import (
    BasketSaleInput,
    check_lines,
    check_payment_request,
)
from huiyuan.checkout.services.sale import (
    SaleRequest,
    acting_store,
    basket_request,
    check_enrol,
    price_changes,
    request_methods,
    walk_in_payable,
)
from huiyuan.checkout.services.sale_pricing import (
    member_snapshot,
    notes_of_participants,
    price,
    tier_terms,
)
from huiyuan.core.errors import Conflict
from huiyuan.core.permissions import Actor
from huiyuan.ledger import services as ledger
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.tiers import services as tier_services
from huiyuan.tiers.models import MemberTier

# ----------------------------------------------------------------------------- quotes


@dataclass(frozen=True)
class BasketQuote:
    """What a basket comes to, priced exactly as ``sale_complete`` would price it now."""

    priced: pricing.PricedBasket
    tier_code: str
    points_available: int
    balance_available_fen: int
    price_changes: dict[int, list[dict[str, Any]]]  # line id → notes
    points_per_yuan: int
    participant_notes: tuple[hooks.Note, ...] = ()  # stock, count cards… (hooks)
    joining: str = ""  # a walk-in customer joins: "new", "existing" (has a card), "new_card"
    coupons: coupon_seam.CouponQuote | None = None  # the member's coupons and the proposal


def unlocked_card(card_id: int) -> tuple[Card, MemberTier | None]:
    card = Card.objects.select_related("member").filter(pk=card_id).first()
    if card is None:
        from huiyuan.core.errors import NotFound

        raise NotFound(_("Card not found."), code="card_not_found")
    state = (
        MemberTier.objects.select_related("tier").filter(member_id=card.member_id).first()
        if card.member_id
        else None
    )
    return card, state


def sale_quote_basket(*, actor: Actor, data: BasketSaleInput) -> BasketQuote:
    """Price a basket without writing anything: the same engine, the same inputs as the
    sale (read without locks), so the quote equals the sale made right after it."""
    store_id = acting_store(actor)
    check_lines(data.lines)
    check_payment_request(data.card_id, data.balance_fen, data.points)
    data = check_enrol(data)
    data = dataclasses.replace(data, coupon_codes=coupon_seam.clean_codes(data.coupon_codes))
    now = timezone.now()
    request = basket_request(data, store_id)
    snapshot, tier = None, None
    member = None
    joins, extra_lines = _quote_joining(request, store_id, now)
    if joins == "existing":
        member_card = joining.existing_card(data.enrol.mobile if data.enrol else "")[1]
        data = dataclasses.replace(data, card_id=member_card.pk if member_card else None)
    if data.card_id is not None:
        card, state = unlocked_card(data.card_id)
        scope_require(actor, ScopeOp.SPEND, home_store_id=card.store_id)
        card_require_usable(card, now=now)
        member = card.member
        if member is not None and member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
    config = sale_config(now, with_tiers=member is not None)
    if data.card_id is not None:
        tier = tier_services.tier_of(state, config.tiers) if member is not None else None
        accounts = ledger.card_accounts(card.pk)
        lots = ledger.spendable_lots_of(
            [accounts[Account.Kind.BONUS].pk, accounts[Account.Kind.POINTS].pk], now
        )
        snapshot = member_snapshot(member=member, tier=tier, accounts=accounts, lots=lots, now=now)
    elif joins:  # a new member (or one without a card): the lowest tier, nothing to spend
        config = sale_config(now, with_tiers=True)
        tier = tier_services.tier_of(None, config.tiers)
        snapshot = pricing.MemberSnapshot(tier=tier_terms(tier))
    lines = (*request.lines(now), *extra_lines)
    chosen_coupons = coupon_seam.chosen(
        data.coupon_codes, member_id=member.pk if member else None, now=now, lock=False
    )
    priced = price(
        lines,
        store_id=store_id,
        now=now,
        member=snapshot,
        config=config,
        points=data.points,
        balance_fen=data.balance_fen,
        coupons=chosen_coupons,
    )
    return BasketQuote(
        priced=priced,
        tier_code=tier.code if tier else "",
        points_available=snapshot.points_available if snapshot else 0,
        balance_available_fen=(
            snapshot.principal_available + snapshot.bonus_available if snapshot else 0
        ),
        price_changes=price_changes(lines, request.quoted),
        points_per_yuan=config.points_policy.points_per_yuan,
        participant_notes=tuple(
            notes_of_participants(
                priced,
                store_id=store_id,
                lock=None,
                now=now,
                completing=False,
                member_id=member.pk if member else None,
                card_id=data.card_id,
            )
        ),
        joining=joins,
        coupons=coupon_seam.quote(
            lines,
            store_id=store_id,
            now=now,
            member=snapshot,
            member_id=member.pk if member else None,
            chosen_terms=chosen_coupons,
            has_promotions=config.has_promotions,
        ),
    )


def _quote_joining(
    request: SaleRequest, store_id: int, now: dt.datetime
) -> tuple[str, tuple[pricing.Line, ...]]:
    """What enrolment a walk-in customer's mobile leads to, as the sale would decide it:
    "" (none), "new" (registered by the sale, with the fee line) or "existing"."""
    if request.card_id is not None or request.enrol is None:
        return "", ()
    policy = joining.joining_policy()
    member, card = joining.existing_card(request.enrol.mobile)
    if member is not None and member.status != Member.Status.ACTIVE:
        return "", ()
    lines = request.lines(now)
    due = joining.is_due(
        policy,
        explicit=request.enrol.explicit,
        walk_in_payable_fen=(
            walk_in_payable(lines, store_id, now)
            if policy.mode == policy.Mode.SPEND_THRESHOLD and not request.enrol.explicit
            else 0
        ),
        methods=request_methods(request),
    )
    if not due:
        return "", ()
    if member is not None:
        return ("existing" if card is not None else "new_card"), ()
    fee = (joining.fee_line(policy.fee_fen, len(lines) + 1),) if policy.fee_fen else ()
    return "new", fee
