"""Demo money: card types, tiers, packages, an earn rule, then cards, recharges and sales
made through the services at each store's counter (so the ledger, lots, receipts and
audit trail are real and ``verify-ledger`` passes).

Idempotent: configuration is matched by code or name; a member who already holds a card
is skipped, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardType
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.clock import local_date, local_day_start
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Actor
from huiyuan.members.models import Member
from huiyuan.points.models import EarnRule
from huiyuan.points.services import earn_rule_publish
from huiyuan.stores.models import Store
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
# What each store sells, by catalog category code and weight: the flagship is a full
# service station (fuel, shop, car wash, café, salon), 东城店 a fuel station with a shop and a
# car wash, 西湖店 a café with a salon in an office tower.
STORE_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "HZ01": (
        ("petrol", 30), ("drinks", 10), ("snacks", 6), ("car-care", 3), ("carwash", 14),
        ("coffee", 14), ("tea", 6), ("bakery", 5), ("hair", 7), ("care", 5),
    ),
    "HZ02": (
        ("petrol", 40), ("diesel", 8), ("drinks", 14), ("snacks", 10), ("car-care", 6),
        ("carwash", 22),
    ),
    "HZ03": (("coffee", 30), ("tea", 16), ("bakery", 14), ("hair", 24), ("care", 16)),
}  # fmt: skip
RANGES = {  # fen, low to high
    "petrol": (15_000, 40_000), "diesel": (20_000, 60_000), "drinks": (350, 2_000),
    "snacks": (500, 3_000), "car-care": (800, 26_800), "coffee": (1_800, 6_000),
    "tea": (1_500, 4_800), "bakery": (1_200, 5_400), "hair": (6_800, 49_800),
    "care": (9_800, 39_800),
}  # fmt: skip
FIXED_PRICES = {"carwash": (3_000, 3_000, 5_800, 5_800, 16_800, 19_800)}
EXTERNAL = ("wechat", "wechat", "alipay", "cash", "bank_card")
CASHIERS = {
    "HZ01": ("cashier1a", "cashier1b"),
    "HZ02": ("cashier2a", "cashier2b"),
    "HZ03": ("cashier3a", "cashier3b"),
}
DEFAULT_CARDHOLDERS = 100_000  # every active member


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
        from huiyuan.demo.loader import STORES  # the chain's plan (that module imports this one)

        # In force since before the first store opened, so the history's sales earned too.
        since = timezone.now() - dt.timedelta(days=max(s.opened_days_ago for s in STORES) + 1)
        with freeze_time(since):
            _base_rule_publish(hq)


def _base_rule_publish(hq: Actor) -> None:
    earn_rule_publish(
        actor=hq,
        code="base",
        name="消费每满1元积1分",
        unit_fen=100,
        points_per_unit=1,
        rounding="floor",
        excluded_categories=["group-buy"],
        birthday_multiplier_pct=200,
        special_days=[{"weekday": 3, "multiplier_pct": 200, "label": "周三会员日"}],
        cap_per_day=20_000,
    )


def load_cards_and_sales(
    org: Org, *, cardholders: int = DEFAULT_CARDHOLDERS, seed: int = 2026
) -> int:
    """Give members a card at their store the day they joined, then their visits since:
    recharges and sales at the counters of the stores they use, each made through the
    services at its own moment (the clock is set back for each), so the ledger, lots,
    receipts, audit trail and the dashboards' history are real. Returns cards issued."""
    rng = random.Random(seed)
    standard = CardType.objects.get(code="standard")
    packages = list(RechargePackage.objects.filter(is_active=True).order_by("pay_fen"))
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, earn_frozen=False, spend_frozen=False)
        .select_related("home_store")
        .order_by("joined_at", "id")[:cardholders]
    )
    holding = set(Card.objects.filter(member__in=members).values_list("member_id", flat=True))
    todo = [m for m in members if m.pk not in holding]
    from huiyuan.demo.loader import STORES  # the chain's plan (that module imports this one)

    stores = {s.code: s for s in org.stores.values()}
    now = timezone.now()
    today = local_date(now)
    opened = {
        s.code: today - dt.timedelta(days=s.opened_days_ago) for s in STORES if s.code in stores
    }
    with freeze_time(now) as clock:
        for start in range(0, len(todo), 50):
            with transaction.atomic():
                for member in todo[start : start + 50]:
                    _member_history(org, rng, member, standard, packages, stores, opened, clock)
    return len(todo)


def _member_history(
    org: Org,
    rng: random.Random,
    member: Member,
    standard: CardType,
    packages: list[RechargePackage],
    stores: dict[str, Store],
    opened: dict[str, dt.date],
    clock: Any,
) -> None:
    home = member.home_store.code if member.home_store_id else "HZ01"
    clock.move_to(member.joined_at + dt.timedelta(minutes=rng.randint(1, 20)))
    card = card_services.card_issue(
        actor=_cashier(org, rng, home),
        card_type_id=standard.pk,
        member_id=member.pk,
        store_id=stores[home].pk,
    )
    last = max(member.last_activity_at or member.joined_at, member.joined_at)
    visits = sorted(
        _opening_hours(rng, member.joined_at + (last - member.joined_at) * rng.random(), last)
        for _ in range(_visit_count(rng))
    )
    balance = 0  # what the member could pay from stored value (principal and bonus)
    if rng.random() < 0.55:  # many recharge when they join: the package is the reason
        balance += _recharge(org, rng, card, home, packages)
    for moment in visits:
        code = home if rng.random() < 0.85 else rng.choice(_open_stores(opened, moment))
        clock.move_to(moment)
        category = _pick(rng, STORE_MIX[code])
        amount = _amount(rng, category)
        if balance and balance < amount and rng.random() < 0.4:
            balance += _recharge(org, rng, card, code, packages)
        use = min(balance, amount) if balance and rng.random() < 0.8 else 0
        cashier = _cashier(org, rng, code)
        try:
            sale_quick(
                actor=cashier,
                data=QuickSaleInput(
                    amount_fen=amount,
                    card_id=card.pk,
                    category=category,
                    balance_fen=use,
                    external_method=rng.choice(EXTERNAL),
                ),
                idempotency_key=uuid.uuid4().hex,
            )
            balance -= use
        except DomainError:
            # The bonus part expired meanwhile: the member pays it all by WeChat.
            sale_quick(
                actor=cashier,
                data=QuickSaleInput(
                    amount_fen=amount, card_id=card.pk, category=category, external_method="wechat"
                ),
                idempotency_key=uuid.uuid4().hex,
            )
            balance = 0


def _opening_hours(rng: random.Random, moment: dt.datetime, latest: dt.datetime) -> dt.datetime:
    """The same local day between 08:00 and 21:30, unless that is after ``latest``."""
    day = local_date(moment)
    start = local_day_start(day) + dt.timedelta(hours=8)
    snapped = start + dt.timedelta(seconds=rng.randrange(0, 13 * 3600 + 1800))
    return snapped if snapped <= latest else moment


def _visit_count(rng: random.Random) -> int:
    """Most come back a few times; a few are regulars; some never return."""
    roll = rng.random()
    if roll < 0.25:
        return 0
    if roll < 0.92:
        return rng.randint(1, 4)
    return rng.randint(5, 12)


def _recharge(
    org: Org, rng: random.Random, card: Card, code: str, packages: list[RechargePackage]
) -> int:
    """A recharge at store ``code``; returns what it adds (amount and bonus)."""
    package = rng.choice(packages) if packages and rng.random() < 0.65 else None
    amount = package.pay_fen if package else rng.choice((20_000, 30_000, 50_000))
    wallet_recharge(
        actor=_cashier(org, rng, code),
        card_id=card.pk,
        amount_fen=amount,
        method=rng.choice(("wechat", "alipay", "cash", "bank_card")),
        package_id=package.pk if package else None,
        idempotency_key=uuid.uuid4().hex,
    )
    return amount + (package.bonus_fen if package else 0)


def _cashier(org: Org, rng: random.Random, code: str) -> Actor:
    return org.actor(rng.choice(CASHIERS.get(code, CASHIERS["HZ01"])))


def _open_stores(opened: dict[str, dt.date], moment: dt.datetime) -> list[str]:
    day = local_date(moment)
    return [code for code, since in opened.items() if since <= day] or ["HZ01"]


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in mix], weights=[w for _, w in mix])[0]


def _amount(rng: random.Random, category: str) -> int:
    """A plausible ticket for the category, in fen."""
    fixed = FIXED_PRICES.get(category)
    if fixed:
        return rng.choice(fixed)
    low, high = RANGES[category]
    return rng.randint(low // 10, high // 10) * 10
