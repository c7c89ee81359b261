"""Editing a tier: new terms apply from a chosen business date (Asia/Shanghai), never back."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.models import Sale
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.ledger.tests.factories import card, default_rule, key
from huiyuan.tiers import selectors
from huiyuan.tiers.models import MemberTier, Tier
from huiyuan.tiers.services import tier_create, tier_move, tier_update

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 20:00 on 11-10 in Shanghai.
EVENING = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
# 23:30 UTC on 11-10 is 07:30 on 11-11 in Shanghai: the new business date.
NEXT_MORNING = dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC)
# 23:00 on 11-10 in Shanghai: still the old business date.
LATE_EVENING = dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    def at(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return at


@pytest.fixture
def ladder(owner, clock):
    clock(EVENING)
    base = tier_create(actor=owner, code="normal", name="普通", level=0)
    gold = tier_create(
        actor=owner,
        code="gold",
        name="金卡",
        level=1,
        threshold=100000,
        retention=50000,
        discount_permille=950,
        points_multiplier_pct=100,
    )
    return base, gold


def edit(owner, tier: Tier, effective_from: dt.date | None = None, **changes):
    terms = {
        "name": tier.name,
        "privileges": tier.privileges,
        "basis": tier.basis,
        "threshold": tier.threshold,
        "retention": tier.retention,
        "window_days": tier.window_days,
        "discount_permille": tier.discount_permille,
        "points_multiplier_pct": tier.points_multiplier_pct,
        "category_discounts": tier.category_discounts,
    }
    terms.update(changes)
    return tier_update(actor=owner, tier_id=tier.pk, effective_from=effective_from, **terms)


def buy(cashier, c, amount_fen: int) -> Sale:
    return sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=amount_fen, card_id=c.pk, external_method="cash"),
        idempotency_key=key(),
    )


def tier_code(member_id: int) -> str:
    state = MemberTier.objects.select_related("tier").filter(member_id=member_id).first()
    return state.tier.code if state else "normal"


def test_a_threshold_from_tomorrow_leaves_today_and_applies_at_0730_local(
    owner, cashier, ladder, clock
):
    _base, gold = ladder
    c = card(cashier, owner)
    edit(owner, gold, dt.date(2026, 11, 11), threshold=50000)

    # 23:00 local on 11-10: the old threshold (¥1,000) is in force; ¥600 is not enough.
    clock(LATE_EVENING)
    buy(cashier, c, 60000)
    assert tier_code(c.member_id) == "normal"
    assert selectors.tier_get(tier_id=gold.pk).threshold == 100000

    # 07:30 local on 11-11 (23:30 UTC on 11-10): the new threshold (¥500) is in force.
    clock(NEXT_MORNING)
    assert selectors.tier_get(tier_id=gold.pk).threshold == 50000
    buy(cashier, c, 100)
    assert tier_code(c.member_id) == "gold"


def test_the_earn_rate_follows_the_version_of_the_business_date(owner, cashier, ladder, clock):
    _base, gold = ladder
    default_rule(owner)  # 1 point per yuan
    c = card(cashier, owner)
    tier_move(actor=owner, member_id=c.member_id, tier_id=gold.pk, reason="迁移老会员")
    edit(owner, gold, dt.date(2026, 11, 11), points_multiplier_pct=200, discount_permille=900)

    clock(LATE_EVENING)
    before = buy(cashier, c, 10000)
    clock(NEXT_MORNING)
    after = buy(cashier, c, 10000)

    assert (before.payable_fen, after.payable_fen) == (9500, 9000)  # 95折, then 9折
    assert before.points_earned == 95
    assert after.points_earned == 180  # 90 yuan × 200 %


def test_edit_is_audited_with_before_and_after_and_versions_listed(owner, ladder, clock):
    _base, gold = ladder
    edit(owner, gold, dt.date(2026, 12, 1), name="金卡会员", threshold=80000)

    event = AuditEvent.objects.get(action="tier.updated")
    assert event.before == {"name": "金卡", "threshold": 100000}
    assert event.after == {"name": "金卡会员", "threshold": 80000, "effective_from": "2026-12-01"}
    gold.refresh_from_db()
    assert gold.name == "金卡会员"  # the name changes at once
    assert gold.threshold == 100000  # the columns keep today's terms
    assert [(v["effective_from"], v["terms"]["threshold"]) for v in gold.versions] == [
        (None, 100000),
        ("2026-12-01", 80000),
    ]


def test_an_edit_from_today_applies_at_once(owner, ladder, clock):
    _base, gold = ladder
    edit(owner, gold, None, retention=30000)
    gold.refresh_from_db()
    assert gold.retention == 30000
    assert [v["effective_from"] for v in gold.versions] == [None, "2026-11-10"]


def test_nothing_changed_writes_nothing(owner, ladder):
    _base, gold = ladder
    events = AuditEvent.objects.count()
    edit(owner, gold, None)
    gold.refresh_from_db()
    assert gold.versions == []
    assert AuditEvent.objects.count() == events


def snapshot(tier: Tier) -> tuple[object, ...]:
    tier.refresh_from_db()
    return (tier.name, tier.threshold, tier.discount_permille, tier.versions)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"effective_from": dt.date(2026, 11, 9)}, "effective_date_past"),
        ({"discount_permille": 0}, "invalid_discount"),
        ({"category_discounts": {"drinks": 1200}}, "invalid_discount"),
        ({"threshold": -1}, "invalid_threshold"),
        ({"basis": "visits"}, "invalid_basis"),
        ({"name": "  "}, "invalid_name"),
    ],
)
def test_refusals_change_nothing(owner, ladder, changes, code):
    _base, gold = ladder
    before, events = snapshot(gold), AuditEvent.objects.count()
    effective_from = changes.pop("effective_from", dt.date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as exc:
        edit(owner, gold, effective_from, **{"threshold": 1, **changes})
    assert exc.value.code == code
    assert snapshot(gold) == before
    assert AuditEvent.objects.count() == events


def test_a_store_manager_cannot_edit_tiers(owner, actors, ladder):
    from huiyuan.core.permissions import Role

    _base, gold = ladder
    before = snapshot(gold)
    with pytest.raises(PermissionDenied):
        edit(actors[Role.STORE_MANAGER], gold, None, threshold=1)
    assert snapshot(gold) == before
