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
        # A pre-made card of a batch (卡密卡): not usable until activated with its code.
        PENDING = "pending", _("Awaiting activation")  # 待激活

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


# ----------------------------------------------------------------------------------
# Pre-made card batches with secret codes (卡密): huiyuan/cards/batches.py, activation.py.


class CardBatch(models.Model):
    """A batch of pre-made stored-value cards a company buys to hand out (预制卡批次).

    Its cards are real ``Card`` rows, made unbound and ``pending`` (not usable) with one
    ``BatchCard`` each holding the secret code. How far the batch has got is ``status``;
    how many cards were activated, used or voided is counted from its cards (selectors).
    """

    class Status(models.TextChoices):
        GENERATING = "generating", _("Generating")  # 生成中
        GENERATED = "generated", _("Generated, not sold")  # 已生成（未售）
        SELLING = "selling", _("Being sold")  # 售出中
        SOLD = "sold", _("Sold")  # 已售出
        CLOSED = "closed", _("Closed")  # 已结束: every card activated or voided

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("selling store")
    )
    card_type = models.ForeignKey(
        CardType, on_delete=models.PROTECT, related_name="batches", verbose_name=_("card type")
    )
    buyer_company = models.CharField(_("buying company"), max_length=100)
    # The buyer's contact person and telephone: personal data, encrypted at rest.
    buyer_contact_encrypted = models.TextField(blank=True, default="")
    count = models.PositiveIntegerField(_("cards"))
    face_value_fen = models.BigIntegerField(_("face value per card (fen)"))
    validity_months = models.PositiveIntegerField(
        _("validity in months from activation"), null=True, blank=True
    )
    activate_by = models.DateField(_("activate by"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.GENERATING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True, default="")
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sold_at = models.DateTimeField(null=True, blank=True)
    export_count = models.PositiveIntegerField(default=0)
    last_exported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("card batch")  # 预制卡批次
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gte=1) & models.Q(count__lte=10_000),
                name="cards_batch_count_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(face_value_fen__gt=0), name="cards_batch_face_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk}"


class CardBatchVoid(models.Model):
    """Voiding cards of a batch that were not activated: their value goes back to the buyer."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, related_name="voids")
    reason = models.CharField(_("reason"), max_length=200)
    method = models.CharField(_("refund method"), max_length=20)
    # The cards asked for (ids), or null: every card of the batch still awaiting activation.
    card_ids = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    cards_voided = models.PositiveIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("card batch void")  # 批次作废
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"void {self.pk} of batch {self.batch_id}"


class BatchCard(models.Model):
    """One card of a batch: its secret code (hashed; encrypted until used) and its state.

    Every change to a row happens under the lock of its card (``cards.locks.card_lock``),
    so a decision on it — activate, sell, void — is made on what the lock holder reads.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting activation")  # 待激活
        ACTIVATED = "activated", _("Activated")  # 已激活
        VOIDED = "voided", _("Voided")  # 已作废

    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, related_name="entries")
    card = models.OneToOneField(Card, on_delete=models.PROTECT, related_name="batch_entry")
    serial = models.PositiveIntegerField(_("serial"))
    # HMAC of the card number and code (huiyuan/cards/codes.py); the code itself is kept
    # encrypted only while it can still be used, for re-printing; erased once used or voided.
    code_hash = models.CharField(max_length=64)
    code_encrypted = models.TextField(blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The operation that put the face value on the card (the batch's sale).
    sale_operation = models.ForeignKey(
        "ledger.Operation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void = models.ForeignKey(
        CardBatchVoid, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    class Meta:
        verbose_name = _("batch card")  # 卡密卡
        ordering = ["batch_id", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "serial"], name="cards_batch_serial_unique"),
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"batch {self.batch_id} #{self.serial}"


class CodeAttemptThrottle(models.Model):
    """Failed secret-code attempts, counted per card number, per actor and per address.

    ``key`` is a keyed hash (card number, address) or the actor's scope; no personal data.
    """

    class Scope(models.TextChoices):
        CARD = "card", _("Card number")
        ACTOR = "actor", _("Staff member or terminal")
        ADDRESS = "address", _("Network address")

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=100)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("code attempt throttle")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="cards_code_throttle_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:8]}"
