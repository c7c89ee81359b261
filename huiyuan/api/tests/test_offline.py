"""Offline POS batches: each item re-validated now and reported on its own; a refused item
changes nothing; the same batch sent twice has one effect; prices of the moment it was
made."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests.conftest import error_of
from huiyuan.catalog import services as catalog
from huiyuan.checkout.models import Sale
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.ledger.tests.factories import balances
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.models import Recharge

pytestmark = pytest.mark.django_db

OFFLINE_PATHS = {"/api/v1/offline/batches": {"post"}}
# Every caller may send a batch; each item is checked as its own service checks it
# (``test_each_item_is_checked_as_its_service_checks_it``).
OFFLINE_ROUTES = {("POST", "/offline/batches")}


def moment(minutes_ago: int) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()


def batch(shop, funded):  # noqa: F811
    return {
        "items": [
            {
                "kind": "sale",
                "idempotency_key": "off-1",
                "occurred_at": moment(30),
                "sale": {
                    "lines": [{"product_id": shop.tea.pk, "quantity_milli": 1000}],
                    "card_id": funded.pk,
                    "balance_fen": 1250,
                },
            },
            {
                "kind": "recharge",
                "idempotency_key": "off-2",
                "occurred_at": moment(20),
                "recharge": {"card_id": funded.pk, "amount_fen": 10000, "method": "cash"},
            },
            {  # more than the card holds: refused, nothing written
                "kind": "sale",
                "idempotency_key": "off-3",
                "occurred_at": moment(10),
                "sale": {
                    "lines": [{"product_id": shop.coffee.pk, "quantity_milli": 1000}],
                    "card_id": funded.pk,
                    "balance_fen": 9_999_999,
                },
            },
        ]
    }


def test_items_are_applied_and_reported_one_by_one_and_a_replay_has_one_effect(pos, shop, funded):  # noqa: F811
    before = balances(funded)
    sent = batch(shop, funded)
    response = pos.post("/offline/batches", sent)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["refused"]) == (2, 0, 1)
    assert [i["status"] for i in body["items"]] == ["accepted", "accepted", "refused"]
    assert body["items"][2]["error"]["code"] == "overpaid"
    after = balances(funded)
    assert after["principal"] == before["principal"] - 1250 + 10000
    sale = Sale.objects.get(pk=body["items"][0]["result_id"])
    assert any(n["code"] == "sale.offline" for n in sale.notes)
    assert Recharge.objects.filter(pk=body["items"][1]["result_id"]).exists()

    again = pos.post("/offline/batches", sent).json()
    assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate", "refused"]
    assert [i["result_id"] for i in again["items"][:2]] == [
        i["result_id"] for i in body["items"][:2]
    ]
    assert balances(funded) == after and Sale.objects.count() == 1
    # The same key with another moment is another request: refused, nothing written.
    changed = {"items": [{**sent["items"][0], "occurred_at": moment(31)}]}
    conflict = pos.post("/offline/batches", changed).json()["items"][0]
    assert (conflict["status"], conflict["error"]["code"]) == ("refused", "idempotency_key_reused")
    assert balances(funded) == after and Sale.objects.count() == 1
    assert verify_ledger().ok


def test_a_sale_made_offline_keeps_the_price_of_its_moment(pos, owner, shop, funded):  # noqa: F811
    made = timezone.now() - dt.timedelta(minutes=5)
    catalog.price_change_schedule(actor=owner, product_id=shop.tea.pk, price_fen=1500)
    item = {
        "kind": "sale",
        "idempotency_key": "off-price",
        "occurred_at": made.isoformat(),
        "sale": {
            "lines": [{"product_id": shop.tea.pk, "quantity_milli": 1000}],
            "payments": [{"method": "cash", "amount_fen": 1250}],
        },
    }
    body = pos.post("/offline/batches", {"items": [item]}).json()
    assert body["items"][0]["status"] == "accepted", body
    assert Sale.objects.get(pk=body["items"][0]["result_id"]).payable_fen == 1250


def test_bad_moments_and_mismatched_bodies_are_refused(pos, shop, funded):  # noqa: F811
    items = batch(shop, funded)["items"][:1]
    future = [{**items[0], "occurred_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()}]
    body = pos.post("/offline/batches", {"items": future}).json()
    assert body["items"][0]["error"]["code"] == "offline_moment_invalid"
    old = [{**items[0], "occurred_at": (timezone.now() - dt.timedelta(days=40)).isoformat()}]
    body = pos.post("/offline/batches", {"items": old}).json()
    assert body["items"][0]["error"]["code"] == "offline_too_old"
    mismatched = [{**items[0], "kind": "recharge"}]
    response = pos.post("/offline/batches", {"items": mismatched})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_item")
    assert Sale.objects.count() == 0


def test_each_item_is_checked_as_its_service_checks_it(as_staff, shop, funded):  # noqa: F811
    from huiyuan.core.permissions import Role

    marketer = as_staff(Role.MARKETER)  # may not sell or recharge
    body = marketer.post("/offline/batches", batch(shop, funded)).json()
    assert [i["status"] for i in body["items"]] == ["refused"] * 3
    assert {i["error"]["code"] for i in body["items"]} == {"permission_denied"}
    assert Sale.objects.count() == 0


def test_a_count_card_use_made_offline_counts_once(pos, owner, cashier):
    from huiyuan.checkout.services import (
        BasketSaleInput,
        ExternalPayment,
        SaleLineInput,
        sale_complete,
    )
    from huiyuan.ledger.tests.factories import card, key
    from huiyuan.packages import plans
    from huiyuan.packages.models import MemberPackage

    product = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(sku="SWIM10", name="游泳10次卡", list_price_fen=30000),
    )
    plans.plan_create(
        actor=owner,
        data=plans.PlanInput(
            product_id=product.pk,
            name="游泳10次卡",
            kind="count",
            items=[plans.ItemInput(name="游泳", uses=10)],
        ),
    )
    member_card = card(cashier, owner)
    sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(SaleLineInput(product_id=product.pk, quantity_milli=1000),),
            card_id=member_card.pk,
            payments=(ExternalPayment("cash", 30000),),
        ),
        idempotency_key=key(),
    )
    package = MemberPackage.objects.get()
    item = {
        "kind": "package_use",
        "idempotency_key": "off-use",
        "occurred_at": moment(15),
        "package_use": {"package_id": package.pk},
    }
    first = pos.post("/offline/batches", {"items": [item]}).json()["items"][0]
    again = pos.post("/offline/batches", {"items": [item]}).json()["items"][0]
    assert (first["status"], again["status"]) == ("accepted", "duplicate")
    assert first["result_id"] == again["result_id"]
    assert package.items.get().remaining == 9
