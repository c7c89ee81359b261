"""Fixtures of the pre-made card batch tests: card types, batches made through services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from huiyuan.cards import services as card_services
from huiyuan.cards.batch_export import card_batch_export
from huiyuan.cards.batches import BatchInput, card_batch_create, card_batch_sell
from huiyuan.cards.models import CardBatch, CardType
from huiyuan.core.permissions import Actor


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def gift_type(owner) -> CardType:
    """A bearer (anonymous) stored-value card type: limit ¥1,000 by default."""
    return card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )


@pytest.fixture
def named_type(owner) -> CardType:
    """A named card type valid 24 months: limit ¥5,000 by default."""
    return card_services.card_type_create(
        actor=owner, code="vip", name="储值卡", category="tier", validity_months=24
    )


@pytest.fixture
def make_batch(owner, stores, gift_type) -> Callable[..., CardBatch]:
    """A generated batch (sold too with ``sold=True``) at the first store, by the owner."""

    def make(
        *,
        count: int = 3,
        face: int = 10_000,
        sold: bool = False,
        actor: Actor | None = None,
        **extra: Any,
    ) -> CardBatch:
        data = BatchInput(
            card_type_id=extra.pop("card_type_id", gift_type.pk),
            count=count,
            face_value_fen=face,
            store_id=extra.pop("store_id", stores[0].pk),
            buyer_company=extra.pop("buyer_company", "华夏科技有限公司"),
            buyer_contact=extra.pop("buyer_contact", "李经理 13912345678"),
            **extra,
        )
        batch = card_batch_create(actor=actor or owner, data=data, idempotency_key=key())
        if sold:
            batch = card_batch_sell(
                actor=actor or owner, batch_id=batch.pk, method="enterprise", idempotency_key=key()
            )
        return batch

    return make


@pytest.fixture
def codes_of(owner) -> Callable[[CardBatch], dict[str, str]]:
    """Card number → secret code of a batch's cards awaiting activation (as printed)."""

    def read(batch: CardBatch) -> dict[str, str]:
        export = card_batch_export(actor=owner, batch_id=batch.pk, fmt="xlsx")
        return {row.number: row.code for row in export.rows}

    return read
