"""Editing a card type (卡类型): what may change once cards of it are out.

Issued cards copy what money depends on when they are issued (their expiry date); the rest
is read from the type. So, once a card of the type exists, the terms that decide a card's
money rules — whether it is anonymous (the lower prepaid limit), its holding (a family card
shares one wallet) and its category — are fixed, and editing them is refused
(``card_type_in_use``). The name, the validity for cards issued (and renewed) from now on,
the number prefix of new cards and the most holders a card may take can always change.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.models import Card, CardType
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require

FIXED_ONCE_ISSUED = ("category", "holding", "anonymous")


def card_type_update(
    *,
    actor: Actor,
    card_type_id: int,
    name: str,
    category: str,
    holding: str,
    anonymous: bool,
    validity_months: int | None,
    max_holders: int,
    number_prefix: str,
) -> CardType:
    """Edit a card type with the checks of creating one; the audit row holds before/after."""
    require(actor, Perm.CARD_CONFIGURE)
    name = (name or "").strip()
    if category not in CardType.Category.values or holding not in CardType.Holding.values:
        raise ValidationFailed(_("Unknown card category or holding."), code="invalid_card_type")
    if not name:
        raise ValidationFailed(
            _("Enter a code and a name."), code="card_type_fields_required", field="name"
        )
    if validity_months is not None and not 1 <= validity_months <= 1200:
        raise ValidationFailed(
            _("Validity is 1 to 1200 months."), code="invalid_validity", field="validity_months"
        )
    if not number_prefix.isdigit() or len(number_prefix) > 6:
        raise ValidationFailed(
            _("A number prefix is 1–6 digits."), code="invalid_prefix", field="number_prefix"
        )
    if not 1 <= max_holders <= 50:
        raise ValidationFailed(
            _("Holders at most is 1 to 50."), code="invalid_max_holders", field="max_holders"
        )
    if holding in (CardType.Holding.FAMILY, CardType.Holding.GROUP, CardType.Holding.LINKED):
        max_holders = max(max_holders, 2)
    wanted = {
        "name": name,
        "category": category,
        "holding": holding,
        "anonymous": anonymous,
        "validity_months": validity_months,
        "max_holders": max_holders,
        "number_prefix": number_prefix,
    }
    with transaction.atomic():
        card_type = CardType.objects.select_for_update().filter(pk=card_type_id).first()
        if card_type is None:
            raise NotFound(_("Unknown card type."), code="unknown_card_type")
        before = {k: getattr(card_type, k) for k, v in wanted.items() if getattr(card_type, k) != v}
        if not before:
            return card_type
        fixed = sorted(set(before) & set(FIXED_ONCE_ISSUED))
        if fixed and Card.objects.filter(card_type=card_type).exists():
            raise Conflict(
                _(
                    "Cards of this type have been issued: its category, holding and anonymity "
                    "can no longer change. Create a new card type instead."
                ),
                code="card_type_in_use",
                field=fixed[0],
                details={"fields": fixed},
            )
        for field in before:
            setattr(card_type, field, wanted[field])
        card_type.save(update_fields=list(before))
        audit_record(
            actor=actor,
            action="card_type.updated",
            subject_type="card_type",
            subject_id=card_type.pk,
            before=before,
            after={k: wanted[k] for k in before},
        )
    return card_type
