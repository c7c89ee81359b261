"""Demo money: card types, tiers, packages, an earn rule, then cards, recharges and sales
made through the services at each store's counter (so the ledger, lots, receipts and
audit trail are real and ``verify-ledger`` passes).

Idempotent: configuration is matched by code or name; a member who already holds a card
is skipped, so a second run adds nothing.
"""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardType
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import DomainError
from huiyuan.members.models import Member
from huiyuan.points.models import EarnRule
from huiyuan.points.services import earn_rule_publish
from huiyuan.tiers.models import Tier
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import RechargePackage
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

if TYPE_CHECKING:
    from huiyuan.demo.loader import Org

CARD_TYPES: tuple[dict[str, Any], ...] = (
    {"code": "standard", "name": "会员卡", "category": "tier", "validity_months": 24},
    {
        "code": "family",
        "name": "家庭卡",
        "category": "multi",
        "holding": "family",
        "max_holders": 4,
    },
    {"code": "gift", "name": "不记名储值卡", "category": "service", "anonymous": True},
)
TIERS: tuple[dict[str, Any], ...] = (
    {"code": "normal", "name": "普通会员", "level": 1, "threshold": 0},
    {"code": "silver", "name": "银卡会员", "level": 2, "threshold": 200_000, "retention": 100_000,
     "discount_permille": 980, "points_multiplier_pct": 120, "privileges": "生日双倍积分；免费停车2小时"},
    {"code": "gold", "name": "金卡会员", "level": 3, "threshold": 500_000, "retention": 300_000,
     "discount_permille": 950, "points_multiplier_pct": 150, "privileges": "95折；专属客服；生日礼"},
    {"code": "platinum", "name": "白金会员", "level": 4, "threshold": 1_000_000,
     "retention": 600_000, "discount_permille": 900, "points_multiplier_pct": 200,
     "privileges": "9折；贵宾室；免费洗车"},
)  # fmt: skip
PACKAGES = (
    ("充500送50", 50_000, 5_000),
    ("充1000送150", 100_000, 15_000),
    ("充2000送400", 200_000, 40_000),
)
CATEGORIES = ("", "", "92#汽油", "95#汽油", "便利店", "洗车", "餐饮")
CASHIERS = {
    "HZ01": ("cashier1a", "cashier1b"),
    "HZ02": ("cashier2a", "cashier2b"),
    "HZ03": ("cashier3a", "cashier3b"),
}
DEFAULT_CARDHOLDERS = 400


def load_money_settings(org: Org) -> None:
    """Card types, tiers, recharge packages and the base earn rule."""
    hq = org.actor("hq")
    for spec in CARD_TYPES:
        if not CardType.objects.filter(code=spec["code"]).exists():
            card_services.card_type_create(actor=hq, **spec)
    for spec in TIERS:
        if not Tier.objects.filter(code=spec["code"]).exists():
            tier_create(actor=hq, **spec)
    for name, pay, bonus in PACKAGES:
        if not RechargePackage.objects.filter(name=name).exists():
            recharge_package_create(
                actor=hq, name=name, pay_fen=pay, bonus_fen=bonus, bonus_valid_days=365
            )
    if not EarnRule.objects.filter(code="base").exists():
        earn_rule_publish(
            actor=hq,
            code="base",
            name="消费每满1元积1分",
            unit_fen=100,
            points_per_unit=1,
            rounding="floor",
            excluded_categories=["团购"],
            birthday_multiplier_pct=200,
            special_days=[{"weekday": 3, "multiplier_pct": 200, "label": "周三会员日"}],
            cap_per_day=20_000,
        )


def load_cards_and_sales(
    org: Org, *, cardholders: int = DEFAULT_CARDHOLDERS, seed: int = 2026
) -> int:
    """Issue cards to the earliest members and give them recharges and sales. Returns cards issued."""
    rng = random.Random(seed)
    standard = CardType.objects.get(code="standard")
    packages = list(RechargePackage.objects.filter(is_active=True).order_by("pay_fen"))
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, earn_frozen=False, spend_frozen=False)
        .select_related("home_store")
        .order_by("joined_at", "id")[:cardholders]
    )
    holding = set(Card.objects.filter(member__in=members).values_list("member_id", flat=True))
    issued = 0
    for member in members:
        if member.pk in holding:
            continue
        store_code = member.home_store.code
        cashier = org.actor(rng.choice(CASHIERS.get(store_code, CASHIERS["HZ01"])))
        with transaction.atomic():
            card = card_services.card_issue(
                actor=cashier,
                card_type_id=standard.pk,
                member_id=member.pk,
                store_id=member.home_store_id,
            )
            if rng.random() < 0.7:
                package = rng.choice(packages) if rng.random() < 0.6 else None
                amount = package.pay_fen if package else rng.choice((20_000, 30_000, 50_000))
                wallet_recharge(
                    actor=cashier,
                    card_id=card.pk,
                    amount_fen=amount,
                    method=rng.choice(("wechat", "alipay", "cash", "bank_card")),
                    package_id=package.pk if package else None,
                    idempotency_key=uuid.uuid4().hex,
                )
            for _ in range(rng.randint(0, 4)):
                amount = rng.choice((1_880, 3_500, 6_800, 12_800, 25_000, 38_800))
                use_balance = rng.random() < 0.6
                try:
                    sale_quick(
                        actor=cashier,
                        data=QuickSaleInput(
                            amount_fen=amount,
                            card_id=card.pk,
                            category=rng.choice(CATEGORIES),
                            balance_fen=amount // 2 if use_balance else 0,
                            external_method="wechat",
                        ),
                        idempotency_key=uuid.uuid4().hex,
                    )
                except DomainError:
                    # Not enough balance for this one: the member pays it all by WeChat.
                    sale_quick(
                        actor=cashier,
                        data=QuickSaleInput(
                            amount_fen=amount, card_id=card.pk, external_method="wechat"
                        ),
                        idempotency_key=uuid.uuid4().hex,
                    )
        issued += 1
    return issued
