"""The in-app inbox (站内信): the message lands in the member's portal inbox."""

from __future__ import annotations

from django.utils import timezone

from huiyuan.care.channels import Channel, Message, Result
from huiyuan.care.models import InboxMessage


class InboxChannel(Channel):
    def send(self, message: Message) -> Result:
        if message.member_id is None:
            return Result(ok=False, response="no member", retryable=False)
        row = InboxMessage.objects.create(
            member_id=message.member_id,
            delivery_id=message.delivery_id,
            title=message.subject[:200],
            body=message.body,
            created_at=timezone.now(),
        )
        return Result(ok=True, provider_id=f"inbox-{row.pk}", response="in inbox", delivered=True)
