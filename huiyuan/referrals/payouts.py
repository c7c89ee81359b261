"""Paying released referral commission out to the referrer (佣金发放).

The declared policy: released commission is **credited to the referrer's stored value as
bonus (赠送金)** on their oldest active card, from the paying store's bonus account (the
store the manager works at; head office without a store: the card's home store). The bonus
lot does not expire (it was earned, not given).

What is owed to a member is the sum of the commission rows no payout has settled yet:

- every **released** credit (held credits are never paid: the return window is open);
- every reversal (negative) of a released credit — a return before the payout makes the
  credit's net smaller; a return after the payout is owed back and deducted from the
  next payout. A credit reversed in full nets to zero: reversed commission is never paid.

``commission_payout`` runs once per idempotency key, in one transaction: the member, card
and card accounts locked (``card_lock``), then the owed commission rows (by id); the
amount is decided under those locks and must equal what the manager confirmed
(``expected_fen``); the rows are marked with the payout, so two payouts of the same
commission — whatever their keys — pay it once. Audit ``referral.commission_paid`` and
the event of the same name in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.referrals.models import ReferralCommission, ReferralPayout
from huiyuan.stores.scope import ScopeOp, scope_require

MAX_PAYOUT_FEN = 100_000_000  # ¥1,000,000: a typing error, not a commission

Status = ReferralCommission.Status


def owed_rows(*, store_ids: frozenset[int] | None = None) -> QuerySet[ReferralCommission]:
    """The commission rows no payout has settled yet: released credits and the reversals of
    released credits (in the given stores; None: every store)."""
    released = ReferralCommission.objects.filter(reverses__isnull=True, status=Status.RELEASED)
    rows = ReferralCommission.objects.filter(payout__isnull=True).filter(
        Q(pk__in=released.values("pk")) | Q(reverses_id__in=released.values("pk"))
    )
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    return rows


@dataclass(frozen=True)
class Owed:
    member_id: int
    amount_fen: int
    rows: int


def owed_by_member(*, actor: Actor) -> list[Owed]:
    """What each referrer is owed (released, not paid), largest first, in the actor's stores."""
    require(actor, Perm.MEMBER_VIEW)
    grouped = (
        owed_rows(store_ids=actor.store_ids)
        .values("beneficiary_id")
        .annotate(amount=Sum("amount_fen"), rows=Count("pk"))
        .order_by("-amount", "beneficiary_id")
    )
    return [
        Owed(member_id=g["beneficiary_id"], amount_fen=g["amount"] or 0, rows=g["rows"])
        for g in grouped
        if g["amount"]
    ]


def owed_to(*, actor: Actor, member_id: int) -> int:
    """What the member is owed now, in the actor's stores (fen)."""
    require(actor, Perm.MEMBER_VIEW)
    rows = owed_rows(store_ids=actor.store_ids).filter(beneficiary_id=member_id)
    return rows.aggregate(s=Sum("amount_fen"))["s"] or 0


def _payout_card(member_id: int) -> Card | None:
    return (
        Card.objects.filter(member_id=member_id, status=Card.Status.ACTIVE).order_by("id").first()
    )


def commission_payout(
    *, actor: Actor, member_id: int, expected_fen: int, idempotency_key: str
) -> ReferralPayout:
    """Pay the member's released, unpaid commission (in the actor's stores) into their stored
    value as bonus; ``expected_fen`` is the amount the manager confirmed."""
    require(actor, Perm.REFERRAL_PAYOUT)
    if (
        not isinstance(expected_fen, int)
        or isinstance(expected_fen, bool)
        or not 0 < expected_fen <= MAX_PAYOUT_FEN
    ):
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="expected_fen"
        )
    member = Member.objects.filter(pk=member_id).only("pk").first()
    if member is None:
        raise NotFound(_("Member not found."), code="member_not_found")

    def perform() -> ReferralPayout:
        now = timezone.now()
        card = _payout_card(member_id)
        if card is None:
            raise Conflict(
                _("The member has no active card to receive the commission."),
                code="card_required",
            )
        lock = card_lock(card.pk)  # member → card → accounts, then the commission rows
        if lock.member is None or lock.member.pk != member_id:
            raise Conflict(_("The card changed hands: try again."), code="card_changed")
        if lock.member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        if lock.card.status != Card.Status.ACTIVE:
            raise Conflict(_("The card is not active."), code="card_not_active")
        scope_require(actor, ScopeOp.RECHARGE, home_store_id=lock.card.store_id)
        rows = list(
            owed_rows(store_ids=actor.store_ids)
            .filter(beneficiary_id=member_id)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        amount = sum(row.amount_fen for row in rows)
        if amount <= 0:
            raise Conflict(
                _("No released commission is owed to this member."), code="nothing_to_pay"
            )
        if amount != expected_fen:
            raise Conflict(
                _("The commission owed is now %(amount)s: check it and confirm again.")
                % {"amount": fen_to_yuan_str(amount)},
                code="payout_amount_changed",
                details={"owed_fen": amount},
            )
        store_id = actor.store_id if actor.store_id is not None else lock.card.store_id
        operation = ledger.operation_post(
            actor=actor,
            kind="referral_payout",
            moves=[
                ledger.Move(
                    kind="referral_payout",
                    source=ledger.store_account(Account.Kind.STORE_BONUS, store_id),
                    target=lock.bonus,
                    amount=amount,
                    expires_at=None,
                    lot_store_id=store_id,
                )
            ],
            member_id=member_id,
            card_id=lock.card.pk,
            store_id=store_id,
            now=now,
            details={"commission_rows": len(rows)},
            locked=lock.accounts,
        ).operation
        payout = ReferralPayout.objects.create(
            beneficiary_id=member_id,
            card=lock.card,
            amount_fen=amount,
            rows=len(rows),
            store_id=store_id,
            operation_id=operation.pk,
            paid_by=actor.staff,
            created_at=now,
        )
        ReferralCommission.objects.filter(pk__in=[row.pk for row in rows]).update(payout=payout)
        audit_record(
            actor=actor,
            action="referral.commission_paid",
            subject_type="member",
            subject_id=member_id,
            member_id=member_id,
            after={
                "payout": payout.pk,
                "amount": amount,
                "card": lock.card.number,
                "rows": [row.pk for row in rows],
            },
            store_id=store_id,
        )
        event_emit(
            "referral.commission_paid",
            payload={
                "payout_id": payout.pk,
                "card_id": lock.card.pk,
                "operation_id": operation.pk,
                "amount_fen": amount,
            },
            member_id=member_id,
            store_id=store_id,
        )
        return payout

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="referral_payout",
        payload={"member": member_id, "expected": expected_fen},
        perform=perform,
        load=lambda pk: ReferralPayout.objects.select_related("card", "beneficiary").get(pk=pk),
    )
