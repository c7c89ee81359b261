"""One double-entry ledger for stored value, bonus and points.

Every movement is a ``Transfer`` of a positive amount from one account to another, with two
``Entry`` legs that sum to zero. Member-side accounts (a card's principal, bonus and points)
keep a cached balance changed only under a row lock and guarded by ``CHECK (balance >= 0)``.
Store and system accounts never cache a balance: they are derived from entries, so they are
never a hot row. Bonus and points arrive in ``Lot``s with an expiry; spending consumes lots
oldest-expiry first and records each ``LotUse`` so that a reversal gives back exactly those.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    FEN = "fen", _("fen")
    POINT = "point", _("point")


class Account(models.Model):
    class Kind(models.TextChoices):
        # Member side: owned by a card, cached balance, never negative.
        PRINCIPAL = "principal", _("Stored value (principal)")
        BONUS = "bonus", _("Bonus")
        POINTS = "points", _("Points")
        # Store side: money and points flowing in and out at a store. Derived balances.
        STORE_FUNDING = "store_funding", _("Store: recharges received")
        STORE_SALES = "store_sales", _("Store: sales paid from balance")
        STORE_REFUNDS = "store_refunds", _("Store: refunds paid out")
        STORE_BONUS = "store_bonus", _("Store: bonus granted")
        STORE_POINTS_ISSUED = "store_points_issued", _("Store: points issued")
        STORE_POINTS_REDEEMED = "store_points_redeemed", _("Store: points redeemed")
        # System: chain-wide sinks.
        POINTS_EXPIRED = "points_expired", _("Points expired")
        BONUS_EXPIRED = "bonus_expired", _("Bonus expired")
        POINTS_ADJUSTMENTS = "points_adjustments", _("Points adjusted by hand")
        # System: balances brought over from a legacy system (huiyuan.imports.opening).
        OPENING_BALANCE = "opening_balance", _("Opening balances migrated (fen)")
        OPENING_POINTS = "opening_points", _("Opening points migrated")

    MEMBER_KINDS = (Kind.PRINCIPAL, Kind.BONUS, Kind.POINTS)
    LOTTED_KINDS = (Kind.BONUS, Kind.POINTS)

    kind = models.CharField(max_length=30, choices=Kind.choices)
    unit = models.CharField(max_length=5, choices=Unit.choices)
    card_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    member_side = models.BooleanField(default=False)
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_side=False) | Q(balance__gte=0),
                name="ledger_member_balance_non_negative",
            ),
            models.UniqueConstraint(
                fields=["kind", "card_id"],
                condition=Q(card_id__isnull=False),
                name="ledger_one_account_per_card_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "store_id"],
                condition=Q(card_id__isnull=True, store_id__isnull=False),
                name="ledger_one_account_per_store_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(card_id__isnull=True, store_id__isnull=True),
                name="ledger_one_system_account_per_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = (
            f"card {self.card_id}"
            if self.card_id
            else f"store {self.store_id}"
            if self.store_id
            else "system"
        )
        return f"{self.kind} ({owner})"

    @property
    def is_lotted(self) -> bool:
        return self.kind in self.LOTTED_KINDS


class Operation(models.Model):
    """One business operation (a recharge, a sale, a reversal…) grouping its transfers."""

    kind = models.CharField(max_length=30, db_index=True)
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    card_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    terminal_id = models.BigIntegerField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    memo = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("ledger operation")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Transfer(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField(max_length=30)
    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    # The transfer this one undoes, leg for leg, in a reversal.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ledger transfer")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(from_account=F("to_account")), name="ledger_transfer_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.from_account_id}->{self.to_account_id}"


class Entry(models.Model):
    """One leg of a transfer. ``balance_after`` is kept for member-side accounts."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    delta = models.BigIntegerField()
    balance_after = models.BigIntegerField(null=True, blank=True)
    member_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ledger entry")
        indexes = [models.Index(fields=["account", "id"])]


class Lot(models.Model):
    """A parcel of bonus or points with its own expiry, consumed oldest-expiry first.

    A lot with ``matures_at`` in the future is pending (P1, 待生效积分): counted in the
    account's balance but not spendable until then; a return within the window takes it
    back without touching spendable points. ``matured_at`` is set once by the maturation
    job (which announces it); spendability follows ``matures_at`` alone."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    source = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lots")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    source_kind = models.CharField(max_length=30)
    created_at = models.DateTimeField()
    matures_at = models.DateTimeField(null=True, blank=True)
    matured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")) & Q(amount__gt=0),
                name="ledger_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "remaining", "expires_at"]),
            models.Index(
                fields=["matures_at"],
                name="ledger_lot_pending",
                condition=Q(matured_at__isnull=True, matures_at__isnull=False),
            ),
        ]

    def is_pending(self, now: dt.datetime) -> bool:
        return self.matures_at is not None and self.matures_at > now


class LotUse(models.Model):
    """How much of a lot a transfer consumed (positive) or gave back to it (negative).

    A lot's remainder is always its amount less the sum of its uses.
    """

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="uses")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="lot_uses")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_lot_use_non_zero"),
        ]


class IdempotencyKey(models.Model):
    """A client's key for one command; stored in the command's own transaction.

    ``request_hash`` covers the actor's scope, the store and the payload; ``result_id`` is
    the id of what the command produced (a sale, a recharge, a card…), returned again on a
    replay. Keys are purged after ``settings.IDEMPOTENCY_RETENTION_DAYS``.
    """

    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=40, blank=True, default="")
    request_hash = models.CharField(max_length=64)
    operation = models.ForeignKey(Operation, null=True, on_delete=models.PROTECT, related_name="+")
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="ledger_idempotency_unique"),
        ]
