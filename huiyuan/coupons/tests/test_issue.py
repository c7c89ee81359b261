"""Templates and issuing: rules, stock, budget, limits, stop, validity by local date,
events, batches with progress, statistics, dry runs, group-buy vouchers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.core.errors import DomainError
from huiyuan.coupons import dryrun, groupbuy, selectors
from huiyuan.coupons.codes import ALPHABET, LENGTH
from huiyuan.coupons.models import Coupon, CouponTemplate, GroupBuyRedemption
from huiyuan.coupons.services import (
    MemberFilter,
    TemplateInput,
    coupon_claim,
    coupon_issue,
    coupons_issue_on_event,
    issue_batch_start,
    template_create,
    template_stop,
    template_update,
)
from huiyuan.coupons.tasks import SYSTEM
from huiyuan.ledger.tests.factories import card, key, member

UTC = dt.UTC


def test_template_rules_are_checked_and_nothing_is_written(owner):
    bad = [
        ({"kind": "threshold", "value": 2000, "min_spend_fen": 1000}, "min_spend_fen"),
        ({"kind": "percent", "value": 1000}, "value"),
        ({"kind": "percent", "value": 800, "budget_fen": 10000}, "cap_fen"),
        ({"kind": "gift"}, "gift_product_id"),
        ({"kind": "cash", "value": 100, "valid_to": None}, "valid_to"),
        ({"kind": "cash", "value": 100, "validity": "relative"}, "valid_days"),
        ({"kind": "cash", "value": 100, "weekdays": (8,)}, "weekdays"),
    ]
    for extra, field in bad:
        values = {
            "name": "券",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2026, 12, 31),
            **extra,
        }
        with pytest.raises(DomainError) as info:
            template_create(actor=owner, data=TemplateInput(**values))
        assert (info.value.code, info.value.field) == ("invalid_template", field)
    assert not CouponTemplate.objects.exists()


def test_cashier_cannot_manage_templates(cashier):
    with pytest.raises(DomainError) as info:
        template_create(actor=cashier, data=TemplateInput(name="x", kind="cash", value=1))
    assert info.value.code == "permission_denied"


def test_issue_gives_a_unique_code_and_respects_limit_stop_and_edit(make_template, owner, cashier):
    template = make_template(per_member_limit=2, stock=5)
    m = member(cashier)
    first = coupon_issue(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="k1")
    assert len(first.code) == LENGTH and set(first.code) <= set(ALPHABET)
    assert (
        coupon_issue(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="k1").pk
        == first.pk
    )  # replay
    coupon_issue(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="k2")
    with pytest.raises(DomainError) as info:
        coupon_issue(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="k3")
    assert info.value.code == "coupon_limit_reached"
    template.refresh_from_db()
    assert template.issued_count == 2 and template.budget_used_fen == 2000
    with pytest.raises(DomainError) as claim:
        coupon_claim(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="k4")
    assert claim.value.code == "coupon_not_claimable"
    with pytest.raises(DomainError) as lower:
        template_update(
            actor=owner,
            template_id=template.pk,
            data=TemplateInput(
                name="改",
                kind="threshold",
                value=1000,
                min_spend_fen=5000,
                valid_from=dt.date(2020, 1, 1),
                valid_to=dt.date(2099, 1, 1),
                stock=1,
            ),
        )
    assert lower.value.code == "invalid_template" and lower.value.field == "stock"
    template_stop(actor=owner, template_id=template.pk)
    other = member(cashier, name="李四")
    with pytest.raises(DomainError) as stopped:
        coupon_issue(actor=owner, template_id=template.pk, member_id=other.pk, idempotency_key="k5")
    assert stopped.value.code == "coupon_template_stopped"
    assert AuditEvent.objects.filter(action="coupon.issued").count() == 2


def test_days_from_issue_count_from_the_local_date(make_template, owner, cashier, monkeypatch):
    template = make_template(validity="relative", valid_days=7, valid_from=None, valid_to=None)
    m = member(cashier)
    at = dt.datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # 07:30 on 03-04 in Shanghai
    monkeypatch.setattr(timezone, "now", lambda: at)
    coupon = coupon_issue(actor=owner, template_id=template.pk, member_id=m.pk, idempotency_key="x")
    assert (coupon.valid_from, coupon.valid_to) == (dt.date(2026, 3, 4), dt.date(2026, 3, 10))


def test_registration_and_recharge_events_issue_once(make_template, owner, cashier):
    from huiyuan.events.dispatch import events_dispatch

    welcome = make_template(name="新人券", issue_on=("member.registered",))
    recharge = make_template(name="充值券", issue_on=("wallet.recharged",), min_recharge_fen=10000)
    m = member(cashier)
    events_dispatch()
    events_dispatch()  # delivered once: a second dispatch issues nothing more
    assert list(Coupon.objects.filter(member=m).values_list("template_id", "channel")) == [
        (welcome.pk, "event")
    ]
    issued = coupons_issue_on_event(
        actor=SYSTEM,
        event_name="wallet.recharged",
        member_id=m.pk,
        source="event:1",
        amount_fen=5000,
    )
    assert issued == []  # below the minimum recharge
    issued = coupons_issue_on_event(
        actor=SYSTEM,
        event_name="wallet.recharged",
        member_id=m.pk,
        source="event:2",
        amount_fen=10000,
    )
    assert [c.template_id for c in issued] == [recharge.pk]
    again = coupons_issue_on_event(
        actor=SYSTEM,
        event_name="wallet.recharged",
        member_id=m.pk,
        source="event:2",
        amount_fen=10000,
    )
    assert again == []  # the same event twice: once


def test_batch_issue_runs_in_chunks_with_progress_and_stops_at_stock(
    make_template, owner, cashier, monkeypatch
):
    from huiyuan.coupons.services import batch as batch_module

    monkeypatch.setattr(batch_module, "CHUNK", 2)
    monkeypatch.setattr(batch_module, "SQLITE_PAUSE_SECONDS", 0)
    template = make_template(stock=4)
    people = [member(cashier, name=f"会员{i}") for i in range(6)]
    seen: list[int] = []
    real_chunk = batch_module._chunk

    def spy(actor, batch_id):
        more = real_chunk(actor, batch_id)
        seen.append(batch_module.IssueBatch.objects.get(pk=batch_id).done)
        return more

    monkeypatch.setattr(batch_module, "_chunk", spy)
    batch = issue_batch_start(
        actor=owner,
        template_id=template.pk,
        member_filter=MemberFilter(member_ids=tuple(m.pk for m in people)),
        idempotency_key="b1",
    )
    from huiyuan.coupons.services import issue_batch_run

    done = issue_batch_run(actor=SYSTEM, batch_id=batch.pk)
    assert (done.status, done.total, done.issued, done.percent) == ("done", 6, 4, 100)
    assert done.skipped == 2
    assert seen[:2] == [2, 4]  # progress after each committed chunk
    assert Coupon.objects.filter(template=template, channel="batch").count() == 4
    again = issue_batch_start(
        actor=owner,
        template_id=template.pk,
        member_filter=MemberFilter(member_ids=tuple(m.pk for m in people)),
        idempotency_key="b1",
    )
    assert again.pk == batch.pk


def _sale(cashier, shop, c, codes=(), cash=5600):
    return sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),),
            card_id=c.pk,
            payments=(ExternalPayment("cash", cash),),
            coupon_codes=codes,
        ),
        idempotency_key=key(),
    )


def test_stats_and_dry_run(make_template, owner, cashier, shop):
    template = make_template()
    c = card(cashier, owner)
    coupon = coupon_issue(
        actor=owner, template_id=template.pk, member_id=c.member_id, idempotency_key=key()
    )
    sale = _sale(cashier, shop, c, (coupon.code,), 4600)
    stats = selectors.template_stats(owner, template.pk)
    assert (stats.issued, stats.used, stats.discount_fen, stats.sales_fen) == (1, 1, 1000, 4600)
    assert stats.redemption_rate == "100.0%"
    _sale(cashier, shop, c)  # ¥56, no coupon
    today = timezone.localdate(sale.created_at)
    run = dryrun.template_dry_run(
        actor=owner, template_id=template.pk, date_from=today, date_to=today
    )
    # the 满50减10 would have applied to the ¥46 sale? no (below 50); to the ¥56 one: yes.
    assert (run.sales_seen, run.sales_used, run.members, run.discount_fen) == (2, 1, 1, 1000)
    assert dryrun.last_month(dt.date(2026, 3, 4)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_group_buy_voucher_is_verified_signed_and_redeemed_once(cashier):
    voucher = groupbuy.groupbuy_verify(actor=cashier, provider="meituan", code="100000000001")
    assert (voucher.deal_title, voucher.amount_fen) == ("双人套餐", 9900)
    row = groupbuy.groupbuy_redeem(
        actor=cashier, provider="meituan", code="100000000001", idempotency_key="g1"
    )
    assert row.provider_ref == "local-meituan-100000000001"
    with pytest.raises(DomainError) as info:
        groupbuy.groupbuy_redeem(
            actor=cashier, provider="meituan", code="100000000001", idempotency_key="g2"
        )
    assert info.value.code == "groupbuy_redeemed"
    assert GroupBuyRedemption.objects.count() == 1
    with pytest.raises(DomainError) as unknown:
        groupbuy.groupbuy_verify(actor=cashier, provider="douyin", code="999")
    assert unknown.value.code == "groupbuy_not_found"
    server = groupbuy.ADAPTERS["douyin"].server  # type: ignore[attr-defined]
    forged = {"code": "100000000002", "app_key": server.app_key, "timestamp": "1", "sign": "00"}
    assert server.handle("/verify", forged)["msg"] == "bad signature"


@pytest.mark.django_db(transaction=True)
def test_a_started_batch_is_queued_after_the_commit_and_run_by_the_worker(
    make_template, owner, cashier, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the queue
    template = make_template(per_member_limit=0)
    m = member(cashier)
    batch = issue_batch_start(
        actor=owner,
        template_id=template.pk,
        member_filter=MemberFilter(member_ids=(m.pk,)),
        idempotency_key="bg",
    )
    from django_tasks_db.models import DBTaskResult

    batch.refresh_from_db()
    assert (batch.status, batch.issued) == ("queued", 0)  # nothing issued in the request
    queued = DBTaskResult.objects.get(task_path="huiyuan.coupons.tasks.run_issue_batch")
    assert queued.args_kwargs["args"] == [batch.pk]
    from huiyuan.coupons.tasks import run_issue_batch

    run_issue_batch.call(batch.pk)  # what the worker does with it
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.done, batch.percent) == ("done", 1, 1, 100)
