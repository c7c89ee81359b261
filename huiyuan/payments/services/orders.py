"""Online recharge orders (W1): created for a card, paid through a provider.

Creating an order moves no money; it is checked as the counter would check the recharge
(card usable, member active, package paid with exactly its price, the prepaid limit of
单用途商业预付卡管理办法) so a payment that could never be booked is not asked for. The
recharge itself is booked when the provider's verified notification arrives
(``notifications.notification_receive``), through ``wallet_recharge`` — the counter's
service — which checks all of it again under the card's lock.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.benefits.models import BenefitPlan, MemberBenefit
from huiyuan.cards.locks import card_lock
from huiyuan.cards.services import card_require_usable
from huiyuan.core.clock import local_date
from huiyuan.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run
from huiyuan.members.models import Member
from huiyuan.payments.models import OnlineOrder
from huiyuan.payments.providers import provider_get
from huiyuan.payments.providers.base import OrderRequest, PaymentProvider, ProviderError
from huiyuan.payments.services.common import member_self
from huiyuan.selfservice.actor import MemberActor, own
from huiyuan.stores.scope import ScopeOp, scope_require
from huiyuan.wallet.models import RechargePackage, WalletPolicy
from huiyuan.wallet.services import MAX_SINGLE_RECHARGE_FEN, card_limit_fen


class ProviderFailed(DomainError):
    status = 502
    code = "provider_failed"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _new_number() -> str:
    return (
        "HY" + local_date(timezone.now()).strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"
    )


def _package(package_id: int | None, amount_fen: int) -> RechargePackage | None:
    if package_id is None:
        return None
    package = RechargePackage.objects.filter(pk=package_id, is_active=True).first()
    if package is None:
        raise NotFound(_("Unknown recharge package."), code="unknown_package", field="package_id")
    if package.pay_fen != amount_fen:
        raise ValidationFailed(
            _("This package is paid with exactly %(amount)s.")
            % {"amount": fen_to_yuan_str(package.pay_fen)},
            code="package_amount_mismatch",
            field="amount",
        )
    return package


def _check_input(amount_fen: object, package_id: object) -> None:
    if not _is_int(amount_fen) or not 0 < amount_fen <= MAX_SINGLE_RECHARGE_FEN:  # type: ignore[operator]
        raise ValidationFailed(
            _("Enter an amount above zero."), code="invalid_amount", field="amount"
        )
    if package_id is not None and not _is_int(package_id):
        raise NotFound(_("Unknown recharge package."), code="unknown_package", field="package_id")


def online_order_create(
    *,
    actor: Actor | MemberActor,
    card_id: int,
    amount_fen: int,
    provider: str,
    notify_base_url: str,
    package_id: int | None = None,
    return_url: str = "",
    payer_client_ip: str = "",
    idempotency_key: str | None = None,
) -> OnlineOrder:
    """Open an online recharge order for a card and register it with the provider.

    Staff and terminals (API) need ``wallet.recharge`` and the card in their recharge scope;
    a member may only recharge their own card. The answer carries what the payer's client
    needs (``pay_url`` or ``qr_content``). ``return_url`` (where the provider sends the payer
    back) may hold ``{number}``, replaced by the order's number. ``payer_client_ip`` (the
    portal, in a phone's browser) asks the provider for a page to pay on that phone (WeChat
    Pay H5) rather than a QR code (NATIVE); it is not stored.
    """
    staff = isinstance(actor, Actor)
    if isinstance(actor, Actor):
        require(actor, Perm.WALLET_RECHARGE)
    _check_input(amount_fen, package_id)
    if not _is_int(card_id):
        raise NotFound(_("Unknown card."), code="card_not_found", field="card_id")
    adapter = provider_get(provider)

    def perform() -> OnlineOrder:
        now = timezone.now()
        try:
            lock = card_lock(card_id)
        except NotFound:
            raise NotFound(_("Unknown card."), code="card_not_found", field="card_id") from None
        card = lock.card
        if isinstance(actor, Actor):
            scope_require(actor, ScopeOp.RECHARGE, home_store_id=card.store_id)
        else:
            own(actor, card.member_id)
        card_require_usable(card, now=now)
        if lock.member is not None and lock.member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        package = _package(package_id, amount_fen)
        limit = card_limit_fen(card, WalletPolicy.current())
        balance = lock.principal.balance
        if balance + amount_fen > limit:
            raise Conflict(
                _(
                    "Over the prepaid limit: this card may hold at most %(limit)s of stored value "
                    "(now %(balance)s)."
                )
                % {"limit": fen_to_yuan_str(limit), "balance": fen_to_yuan_str(balance)},
                code="prepaid_limit_exceeded",
                details={"limit_fen": limit, "balance_fen": balance},
            )
        earn_frozen = lock.member is not None and lock.member.earn_frozen
        store_id = actor.store_id if isinstance(actor, Actor) and actor.store_id else card.store_id
        number = _new_number()
        order = OnlineOrder.objects.create(
            number=number,
            provider=adapter.code,
            channel=OnlineOrder.Channel.API if staff else OnlineOrder.Channel.PORTAL,
            card=card,
            member_id=card.member_id,
            store_id=store_id,
            amount_fen=amount_fen,
            bonus_fen=package.bonus_fen if package and not earn_frozen else 0,
            package=package,
            notify_url=notify_base_url.rstrip("/") + f"/pay/notify/{adapter.code}/",
            created_by=actor.label,
            created_at=now,
        )
        audit_record(
            actor=actor if isinstance(actor, Actor) else member_self(actor),
            action="online_order.created",
            subject_type="online_order",
            subject_id=order.pk,
            member_id=card.member_id,
            after={
                "number": number,
                "card": card.number,
                "amount": amount_fen,
                "provider": adapter.code,
                "package": package_id,
            },
            store_id=store_id,
        )
        return order

    payload = {
        "card_id": card_id,
        "amount": amount_fen,
        "package": package_id,
        "provider": provider,
    }
    if isinstance(actor, Actor):
        order = command_run(
            actor=actor,
            key=idempotency_key,
            kind="online_order",
            payload=payload,
            perform=perform,
            load=lambda pk: OnlineOrder.objects.get(pk=pk),
        )
    else:
        with transaction.atomic():
            order = perform()
    return _register(
        order,
        adapter,
        str(_("Card recharge %(amount)s") % {"amount": fen_to_yuan_str(amount_fen)}),
        return_url,
        payer_client_ip,
    )


def _register(
    order: OnlineOrder,
    adapter: PaymentProvider,
    subject: str,
    return_url: str,
    payer_client_ip: str = "",
) -> OnlineOrder:
    """Register the order with the provider (once): what the payer's client needs."""
    if order.pay_url or order.qr_content:
        return order  # a replay: already registered with the provider
    try:
        instruction = adapter.order_create(
            OrderRequest(
                number=order.number,
                amount_fen=order.amount_fen,
                subject=subject[:100],
                notify_url=order.notify_url,
                return_url=return_url.replace("{number}", order.number),
                payer_client_ip=payer_client_ip,
            )
        )
    except ProviderError as exc:
        raise ProviderFailed(
            _("The payment provider cannot be reached. Try again later."),
            details={"order_number": order.number},
        ) from exc
    OnlineOrder.objects.filter(pk=order.pk).update(
        pay_url=instruction.pay_url[:2000], qr_content=instruction.qr_content[:500]
    )
    order.pay_url, order.qr_content = instruction.pay_url, instruction.qr_content
    return order


def benefit_order_create(
    *,
    actor: MemberActor,
    card_id: int,
    plan_id: int,
    provider: str,
    notify_base_url: str,
    return_url: str = "",
    payer_client_ip: str = "",
) -> OnlineOrder:
    """Open an online order for a benefit card (portal): bought, or renewed if the member
    holds a card of the same plan; paid at the plan's price (the product's list price).

    Checked as the counter checks the sale (member active, card usable and the member's own,
    the plan on sale, no card of another plan held, a lifetime card never renewed); nothing
    moves until the provider's verified notification books it through the benefits service.
    """
    if not _is_int(card_id):
        raise NotFound(_("Unknown card."), code="card_not_found", field="card_id")
    if not _is_int(plan_id):
        raise NotFound(_("Plan not found."), code="plan_not_found", field="plan_id")
    adapter = provider_get(provider)

    with transaction.atomic():
        now = timezone.now()
        try:
            lock = card_lock(card_id)
        except NotFound:
            raise NotFound(_("Unknown card."), code="card_not_found", field="card_id") from None
        card = lock.card
        own(actor, card.member_id)
        card_require_usable(card, now=now)
        if lock.member is None or lock.member.status != Member.Status.ACTIVE:
            raise Conflict(_("The member is not active."), code="member_not_active")
        member_id = lock.member.pk
        plan = BenefitPlan.objects.select_related("product").filter(pk=plan_id).first()
        if plan is None:
            raise NotFound(_("Plan not found."), code="plan_not_found", field="plan_id")
        price = plan.product.list_price_fen
        if not plan.active or price <= 0:
            raise Conflict(
                _("%(plan)s is not on sale.") % {"plan": plan.name}, code="plan_not_on_sale"
            )
        today = local_date(now)
        held = (
            MemberBenefit.objects.filter(member_id=member_id, status="active")
            .exclude(valid_until__lt=today)
            .first()
        )
        if held is not None and held.plan_id != plan.pk:
            raise Conflict(
                _("You hold %(held)s: ask at the counter to upgrade it.") % {"held": held.name},
                code="benefit_held",
            )
        if held is not None and held.valid_until is None:
            raise Conflict(_("A lifetime card needs no renewal."), code="benefit_lifetime")
        purpose = OnlineOrder.Purpose.BENEFIT_RENEW if held else OnlineOrder.Purpose.BENEFIT_BUY
        order = OnlineOrder.objects.create(
            number=_new_number(),
            purpose=purpose,
            provider=adapter.code,
            channel=OnlineOrder.Channel.PORTAL,
            card=card,
            member_id=card.member_id,
            store_id=card.store_id,
            amount_fen=price,
            benefit_plan=plan,
            notify_url=notify_base_url.rstrip("/") + f"/pay/notify/{adapter.code}/",
            created_by=actor.label,
            created_at=now,
        )
        audit_record(
            actor=member_self(actor),
            action="online_order.created",
            subject_type="online_order",
            subject_id=order.pk,
            member_id=card.member_id,
            after={
                "number": order.number,
                "card": card.number,
                "amount": price,
                "provider": adapter.code,
                "purpose": purpose,
                "plan": plan.pk,
            },
            store_id=card.store_id,
        )
    subject = (
        _("Benefit card renewal %(plan)s")
        if purpose == OnlineOrder.Purpose.BENEFIT_RENEW
        else _("Benefit card %(plan)s")
    ) % {"plan": plan.name}
    return _register(order, adapter, str(subject), return_url, payer_client_ip)
