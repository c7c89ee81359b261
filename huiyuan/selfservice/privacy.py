"""PIPL self-service (O3): download my data, withdraw marketing consent, delete my account.

Account deletion policy (declared, docs/selfservice.md):

- Refused while any card the member holds still has stored value (principal): the member
  asks for a refund at the counter first (the refund follows the store's refund rules and
  is a normal ledger operation), then asks again.
- Bonus and points have no cash value: they are not paid out. They stay on the ledger,
  untouched, and expire on their normal dates; the cards are reported lost, so nobody can
  use them any more.
- The member is terminated and anonymised under the member's row lock: name, mobile, ID,
  address, e-mail, birthday and free-text fields are erased; the member number, cards,
  sales and every ledger entry stay (so the books remain intact and balanced); the portal
  password, marketing consent and session go.

Every request (export, consent change, deletion, refused or done) is a ``DataRequest``
row and an audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_anonymise_member, audit_record
from huiyuan.cards.locks import member_lock
from huiyuan.cards.models import Card
from huiyuan.core import pii
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.ledger.models import Account, Entry
from huiyuan.members.models import Member
from huiyuan.selfservice import selectors
from huiyuan.selfservice.actor import MemberActor, audit_actor
from huiyuan.selfservice.models import (
    Consent,
    DataRequest,
    MarketingConsent,
    MemberCredential,
)

ERASED_NAME = "已注销会员"


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def data_export(actor: MemberActor) -> dict[str, Any]:
    """Everything huiyuan keeps about the member, as plain data (recorded and audited)."""
    member = selectors.me(actor)
    cards = list(
        Card.objects.filter(Q(member_id=member.pk) | Q(holders__member_id=member.pk))
        .select_related("card_type", "store")
        .distinct()
        .order_by("pk")
    )
    card_ids = [c.pk for c in cards]
    accounts = {
        (a.card_id, a.kind): a.balance
        for a in Account.objects.filter(card_id__in=card_ids, kind__in=Account.MEMBER_KINDS)
    }
    entries = (
        Entry.objects.filter(account__card_id__in=card_ids, account__kind__in=Account.MEMBER_KINDS)
        .select_related("account", "transfer", "transfer__operation")
        .order_by("id")
    )
    consents = Consent.objects.filter(member=member).select_related("version__document")
    marketing = MarketingConsent.objects.filter(member=member).first()
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "member_number": member.code,
            "name": member.name,
            "mobile": member.mobile,
            "gender": member.gender,
            "birthday": _when(member.birthday),
            "email": member.email,
            "region": member.region,
            "address": pii.decrypt(member.address_enc) if member.address_enc else "",
            "id_number": member.id_number_masked,
            "occupation": member.occupation,
            "preferences": member.preferences,
            "custom_fields": member.custom_fields,
            "tags": [t.name for t in member.tags.all()],
            "home_store": member.home_store.name,
            "joined_at": _when(member.joined_at),
            "channel": member.channel,
            "status": member.status,
            "charter_accepted_at": _when(member.consent_at),
        },
        "consents": [
            {
                "document": c.version.document.kind,
                "version": c.version.version,
                "accepted_at": _when(c.accepted_at),
            }
            for c in consents
        ],
        "marketing_allowed": marketing.allowed if marketing else True,
        "cards": [
            {
                "number": c.number,
                "type": c.card_type.name,
                "status": c.status,
                "store": c.store.name,
                "issued_at": _when(c.issued_at),
                "expires_at": _when(c.expires_at),
                "balances": {
                    "principal_fen": accounts.get((c.pk, Account.Kind.PRINCIPAL), 0),
                    "bonus_fen": accounts.get((c.pk, Account.Kind.BONUS), 0),
                    "points": accounts.get((c.pk, Account.Kind.POINTS), 0),
                },
            }
            for c in cards
        ],
        "history": [
            {
                "at": _when(e.created_at),
                "card_number": next((c.number for c in cards if c.pk == e.account.card_id), ""),
                "operation": e.transfer.operation.kind,
                "account": e.account.kind,
                "delta": e.delta,
                "balance_after": e.balance_after,
                "unit": "points" if e.account.kind == Account.Kind.POINTS else "fen",
            }
            for e in entries
        ],
    }
    with transaction.atomic():
        request = DataRequest.objects.create(
            member=member,
            kind=DataRequest.Kind.EXPORT,
            status=DataRequest.Status.DONE,
            created_at=timezone.now(),
        )
        audit_record(
            actor=audit_actor(member.pk),
            action="selfservice.data_exported",
            subject_type="data_request",
            subject_id=request.pk,
            member_id=member.pk,
            after={"cards": len(data["cards"]), "entries": len(data["history"])},
        )
    return data


def marketing_set(actor: MemberActor, *, allowed: bool) -> MarketingConsent:
    """Give or withdraw consent to marketing messages (``selectors.marketing_allowed``)."""
    with transaction.atomic():
        row = MarketingConsent.objects.select_for_update().filter(member_id=actor.member_id).first()
        before = row.allowed if row is not None else True
        now = timezone.now()
        if row is None:
            row = MarketingConsent.objects.create(
                member_id=actor.member_id, allowed=allowed, changed_at=now
            )
        elif row.allowed != allowed:
            row.allowed = allowed
            row.changed_at = now
            row.save(update_fields=["allowed", "changed_at"])
        audit_record(
            actor=audit_actor(actor.member_id),
            action="selfservice.marketing_consent",
            subject_type="member",
            subject_id=actor.member_id,
            member_id=actor.member_id,
            before={"marketing": before},
            after={"marketing": allowed},
        )
    return row


def deletion_request(actor: MemberActor) -> DataRequest:
    """Delete (anonymise) the member's account under the declared policy, or refuse.

    The refusal is recorded too (a ``DataRequest`` with the reason) and nothing else
    changes."""
    refusal: Conflict | None = None
    with transaction.atomic():
        member = member_lock(actor.member_id)
        if member is None or member.status != Member.Status.ACTIVE:
            raise NotFound(_("Not found."), code="not_found")
        cards = list(
            Card.objects.filter(member_id=member.pk)
            .exclude(status__in=[Card.Status.VOID, Card.Status.CANCELLED])
            .order_by("pk")
        )
        # Lock the cards' principal accounts (by id) and decide on what they hold now.
        principal = (
            Account.objects.select_for_update()
            .filter(card_id__in=[c.pk for c in cards], kind=Account.Kind.PRINCIPAL, balance__gt=0)
            .order_by("pk")
        )
        held = {a.card_id: a.balance for a in principal}
        now = timezone.now()
        if held:
            refusal = Conflict(
                _(
                    "Your cards still hold stored value. Ask for a refund at the counter "
                    "first, then request deletion again."
                ),
                code="principal_remaining",
                details={"principal_fen": sum(held.values())},
            )
            request = DataRequest.objects.create(
                member=member,
                kind=DataRequest.Kind.DELETION,
                status=DataRequest.Status.REFUSED,
                reason="principal_remaining",
                created_at=now,
            )
            audit_record(
                actor=audit_actor(member.pk),
                action="selfservice.deletion_refused",
                subject_type="data_request",
                subject_id=request.pk,
                member_id=member.pk,
                after={"reason": "principal_remaining", "principal_fen": sum(held.values())},
            )
        else:
            request = _anonymise(member, cards, now)
    if refusal is not None:
        raise refusal
    return request


def _anonymise(member: Member, cards: list[Card], now: dt.datetime) -> DataRequest:
    before = {"status": member.status}
    for card in cards:
        if card.status == Card.Status.ACTIVE:
            card.status = Card.Status.LOST
            card.status_reason = "会员注销"
            card.save(update_fields=["status", "status_reason"])
    member.status = Member.Status.TERMINATED
    member.name = ERASED_NAME
    member.name_pinyin = ""
    member.name_initials = ""
    member.gender = Member.Gender.UNKNOWN
    member.mobile_enc = pii.encrypt("")
    member.mobile_hash = None
    member.mobile_masked = ""
    member.mobile_last4 = ""
    member.birthday = None
    member.lunar_birth_month = None
    member.lunar_birth_day = None
    member.lunar_birth_leap = False
    member.id_number_enc = ""
    member.id_number_hash = ""
    member.id_number_masked = ""
    member.region = ""
    member.address_enc = ""
    member.occupation = ""
    member.preferences = ""
    member.email = ""
    member.custom_fields = {}
    member.save()
    member.tags.clear()
    MemberCredential.objects.filter(member=member).delete()
    MarketingConsent.objects.update_or_create(
        member=member, defaults={"allowed": False, "changed_at": now}
    )
    request = DataRequest.objects.create(
        member=member,
        kind=DataRequest.Kind.DELETION,
        status=DataRequest.Status.DONE,
        created_at=now,
    )
    audit_anonymise_member(member_id=member.pk)
    audit_record(
        actor=audit_actor(member.pk),
        action="selfservice.account_deleted",
        subject_type="member",
        subject_id=member.pk,
        member_id=member.pk,
        before=before,
        after={"status": member.status, "anonymised": True, "cards_blocked": len(cards)},
    )
    return request
