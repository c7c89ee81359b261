"""The stock pages render for the roles that see them and move stock through the services."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from huiyuan.core.permissions import Role
from huiyuan.stock.models import Stocktake, Transfer
from huiyuan.stock.tests.conftest import on_hand, receive


def test_pages_render_and_a_purchase_and_transfer_go_through(client, staff, stores, shop):
    client.force_login(staff[Role.STORE_MANAGER])
    store = stores[0].pk
    response = client.post(
        "/stock/purchases/new/",
        {
            "store": store,
            "supplier": "供应商甲",
            "note": "",
            "idempotency_key": "k-purchase",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "B001",
            "lines-0-quantity": "4",
            "lines-0-unit_cost": "8.50",
            "lines-1-product": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert on_hand(store, shop.cake) == 4000
    for url in (
        "/stock/",
        "/stock/?low=on&q=蛋",
        "/stock/movements/",
        f"/stock/levels/{store}/{shop.cake.pk}/",
        "/stock/purchases/",
        "/stock/purchases/new/",
        "/stock/stocktakes/",
        "/stock/transfers/",
        "/stock/transfers/new/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
    assert "蛋糕" in client.get("/stock/").content.decode()
    export = client.get(f"/stock/export.xlsx?store={store}")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[4]) for r in rows] == [("B001", 4)]
    assert client.get("/stock/settings/").status_code == 403

    sent = client.post(
        "/stock/transfers/new/",
        {
            "from_store": store,
            "to_store": stores[1].pk,
            "note": "",
            "idempotency_key": "k-send",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "B001",
            "lines-0-quantity": "3",
        },
    )
    assert sent.status_code == 302
    transfer = Transfer.objects.get()
    assert client.get(f"/stock/transfers/{transfer.pk}/").status_code == 200
    assert client.post(f"/stock/transfers/{transfer.pk}/", {"received-1": "1"}).status_code == 403
    assert on_hand(store, shop.cake) == 1000


def test_a_refused_adjustment_shows_next_to_the_field(client, staff, stores, shop):
    client.force_login(staff[Role.STORE_MANAGER])
    receive(staff[Role.STORE_MANAGER].as_actor(), stores[0].pk, (shop.cake, 1000))
    page = client.post(
        f"/stock/levels/{stores[0].pk}/{shop.cake.pk}/",
        {"action": "adjust", "quantity": "-5", "reason": "破损", "idempotency_key": "a1"},
    )
    assert page.status_code == 200
    assert "Not enough stock" in page.content.decode() or "库存不足" in page.content.decode()
    assert on_hand(stores[0].pk, shop.cake) == 1000


def test_stocktake_through_the_console(client, staff, stores, shop):
    client.force_login(staff[Role.STORE_MANAGER])
    receive(staff[Role.STORE_MANAGER].as_actor(), stores[0].pk, (shop.cake, 5000))
    created = client.post(
        "/stock/stocktakes/", {"store": stores[0].pk, "note": "月末", "idempotency_key": "s1"}
    )
    assert created.status_code == 302
    take = Stocktake.objects.get()
    bad = client.post(
        f"/stock/stocktakes/{take.pk}/", {"action": "post", f"count-{shop.cake.pk}": "x"}
    )
    assert bad.status_code == 200
    posted = client.post(
        f"/stock/stocktakes/{take.pk}/",
        {"action": "post", f"count-{shop.cake.pk}": "4", "idempotency_key": "p1"},
    )
    assert posted.status_code == 302
    assert on_hand(stores[0].pk, shop.cake) == 4000
    client.force_login(staff[Role.OWNER])
    assert client.get("/stock/settings/").status_code == 200
    assert (
        client.post("/stock/settings/", {"action": "chain", "below_zero": "refuse"}).status_code
        == 302
    )
