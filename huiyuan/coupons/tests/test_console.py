"""The console: a template created through the form, issued by hand, listed with its
statistics; the basket page lists the coupon, proposes it, applies it when chosen."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from huiyuan.checkout.models import Sale
from huiyuan.core.permissions import Role
from huiyuan.coupons.models import Coupon, CouponTemplate
from huiyuan.ledger.tests.factories import card


@pytest.fixture
def owner_client(staff) -> Client:
    client = Client()
    client.force_login(staff[Role.OWNER])
    return client


@pytest.fixture
def cashier_client(staff) -> Client:
    client = Client()
    client.force_login(staff[Role.CASHIER])
    return client


FORM = {
    "name": "满50减10",
    "kind": "threshold",
    "amount": "10",
    "min_spend": "50",
    "validity": "fixed",
    "valid_from": "2020-01-01",
    "valid_to": "2099-12-31",
    "per_member_limit": "1",
    "restore_on_return": "on",
}


def test_template_form_shows_errors_next_to_fields_then_creates(owner_client):
    url = reverse("console:coupon_template_create")
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {**FORM, "min_spend": "5"})
    assert response.status_code == 200
    assert "满减门槛不能低于减免金额" in response.content.decode()
    assert not CouponTemplate.objects.exists()
    response = owner_client.post(url, FORM)
    template = CouponTemplate.objects.get()
    assert response.status_code == 302
    assert (template.kind, template.value, template.min_spend_fen) == ("threshold", 1000, 5000)
    page = owner_client.get(reverse("console:coupon_templates")).content.decode()
    assert "满 ¥50.00 减 ¥10.00" in page and "优惠券模板" in page


def test_issue_by_hand_and_basket_applies_the_chosen_coupon(
    owner_client, cashier_client, owner, cashier, shop, make_template
):
    template = make_template()
    c = card(cashier, owner)
    response = owner_client.post(
        reverse("console:coupon_template_issue", args=[template.pk]),
        {"member": c.number, "idempotency_key": "i1"},
    )
    assert response.status_code == 302
    coupon = Coupon.objects.get()
    detail = owner_client.get(reverse("console:coupon_template", args=[template.pk]))
    assert coupon.code in detail.content.decode()
    dry = owner_client.get(reverse("console:coupon_template", args=[template.pk]) + "?dry=1")
    assert 'data-testid="dry-run-result"' in dry.content.decode()
    basket = {
        "card": c.number,
        "line_product": [str(shop.coffee.pk)],
        "line_name": ["拿铁"],
        "line_qty": ["2"],
        "line_amount": [""],
        "rest_method": "cash",
    }
    quote = cashier_client.post(reverse("console:counter_basket_quote"), basket).content.decode()
    assert "推荐组合" in quote and coupon.code[:4] in quote
    chosen = cashier_client.post(
        reverse("console:counter_basket_quote"), {**basket, "op": f"coupon_use:{coupon.code}"}
    ).content.decode()
    assert "优惠券「满50减10」满 ¥50.00 减 ¥10.00，优惠 ¥10.00" in chosen
    done = cashier_client.post(
        reverse("console:counter_basket"),
        {**basket, "coupon": [coupon.code], "idempotency_key": "s1", "due_fen": "4600"},
    )
    assert done.status_code == 302
    sale = Sale.objects.get()
    assert (sale.discount_fen, sale.payable_fen) == (1000, 4600)
    coupon.refresh_from_db()
    assert coupon.status == "used"
    listing = owner_client.get(reverse("console:coupon_list") + "?status=used").content.decode()
    assert coupon.code in listing


def test_group_buy_page_verifies_then_redeems(cashier_client):
    url = reverse("console:coupon_groupbuy")
    page = cashier_client.post(url, {"provider": "douyin", "code": "200000000003", "op": "verify"})
    assert "单人下午茶" in page.content.decode()
    page = cashier_client.post(
        url,
        {"provider": "douyin", "code": "200000000003", "op": "redeem", "idempotency_key": "g"},
    )
    assert "已核销" in page.content.decode()


def test_cashier_cannot_open_the_template_form(cashier_client):
    response = cashier_client.get(reverse("console:coupon_template_create"))
    assert response.status_code == 403


def test_batch_form_offers_saved_segments_with_their_live_count(
    staff, owner, cashier, cashier_client, make_template, stores
):
    from huiyuan.coupons.models import IssueBatch
    from huiyuan.members.services import MemberInput, member_register
    from huiyuan.segments.services import segment_create

    template = make_template(per_member_limit=0)
    for i in range(2):
        member_register(
            actor=cashier,
            data=MemberInput(name=f"会员{i}", mobile=f"1390000000{i}"),
            channel="store",
        )
    flagship = segment_create(actor=owner, name="旗舰店会员", definition={"stores": [stores[0].pk]})
    marketer = Client()
    marketer.force_login(staff[Role.MARKETER])
    url = reverse("console:coupon_template", args=[template.pk])
    page = marketer.get(url).content.decode()
    assert f'<option value="{flagship.pk}">旗舰店会员 · 2 位会员</option>' in page
    batch_url = reverse("console:coupon_template_batch", args=[template.pk])
    unknown = marketer.post(batch_url, {"segment": str(flagship.pk + 99)}, follow=True)
    assert "请检查批量发放的筛选条件。" in unknown.content.decode()
    assert not IssueBatch.objects.exists()
    assert cashier_client.post(batch_url, {"segment": str(flagship.pk)}).status_code == 403
    assert not IssueBatch.objects.exists()
    started = marketer.post(batch_url, {"segment": str(flagship.pk), "idempotency_key": "k1"})
    batch = IssueBatch.objects.get()
    assert started["Location"] == reverse("console:coupon_batch", args=[batch.pk])
    assert (batch.filter["segment_id"], batch.total) == (flagship.pk, 2)
    progress = marketer.get(started["Location"]).content.decode()
    assert 'data-testid="batch-segment-name"' in progress and "旗舰店会员" in progress
