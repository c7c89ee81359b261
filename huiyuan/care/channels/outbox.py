"""The development and test channel: every message is kept in ``OutboxMessage`` (no
network), shown on the console's 开发发件箱 page and read by ``huiyuan.care.testing``."""

from __future__ import annotations

from django.utils import timezone

from huiyuan.care.channels import Channel, Message, Result
from huiyuan.care.models import OutboxMessage
from huiyuan.core.pii import keyed_hash, mask_mobile


def _row(message: Message) -> OutboxMessage:
    masked = mask_mobile(message.to) if message.channel == "sms" else message.to[:60]
    return OutboxMessage(
        channel=message.channel,
        delivery_id=message.delivery_id,
        recipient_hash=keyed_hash(message.to),
        recipient_masked=masked,
        subject=message.subject[:200],
        body=message.body,
        created_at=timezone.now(),
    )


def _result(row: OutboxMessage) -> Result:
    return Result(ok=True, provider_id=f"outbox-{row.pk}", response="stored", delivered=True)


class OutboxChannel(Channel):
    def send(self, message: Message) -> Result:
        row = _row(message)
        row.save()
        return _result(row)

    def send_many(self, messages: list[Message]) -> list[Result | Exception]:
        rows = OutboxMessage.objects.bulk_create([_row(m) for m in messages])
        return [_result(row) for row in rows]
