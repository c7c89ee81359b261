"""Reads of cards and their money: balances, lots and history for counters and the member page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import BatchCard, Card, CardBatch, CardBatchVoid, CardHolder, CardType
from huiyuan.core import pii
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account, Entry, Lot, Transfer
from huiyuan.members.models import Member
from huiyuan.members.selectors import member_mask
from huiyuan.stores.scope import stores_in_view


@dataclass(frozen=True)
class CardBalances:
    card: Card
    principal: int
    bonus: int
    points: int
    bonus_available: int
    points_available: int
    points_pending: int = 0  # earned, waiting out the return window (P1)
    points_pending_next: dt.datetime | None = None  # when the next pending points mature

    @property
    def stored_value(self) -> int:
        return self.principal + self.bonus


def _balances_for(cards: list[Card], now: dt.datetime) -> list[CardBalances]:
    ids = [c.pk for c in cards]
    accounts = {(a.card_id, a.kind): a for a in Account.objects.filter(card_id__in=ids)}
    # What expired lots still hold until the sweep takes it, and what pending lots hold
    # until they mature: summed per card and kind, in one query.
    expired: dict[tuple[int, str], int] = {}
    pending: dict[tuple[int, str], tuple[int, dt.datetime | None]] = {}
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    for row in (
        Lot.objects.filter(account__card_id__in=ids, remaining__gt=0)
        .filter(Q(expires_at__lte=now) | Q(matures_at__gt=now))
        .values("account__card_id", "account__kind")
        .annotate(
            expired=Sum("remaining", filter=Q(expires_at__lte=now)),
            pending=Sum("remaining", filter=Q(matures_at__gt=now) & live),
            next=Min("matures_at", filter=Q(matures_at__gt=now) & live),
        )
    ):
        key = (row["account__card_id"], row["account__kind"])
        expired[key] = row["expired"] or 0
        pending[key] = (row["pending"] or 0, row["next"])
    result = []
    for card in cards:

        def bal(kind: str, card_id: int = card.pk) -> int:
            account = accounts.get((card_id, kind))
            return account.balance if account else 0

        result.append(
            CardBalances(
                card=card,
                principal=bal(Account.Kind.PRINCIPAL),
                bonus=bal(Account.Kind.BONUS),
                points=bal(Account.Kind.POINTS),
                bonus_available=bal(Account.Kind.BONUS)
                - expired.get((card.pk, Account.Kind.BONUS), 0),
                points_available=bal(Account.Kind.POINTS)
                - expired.get((card.pk, Account.Kind.POINTS), 0)
                - pending.get((card.pk, Account.Kind.POINTS), (0, None))[0],
                points_pending=pending.get((card.pk, Account.Kind.POINTS), (0, None))[0],
                points_pending_next=pending.get((card.pk, Account.Kind.POINTS), (0, None))[1],
            )
        )
    return result


def members_money(*, actor: Actor, member_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Stored value (principal + bonus) and points on each member's own cards, in two
    queries: ``{member_id: {"stored": fen, "points": n}}`` (absent: no card)."""
    require(actor, Perm.MEMBER_VIEW)
    owner: dict[int, int] = dict(
        Card.objects.filter(member_id__in=list(member_ids)).values_list("pk", "member_id")
    )
    rows = Account.objects.filter(
        card_id__in=list(owner),
        kind__in=(Account.Kind.PRINCIPAL, Account.Kind.BONUS, Account.Kind.POINTS),
    ).values_list("card_id", "kind", "balance")
    found: dict[int, dict[str, int]] = {}
    for card_id, kind, balance in rows:
        if card_id is None:  # store-side accounts have no card; none are selected here
            continue
        figures = found.setdefault(owner[card_id], {"stored": 0, "points": 0})
        figures["points" if kind == Account.Kind.POINTS else "stored"] += balance
    return found


def member_cards(
    *, actor: Actor, member: Member, include_closed: bool = True
) -> list[CardBalances]:
    """The member's cards (held or shared), newest first, each with its balances."""
    require(actor, Perm.MEMBER_VIEW)
    qs = (
        Card.objects.filter(Q(member=member) | Q(holders__member=member))
        .select_related("card_type", "store", "member", "replaced_by")
        .distinct()
        .order_by("-issued_at", "-id")
    )
    if not include_closed:
        qs = qs.filter(status__in=[Card.Status.ACTIVE, Card.Status.LOST])
    return _balances_for(list(qs), timezone.now())


def card_holders(*, actor: Actor, cards: Sequence[Card]) -> dict[int, list[Member]]:
    """The further holders of each shared card (a type allowing more than one), first added
    first; one query for all the cards."""
    require(actor, Perm.MEMBER_VIEW)
    shared: dict[int, list[Member]] = {c.pk: [] for c in cards if c.card_type.max_holders > 1}
    if shared:
        rows = (
            CardHolder.objects.filter(card_id__in=list(shared))
            .select_related("member")
            .order_by("added_at", "pk")
        )
        for row in rows:
            shared[row.card_id].append(row.member)
    return shared


def card_get(*, actor: Actor, card_id: int | None = None, number: str = "") -> CardBalances | None:
    """One card by id or number, with its balances (None when it does not exist)."""
    require(actor, Perm.MEMBER_VIEW)
    qs = Card.objects.select_related("card_type", "store", "member", "replaced_by")
    card = (
        qs.filter(pk=card_id).first()
        if card_id is not None
        else qs.filter(number=number.strip()).first()
    )
    if card is None:
        return None
    if card.member is not None:
        member_mask(actor, [card.member])  # another store's member: masked (通存通兑)
    return _balances_for([card], timezone.now())[0]


def card_lots(*, actor: Actor, card: Card) -> list[Lot]:
    """The card's bonus and points lots, live ones first by expiry."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        Lot.objects.filter(account__card_id=card.pk)
        .select_related("account")
        .order_by("-remaining", "expires_at", "pk")
    )


def card_entries(*, actor: Actor, card: Card, limit: int = 200) -> list[Entry]:
    """The card's ledger entries, newest first, each with the balance after it."""
    require(actor, Perm.MEMBER_VIEW)
    return list(
        Entry.objects.filter(account__card_id=card.pk)
        .select_related(
            "account", "transfer", "transfer__operation", "transfer__operation__operator"
        )
        .order_by("-id")[:limit]
    )


def card_types(*, active_only: bool = True) -> QuerySet[CardType]:
    qs = CardType.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def member_entries(*, actor: Actor, member: Member) -> QuerySet[Entry]:
    """Ledger entries of every card the member holds or shares, newest first (for paging)."""
    require(actor, Perm.MEMBER_VIEW)
    card_ids = Card.objects.filter(Q(member=member) | Q(holders__member=member)).values("pk")
    return (
        Entry.objects.filter(account__card_id__in=card_ids)
        .select_related(
            "account", "transfer", "transfer__operation", "transfer__operation__operator"
        )
        .order_by("-id")
    )


def card_balances(card: Card) -> CardBalances:
    """``card`` re-read with its balances now (after a write the caller was allowed to make)."""
    fresh = Card.objects.select_related("card_type", "store", "member", "replaced_by").get(
        pk=card.pk
    )
    return _balances_for([fresh], timezone.now())[0]


def card_entries_page(
    *, actor: Actor, card: Card, limit: int = 50, offset: int = 0
) -> tuple[int, list[Entry]]:
    """(count, one page of the card's ledger entries, newest first)."""
    require(actor, Perm.MEMBER_VIEW)
    qs = Entry.objects.filter(account__card_id=card.pk)
    page = qs.select_related(
        "account",
        "transfer",
        "transfer__operation",
        "transfer__operation__operator",
    ).order_by("-id")[offset : offset + limit]
    return qs.count(), list(page)


def card_balances_after(*, card_id: int, operation_id: int) -> dict[str, int]:
    """The card's principal, bonus and points as they stood right after ``operation_id``.

    Entries of one account are written under its lock in operation order, so the last entry
    at or before the operation carries the balance then; an untouched account keeps it.
    """
    result: dict[str, int] = {str(kind): 0 for kind in Account.MEMBER_KINDS}
    for account in Account.objects.filter(card_id=card_id, member_side=True):
        entry = (
            Entry.objects.filter(account=account, transfer__operation_id__lte=operation_id)
            .order_by("-id")
            .only("balance_after")
            .first()
        )
        result[account.kind] = (entry.balance_after or 0) if entry else 0
    return result


# ------------------------------------------------------------- pre-made card batches (卡密)

# What a batch has come to, as people read it: the stored status (generation and sale)
# completed by its cards' counts (activation and voids), which change under the cards'
# locks and are never written to the batch row.
BATCH_STATES: dict[str, str | Promise] = {
    "generating": _("Generating"),  # 生成中
    "generated": _("Generated, not sold"),  # 已生成（未售）
    "selling": _("Being sold"),  # 售出中
    "sold": _("Sold, none activated"),  # 已售出
    "partially_activated": _("Partially activated"),  # 部分激活
    "activated": _("All activated"),  # 全部激活
    "closed": _("Closed (activated or voided)"),  # 已结束
    "voided": _("Voided"),  # 已作废
}


@dataclass(frozen=True)
class BatchCounts:
    generated: int = 0
    sold: int = 0  # cards whose face value was received
    pending: int = 0  # awaiting activation
    activated: int = 0
    voided: int = 0


def batch_state(batch: CardBatch, counts: BatchCounts) -> str:
    """The batch's state for people (a key of ``BATCH_STATES``)."""
    busy = (CardBatch.Status.GENERATING, CardBatch.Status.SELLING)
    if batch.status in busy:
        return str(batch.status)
    if counts.generated and counts.pending == 0:
        if counts.activated == 0:
            return "voided"
        return "activated" if counts.voided == 0 else "closed"
    if batch.status == CardBatch.Status.SOLD:
        return "partially_activated" if counts.activated else "sold"
    return "generated"


def batch_counts(batch_ids: Sequence[int]) -> dict[int, BatchCounts]:
    """Each batch's cards by state, in one query."""
    raw: dict[int, dict[str, int]] = {pk: {} for pk in batch_ids}
    rows = (
        BatchCard.objects.filter(batch_id__in=list(batch_ids))
        .values("batch_id", "status")
        .annotate(n=Count("pk"), sold=Count("sale_operation"))
    )
    for row in rows:
        counts = raw[row["batch_id"]]
        counts[row["status"]] = row["n"]
        counts["generated"] = counts.get("generated", 0) + row["n"]
        counts["sold"] = counts.get("sold", 0) + row["sold"]
    return {
        pk: BatchCounts(
            generated=c.get("generated", 0),
            sold=c.get("sold", 0),
            pending=c.get(BatchCard.Status.PENDING, 0),
            activated=c.get(BatchCard.Status.ACTIVATED, 0),
            voided=c.get(BatchCard.Status.VOIDED, 0),
        )
        for pk, c in raw.items()
    }


@dataclass(frozen=True)
class BatchRow:
    batch: CardBatch
    counts: BatchCounts

    @property
    def state(self) -> str:
        return batch_state(self.batch, self.counts)

    @property
    def state_label(self) -> str | Promise:
        return BATCH_STATES[self.state]

    @property
    def expired(self) -> bool:
        """Cards still await activation after the last day to activate."""
        deadline = self.batch.activate_by
        return bool(deadline and deadline < local_today() and self.counts.pending)


def card_batches(*, actor: Actor, store_id: int | None = None) -> QuerySet[CardBatch]:
    """The batches sold by the stores in view, newest first."""
    require(actor, Perm.CARD_BATCH_VIEW)
    qs = CardBatch.objects.select_related("card_type", "store", "created_by")
    stores = stores_in_view(actor, store_id)
    if stores is not None:
        qs = qs.filter(store_id__in=stores)
    return qs.order_by("-created_at", "-id")


def batch_rows(batches: Sequence[CardBatch]) -> list[BatchRow]:
    counts = batch_counts([b.pk for b in batches])
    return [BatchRow(batch=b, counts=counts[b.pk]) for b in batches]


def card_batch_get(*, actor: Actor, batch_id: int) -> CardBatch | None:
    """One batch, if it belongs to a store in the actor's view."""
    return card_batches(actor=actor).filter(pk=batch_id).first()


def _sale_operations(batch_id: int) -> QuerySet[BatchCard, Any]:
    return BatchCard.objects.filter(batch_id=batch_id, sale_operation__isnull=False).values(
        "sale_operation_id"
    )


def _card_ids(batch_id: int, status: str | None = None) -> QuerySet[BatchCard, Any]:
    qs = BatchCard.objects.filter(batch_id=batch_id)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.values("card_id")


def batch_received_fen(batch_id: int) -> int:
    """What the buyer paid for the batch: the transfers of its sale operations."""
    total = Transfer.objects.filter(
        operation_id__in=_sale_operations(batch_id), kind="card_batch_sale"
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


@dataclass(frozen=True)
class BatchReport:
    """A batch's cards and money, each figure from its own source, so that they check.

    ``received`` is the sale's transfers; ``activated`` the part of them that went to cards
    since activated; ``held`` the balances (ledger accounts) of sold cards still awaiting
    activation; ``refunded`` the voids' transfers back to the buyer. They reconcile:
    received = activated + held + refunded (``difference_fen`` is 0).
    """

    row: BatchRow
    buyer_contact: str
    used: int  # activated cards stored value has been paid out of
    expired_pending: int  # awaiting activation after the last day to activate
    expired_activated: int  # activated cards past their validity
    received_fen: int
    activated_fen: int
    held_fen: int
    refunded_fen: int
    balance_on_activated_fen: int  # principal on the activated cards now
    spent_fen: int  # principal paid out of the activated cards since (sales, refunds)

    @property
    def batch(self) -> CardBatch:
        return self.row.batch

    @property
    def counts(self) -> BatchCounts:
        return self.row.counts

    @property
    def difference_fen(self) -> int:
        return self.received_fen - self.activated_fen - self.held_fen - self.refunded_fen

    @property
    def reconciled(self) -> bool:
        return self.difference_fen == 0


def _sum(qs: QuerySet[Any], field: str) -> int:
    return int(qs.aggregate(s=Sum(field))["s"] or 0)


def card_batch_report(*, actor: Actor, batch_id: int) -> BatchReport | None:
    """A batch's state, counts and money; None when it is not in the actor's view."""
    batch = card_batch_get(actor=actor, batch_id=batch_id)
    if batch is None:
        return None
    row = batch_rows([batch])[0]
    now = timezone.now()
    sales = _sale_operations(batch.pk)
    activated = _card_ids(batch.pk, BatchCard.Status.ACTIVATED)
    principal = Account.objects.filter(kind=Account.Kind.PRINCIPAL)
    paid_out = Entry.objects.filter(
        account__kind=Account.Kind.PRINCIPAL, account__card_id__in=activated, delta__lt=0
    )
    contact = pii.decrypt(batch.buyer_contact_encrypted)
    if not actor.has(Perm.CARD_BATCH_MANAGE):
        contact = pii.mask_text(contact)
    return BatchReport(
        row=row,
        buyer_contact=contact,
        used=paid_out.values("account_id").distinct().count(),
        expired_pending=row.counts.pending if row.expired else 0,
        expired_activated=Card.objects.filter(pk__in=activated, expires_at__lte=now).count(),
        received_fen=batch_received_fen(batch.pk),
        activated_fen=_sum(
            Transfer.objects.filter(
                operation_id__in=sales, kind="card_batch_sale", to_account__card_id__in=activated
            ),
            "amount",
        ),
        held_fen=_sum(
            principal.filter(card_id__in=_card_ids(batch.pk, BatchCard.Status.PENDING)),
            "balance",
        ),
        refunded_fen=_sum(
            Transfer.objects.filter(
                kind="card_batch_void", from_account__card_id__in=_card_ids(batch.pk)
            ),
            "amount",
        ),
        balance_on_activated_fen=_sum(principal.filter(card_id__in=activated), "balance"),
        spent_fen=-_sum(paid_out, "delta"),
    )


def batch_cards(
    *, actor: Actor, batch: CardBatch, status: str | None = None
) -> QuerySet[BatchCard]:
    """The batch's cards by serial, with card and member (for paging)."""
    require(actor, Perm.CARD_BATCH_VIEW)
    qs = BatchCard.objects.filter(batch=batch).select_related(
        "card", "card__member", "activated_store"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("serial")


def batch_voids(*, actor: Actor, batch: CardBatch) -> list[CardBatchVoid]:
    require(actor, Perm.CARD_BATCH_VIEW)
    return list(batch.voids.select_related("created_by").order_by("-created_at", "-id"))
