"""Pre-made card batches with secret codes (卡密, C1): generate, sell, void.

A company buys, say, 500 stored-value cards of ¥100 to hand out. The merchant:

1. **generates** the batch (``card_batch_create``): 500 real ``Card`` rows of the chosen
   card type, unbound and ``pending`` — refused at the counter (``card_not_activated``) —
   each with a ``BatchCard`` holding its random secret code as a keyed hash
   (``huiyuan/cards/codes.py``), and its accounts opened empty;
2. **prints** the numbers and codes (``huiyuan/cards/batch_export.py``, owner and head
   office, audited);
3. **sells** it (``card_batch_sell``): the company's payment is received once at the
   selling store and the face value is put on each card's principal at once
   (``STORE_FUNDING`` → principal): from then on it is outstanding prepaid liability, in
   every stored-value report, though no one can spend it yet;
4. a recipient **activates** a card at the counter with number and code
   (``huiyuan/cards/activation.py``): the card is bound to a member (or stays a bearer
   card) and becomes usable; no money moves;
5. cards never activated may be **voided** (``huiyuan/cards/batch_void.py``): their face
   value is paid back to the buyer from the selling store (principal → ``STORE_REFUNDS``),
   the cards are cancelled and their codes erased.

The rules, with the reasons, are in ``docs/money-rules.md`` ("Pre-made card batches").

Long work goes in short transactions (``CHUNK_CARDS`` cards each, retried on a deadlock or a
busy database): a counter waits for one chunk at most, never for a 10,000-card batch. Each
step is idempotent and re-reads what is left under its locks, so running it again — after
a crash, a double click, a replay of the same Idempotency-Key — does exactly the rest.

Locks: every change to a ``BatchCard`` happens under its card's row lock (cards by id,
then their accounts, the order of ``cards.locks``); the batch row is locked alone or after
cards, never before them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards import codes
from huiyuan.cards.models import BatchCard, Card, CardBatch, CardBatchVoid, CardType
from huiyuan.cards.services import MAX_VALIDITY_MONTHS, luhn_digit
from huiyuan.core import pii
from huiyuan.core.bounds import check_business_moment, is_visible, strip_invisible
from huiyuan.core.clock import local_today
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.stores.models import Store
from huiyuan.wallet.models import PaymentMethod, WalletPolicy

MAX_CARDS = 10_000
# A batch card's face value: at most ¥1,000,000 (the prepaid limits keep it far lower).
MAX_FACE_FEN = 100_000_000
CHUNK_CARDS = 250
# On SQLite one writer holds the whole file: between two chunks the batch pauses a little
# longer than a waiting writer's busy handler polls (100 ms), so a counter gets in.
SQLITE_PAUSE_SECONDS = 0.11
TEXT_MAX = 100
NOTE_MAX = 200


@dataclass(frozen=True)
class BatchInput:
    """What the merchant fills in to generate a batch."""

    card_type_id: int
    count: int
    face_value_fen: int
    store_id: int
    buyer_company: str
    buyer_contact: str = ""  # contact person and telephone: encrypted, never logged
    validity_months: int | None = None  # from activation; default: the card type's
    activate_by: dt.date | None = None  # last local date a code may be used
    note: str = ""


def limit_for(card_type: CardType, policy: WalletPolicy) -> int:
    """The prepaid limit of a card of ``card_type`` (anonymous or named, W3)."""
    return policy.anonymous_limit_fen if card_type.anonymous else policy.named_limit_fen


def _require_within_limit(card_type: CardType, face_value_fen: int) -> None:
    limit = limit_for(card_type, WalletPolicy.current())
    if face_value_fen > limit:
        raise Conflict(
            _(
                "Over the prepaid limit: a card of this type may hold at most %(limit)s; "
                "lower the face value."
            )
            % {"limit": fen_to_yuan_str(limit)},
            code="prepaid_limit_exceeded",
            field="face_value_fen",
            details={"limit_fen": limit},
        )


def _clean_text(value: str, *, field: str, limit: int, required: bool) -> str:
    text = strip_invisible((value or "").strip())
    if required and not is_visible(text):
        raise ValidationFailed(
            _("Enter the buying company's name."), code="buyer_required", field=field
        )
    if len(text) > limit:
        raise ValidationFailed(
            _("At most %(n)s characters.") % {"n": limit}, code="text_too_long", field=field
        )
    return text


def _check_input(data: BatchInput) -> tuple[CardType, Store]:
    if not isinstance(data.count, int) or not 1 <= data.count <= MAX_CARDS:
        raise ValidationFailed(
            _("A batch has 1 to 10,000 cards."), code="invalid_batch_count", field="count"
        )
    if not isinstance(data.face_value_fen, int) or not 1 <= data.face_value_fen <= MAX_FACE_FEN:
        raise ValidationFailed(
            _("Enter a face value above zero."), code="invalid_amount", field="face_value_fen"
        )
    if data.validity_months is not None and not 1 <= data.validity_months <= MAX_VALIDITY_MONTHS:
        raise ValidationFailed(
            _("Validity is 1 to 1200 months."), code="invalid_validity", field="validity_months"
        )
    if data.activate_by is not None:
        check_business_moment(data.activate_by, field="activate_by")
        if data.activate_by < local_today():
            raise ValidationFailed(
                _("The last day to activate cannot be in the past."),
                code="activate_by_in_past",
                field="activate_by",
            )
    store = Store.objects.filter(pk=data.store_id).first()
    if store is None:
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    card_type = CardType.objects.filter(pk=data.card_type_id, is_active=True).first()
    if card_type is None:
        raise NotFound(_("Unknown card type."), code="unknown_card_type", field="card_type_id")
    _require_within_limit(card_type, data.face_value_fen)
    return card_type, store


def run_in_chunks(step: Callable[[], bool]) -> None:
    """Run ``step`` — one short transaction, retried — until it reports the work done."""
    while not atomic_retry(step):
        if connection.vendor == "sqlite":
            time.sleep(SQLITE_PAUSE_SECONDS)


def batch_or_404(batch_id: int, *, lock: bool = False) -> CardBatch:
    qs = CardBatch.objects.select_related("card_type", "store")
    if lock:
        qs = qs.select_for_update(of=("self",))
    batch = qs.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("Card batch not found."), code="card_batch_not_found")
    return batch


def _load(batch_id: int) -> CardBatch:
    return CardBatch.objects.select_related("card_type", "store").get(pk=batch_id)


# ---------------------------------------------------------------------------- generate


def card_batch_create(*, actor: Actor, data: BatchInput, idempotency_key: str) -> CardBatch:
    """Record a batch and generate its cards (in chunks); a replay returns the same batch.

    If generation stopped half-way (a crash), the replay — or ``card_batch_generate`` —
    makes exactly the cards still missing.
    """
    require(actor, Perm.CARD_BATCH_MANAGE, store_id=data.store_id, check_store=True)
    card_type, store = _check_input(data)
    company = _clean_text(data.buyer_company, field="buyer_company", limit=TEXT_MAX, required=True)
    contact = _clean_text(data.buyer_contact, field="buyer_contact", limit=TEXT_MAX, required=False)
    note = _clean_text(data.note, field="note", limit=NOTE_MAX, required=False)

    def perform() -> CardBatch:
        batch = CardBatch.objects.create(
            store=store,
            card_type=card_type,
            buyer_company=company,
            buyer_contact_encrypted=pii.encrypt(contact),
            count=data.count,
            face_value_fen=data.face_value_fen,
            validity_months=data.validity_months,
            activate_by=data.activate_by,
            note=note,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="card_batch.created",
            subject_type="card_batch",
            subject_id=batch.pk,
            after={
                "card_type": card_type.code,
                "count": batch.count,
                "face_value_fen": batch.face_value_fen,
                "validity_months": batch.validity_months,
                "activate_by": batch.activate_by.isoformat() if batch.activate_by else None,
            },
            store_id=store.pk,
        )
        return batch

    batch = command_run(
        actor=actor,
        key=idempotency_key,
        kind="card_batch_create",
        payload={
            "card_type_id": data.card_type_id,
            "count": data.count,
            "face_value_fen": data.face_value_fen,
            "store_id": data.store_id,
            "buyer_company": company,
            "buyer_contact": pii.keyed_hash(contact) if contact else "",
            "validity_months": data.validity_months,
            "activate_by": data.activate_by,
            "note": note,
        },
        perform=perform,
        load=_load,
    )
    run_in_chunks(lambda: _generate_chunk(actor=actor, batch_id=batch.pk))
    return _load(batch.pk)


def card_batch_generate(*, actor: Actor, batch_id: int) -> CardBatch:
    """Make the cards of a batch still missing (after an interrupted generation)."""
    require(actor, Perm.CARD_BATCH_MANAGE)
    batch = batch_or_404(batch_id)
    require(actor, Perm.CARD_BATCH_MANAGE, store_id=batch.store_id, check_store=True)
    run_in_chunks(lambda: _generate_chunk(actor=actor, batch_id=batch_id))
    return _load(batch_id)


def _new_numbers(prefix: str, count: int) -> list[str]:
    """``count`` new 16-digit card numbers (Luhn check digit) that no card has yet."""
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted: set[str] = set()
        while len(wanted) < count - len(numbers):
            body = f"{prefix}{secrets.randbelow(10**14):014d}"[:15]
            number = body + luhn_digit(body)
            if number not in numbers:
                wanted.add(number)
        taken = set(Card.objects.filter(number__in=wanted).values_list("number", flat=True))
        numbers |= wanted - taken
    return sorted(numbers)


def _generate_chunk(*, actor: Actor, batch_id: int) -> bool:
    """Make up to ``CHUNK_CARDS`` more cards; True when the batch has all its cards."""
    batch = batch_or_404(batch_id, lock=True)
    if batch.status != CardBatch.Status.GENERATING:
        return True
    made = BatchCard.objects.filter(batch=batch).count()
    todo = min(CHUNK_CARDS, batch.count - made)
    now = timezone.now()
    if todo > 0:
        numbers = _new_numbers(batch.card_type.number_prefix, todo)
        cards = Card.objects.bulk_create(
            [
                Card(
                    number=number,
                    card_type=batch.card_type,
                    member=None,
                    status=Card.Status.PENDING,
                    store_id=batch.store_id,
                    issued_by=actor.staff,
                    issued_at=now,
                    expires_at=None,
                )
                for number in numbers
            ]
        )
        Account.objects.bulk_create(
            [
                Account(kind=kind, unit=ledger.KIND_UNIT[kind], card_id=card.pk, member_side=True)
                for card in cards
                for kind in Account.MEMBER_KINDS
            ]
        )
        entries = []
        for serial, card in enumerate(cards, start=made + 1):
            code = codes.code_new()
            entries.append(
                BatchCard(
                    batch=batch,
                    card=card,
                    serial=serial,
                    code_hash=codes.code_hash(card.number, code),
                    code_encrypted=codes.code_seal(code),
                )
            )
        BatchCard.objects.bulk_create(entries)
        made += todo
    if made < batch.count:
        return False
    batch.status = CardBatch.Status.GENERATED
    batch.generated_at = now
    batch.save(update_fields=["status", "generated_at"])
    in_order = BatchCard.objects.filter(batch=batch).order_by("serial")
    first = in_order.values_list("card__number", flat=True).first()
    last = in_order.values_list("card__number", flat=True).last()
    audit_record(
        actor=actor,
        action="card_batch.generated",
        subject_type="card_batch",
        subject_id=batch.pk,
        before={"status": CardBatch.Status.GENERATING},
        after={"status": batch.status, "count": batch.count, "first": first, "last": last},
        store_id=batch.store_id,
    )
    return True


# -------------------------------------------------------------------------------- sell


def card_batch_sell(*, actor: Actor, batch_id: int, method: str, idempotency_key: str) -> CardBatch:
    """Receive the buyer's payment once and put each card's face value on it.

    The batch's cards still awaiting activation are sold (voided ones are not); the money
    is recorded at the selling store, in chunks of cards, one ledger operation each.
    """
    require(actor, Perm.CARD_BATCH_SELL)
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")

    def perform() -> CardBatch:
        batch = batch_or_404(batch_id, lock=True)
        require(actor, Perm.CARD_BATCH_SELL, store_id=batch.store_id, check_store=True)
        if batch.status == CardBatch.Status.SELLING and batch.payment_method == method:
            return batch  # an interrupted sale: carry on with it
        if batch.status in (CardBatch.Status.SELLING, CardBatch.Status.SOLD):
            raise Conflict(_("This batch has been sold already."), code="batch_already_sold")
        if batch.status == CardBatch.Status.GENERATING:
            raise Conflict(
                _("The batch's cards are still being generated."), code="batch_generating"
            )
        if CardBatchVoid.objects.filter(batch=batch, status=CardBatchVoid.Status.RUNNING).exists():
            raise Conflict(_("Cards of this batch are being voided."), code="batch_voiding")
        pending = BatchCard.objects.filter(batch=batch, status=BatchCard.Status.PENDING).count()
        if pending == 0:
            raise Conflict(_("No card of this batch is left to sell."), code="batch_empty")
        _require_within_limit(batch.card_type, batch.face_value_fen)
        batch.status = CardBatch.Status.SELLING
        batch.payment_method = method
        batch.sold_by = actor.staff
        batch.save(update_fields=["status", "payment_method", "sold_by"])
        audit_record(
            actor=actor,
            action="card_batch.sale_started",
            subject_type="card_batch",
            subject_id=batch.pk,
            before={"status": CardBatch.Status.GENERATED},
            after={
                "status": batch.status,
                "method": method,
                "cards": pending,
                "amount_fen": pending * batch.face_value_fen,
            },
            store_id=batch.store_id,
        )
        return batch

    command_run(
        actor=actor,
        key=idempotency_key,
        kind="card_batch_sell",
        payload={"batch_id": batch_id, "method": method},
        perform=perform,
        load=_load,
    )
    run_in_chunks(lambda: _sell_chunk(actor=actor, batch_id=batch_id))
    return _load(batch_id)


def _sell_chunk(*, actor: Actor, batch_id: int) -> bool:
    """Put the face value on up to ``CHUNK_CARDS`` cards not yet paid for; True when the
    batch is sold (then: status, audit and event, once)."""
    batch = batch_or_404(batch_id)
    if batch.status != CardBatch.Status.SELLING:
        return True
    unpaid = BatchCard.objects.filter(
        batch_id=batch_id, status=BatchCard.Status.PENDING, sale_operation__isnull=True
    )
    ids = list(unpaid.order_by("card_id").values_list("card_id", flat=True)[:CHUNK_CARDS])
    if ids:
        # Lock the cards (no member yet: the card is first in the lock order), then re-read.
        list(Card.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
        ids = list(unpaid.filter(card_id__in=ids).values_list("card_id", flat=True))
    if ids:
        funding = ledger.store_account(Account.Kind.STORE_FUNDING, batch.store_id)
        principals = Account.objects.filter(card_id__in=ids, kind=Account.Kind.PRINCIPAL)
        result = ledger.operation_post(
            actor=actor,
            kind="card_batch_sale",
            moves=[
                ledger.Move(
                    kind="card_batch_sale",
                    source=funding,
                    target=principal,
                    amount=batch.face_value_fen,
                )
                for principal in principals.order_by("pk")
            ],
            member_id=None,
            card_id=None,
            store_id=batch.store_id,
            details={"batch": batch.pk, "cards": len(ids), "method": batch.payment_method},
        )
        BatchCard.objects.filter(card_id__in=ids).update(sale_operation=result.operation)
        if unpaid.exists():
            return False
    return _sale_finish(actor=actor, batch_id=batch_id)


def _sale_finish(*, actor: Actor, batch_id: int) -> bool:
    batch = batch_or_404(batch_id, lock=True)
    if batch.status != CardBatch.Status.SELLING:
        return True
    from huiyuan.cards.selectors import batch_received_fen

    cards = BatchCard.objects.filter(batch=batch, sale_operation__isnull=False).count()
    amount = batch_received_fen(batch.pk)
    batch.status = CardBatch.Status.SOLD
    batch.sold_at = timezone.now()
    batch.save(update_fields=["status", "sold_at"])
    audit_record(
        actor=actor,
        action="card_batch.sold",
        subject_type="card_batch",
        subject_id=batch.pk,
        before={"status": CardBatch.Status.SELLING},
        after={
            "status": batch.status,
            "cards": cards,
            "amount_fen": amount,
            "method": batch.payment_method,
        },
        store_id=batch.store_id,
    )
    event_emit(
        "card_batch.sold",
        payload={
            "batch_id": batch.pk,
            "card_type_id": batch.card_type_id,
            "cards": cards,
            "amount_fen": amount,
            "method": batch.payment_method,
        },
        store_id=batch.store_id,
    )
    return True
