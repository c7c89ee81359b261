"""The outbox: domain events written in the transaction of the change they record, and
one delivery row per (event, subscriber).

An event's payload holds ids, amounts and codes only — never a name, mobile, ID number or
address (``huiyuan.events.services.event_emit`` refuses them). ``member_id`` and
``store_id`` are plain integers: events sit below members and stores, and a partitioned
outbox keeps them without foreign keys.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OutboxEvent(models.Model):
    class Status(models.TextChoices):
        # PENDING: some subscriber still has to take it; DONE: every subscriber took it (or
        # there was none); FAILED: a subscriber gave up after its last attempt.
        PENDING = "pending", pgettext_lazy("event delivery", "Pending")
        DONE = "done", pgettext_lazy("event delivery", "Delivered")
        FAILED = "failed", pgettext_lazy("event delivery", "Failed")

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Dispatch rounds that looked at this event, and the latest subscriber error.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When a dispatcher should look at it next (a claim pushes it out by a lease; a failed
    # delivery's backoff sets it). None once delivered or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("domain event")  # 领域事件
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["name", "id"], name="events_name_id"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="events_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class EventDelivery(models.Model):
    """One subscriber's handling of one event: recorded once, retried until it succeeds."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("event delivery", "Pending")
        DONE = "done", pgettext_lazy("event delivery", "Delivered")
        FAILED = "failed", pgettext_lazy("event delivery", "Failed")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(_("subscriber"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event delivery")  # 事件投递
        ordering = ["event_id", "subscriber"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="events_one_delivery_per_subscriber"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.event_id} → {self.subscriber} ({self.status})"
