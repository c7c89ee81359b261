"""Card lifecycle (C2): issue, holders, report lost, reissue, renew, cancel."""

from __future__ import annotations

import calendar
import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card, CardHolder, CardType
from huiyuan.core.clock import local_date, local_day_bounds
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.events.services import event_emit
from huiyuan.ledger import services as ledger
from huiyuan.ledger.commands import command_run
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.stores.models import Store
from huiyuan.stores.scope import ScopeOp, scope_require


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """When a validity of ``months`` counted from ``moment`` ends, on the local calendar.

    Declared rule: the card is valid through the local date ``months`` months after the
    local date of ``moment`` (the same day of the month, or the month's last day when it is
    shorter), all of that day: it expires at the last moment of that local day (23:59:59.999999
    Asia/Shanghai), so "valid until" shows that date in any display. Renewing from an expiry
    counts from that same date, so renewals do not drift.
    """
    start = local_date(moment)
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return local_day_bounds(dt.date(year, month, day))[1] - dt.timedelta(microseconds=1)


def luhn_digit(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def _new_card_number(prefix: str) -> str:
    while True:
        body = f"{prefix}{secrets.randbelow(10**14):014d}"[:15]
        number = body + luhn_digit(body)
        if not Card.objects.filter(number=number).exists():
            return number


def card_type_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    category: str,
    holding: str = CardType.Holding.PERSONAL,
    anonymous: bool = False,
    validity_months: int | None = None,
    max_holders: int = 1,
    number_prefix: str = "6",
) -> CardType:
    require(actor, Perm.CARD_CONFIGURE)
    if category not in CardType.Category.values or holding not in CardType.Holding.values:
        raise ValidationFailed(_("Unknown card category or holding."), code="invalid_card_type")
    if not code or not name:
        raise ValidationFailed(_("Enter a code and a name."), code="card_type_fields_required")
    if validity_months is not None and not 1 <= validity_months <= 1200:
        raise ValidationFailed(_("Validity is 1 to 1200 months."), code="invalid_validity")
    if not number_prefix.isdigit() or len(number_prefix) > 6:
        raise ValidationFailed(_("A number prefix is 1–6 digits."), code="invalid_prefix")
    if holding in (CardType.Holding.FAMILY, CardType.Holding.GROUP, CardType.Holding.LINKED):
        max_holders = max(max_holders, 2)
    with transaction.atomic():
        if CardType.objects.filter(code=code).exists():
            raise Conflict(_("This card type code exists already."), code="duplicate_card_type")
        card_type = CardType.objects.create(
            code=code,
            name=name,
            category=category,
            holding=holding,
            anonymous=anonymous,
            validity_months=validity_months,
            max_holders=max_holders,
            number_prefix=number_prefix,
        )
        audit_record(
            actor=actor,
            action="card_type.created",
            subject_type="card_type",
            subject_id=card_type.pk,
            after={"code": code, "name": name, "category": category},
        )
    return card_type


def _locked_card(card_id: int) -> Card:
    """The card, locked in the fixed order (its member first: ``cards.locks``)."""
    return card_lock(card_id).card


def card_issue(
    *,
    actor: Actor,
    card_type_id: int,
    member_id: int | None,
    number: str = "",
    store_id: int | None = None,
    idempotency_key: str = "",
) -> Card:
    """Issue a card (physical number or a generated electronic one) and open its accounts.

    With an idempotency key, a retried request returns the card the first one issued.
    """
    require(actor, Perm.CARD_ISSUE)
    if not idempotency_key:
        return _card_issue(
            actor=actor,
            card_type_id=card_type_id,
            member_id=member_id,
            number=number,
            store_id=store_id,
        )

    def perform() -> Card:
        return _card_issue(
            actor=actor,
            card_type_id=card_type_id,
            member_id=member_id,
            number=number,
            store_id=store_id,
        )

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="card_issue",
        payload={
            "card_type_id": card_type_id,
            "member_id": member_id,
            "number": number,
            "store_id": store_id,
        },
        perform=perform,
        load=lambda pk: Card.objects.select_related("card_type").get(pk=pk),
    )


def _card_issue(
    *,
    actor: Actor,
    card_type_id: int,
    member_id: int | None,
    number: str,
    store_id: int | None,
    replaces_card_id: int | None = None,
) -> Card:
    store_id = store_id if store_id is not None else actor.store_id
    if store_id is None or not Store.objects.filter(pk=store_id).exists():
        raise NotFound(_("Unknown store."), code="unknown_store", field="store_id")
    scope_require(actor, ScopeOp.CARD_ISSUE, home_store_id=store_id)
    card_type = CardType.objects.filter(pk=card_type_id, is_active=True).first()
    if card_type is None:
        raise NotFound(_("Unknown card type."), code="unknown_card_type", field="card_type_id")
    number = (number or "").strip()
    if number and not (number.isalnum() and 6 <= len(number) <= 32):
        raise ValidationFailed(
            _("A card number has 6–32 letters or digits."),
            code="invalid_card_number",
            field="number",
        )
    now = timezone.now()
    with transaction.atomic():
        member = None
        if member_id is not None:
            member = Member.objects.select_for_update().filter(pk=member_id).first()
            if member is None:
                raise NotFound(_("Member not found."), code="member_not_found")
            if member.status != Member.Status.ACTIVE:
                raise Conflict(_("Only an active member can get a card."), code="member_not_active")
        elif not card_type.anonymous:
            raise ValidationFailed(_("A named card needs a member."), code="member_required")
        if number and Card.objects.filter(number=number).exists():
            raise Conflict(
                _("This card number is already in use."),
                code="duplicate_card_number",
                field="number",
            )
        card = Card.objects.create(
            number=number or _new_card_number(card_type.number_prefix),
            card_type=card_type,
            member=member,
            store_id=store_id,
            issued_by=actor.staff,
            issued_at=now,
            expires_at=add_months(now, card_type.validity_months)
            if card_type.validity_months
            else None,
        )
        ledger.card_accounts_create(card_id=card.pk)
        audit_record(
            actor=actor,
            action="card.issued",
            subject_type="card",
            subject_id=card.pk,
            member_id=member.pk if member else None,
            after={
                "number": card.number,
                "type": card_type.name,
                "expires_at": card.expires_at.isoformat() if card.expires_at else None,
            },
            store_id=store_id,
        )
        event_emit(
            "card.issued",
            payload={
                "card_id": card.pk,
                "card_type_id": card_type.pk,
                "replaces_card_id": replaces_card_id,
            },
            member_id=member.pk if member else None,
            store_id=store_id,
        )
    return card


def card_add_holder(*, actor: Actor, card_id: int, member_id: int) -> CardHolder:
    """Add a family / linked / group holder who shares the card's wallet."""
    require(actor, Perm.CARD_ISSUE)
    with transaction.atomic():
        card = _locked_card(card_id)
        scope_require(actor, ScopeOp.ADD_HOLDER, home_store_id=card.store_id)
        if card.status != Card.Status.ACTIVE:
            raise Conflict(_("This card is not active."), code="card_not_active")
        holders = 1 + card.holders.count()
        if holders >= card.card_type.max_holders:
            raise Conflict(_("This card type allows no more holders."), code="too_many_holders")
        member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
        if member is None:
            raise NotFound(_("Member not found."), code="member_not_found")
        if member.pk == card.member_id or card.holders.filter(member=member).exists():
            raise Conflict(_("This member already holds the card."), code="already_holder")
        holder = CardHolder.objects.create(card=card, member=member, added_at=timezone.now())
        audit_record(
            actor=actor,
            action="card.holder_added",
            subject_type="card",
            subject_id=card.pk,
            member_id=member.pk,
            after={"number": card.number, "holder": member.code},
        )
    return holder


def card_report_lost(*, actor: Actor, card_id: int, reason: str) -> Card:
    """挂失: the card is blocked at once for every use until reissued."""
    require(actor, Perm.CARD_MANAGE)
    with transaction.atomic():
        card = _locked_card(card_id)
        scope_require(actor, ScopeOp.REPORT_LOST, home_store_id=card.store_id)
        if card.status != Card.Status.ACTIVE:
            raise Conflict(_("Only an active card can be reported lost."), code="card_not_active")
        card.status = Card.Status.LOST
        card.status_reason = (reason or "").strip()[:200]
        card.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action="card.reported_lost",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            before={"status": "active"},
            after={"status": "lost"},
            note=card.status_reason,
        )
    return card


def card_unreport_lost(*, actor: Actor, card_id: int, reason: str) -> Card:
    """The lost card was found: unblock it."""
    require(actor, Perm.CARD_MANAGE)
    with transaction.atomic():
        card = _locked_card(card_id)
        scope_require(actor, ScopeOp.MARK_FOUND, home_store_id=card.store_id)
        if card.status != Card.Status.LOST:
            raise Conflict(_("This card is not reported lost."), code="card_not_lost")
        card.status = Card.Status.ACTIVE
        card.status_reason = ""
        card.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action="card.found",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            before={"status": "lost"},
            after={"status": "active"},
            note=reason,
        )
    return card


def card_reissue(
    *, actor: Actor, card_id: int, idempotency_key: str, number: str = "", reason: str = ""
) -> Card:
    """补卡: issue a new card, move balance, bonus, points and their lots to it, void the old."""
    require(actor, Perm.CARD_MANAGE)

    def perform() -> Card:
        lock = card_lock(card_id)
        old = lock.card
        scope_require(actor, ScopeOp.REISSUE, home_store_id=old.store_id)
        if old.status not in (Card.Status.ACTIVE, Card.Status.LOST):
            raise Conflict(_("This card cannot be reissued."), code="card_not_reissuable")
        new = _card_issue(
            actor=actor,
            card_type_id=old.card_type_id,
            member_id=old.member_id,
            number=number,
            store_id=actor.store_id or old.store_id,
            replaces_card_id=old.pk,
        )
        new.expires_at = old.expires_at
        new.save(update_fields=["expires_at"])
        CardHolder.objects.filter(card=old).update(card=new)
        src = lock.accounts
        dst = ledger.card_accounts(new.pk)
        moves: list[ledger.Move] = []
        lots = Lot.objects.filter(
            account_id__in=[a.pk for a in src.values() if a.is_lotted], remaining__gt=0
        ).order_by("pk")
        for lot in lots:
            kind = next(k for k, a in src.items() if a.pk == lot.account_id)
            moves.append(
                ledger.Move(
                    kind="reissue",
                    source=src[kind],
                    target=dst[kind],
                    amount=lot.remaining,
                    take_lots=[(lot, lot.remaining)],
                    named_lots_only=True,
                    expires_at=lot.expires_at,
                    lot_store_id=lot.store_id,
                )
            )
        for kind, account in src.items():
            if not account.is_lotted and account.balance:
                moves.append(
                    ledger.Move(
                        kind="reissue", source=account, target=dst[kind], amount=account.balance
                    )
                )
        ledger.operation_post(
            actor=actor,
            kind="card_reissue",
            moves=moves,
            member_id=old.member_id,
            card_id=new.pk,
            store_id=actor.store_id or old.store_id,
            memo=reason,
            details={"old_card": old.number, "new_card": new.number},
            locked={**{f"old_{k}": a for k, a in src.items()}, **dst},
        )
        before_status = old.status
        old.status = Card.Status.VOID
        old.replaced_by = new
        old.status_reason = (reason or "").strip()[:200]
        old.save(update_fields=["status", "replaced_by", "status_reason"])
        moved: dict[str, int] = {}
        for m in moves:
            moved[m.source.kind] = moved.get(m.source.kind, 0) + m.amount
        audit_record(
            actor=actor,
            action="card.reissued",
            subject_type="card",
            subject_id=old.pk,
            member_id=old.member_id,
            before={"number": old.number, "status": before_status},
            after={"new_number": new.number, "moved": moved},
            note=reason,
        )
        event_emit(
            "card.reissued",
            payload={"old_card_id": old.pk, "new_card_id": new.pk, "moved": moved},
            member_id=old.member_id,
            store_id=actor.store_id or old.store_id,
        )
        return new

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="card_reissue",
        payload={"card_id": card_id, "number": number},
        perform=perform,
        load=lambda pk: Card.objects.select_related("card_type").get(pk=pk),
    )


# Validity a card may have left: 100 years from today, renewals included.
MAX_VALIDITY_MONTHS = 1200


def card_renew(*, actor: Actor, card_id: int, months: int | None = None) -> Card:
    """Extend validity from today (or from the old expiry if later); reactivates the card."""
    require(actor, Perm.CARD_MANAGE)
    with transaction.atomic():
        card = _locked_card(card_id)
        scope_require(actor, ScopeOp.RENEW, home_store_id=card.store_id)
        if card.status not in (Card.Status.ACTIVE,):
            raise Conflict(_("Only an active card can be renewed."), code="card_not_active")
        months = months or card.card_type.validity_months
        if not months:
            raise ValidationFailed(_("This card does not expire."), code="card_never_expires")
        if not 1 <= months <= MAX_VALIDITY_MONTHS:
            raise ValidationFailed(
                _("Renew for 1 to 1200 months."), code="invalid_renewal", field="months"
            )
        now = timezone.now()
        base = max(now, card.expires_at) if card.expires_at else now
        if add_months(now, MAX_VALIDITY_MONTHS) < add_months(base, months):
            # Repeated renewals must not push the expiry towards year 9999 (an overflow).
            raise ValidationFailed(
                _("A card is valid for at most 100 years from today."),
                code="validity_too_long",
                field="months",
            )
        before = card.expires_at
        card.expires_at = add_months(base, months)
        card.save(update_fields=["expires_at"])
        audit_record(
            actor=actor,
            action="card.renewed",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            before={"expires_at": before.isoformat() if before else None},
            after={"expires_at": card.expires_at.isoformat()},
        )
    return card


def card_cancel(*, actor: Actor, card_id: int, reason: str) -> Card:
    """Cancel a card. Stored value must be refunded first; nothing is silently forfeited."""
    require(actor, Perm.CARD_MANAGE)
    with transaction.atomic():
        lock = card_lock(card_id)
        card = lock.card
        scope_require(actor, ScopeOp.CANCEL, home_store_id=card.store_id)
        if card.status not in (Card.Status.ACTIVE, Card.Status.LOST):
            raise Conflict(_("This card is already closed."), code="card_closed")
        balances = {kind: account.balance for kind, account in lock.accounts.items()}
        if (
            balances.get(Account.Kind.PRINCIPAL, 0)
            or balances.get(Account.Kind.BONUS, 0)
            or balances.get(Account.Kind.POINTS, 0)
        ):
            raise Conflict(
                _("The card still holds stored value, bonus or points; refund or use them first."),
                code="card_not_empty",
                details=balances,
            )
        card.status = Card.Status.CANCELLED
        card.status_reason = (reason or "").strip()[:200]
        card.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action="card.cancelled",
            subject_type="card",
            subject_id=card.pk,
            member_id=card.member_id,
            after={"status": "cancelled"},
            note=card.status_reason,
        )
    return card


def card_require_usable(card: Card, *, now: dt.datetime | None = None) -> None:
    """Refuse a card that cannot be used at the counter right now."""
    now = now or timezone.now()
    if card.status == Card.Status.LOST:
        raise Conflict(_("This card is reported lost."), code="card_lost")
    if card.status == Card.Status.PENDING:
        raise Conflict(
            _("This card has not been activated: activate it with its secret code first."),
            code="card_not_activated",
        )
    if card.status != Card.Status.ACTIVE:
        raise Conflict(_("This card is not active."), code="card_not_active")
    if card.expires_at is not None and card.expires_at <= now:
        raise Conflict(_("This card has expired; renew it first."), code="card_expired")


def cards_move_to_survivor(actor: Actor, survivor: Member, duplicate: Member) -> None:
    """Merge step: the duplicate's cards (with their separate balances) go to the survivor."""
    Card.objects.filter(member=duplicate).update(member=survivor)
    CardHolder.objects.filter(member=duplicate).update(member=survivor)
