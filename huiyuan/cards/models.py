"""Membership cards (C1, C2): balances and points belong to a card, never to a member."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CardType(models.Model):
    class Category(models.TextChoices):
        TIER = "tier", _("By tier")  # 普通/银/金/白金
        SERVICE = "service", _("By service")  # 百货/化妆品/餐饮
        MULTI = "multi", _("Multi-purpose")  # 联名/家庭/业主/停车

    class Holding(models.TextChoices):
        PERSONAL = "personal", _("Personal")
        LINKED = "linked", _("Linked")  # 关联卡
        GROUP = "group", _("Group")  # 团体卡
        FAMILY = "family", _("Family (shared wallet)")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    holding = models.CharField(
        _("holding"), max_length=10, choices=Holding.choices, default=Holding.PERSONAL
    )
    anonymous = models.BooleanField(_("anonymous (bearer) card"), default=False)
    validity_months = models.PositiveIntegerField(_("validity in months"), null=True, blank=True)
    number_prefix = models.CharField(_("number prefix"), max_length=6, default="6")
    max_holders = models.PositiveSmallIntegerField(_("holders at most"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("card type")  # 卡类型
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOST = "lost", _("Reported lost")  # 挂失
        VOID = "void", _("Void (reissued)")  # 已补卡作废
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("card number"), max_length=32, unique=True)
    card_type = models.ForeignKey(CardType, on_delete=models.PROTECT, related_name="cards")
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("holder"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    status_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("card")  # 会员卡
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class CardHolder(models.Model):
    """A further holder of a family, linked or group card: they share its one wallet."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="holders")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="shared_cards"
    )
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "member"], name="cards_holder_unique")
        ]
