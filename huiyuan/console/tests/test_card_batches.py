"""Console pages of pre-made card batches: list, generate, detail, sell, print, void; and
activation at the counter, with the card then on the member page."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.cards.batch_export import card_batch_export
from huiyuan.cards.batches import BatchInput, card_batch_create, card_batch_sell
from huiyuan.cards.models import BatchCard, Card, CardBatch
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import key

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(owner):
    return card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )


@pytest.fixture
def batch(owner, stores, gift) -> CardBatch:
    return card_batch_create(
        actor=owner,
        data=BatchInput(
            card_type_id=gift.pk,
            count=3,
            face_value_fen=10_000,
            store_id=stores[0].pk,
            buyer_company="华夏科技有限公司",
            buyer_contact="李经理 13912345678",
        ),
        idempotency_key=key(),
    )


def sell(owner, batch) -> None:
    card_batch_sell(actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=key())


def first_code(owner, batch) -> tuple[str, str]:
    row = card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx").rows[0]
    return row.number, row.code


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_owner_generates_a_batch_from_the_form(owner_client, gift, stores):
    html = page(owner_client, "/card-batches/new/")
    assert "生成预制卡批次" in html and "礼品卡" in html
    key_value = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    form = {
        "idempotency_key": key_value,
        "buyer_company": "华夏科技有限公司",
        "buyer_contact": "李经理 13912345678",
        "card_type": gift.pk,
        "store": stores[0].pk,
        "count": "4",
        "face_value": "88.8",
        "validity_months": "",
        "activate_by": "",
        "note": "中秋福利",
    }
    response = owner_client.post("/card-batches/new/", form)
    batch = CardBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/card-batches/{batch.pk}/"
    assert (batch.count, batch.face_value_fen, batch.status) == (4, 8_880, "generated")
    assert Card.objects.filter(status=Card.Status.PENDING).count() == 4
    # The same form sent twice (a double click) makes one batch.
    owner_client.post("/card-batches/new/", form)
    assert CardBatch.objects.count() == 1
    html = page(owner_client, f"/card-batches/{batch.pk}/")
    assert "已生成（未售）" in html and "账目相符" in html and "李经理 13912345678" in html
    assert "登记单位付款" in html


def test_form_errors_show_next_to_the_field(owner_client, gift, stores):
    response = owner_client.post(
        "/card-batches/new/",
        {
            "idempotency_key": key(),
            "buyer_company": "华夏",
            "card_type": gift.pk,
            "store": stores[0].pk,
            "count": "2",
            "face_value": "1000.01",  # above the bearer card limit of ¥1,000
        },
    )
    assert response.status_code == 200
    assert "超出预付卡限额" in response.content.decode()
    assert not CardBatch.objects.exists()


def test_detail_shows_the_report_and_sells(owner_client, owner, batch):
    html = page(owner_client, f"/card-batches/{batch.pk}/")
    key_value = re.search(
        r'data-testid="sell-form".*?name="idempotency_key" value="([^"]+)"', html, re.S
    ).group(1)
    response = owner_client.post(
        f"/card-batches/{batch.pk}/sell/", {"idempotency_key": key_value, "method": "enterprise"}
    )
    assert response.status_code == 302
    html = page(owner_client, f"/card-batches/{batch.pk}/")
    assert "已收款 ¥300.00" in html  # the success message
    assert 'data-testid="money-received">¥300.00' in html
    assert 'data-testid="money-held">¥300.00' in html
    assert "已售出（未激活）" in html and "企业转账" in html


def test_export_is_a_post_audited_and_never_cached(owner_client, client_for, owner, batch):
    assert owner_client.get(f"/card-batches/{batch.pk}/export.xlsx").status_code == 405
    response = owner_client.post(f"/card-batches/{batch.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == f'attachment; filename="card-batch-{batch.pk}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    numbers = {row[1].value for row in sheet.iter_rows(min_row=2)}
    assert numbers == set(BatchCard.objects.values_list("card__number", flat=True))
    assert AuditEvent.objects.filter(action="card_batch.exported").count() == 1
    manager = client_for(Role.STORE_MANAGER)
    assert manager.post(f"/card-batches/{batch.pk}/export.xlsx").status_code == 403
    assert AuditEvent.objects.filter(action="card_batch.exported").count() == 1


def test_printable_sheet_has_codes_and_qr_codes_under_the_csp(owner_client, owner, batch):
    number, code = first_code(owner, batch)
    response = owner_client.post(f"/card-batches/{batch.pk}/sheet/", {"page": "1"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert number in html and code in html
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert "style=" not in html and "<script>" not in html
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_void_page_voids_and_reports_the_refund(owner_client, owner, batch):
    sell(owner, batch)
    html = page(owner_client, f"/card-batches/{batch.pk}/void/")
    assert "作废待激活的卡" in html
    response = owner_client.post(
        f"/card-batches/{batch.pk}/void/",
        {"idempotency_key": key(), "reason": "公司退回", "method": "enterprise", "numbers": ""},
    )
    assert response.status_code == 302
    html = page(owner_client, f"/card-batches/{batch.pk}/")
    assert "已作废 3 张卡，退还购卡单位 ¥300.00" in html
    assert 'data-testid="money-refunded">¥300.00' in html and "账目相符" in html


def test_who_sees_the_batch_pages(client_for, batch):
    for role, status in [
        (Role.OWNER, 200),
        (Role.HQ_ADMIN, 200),
        (Role.STORE_MANAGER, 200),
        (Role.CASHIER, 403),
        (Role.MARKETER, 403),
    ]:
        client = client_for(role)
        assert client.get("/card-batches/").status_code == status, role
        assert client.get(f"/card-batches/{batch.pk}/").status_code == status, role
    manager = client_for(Role.STORE_MANAGER)
    html = page(manager, f"/card-batches/{batch.pk}/")
    assert "李经理****" in html and "13912345678" not in html  # contact masked
    assert 'data-testid="batch-export"' not in html  # no printing
    assert 'data-testid="batch-void"' not in html  # no voiding
    assert manager.get("/card-batches/new/").status_code == 403
    assert "预制卡批次" in page(manager, "/")  # in the navigation


def test_counter_activation_binds_the_member_and_shows_on_the_member_page(
    cashier_client, owner, batch, make_member
):
    sell(owner, batch)
    number, code = first_code(owner, batch)
    holder = make_member(mobile="13900001111")
    html = page(cashier_client, "/counter/activate/")
    assert "激活预制卡" in html and "卡密激活" in html
    # A wrong code first: refused with the attempts left, nothing activated.
    response = cashier_client.post(
        "/counter/activate/",
        {"idempotency_key": key(), "card": number, "code": "2222-2222-2222-2222", "member": ""},
    )
    assert response.status_code == 200
    assert "卡号或卡密不正确（再错 4 次将锁定激活 15 分钟）" in response.content.decode()
    assert Card.objects.get(number=number).status == Card.Status.PENDING
    response = cashier_client.post(
        "/counter/activate/",
        {"idempotency_key": key(), "card": number, "code": code, "member": "13900001111"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/members/{holder.pk}/"
    html = page(cashier_client, response["Location"])
    assert f"卡 {number} 已激活，储值 ¥100.00" in html
    assert number in html
    card = Card.objects.get(number=number)
    assert card.member_id == holder.pk and card.status == Card.Status.ACTIVE


def test_counter_activation_of_a_bearer_card(cashier_client, owner, batch):
    sell(owner, batch)
    number, code = first_code(owner, batch)
    response = cashier_client.post(
        "/counter/activate/", {"idempotency_key": key(), "card": number, "code": code}
    )
    assert response.status_code == 302 and response["Location"] == f"/counter/?q={number}"
    assert Card.objects.get(number=number).member_id is None


def test_activation_page_needs_the_permission(client_for):
    assert client_for(Role.MARKETER).get("/counter/activate/").status_code == 403
    assert client_for(Role.CALL_CENTER).get("/counter/activate/").status_code == 403


def test_a_pending_card_scanned_at_the_counter_reads_awaiting_activation(
    cashier_client, owner, batch
):
    number = BatchCard.objects.filter(batch=batch).first().card.number
    html = page(cashier_client, f"/counter/?q={number}")
    assert number in html and "待激活" in html
