"""A member activates a pre-made card (卡密) in the portal, binding it to themselves.

The counter's service does the work (``huiyuan.cards.activation.card_activate``): the code
is checked under the card's lock, wrong codes are counted per card number, per member and
per network address with the same limits as at the counter, and a code is used once. The
member acts for themselves at the card's store (``audit_actor``), so the audit log records
``member:<id>`` as the actor.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huiyuan.cards.activation import NUMBER_MAX, card_activate
from huiyuan.cards.models import BatchCard, Card
from huiyuan.core.errors import Conflict, DomainError
from huiyuan.selfservice.actor import MemberActor, audit_actor

# What a member reads instead of a message meant for staff (codes stay the counter's).
MEMBER_MESSAGES = {
    "prepaid_limit_exceeded": _(
        "This card cannot be activated online. Please take it to one of our stores."
    ),
    "batch_not_sold": _(
        "This card has not been released by the shop yet. Please ask whoever gave it to you."
    ),
    "member_not_active": _("Your membership is not active. Please contact the store."),
}


def member_card_activate(
    actor: MemberActor,
    *,
    card_number: str,
    code: str,
    idempotency_key: str,
    client_address: str = "",
) -> Card:
    """Activate the card ``card_number`` with its secret ``code`` for the signed-in member.

    Refusals are the counter's (``invalid_card_or_code`` with the attempts left,
    ``activation_locked``, ``code_already_used``, ``card_voided``, ``activation_expired``),
    with member-facing wording for the few that speak to staff.
    """
    number = "".join((card_number or "").split())[:NUMBER_MAX]
    store_id = (
        BatchCard.objects.filter(card__number=number)
        .values_list("card__store_id", flat=True)
        .first()
        if number
        else None
    )
    try:
        entry = card_activate(
            actor=audit_actor(actor.member_id, store_id=store_id),
            card_number=number,
            code=code,
            member_id=actor.member_id,
            idempotency_key=f"portal-{actor.member_id}-{idempotency_key}"[:100],
            client_address=client_address,
        )
    except DomainError as exc:
        if exc.code in MEMBER_MESSAGES:
            raise Conflict(MEMBER_MESSAGES[exc.code], code=exc.code) from exc
        raise
    return entry.card


def activation_offered() -> bool:
    """Whether the portal offers activation: some pre-made card batch has been sold."""
    return BatchCard.objects.filter(sale_operation__isnull=False).exists()
