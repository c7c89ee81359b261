"""Automatic joining (M2, 自动入会) and enrolment on the spot at the counter.

A walk-in customer who gives a mobile number at the counter becomes a member in the SAME
transaction as the sale, and the sale then earns on the new card, when:

- the cashier ticks "登记为会员" (enrolment on the spot: always, whatever the policy), or
- the chain's joining policy says so: ``first_purchase`` (any purchase), ``pay_to_join``
  (支付即会员: part of the bill paid by WeChat or Alipay) or ``spend_threshold`` (满额入会:
  the walk-in price of the basket reaches the threshold).

A mobile that already belongs to a member is never registered twice: the sale goes onto
that member's usable card (and says so); a member without a usable card gets one.

The joining fee (工本费), when set, is charged as a line of the same sale ("入会工本费": no
discount, no points), so it is priced, paid, printed, counted in the shift and returned
like any other line, and when paid from stored value it is posted through the ledger with
the rest of the sale. The quote runs the same decision, so the quote equals the sale.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.audit.services import audit_record
from huiyuan.cards.models import Card, CardType
from huiyuan.cards.services import card_issue
from huiyuan.checkout.models import JoiningPolicy
from huiyuan.core import pii
from huiyuan.core.china import normalize_mobile
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.members.models import Member
from huiyuan.members.services import MemberInput, member_register
from huiyuan.pricing.inputs import MILLI

FEE_SKU = "JOINING-FEE"
ONLINE_METHODS = frozenset({"wechat", "alipay"})


@dataclass(frozen=True)
class EnrolRequest:
    """A walk-in customer's mobile (and name, if given). ``explicit``: the cashier asked to
    enrol the customer now, whatever the joining policy."""

    mobile: str
    name: str = ""
    explicit: bool = False


@dataclass(frozen=True)
class Enrolment:
    """What happens to a walk-in customer: a card to sell on, and whether it is new."""

    card_id: int | None  # None: not enrolled (the policy does not apply to this sale)
    member_id: int | None
    is_new: bool  # registered by this sale (the fee applies)
    fee_fen: int


def joining_policy() -> JoiningPolicy:
    """The chain's joining policy (an unsaved default when none was set)."""
    return JoiningPolicy.objects.select_related("card_type").first() or JoiningPolicy()


def joining_policy_set(
    *,
    actor: Actor,
    mode: str,
    threshold_fen: int = 0,
    fee_fen: int = 0,
    card_type_id: int | None = None,
) -> JoiningPolicy:
    """Change the joining policy (audited, before → after)."""
    require(actor, Perm.MEMBER_CONFIGURE)
    if mode not in JoiningPolicy.Mode.values:
        raise ValidationFailed(_("Unknown joining rule."), code="invalid_mode", field="mode")
    for name, value in (("threshold_fen", threshold_fen), ("fee_fen", fee_fen)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**9:
            raise ValidationFailed(
                _("Enter an amount of zero or more."), code="invalid_amount", field=name
            )
    if mode == JoiningPolicy.Mode.SPEND_THRESHOLD and threshold_fen <= 0:
        raise ValidationFailed(
            _("Give the spend that makes a customer a member."),
            code="threshold_required",
            field="threshold_fen",
        )
    card_type = None
    if card_type_id is not None:
        card_type = CardType.objects.filter(
            pk=card_type_id, is_active=True, anonymous=False
        ).first()
        if card_type is None:
            raise ValidationFailed(
                _("Choose an active named card type."),
                code="unknown_card_type",
                field="card_type_id",
            )
    with transaction.atomic():
        policy = JoiningPolicy.objects.select_for_update().first() or JoiningPolicy()
        before = _view(policy)
        policy.mode = mode
        policy.threshold_fen = threshold_fen
        policy.fee_fen = fee_fen
        policy.card_type = card_type
        policy.save()
        audit_record(
            actor=actor,
            action="joining_policy.changed",
            subject_type="joining_policy",
            subject_id=policy.pk,
            before=before,
            after=_view(policy),
        )
    return policy


def _view(policy: JoiningPolicy) -> dict[str, object]:
    return {
        "mode": policy.mode,
        "threshold": policy.threshold_fen,
        "fee": policy.fee_fen,
        "card_type": policy.card_type.code if policy.card_type_id and policy.card_type else None,
    }


def clean_enrol(enrol: EnrolRequest) -> EnrolRequest:
    try:
        mobile = normalize_mobile(enrol.mobile or "")
    except ValidationFailed as exc:
        exc.field = "enrol.mobile"
        raise
    return EnrolRequest(
        mobile=mobile, name=(enrol.name or "").strip()[:50], explicit=enrol.explicit
    )


def is_due(
    policy: JoiningPolicy, *, explicit: bool, walk_in_payable_fen: int, methods: set[str]
) -> bool:
    """Whether a walk-in customer who gave a mobile joins with this sale."""
    if explicit:
        return True
    mode = policy.mode
    if mode == JoiningPolicy.Mode.FIRST_PURCHASE:
        return True
    if mode == JoiningPolicy.Mode.PAY_TO_JOIN:
        return bool(methods & ONLINE_METHODS)
    if mode == JoiningPolicy.Mode.SPEND_THRESHOLD:
        return walk_in_payable_fen >= policy.threshold_fen > 0
    return False


def existing_card(mobile: str) -> tuple[Member | None, Card | None]:
    """The member a mobile belongs to, and their newest usable card (None: none)."""
    member = Member.objects.filter(mobile_hash=pii.keyed_hash(mobile)).first()
    if member is None:
        return None, None
    card = (
        Card.objects.filter(member=member, status=Card.Status.ACTIVE)
        .order_by("-issued_at", "-pk")
        .first()
    )
    return member, card


def fee_line(fee_fen: int, line_id: int) -> pricing.Line:
    """The joining fee as a basket line: no discount, no points."""
    return pricing.Line(
        line_id=line_id,
        product_id=0,
        sku=FEE_SKU,
        unit_price_fen=fee_fen,
        quantity_milli=MILLI,
        name=gettext("Joining fee"),
        no_discount=True,
        no_points=True,
    )


def _card_type(policy: JoiningPolicy) -> CardType:
    if policy.card_type_id is not None and policy.card_type is not None:
        return policy.card_type
    card_type = CardType.objects.filter(is_active=True, anonymous=False).order_by("pk").first()
    if card_type is None:
        raise ValidationFailed(
            _("Set up a named card type before enrolling members at the counter."),
            code="no_card_type",
        )
    return card_type


def enrol(*, actor: Actor, store_id: int, enrol: EnrolRequest, policy: JoiningPolicy) -> Enrolment:
    """Register the customer (or find them by mobile) and give them a usable card, in the
    caller's transaction (the sale's)."""
    member, card = existing_card(enrol.mobile)
    if member is not None and member.status != Member.Status.ACTIVE:
        return Enrolment(card_id=None, member_id=None, is_new=False, fee_fen=0)
    is_new = member is None
    if member is None:
        member = member_register(
            actor=actor,
            data=MemberInput(
                name=enrol.name or gettext("Customer %(last4)s") % {"last4": enrol.mobile[-4:]},
                mobile=enrol.mobile,
            ),
            channel=Member.Channel.STORE,
            store_id=store_id,
        )
    if card is None:
        card = card_issue(
            actor=actor,
            card_type_id=_card_type(policy).pk,
            member_id=member.pk,
            store_id=store_id,
        )
    return Enrolment(
        card_id=card.pk,
        member_id=member.pk,
        is_new=is_new,
        fee_fen=policy.fee_fen if is_new else 0,
    )
