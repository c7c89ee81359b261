"""Gift catalog (积分礼品) as an electronic warehouse, redemptions, batch distributions and
the points lottery (积分抽奖).

Stock is a cached number on ``Gift`` changed only under the gift row's lock, in the same
transaction as the append-only ``GiftMovement`` that records the change with the stock
after it (``CHECK (stock >= 0)`` as the last guard). Points never move here: redemptions
and draws post ledger operations (``huiyuan.ledger.services.operation_post``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Gift(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("On offer")  # 上架
        DELISTED = "delisted", _("Delisted")  # 已下架

    code = models.CharField(_("gift code"), max_length=40, unique=True)
    name = models.CharField(_("gift name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    points_price = models.PositiveIntegerField(_("points price"))
    cash_fen = models.BigIntegerField(_("cash top-up (fen)"), default=0)
    stock = models.BigIntegerField(_("stock"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gift")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="gifts_stock_non_negative"),
            models.CheckConstraint(condition=Q(cash_fen__gte=0), name="gifts_cash_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GiftMovement(models.Model):
    """One change of a gift's stock (出入库流水); append-only, with the stock after it."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Opening stock")  # 期初
        RESTOCK = "restock", _("Restock")  # 入库
        WRITE_OFF = "write_off", _("Write-off")  # 报损
        REDEEM = "redeem", pgettext_lazy("gift movement", "Redeemed")  # 兑换出库
        CANCEL = "cancel", _("Redemption cancelled")  # 取消兑换退回
        DISTRIBUTE = "distribute", _("Distributed")  # 派发出库
        LOTTERY = "lottery", _("Lottery prize")  # 抽奖出库

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    delta = models.BigIntegerField()
    stock_after = models.BigIntegerField()
    store_id = models.BigIntegerField(null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redemption = models.ForeignKey(
        "Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gift stock movement")
        ordering = ["-id"]
        indexes = [models.Index(fields=["gift", "id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="gifts_movement_non_zero"),
            models.CheckConstraint(
                condition=Q(stock_after__gte=0), name="gifts_movement_stock_non_negative"
            ),
        ]


class Distribution(models.Model):
    """A batch of free gifts for a member list (派发), applied in short transactions."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("distribution", "Running")
        DONE = "done", pgettext_lazy("distribution", "Done")

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="distributions")
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    given = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    store_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("gift distribution")
        ordering = ["-id"]

    @property
    def done(self) -> int:
        return self.given + self.skipped

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


class DistributionLine(models.Model):
    """One member of a distribution: given once at most (unique per batch and member)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GIVEN = "given", _("Given")
        SKIPPED = "skipped", _("Skipped")

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="lines")
    member_id = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason_code = models.CharField(max_length=40, blank=True, default="")
    redemption = models.OneToOneField(
        "Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "member_id"], name="gifts_distribution_member_once"
            ),
        ]
        indexes = [models.Index(fields=["distribution", "status", "id"])]


class Redemption(models.Model):
    """A gift going to a member (兑换记录): by points, by a distribution or as a prize."""

    class Status(models.TextChoices):
        REDEEMED = "redeemed", _("Redeemed, to pick up")  # 已兑换待领取
        PICKED_UP = "picked_up", _("Picked up")  # 已领取
        CANCELLED = "cancelled", pgettext_lazy("redemption", "Cancelled")  # 已取消

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Counter")
        API = "api", _("API")
        DISTRIBUTION = "distribution", _("Distribution")
        LOTTERY = "lottery", _("Lottery prize")

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="redemptions")
    member_id = models.BigIntegerField(db_index=True)
    card_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    quantity = models.PositiveIntegerField(default=1)
    points = models.BigIntegerField(default=0)
    cash_fen = models.BigIntegerField(default=0)
    cash_method = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REDEEMED)
    operation_id = models.BigIntegerField(null=True, blank=True)
    cancel_operation_id = models.BigIntegerField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("gift redemption")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gifts_redemption_qty"),
            models.CheckConstraint(condition=Q(points__gte=0), name="gifts_redemption_points"),
        ]


class Lottery(models.Model):
    """A points lottery (积分抽奖): a cost per draw and prizes drawn by integer weights.

    Fairness is a commitment: ``secret`` is drawn at creation and only its SHA-256
    (``commitment``) is shown while the lottery runs; every draw's seed is
    HMAC-SHA256(secret, "<lottery id>:<draw id>"). Once the lottery ends the secret is
    published and anyone can recompute every draw.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Running")
        ENDED = "ended", _("Ended")

    name = models.CharField(_("lottery name"), max_length=100)
    cost_points = models.PositiveIntegerField(_("points per draw"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    secret = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("points lottery")
        ordering = ["-id"]

    @property
    def secret_revealed(self) -> str:
        return self.secret if self.status == self.Status.ENDED else ""


class Prize(models.Model):
    """One prize of a lottery, in declared order (``position``): a gift, points, or
    "thanks for playing" (谢谢参与). ``stock`` None: unlimited."""

    class Kind(models.TextChoices):
        GIFT = "gift", _("Gift")
        POINTS = "points", _("Points")
        NOTHING = "nothing", _("Thanks for playing")

    lottery = models.ForeignKey(Lottery, on_delete=models.PROTECT, related_name="prizes")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    gift = models.ForeignKey(
        Gift, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    points = models.PositiveIntegerField(default=0)
    weight = models.PositiveIntegerField()
    stock = models.BigIntegerField(null=True, blank=True)
    awarded = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lottery", "position"], name="gifts_prize_position"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="gifts_prize_stock"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Draw(models.Model):
    """One draw, with everything needed to recompute it: the seed, the weights table and
    the prizes that were out of stock under the lock."""

    lottery = models.ForeignKey(Lottery, on_delete=models.PROTECT, related_name="draws")
    member_id = models.BigIntegerField(db_index=True)
    card_id = models.BigIntegerField()
    store_id = models.BigIntegerField(null=True, blank=True)
    seed = models.CharField(max_length=64, blank=True, default="")
    roll = models.CharField(max_length=80, blank=True, default="")
    weights = models.JSONField(default=list)  # [[prize id, weight], …] in declared order
    out_of_stock = models.JSONField(default=list)  # prize ids out of stock at the draw
    picked = models.ForeignKey(
        Prize, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prize = models.ForeignKey(
        Prize, null=True, blank=True, on_delete=models.PROTECT, related_name="draws"
    )
    cost_points = models.PositiveIntegerField()
    points_won = models.PositiveIntegerField(default=0)
    operation_id = models.BigIntegerField(null=True, blank=True)
    redemption = models.OneToOneField(
        Redemption, null=True, blank=True, on_delete=models.PROTECT, related_name="draw"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lottery draw")
        ordering = ["-id"]
