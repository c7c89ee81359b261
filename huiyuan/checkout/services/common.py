"""What every sale service shares: receipt numbers, the configuration a sale reads in one
query, the store a sale is booked at, and the pricing engine's refusals as domain errors."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.checkout.models import Promotion, Sale
from huiyuan.checkout.selectors import promotions_in_force_q
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.retry import RetryTransaction
from huiyuan.ledger.errors import InsufficientBalance
from huiyuan.points.models import PointsPolicy
from huiyuan.pricing import PaymentPolicy, PricingError, SpendOrder
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier
from huiyuan.wallet.models import WalletPolicy

MAX_SALE_FEN = 100_000_000


def split_balance(order: str, amount: int, principal: int, bonus: int) -> tuple[int, int]:
    """How much of ``amount`` comes from principal and from bonus under ``order``.

    The pricing engine's ``split_balance`` makes the same split; this one refuses with the
    ledger's ``InsufficientBalance``."""
    if amount > principal + bonus:
        raise InsufficientBalance("balance", amount, principal + bonus)
    if order == WalletPolicy.SpendOrder.BONUS_FIRST:
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    if order == WalletPolicy.SpendOrder.PROPORTIONAL and principal + bonus:
        from_bonus = min(bonus, amount * bonus // (principal + bonus))
        from_principal = min(principal, amount - from_bonus)
        return from_principal, amount - from_principal
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def receipt_number(store: Store, now: dt.datetime, prefix: str = "") -> str:
    stamp = f"{timezone.localtime(now):%y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
    return f"{prefix}{store.code}{stamp}"


# ---------------------------------------------------------------------- configuration

_POLICY_FIELDS = ("points_per_yuan", "max_offset_percent", "expiry", "expiry_days", "pending_days")


@dataclass(frozen=True)
class SaleConfig:
    """What a sale reads of the chain's configuration, in one query where it can."""

    tiers: list[Tier]  # highest level first
    points_policy: PointsPolicy
    spend_order: str
    has_promotions: bool

    @property
    def payment_policy(self) -> PaymentPolicy:
        return PaymentPolicy(
            points_per_yuan=self.points_policy.points_per_yuan,
            max_offset_percent=self.points_policy.max_offset_percent,
            spend_order=SpendOrder(self.spend_order),
        )


def _policy_annotations(at: dt.datetime) -> dict[str, object]:
    policy = PointsPolicy.objects.filter(pk=PointsPolicy.current_pk())
    wallet = WalletPolicy.objects.filter(pk=WalletPolicy.current_pk())
    annotations: dict[str, object] = {
        f"pp_{name}": Subquery(policy.values(name)[:1]) for name in _POLICY_FIELDS
    }
    annotations["wallet_spend_order"] = Subquery(wallet.values("spend_order")[:1])
    annotations["promotions_now"] = Exists(Promotion.objects.filter(promotions_in_force_q(at)))
    return annotations


def sale_config(at: dt.datetime, *, with_tiers: bool) -> SaleConfig:
    """Tiers (for a member), the points and wallet policies and whether any promotion is in
    force, in ONE query: the tier rows carry the policies. Without tiers (a walk-in sale, or a
    chain with none) the policy row carries them instead; on first use the rows are made."""
    annotations = _policy_annotations(at)
    rows: list[Tier] = []
    if with_tiers:
        rows = list(Tier.objects.annotate(**annotations).order_by("-level"))  # type: ignore[arg-type]
    carrier: Any = rows[0] if rows else None  # a row with the annotations
    if carrier is None:
        carrier = (
            PointsPolicy.objects.annotate(**annotations)  # type: ignore[arg-type]
            .filter(pk=PointsPolicy.current_pk())
            .first()
        )
    if carrier is None or carrier.pp_points_per_yuan is None or carrier.wallet_spend_order is None:
        PointsPolicy.current(), WalletPolicy.current()  # first use: create the rows
        return sale_config(at, with_tiers=with_tiers)
    policy = PointsPolicy(
        pk=PointsPolicy.current_pk(),
        **{name: getattr(carrier, f"pp_{name}") for name in _POLICY_FIELDS},
    )
    return SaleConfig(
        tiers=rows,
        points_policy=policy,
        spend_order=carrier.wallet_spend_order,
        has_promotions=bool(carrier.promotions_now),
    )


_STORE_CACHE: dict[int, Store] = {}


def store_for_receipt(store_id: int) -> Store:
    """The store (id and code) a sale is booked at; remembered per process."""
    store = _STORE_CACHE.get(store_id)
    if store is None:
        store = Store.objects.only("pk", "code").get(pk=store_id)
        transaction.on_commit(lambda: _STORE_CACHE.setdefault(store_id, store))
    return store


def sale_create(*, store: Store, now: dt.datetime, **fields: object) -> Sale:
    """Insert a sale under a fresh receipt number. On the rare collision (same store, same
    second, same six random digits) the whole transaction runs again with a new draw."""
    try:
        return Sale.objects.create(number=receipt_number(store, now), store=store, **fields)  # type: ignore[arg-type]
    except IntegrityError as exc:
        raise RetryTransaction() from exc


def sale_load(sale_id: int) -> Sale:
    return Sale.objects.select_related("member", "card", "store").get(pk=sale_id)


# ---------------------------------------------------------------- the engine's refusals

_LINE_MESSAGES = {
    "duplicate_line": _("The same line appears twice."),
    "invalid_line": _("Give each line a quantity or an amount, not both."),
    "invalid_price": _("This product has no valid price."),
    "invalid_quantity": _("Enter a quantity above zero."),
    "fractional_quantity": _("This product is sold in whole units only."),
    "amount_only_not_divisible": _(
        "Only products sold by measure (fuel, loose goods) can be sold by amount."
    ),
    "invalid_amount": _("Enter an amount above zero."),
    "amount_too_small": _("The amount buys less than a thousandth of a unit."),
    "invalid_bundle": _("The bundle's items are invalid."),
    "invalid_rule": _("A promotion in force is misconfigured; ask head office to check it."),
    "invalid_policy": _("The points or stored-value policy is misconfigured."),
    "card_required": _("Paying by balance or points needs a card."),
    "return_exceeds_sold": _("More would come back than was sold."),
}


def _why(params: dict[str, int | str]) -> str:
    """Why a coupon was refused, in the words the counter uses (the engine's words)."""
    from huiyuan.pricing.reasons import COUPON_WHY_ZH

    why = str(params.get("why", ""))
    return COUPON_WHY_ZH.get(why, why)


def pricing_refusal(error: PricingError) -> DomainError:
    """The engine's refusal as the domain error the API and the console show."""
    code, p = error.code, error.params
    if code == "insufficient_points":
        return InsufficientBalance("points", int(p["requested"]), int(p["available"]))
    if code == "insufficient_balance":
        return InsufficientBalance("balance", int(p["requested"]), int(p["available"]))
    if code == "member_spend_frozen":
        return Conflict(_("Spending is frozen for this member."), code=code)
    if code == "invalid_points":
        return ValidationFailed(
            _("Points must make whole fen: %(n)s points are worth ¥1.")
            % {"n": p["points_per_yuan"]},
            code=code,
            field="points",
        )
    if code == "points_offset_too_high":
        return ValidationFailed(
            _("Points may pay at most %(pct)s%% of this bill.") % {"pct": p["max_offset_percent"]},
            code=code,
            field="points",
        )
    if code == "overpaid":
        return ValidationFailed(
            _("The payments exceed the amount due (%(due)s).")
            % {"due": fen_to_yuan_str(int(p["payable_fen"]))},
            code=code,
        )
    if code in ("coupon_not_applicable", "coupon_combination"):
        return ValidationFailed(
            _("These coupons cannot be used on this sale (%(why)s).")
            % {"why": " ".join(str(v) for v in (p.get("coupon", ""), _why(p)) if v)},
            code=code,
            field="coupons",
            details=dict(p),
        )
    message = _LINE_MESSAGES.get(code, _("This sale cannot be priced."))
    return ValidationFailed(message, code=code, details=dict(p))
