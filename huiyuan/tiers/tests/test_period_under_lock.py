"""The period-end run decides each member under that member's lock (ADR 0002).

The scan only proposes members; each is then re-read and re-decided in its own short
transaction. A sale or a manual move that lands between the scan and the member's step wins.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.ledger.tests.factories import card, key
from huiyuan.tiers import services as tier_services
from huiyuan.tiers.models import MemberTier, TierChange
from huiyuan.tiers.services import tier_create, tier_move, tiers_evaluate_period


@pytest.fixture
def ladder(owner):
    base = tier_create(actor=owner, code="normal", name="普通", level=0)
    silver = tier_create(
        actor=owner, code="silver", name="银卡", level=1, threshold=50000, retention=20000
    )
    gold = tier_create(
        actor=owner, code="gold", name="金卡", level=2, threshold=100000, retention=50000
    )
    return base, silver, gold


@pytest.fixture
def gold_member(owner, cashier, ladder):
    """A gold member with no sales in the window: the run would move them down."""
    _base, _silver, gold = ladder
    c = card(cashier, owner)
    tier_move(actor=owner, member_id=c.member_id, tier_id=gold.pk, reason="迁移老会员")
    return c


def buy(cashier, c, amount_fen: int) -> None:
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(amount_fen=amount_fen, card_id=c.pk, external_method="cash"),
        idempotency_key=key(),
    )


def interleave(monkeypatch, member_id: int, action) -> list[int]:
    """Run ``action`` after the scan, just before the step of ``member_id``."""
    original = tier_services.tier_downgrade_if_due
    stepped: list[int] = []

    def step(**kwargs):
        stepped.append(kwargs["member_id"])
        if kwargs["member_id"] == member_id:
            action()
        return original(**kwargs)

    monkeypatch.setattr(tier_services, "tier_downgrade_if_due", step)
    return stepped


def tier_code(member_id: int) -> str:
    return MemberTier.objects.select_related("tier").get(member_id=member_id).tier.code


@pytest.mark.django_db
def test_a_sale_between_the_scan_and_the_step_keeps_the_tier(
    monkeypatch, owner, cashier, gold_member
):
    stepped = interleave(
        monkeypatch, gold_member.member_id, lambda: buy(cashier, gold_member, 50000)
    )

    assert tiers_evaluate_period(actor=owner) == {"downgraded": 0}

    assert stepped == [gold_member.member_id]
    assert tier_code(gold_member.member_id) == "gold"
    assert not TierChange.objects.filter(kind="downgrade").exists()


@pytest.mark.django_db
def test_a_protected_manual_move_between_the_scan_and_the_step_is_not_overwritten(
    monkeypatch, owner, gold_member, ladder
):
    _base, silver, _gold = ladder
    until = timezone.localdate() + dt.timedelta(days=90)

    def move() -> None:
        tier_move(
            actor=owner,
            member_id=gold_member.member_id,
            tier_id=silver.pk,
            reason="客诉补偿",
            protected_until=until,
        )

    interleave(monkeypatch, gold_member.member_id, move)

    assert tiers_evaluate_period(actor=owner) == {"downgraded": 0}
    state = MemberTier.objects.get(member_id=gold_member.member_id)
    assert (state.tier_id, state.protected_until) == (silver.pk, until)
    assert list(
        TierChange.objects.filter(member_id=gold_member.member_id).values_list("kind", flat=True)
    ) == ["manual", "manual"]


@pytest.mark.django_db
def test_the_step_moves_down_to_the_highest_tier_still_kept(owner, cashier, gold_member):
    buy(cashier, gold_member, 20000)  # keeps silver (20,000), not gold (50,000)
    assert tiers_evaluate_period(actor=owner) == {"downgraded": 1}
    assert tier_code(gold_member.member_id) == "silver"
    change = TierChange.objects.get(kind="downgrade")
    assert (change.from_tier.code, change.to_tier.code) == ("gold", "silver")
    assert tiers_evaluate_period(actor=owner) == {"downgraded": 0}


@pytest.mark.django_db
def test_a_member_protected_until_today_is_left_alone(owner, gold_member, ladder):
    _base, _silver, gold = ladder
    tier_move(
        actor=owner,
        member_id=gold_member.member_id,
        tier_id=gold.pk,
        reason="保级",
        protected_until=timezone.localdate(),
    )
    assert tiers_evaluate_period(actor=owner) == {"downgraded": 0}
    assert tier_code(gold_member.member_id) == "gold"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_manual_move_committed_while_the_run_waits_wins(owner, gold_member, ladder):
    """Real threads: the manual move holds the member row; the run's step waits for it and
    then sees the protected tier, instead of writing a downgrade decided before."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock waits are tested on PostgreSQL")
    _base, silver, _gold = ladder
    until = timezone.localdate() + dt.timedelta(days=90)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["run"] = tiers_evaluate_period(actor=owner)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc
        finally:
            close_old_connections()
            connection.close()

    with transaction.atomic():
        tier_move(
            actor=owner,
            member_id=gold_member.member_id,
            tier_id=silver.pk,
            reason="客诉补偿",
            protected_until=until,
        )
        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.5)  # the run has scanned and now waits on the member row
        assert worker.is_alive()
    worker.join(30)
    assert result == {"run": {"downgraded": 0}}
    state = MemberTier.objects.get(member_id=gold_member.member_id)
    assert (state.tier_id, state.protected_until) == (silver.pk, until)
