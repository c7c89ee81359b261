"""Generating and selling a pre-made card batch (卡密): exact fen, refusals that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import batches, codes
from huiyuan.cards.batches import (
    BatchInput,
    card_batch_create,
    card_batch_generate,
    card_batch_sell,
)
from huiyuan.cards.models import BatchCard, Card, CardBatch
from huiyuan.cards.tests.conftest import key
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core import pii
from huiyuan.core.clock import local_today
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Role
from huiyuan.events.models import OutboxEvent
from huiyuan.ledger.models import Account, Entry, Operation, Transfer
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.models import WalletPolicy
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, int]:
    """Row counts that any refused batch operation must leave as they were."""
    return {
        "batches": CardBatch.objects.count(),
        "cards": Card.objects.count(),
        "entries": BatchCard.objects.count(),
        "accounts": Account.objects.count(),
        "operations": Operation.objects.count(),
        "audit": AuditEvent.objects.count(),
        "events": OutboxEvent.objects.count(),
        "sold": BatchCard.objects.filter(sale_operation__isnull=False).count(),
    }


def principal(card_id: int) -> int:
    return Account.objects.get(card_id=card_id, kind=Account.Kind.PRINCIPAL).balance


def refused(call, code: str) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.as_dict()
    assert snapshot() == before
    return caught.value


# ---------------------------------------------------------------------------- generate


def test_generate_makes_pending_unbound_cards_with_hashed_codes(make_batch, owner, gift_type):
    batch = make_batch(count=4, face=5_000, note="中秋福利")
    assert batch.status == CardBatch.Status.GENERATED
    assert batch.generated_at is not None
    entries = list(BatchCard.objects.filter(batch=batch).select_related("card"))
    assert [e.serial for e in entries] == [1, 2, 3, 4]
    for entry in entries:
        card = entry.card
        assert card.status == Card.Status.PENDING
        assert card.member_id is None and card.expires_at is None
        assert card.card_type_id == gift_type.pk and card.store_id == batch.store_id
        assert len(card.number) == 16 and card.number.isdigit()
        # Accounts opened, empty until the sale.
        balances = {a.kind: a.balance for a in Account.objects.filter(card_id=card.pk)}
        assert balances == {"principal": 0, "bonus": 0, "points": 0}
        # The code: never in clear; its hash checks against the sealed copy.
        code = codes.code_unseal(entry.code_encrypted)
        assert len(code) == 16 and set(code) <= set(codes.ALPHABET)
        assert code not in entry.code_hash and code not in entry.code_encrypted
        assert codes.code_matches(entry.code_hash, card.number, code)
        assert not codes.code_matches(entry.code_hash, card.number, code[::-1])
    assert len({codes.code_unseal(e.code_encrypted) for e in entries}) == 4
    # The buyer's contact is encrypted at rest; no audit row carries it.
    assert "李经理" not in batch.buyer_contact_encrypted
    assert pii.decrypt(batch.buyer_contact_encrypted) == "李经理 13912345678"
    actions = list(
        AuditEvent.objects.filter(subject_type="card_batch", subject_id=str(batch.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["card_batch.created", "card_batch.generated"]
    for event in AuditEvent.objects.all():
        assert "13912345678" not in str(event.after) and "李经理" not in str(event.after)
    assert verify_ledger().ok


def test_a_pending_card_cannot_be_used_at_the_counter(make_batch, cashier):
    batch = make_batch(count=1, sold=True)
    card = BatchCard.objects.get(batch=batch).card
    before = principal(card.pk)
    assert before == 10_000
    with pytest.raises(DomainError) as caught:
        wallet_recharge(
            actor=cashier, card_id=card.pk, amount_fen=100, method="cash", idempotency_key=key()
        )
    assert caught.value.code == "card_not_activated"
    assert "activate" in str(caught.value.message) or "激活" in str(caught.value.message)
    with pytest.raises(DomainError) as caught:
        sale_quick(
            actor=cashier,
            data=QuickSaleInput(card_id=card.pk, amount_fen=1_000, balance_fen=1_000),
            idempotency_key=key(),
        )
    assert caught.value.code == "card_not_activated"
    assert principal(card.pk) == before


def test_create_replay_returns_the_same_batch(owner, stores, gift_type):
    data = BatchInput(
        card_type_id=gift_type.pk,
        count=2,
        face_value_fen=1_000,
        store_id=stores[0].pk,
        buyer_company="华夏科技",
    )
    the_key = key()
    first = card_batch_create(actor=owner, data=data, idempotency_key=the_key)
    before = snapshot()
    again = card_batch_create(actor=owner, data=data, idempotency_key=the_key)
    assert again.pk == first.pk
    assert snapshot() == before
    other = BatchInput(**{**data.__dict__, "count": 3})
    refused(
        lambda: card_batch_create(actor=owner, data=other, idempotency_key=the_key),
        "idempotency_key_reused",
    )


def test_an_interrupted_generation_makes_exactly_the_missing_cards(
    monkeypatch, owner, stores, gift_type
):
    monkeypatch.setattr(batches, "CHUNK_CARDS", 2)
    real = batches._generate_chunk
    calls = {"n": 0}

    def crash_on_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the server went down")
        return real(**kwargs)

    monkeypatch.setattr(batches, "_generate_chunk", crash_on_second)
    data = BatchInput(
        card_type_id=gift_type.pk,
        count=5,
        face_value_fen=1_000,
        store_id=stores[0].pk,
        buyer_company="华夏科技",
    )
    with pytest.raises(RuntimeError):
        card_batch_create(actor=owner, data=data, idempotency_key=key())
    batch = CardBatch.objects.get()
    assert batch.status == CardBatch.Status.GENERATING
    assert BatchCard.objects.filter(batch=batch).count() == 2
    monkeypatch.setattr(batches, "_generate_chunk", real)
    done = card_batch_generate(actor=owner, batch_id=batch.pk)
    assert done.status == CardBatch.Status.GENERATED
    assert sorted(BatchCard.objects.filter(batch=batch).values_list("serial", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert Card.objects.count() == 5
    before = snapshot()
    card_batch_generate(actor=owner, batch_id=batch.pk)  # nothing left to make
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"count": 0}, "invalid_batch_count"),
        ({"count": 10_001}, "invalid_batch_count"),
        ({"face_value_fen": 0}, "invalid_amount"),
        ({"face_value_fen": 100_001}, "prepaid_limit_exceeded"),  # bearer type: ¥1,000
        ({"validity_months": 0}, "invalid_validity"),
        ({"buyer_company": "  \u200b "}, "buyer_required"),
        ({"buyer_company": "公" * 101}, "text_too_long"),
        ({"store_id": 999_999}, "unknown_store"),
        ({"card_type_id": 999_999}, "unknown_card_type"),
        ({"activate_by": "yesterday"}, "activate_by_in_past"),
        ({"activate_by": dt.date(1999, 12, 31)}, "date_out_of_range"),
    ],
)
def test_generate_refusals_change_nothing(owner, stores, gift_type, change, code):
    values = {
        "card_type_id": gift_type.pk,
        "count": 2,
        "face_value_fen": 1_000,
        "store_id": stores[0].pk,
        "buyer_company": "华夏科技",
        **change,
    }
    if values.get("activate_by") == "yesterday":
        values["activate_by"] = local_today() - dt.timedelta(days=1)
    refused(
        lambda: card_batch_create(actor=owner, data=BatchInput(**values), idempotency_key=key()),
        code,
    )


def test_named_type_limit_is_the_named_one(make_batch, named_type):
    batch = make_batch(count=1, face=500_000, card_type_id=named_type.pk)
    assert batch.face_value_fen == 500_000
    with pytest.raises(DomainError) as caught:
        make_batch(count=1, face=500_001, card_type_id=named_type.pk)
    assert caught.value.code == "prepaid_limit_exceeded"


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CASHIER, Role.MARKETER])
def test_only_owner_and_head_office_generate(actors, stores, gift_type, role):
    data = BatchInput(
        card_type_id=gift_type.pk,
        count=1,
        face_value_fen=1_000,
        store_id=stores[0].pk,
        buyer_company="华夏科技",
    )
    refused(
        lambda: card_batch_create(actor=actors[role], data=data, idempotency_key=key()),
        "permission_denied",
    )


def test_head_office_generates(actors, make_batch):
    assert make_batch(count=1, actor=actors[Role.HQ_ADMIN]).status == CardBatch.Status.GENERATED


# -------------------------------------------------------------------------------- sell


def test_sale_receives_the_money_once_and_puts_the_face_value_on_each_card(
    monkeypatch, make_batch, owner, stores
):
    monkeypatch.setattr(batches, "CHUNK_CARDS", 2)
    batch = make_batch(count=5, face=12_345)
    the_key = key()
    sold = card_batch_sell(
        actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=the_key
    )
    assert sold.status == CardBatch.Status.SOLD and sold.payment_method == "enterprise"
    assert sold.sold_at is not None and sold.sold_by_id == owner.staff.pk
    card_ids = list(BatchCard.objects.filter(batch=batch).values_list("card_id", flat=True))
    assert [principal(c) for c in card_ids] == [12_345] * 5
    # Three operations of chunks of two cards, from the selling store's funding account.
    operations = Operation.objects.filter(kind="card_batch_sale")
    assert operations.count() == 3
    assert {op.store_id for op in operations} == {stores[0].pk}
    funding = Account.objects.get(kind=Account.Kind.STORE_FUNDING, store_id=stores[0].pk)
    assert Entry.objects.filter(account=funding).aggregate(s=Sum("delta"))["s"] == -61_725
    assert Transfer.objects.filter(kind="card_batch_sale").aggregate(s=Sum("amount"))["s"] == (
        61_725
    )
    # Audited and emitted once.
    sold_audit = AuditEvent.objects.get(action="card_batch.sold")
    assert sold_audit.after["amount_fen"] == 61_725 and sold_audit.after["cards"] == 5
    event = OutboxEvent.objects.get(name="card_batch.sold")
    assert event.payload == {
        "batch_id": batch.pk,
        "card_type_id": batch.card_type_id,
        "cards": 5,
        "amount_fen": 61_725,
        "method": "enterprise",
    }
    assert event.store_id == stores[0].pk
    # A replay returns the batch and changes nothing; a new key is refused.
    before = snapshot()
    again = card_batch_sell(
        actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=the_key
    )
    assert again.pk == batch.pk and snapshot() == before
    refused(
        lambda: card_batch_sell(
            actor=owner, batch_id=batch.pk, method="enterprise", idempotency_key=key()
        ),
        "batch_already_sold",
    )
    assert verify_ledger().ok


def test_an_interrupted_sale_is_finished_by_the_same_request(monkeypatch, make_batch, owner):
    monkeypatch.setattr(batches, "CHUNK_CARDS", 2)
    batch = make_batch(count=5, face=1_000)
    real = batches._sell_chunk
    calls = {"n": 0}

    def crash_on_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the server went down")
        return real(**kwargs)

    monkeypatch.setattr(batches, "_sell_chunk", crash_on_second)
    the_key = key()
    with pytest.raises(RuntimeError):
        card_batch_sell(actor=owner, batch_id=batch.pk, method="wechat", idempotency_key=the_key)
    batch.refresh_from_db()
    assert batch.status == CardBatch.Status.SELLING
    assert BatchCard.objects.filter(batch=batch, sale_operation__isnull=False).count() == 2
    monkeypatch.setattr(batches, "_sell_chunk", real)
    done = card_batch_sell(actor=owner, batch_id=batch.pk, method="wechat", idempotency_key=the_key)
    assert done.status == CardBatch.Status.SOLD
    amounts = [
        principal(c)
        for c in BatchCard.objects.filter(batch=batch).values_list("card_id", flat=True)
    ]
    assert amounts == [1_000] * 5
    assert Transfer.objects.filter(kind="card_batch_sale").count() == 5
    assert AuditEvent.objects.filter(action="card_batch.sold").count() == 1
    assert verify_ledger().ok


def test_store_manager_sells_for_the_own_store_only(actors, make_batch, stores, owner):
    manager = actors[Role.STORE_MANAGER]  # works at the first store
    elsewhere = make_batch(count=1, store_id=stores[1].pk)
    refused(
        lambda: card_batch_sell(
            actor=manager, batch_id=elsewhere.pk, method="cash", idempotency_key=key()
        ),
        "store_forbidden",
    )
    here = make_batch(count=1)
    assert (
        card_batch_sell(actor=manager, batch_id=here.pk, method="cash", idempotency_key=key())
    ).status == CardBatch.Status.SOLD
    refused(
        lambda: card_batch_sell(
            actor=actors[Role.CASHIER], batch_id=elsewhere.pk, method="cash", idempotency_key=key()
        ),
        "permission_denied",
    )


def test_sale_refusals_change_nothing(make_batch, owner):
    batch = make_batch(count=2, face=90_000)
    refused(
        lambda: card_batch_sell(
            actor=owner, batch_id=batch.pk, method="bitcoin", idempotency_key=key()
        ),
        "invalid_method",
    )
    refused(
        lambda: card_batch_sell(
            actor=owner, batch_id=999_999, method="cash", idempotency_key=key()
        ),
        "card_batch_not_found",
    )
    # The anonymous limit was lowered after generation: the sale is refused.
    WalletPolicy.objects.filter(pk=WalletPolicy.current().pk).update(anonymous_limit_fen=50_000)
    refused(
        lambda: card_batch_sell(
            actor=owner, batch_id=batch.pk, method="cash", idempotency_key=key()
        ),
        "prepaid_limit_exceeded",
    )
    batch.refresh_from_db()
    assert batch.status == CardBatch.Status.GENERATED
