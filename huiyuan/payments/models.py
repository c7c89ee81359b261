"""Online payments (W1) and the payment PIN (W2).

``OnlineOrder`` is our side of an online recharge: what the member asked to pay, through
which provider, and what became of it. ``PaymentNotification`` records every notification a
provider sent (accepted, repeated or refused). ``SandboxCharge`` is the sandbox provider's own
side (the "bank"), kept apart from our orders. ``PaymentPin`` holds a member's hashed PIN and
its failure counter; ``PinPolicy`` the chain's rule for when the counter asks for it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")


class OnlineOrder(models.Model):
    """An online order (在线订单): a recharge of a card, or a benefit card bought or renewed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Payment received")
        FAILED = "failed", _("Paid, recharge refused")

    class Purpose(models.TextChoices):
        RECHARGE = "recharge", _("Recharge")
        BENEFIT_BUY = "benefit_buy", _("Benefit card purchase")
        BENEFIT_RENEW = "benefit_renew", _("Benefit card renewal")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Member portal")
        API = "api", _("API")

    number = models.CharField(_("order number"), max_length=32, unique=True)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.RECHARGE
    )
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="+")
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"), default=0)
    package = models.ForeignKey(
        "wallet.RechargePackage", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    pay_url = models.CharField(max_length=2000, blank=True)  # a page to send the payer to
    qr_content = models.CharField(max_length=500, blank=True)  # or what a QR code carries
    notify_url = models.CharField(max_length=500)
    provider_trade_no = models.CharField(_("provider trade number"), max_length=64, blank=True)
    recharge = models.OneToOneField(
        "wallet.Recharge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A benefit card's order: the plan paid for, and the card it opened or renewed.
    benefit_plan = models.ForeignKey(
        "benefits.BenefitPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    benefit = models.ForeignKey(
        "benefits.MemberBenefit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    failure_code = models.CharField(max_length=60, blank=True)
    created_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("online order")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="payments_order_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(purpose="recharge") | models.Q(benefit_plan__isnull=False),
                name="payments_order_benefit_has_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PaymentNotification(models.Model):
    """One notification as received, and what we made of it."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REPEATED = "repeated", _("Repeated (already applied)")
        BAD_SIGNATURE = "bad_signature", _("Signature invalid")
        UNKNOWN_ORDER = "unknown_order", _("Unknown order")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the order")
        NOT_PAID = "not_paid", _("Not a successful payment")
        OTHER_PAYMENT = "other_payment", _("Another payment of a paid order")
        RECHARGE_REFUSED = "recharge_refused", _("Recharge refused")

    provider = models.CharField(max_length=20, choices=Provider.choices)
    order = models.ForeignKey(
        OnlineOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    order_number = models.CharField(max_length=64, blank=True)
    provider_trade_no = models.CharField(max_length=64, blank=True)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("payment notification")
        ordering = ["-received_at", "-id"]


class SandboxCharge(models.Model):
    """The sandbox provider's record of a payment it took (its side, not ours)."""

    order_number = models.CharField(max_length=32, unique=True)
    trade_no = models.CharField(max_length=40, unique=True)
    amount_fen = models.BigIntegerField()
    subject = models.CharField(max_length=100)
    notify_url = models.CharField(max_length=500)
    return_url = models.CharField(max_length=500, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    acknowledged = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    @property
    def amount_yuan(self) -> str:
        whole, cents = divmod(self.amount_fen, 100)
        return f"{whole:,}.{cents:02d}"


class PinPolicy(models.Model):
    """The chain's payment-PIN rule. One row (pk=1)."""

    threshold_fen = models.BigIntegerField(_("PIN required from (fen)"), default=0)
    max_failures = models.PositiveIntegerField(_("failures before lockout"), default=5)
    lockout_minutes = models.PositiveIntegerField(_("lockout (minutes)"), default=30)

    class Meta:
        verbose_name = _("payment PIN policy")

    def __str__(self) -> str:
        return "pin policy"

    @classmethod
    def current(cls) -> PinPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class PaymentPin(models.Model):
    """A member's payment PIN (支付密码), hashed; the failures since the last success."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="payment_pin"
    )
    pin_hash = models.CharField(max_length=200)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("payment PIN")
