"""Voiding the cards of a batch never activated (作废退款): their value back to the buyer.

Declared rule (docs/money-rules.md, "Pre-made card batches"): each sold card's whole
principal — its face value — is paid back to the buying company from the selling store
(principal → ``STORE_REFUNDS``, by the method given); an unsold card held nothing. The cards
are cancelled and their codes erased. Each card is decided under its own lock, so a card
activated while the void runs is skipped, never refunded, and a card voided cannot be
activated afterwards. The work runs in short chunks like generation and sale
(``huiyuan/cards/batches.py``); ``card_batch_void_resume`` finishes one that stopped.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards import batches
from huiyuan.cards.batches import NOTE_MAX, batch_or_404, run_in_chunks
from huiyuan.cards.models import BatchCard, Card, CardBatch, CardBatchVoid
from huiyuan.core.bounds import is_visible, strip_invisible
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.wallet.models import PaymentMethod


def card_batch_void(
    *,
    actor: Actor,
    batch_id: int,
    reason: str,
    method: str,
    idempotency_key: str,
    card_numbers: list[str] | None = None,
) -> CardBatchVoid:
    """Void the batch's cards still awaiting activation (all, or the numbers given).

    Declared rule: a sold card's face value is paid back in full to the buyer from the
    selling store (principal → ``STORE_REFUNDS``, paid by ``method``); an unsold card had
    none. The cards are cancelled and their codes erased; activated cards are never
    touched (a card activated while the void runs is simply skipped).
    """
    require(actor, Perm.CARD_BATCH_MANAGE)
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Unknown payment method."), code="invalid_method", field="method")
    reason = strip_invisible((reason or "").strip())
    if not is_visible(reason):
        raise ValidationFailed(_("Give a reason."), code="reason_required", field="reason")
    reason = reason[:NOTE_MAX]
    numbers = None
    if card_numbers is not None:
        numbers = sorted({"".join(str(n).split()) for n in card_numbers if str(n).strip()})
        if not numbers:
            raise ValidationFailed(
                _("Name at least one card to void."), code="cards_required", field="card_numbers"
            )

    def perform() -> CardBatchVoid:
        batch = batch_or_404(batch_id, lock=True)
        require(actor, Perm.CARD_BATCH_MANAGE, store_id=batch.store_id, check_store=True)
        if batch.status in (CardBatch.Status.GENERATING, CardBatch.Status.SELLING):
            raise Conflict(
                _("Wait until the batch is generated or sold, then void its cards."),
                code="batch_busy",
            )
        if CardBatchVoid.objects.filter(batch=batch, status=CardBatchVoid.Status.RUNNING).exists():
            raise Conflict(_("Cards of this batch are being voided."), code="batch_voiding")
        card_ids = None
        pending = BatchCard.objects.filter(batch=batch, status=BatchCard.Status.PENDING)
        if numbers is not None:
            found = dict(
                BatchCard.objects.filter(batch=batch, card__number__in=numbers).values_list(
                    "card__number", "status"
                )
            )
            unknown = [n for n in numbers if n not in found]
            if unknown:
                raise ValidationFailed(
                    _("These cards are not in this batch: %(numbers)s")
                    % {"numbers": "、".join(unknown[:20])},
                    code="card_not_in_batch",
                    field="card_numbers",
                    details={"numbers": unknown[:100]},
                )
            closed = [n for n in numbers if found[n] != BatchCard.Status.PENDING]
            if closed:
                raise Conflict(
                    _("These cards were activated or voided already: %(numbers)s")
                    % {"numbers": "、".join(closed[:20])},
                    code="card_not_pending",
                    details={"numbers": closed[:100]},
                )
            pending = pending.filter(card__number__in=numbers)
            card_ids = sorted(pending.values_list("card_id", flat=True))
        count = pending.count()
        if count == 0:
            raise Conflict(_("No card of this batch awaits activation."), code="nothing_to_void")
        void = CardBatchVoid.objects.create(
            batch=batch,
            reason=reason,
            method=method,
            card_ids=card_ids,
            created_by=actor.staff,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="card_batch.void_started",
            subject_type="card_batch",
            subject_id=batch.pk,
            after={"void": void.pk, "cards": count, "method": method},
            note=reason,
            store_id=batch.store_id,
        )
        return void

    void = command_run(
        actor=actor,
        key=idempotency_key,
        kind="card_batch_void",
        payload={"batch_id": batch_id, "reason": reason, "method": method, "cards": numbers},
        perform=perform,
        load=lambda pk: CardBatchVoid.objects.select_related("batch").get(pk=pk),
    )
    run_in_chunks(lambda: _void_chunk(actor=actor, void_id=void.pk))
    return CardBatchVoid.objects.select_related("batch").get(pk=void.pk)


def card_batch_void_resume(*, actor: Actor, void_id: int) -> CardBatchVoid:
    """Finish a void that stopped half-way (after a crash)."""
    require(actor, Perm.CARD_BATCH_MANAGE)
    void = CardBatchVoid.objects.select_related("batch").filter(pk=void_id).first()
    if void is None:
        raise NotFound(_("Void not found."), code="void_not_found")
    require(actor, Perm.CARD_BATCH_MANAGE, store_id=void.batch.store_id, check_store=True)
    run_in_chunks(lambda: _void_chunk(actor=actor, void_id=void_id))
    return CardBatchVoid.objects.select_related("batch").get(pk=void_id)


def _void_chunk(*, actor: Actor, void_id: int) -> bool:
    """Void up to ``CHUNK_CARDS`` more cards, each decided under its card's lock."""
    void = CardBatchVoid.objects.select_related("batch").get(pk=void_id)
    if void.status == CardBatchVoid.Status.DONE:
        return True
    batch = void.batch
    todo = BatchCard.objects.filter(batch_id=batch.pk, status=BatchCard.Status.PENDING)
    if void.card_ids is not None:
        todo = todo.filter(card_id__in=void.card_ids)
    ids = list(todo.order_by("card_id").values_list("card_id", flat=True)[: batches.CHUNK_CARDS])
    if ids:
        list(Card.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
        ids = list(todo.filter(card_id__in=ids).values_list("card_id", flat=True))
    if ids:
        principals = list(
            Account.objects.select_for_update(no_key=True)
            .filter(card_id__in=ids, kind=Account.Kind.PRINCIPAL)
            .order_by("pk")
        )
        refunds = ledger.store_account(Account.Kind.STORE_REFUNDS, batch.store_id)
        moves = [
            ledger.Move(kind="card_batch_void", source=a, target=refunds, amount=a.balance)
            for a in principals
            if a.balance > 0
        ]
        refunded = sum(m.amount for m in moves)
        if moves:
            ledger.operation_post(
                actor=actor,
                kind="card_batch_void",
                moves=moves,
                member_id=None,
                card_id=None,
                store_id=batch.store_id,
                memo=void.reason,
                details={
                    "batch": batch.pk,
                    "void": void.pk,
                    "cards": len(ids),
                    "method": void.method,
                },
                locked={str(a.pk): a for a in principals},
            )
        Card.objects.filter(pk__in=ids).update(
            status=Card.Status.CANCELLED, status_reason=void.reason[:200]
        )
        BatchCard.objects.filter(card_id__in=ids).update(
            status=BatchCard.Status.VOIDED, void=void, code_encrypted=""
        )
        CardBatchVoid.objects.filter(pk=void.pk).update(
            cards_voided=F("cards_voided") + len(ids), refunded_fen=F("refunded_fen") + refunded
        )
        if todo.exists():
            return False
    return _void_finish(actor=actor, void_id=void_id)


def _void_finish(*, actor: Actor, void_id: int) -> bool:
    void = CardBatchVoid.objects.select_for_update().get(pk=void_id)
    if void.status == CardBatchVoid.Status.DONE:
        return True
    void.status = CardBatchVoid.Status.DONE
    void.finished_at = timezone.now()
    void.save(update_fields=["status", "finished_at"])
    batch = CardBatch.objects.get(pk=void.batch_id)
    audit_record(
        actor=actor,
        action="card_batch.voided",
        subject_type="card_batch",
        subject_id=batch.pk,
        after={
            "void": void.pk,
            "cards": void.cards_voided,
            "refunded_fen": void.refunded_fen,
            "method": void.method,
        },
        note=void.reason,
        store_id=batch.store_id,
    )
    event_emit(
        "card_batch.voided",
        payload={
            "batch_id": batch.pk,
            "void_id": void.pk,
            "cards": void.cards_voided,
            "refund_fen": void.refunded_fen,
            "method": void.method,
        },
        store_id=batch.store_id,
    )
    return True
