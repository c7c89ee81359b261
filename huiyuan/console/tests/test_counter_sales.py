"""Console: the sales list with filters and export, the receipt with its lines and a 退货
form per line (a cashier with a manager's password), no inline script."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from huiyuan.checkout.models import SaleLine, SaleReturn
from huiyuan.checkout.services import BasketSaleInput, ExternalPayment, SaleLineInput, sale_complete
from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401 - fixtures
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, key


@pytest.fixture
def sold(shop, funded, cashier):  # noqa: F811
    return sale_complete(
        actor=cashier,
        data=BasketSaleInput(
            lines=(
                SaleLineInput(product_id=shop.coffee.pk, quantity_milli=2000),
                SaleLineInput(product_id=shop.petrol.pk, amount_fen=20000),
            ),
            card_id=funded.pk,
            balance_fen=5600,
            payments=(ExternalPayment("cash", 20000),),
        ),
        idempotency_key=key(),
    )


def idem(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "on* attribute"


def test_the_list_filters_and_exports(client_for, sold):
    manager = client_for(Role.STORE_MANAGER)
    html = manager.get("/sales/").content.decode()
    no_inline_script(html)
    assert sold.number in html
    assert sold.number not in manager.get("/sales/?status=returned").content.decode()
    assert sold.number in manager.get(f"/sales/?number={sold.number[-6:]}").content.decode()
    response = manager.get("/sales/export.xlsx?status=completed")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == sold.number and rows[1][8] == 256.0


def test_the_receipt_lists_the_lines_and_a_cashier_returns_with_the_managers_password(
    client_for,
    sold,
    funded,  # noqa: F811
):
    cashier = client_for(Role.CASHIER)
    url = f"/sales/{sold.pk}/"
    html = cashier.get(url).content.decode()
    no_inline_script(html)
    assert "拿铁 × 2" in html and "92#汽油 × 25.348升" in html
    assert 'name="manager_password"' in html
    coffee = SaleLine.objects.get(sale=sold, position=1)
    form = {"idempotency_key": idem(html), "reason": "顾客退一杯", f"qty_{coffee.pk}": "1"}
    wrong = cashier.post(
        f"/sales/{sold.pk}/return/",
        {**form, "manager_username": "manager", "manager_password": "x"},
    )
    assert wrong.status_code == 200
    assert "店长用户名或密码错误" in wrong.content.decode()
    assert SaleReturn.objects.count() == 0
    done = cashier.post(
        f"/sales/{sold.pk}/return/",
        {**form, "manager_username": "manager", "manager_password": "Counter-pass-2026"},
        follow=True,
    )
    page = done.content.decode()
    # The coffee line got ¥12.25 of the ¥56 stored value (by payable): half comes back.
    returned = SaleReturn.objects.get()
    assert (returned.principal_fen, returned.external_fen) == (612, 2187)
    assert returned.authorised_by.username == "manager"
    assert balances(funded)["principal"] == 50000 - 5600 + 612
    assert "现金 ¥21.87" in page
    assert 'data-testid="r-return"' in page
