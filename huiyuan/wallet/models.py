"""Stored value (W1–W3): policy, recharge packages and the recharge/refund records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_CARD = "bank_card", _("Bank card")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    TERMINAL = "terminal", _("Payment terminal")
    ONLINE = "online", _("Online self-service")
    ENTERPRISE = "enterprise", _("Enterprise transfer")


class WalletPolicy(models.Model):
    """The chain's stored-value rules. One row (pk=1); limits follow 单用途商业预付卡管理办法."""

    class SpendOrder(models.TextChoices):
        PRINCIPAL_FIRST = "principal_first", _("Principal first, then bonus")
        BONUS_FIRST = "bonus_first", _("Bonus first, then principal")
        PROPORTIONAL = "proportional", _("In proportion to the balances")

    spend_order = models.CharField(
        _("spending order"),
        max_length=20,
        choices=SpendOrder.choices,
        default=SpendOrder.PRINCIPAL_FIRST,
    )
    named_limit_fen = models.BigIntegerField(_("named card limit (fen)"), default=500_000)
    anonymous_limit_fen = models.BigIntegerField(_("anonymous card limit (fen)"), default=100_000)
    bonus_valid_days = models.PositiveIntegerField(_("bonus valid for days"), null=True, blank=True)

    class Meta:
        verbose_name = _("stored-value policy")

    def __str__(self) -> str:
        return "wallet policy"

    @classmethod
    def current(cls) -> WalletPolicy:
        policy, _created = cls.objects.get_or_create(pk=cls.current_pk())
        return policy

    @staticmethod
    def current_pk() -> int:
        """The chain's one policy row."""
        return 1


class RechargePackage(models.Model):
    """充500送50: pay ``pay_fen`` and receive ``bonus_fen`` of bonus, kept apart."""

    name = models.CharField(_("name"), max_length=50)
    pay_fen = models.BigIntegerField(_("pay (fen)"))
    bonus_fen = models.BigIntegerField(_("bonus (fen)"), default=0)
    bonus_valid_days = models.PositiveIntegerField(_("bonus valid for days"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recharge package")  # 充值套餐
        ordering = ["pay_fen"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pay_fen__gt=0), name="wallet_package_pay_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(bonus_fen__gte=0), name="wallet_package_bonus_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Recharge(models.Model):
    """A recharge as the business sees it; the money moved is in its ledger operation."""

    operation = models.OneToOneField(
        "ledger.Operation", on_delete=models.PROTECT, related_name="recharge"
    )
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="recharges")
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    principal_fen = models.BigIntegerField()
    bonus_fen = models.BigIntegerField(default=0)
    package = models.ForeignKey(RechargePackage, null=True, blank=True, on_delete=models.PROTECT)
    batch = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("recharge")  # 充值
        ordering = ["-created_at"]


class Refund(models.Model):
    operation = models.OneToOneField(
        "ledger.Operation", on_delete=models.PROTECT, related_name="refund"
    )
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="refunds")
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    principal_fen = models.BigIntegerField()
    bonus_clawback_fen = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("refund")  # 退款
        ordering = ["-created_at"]
