"""The in-app inbox (站内信): the message lands in the member's portal inbox."""

from __future__ import annotations

from django.utils import timezone

from huiyuan.care.channels import Channel, Message, Result
from huiyuan.care.models import InboxMessage

NO_MEMBER = Result(ok=False, response="no member", retryable=False)


def _row(message: Message) -> InboxMessage:
    assert message.member_id is not None
    return InboxMessage(
        member_id=message.member_id,
        delivery_id=message.delivery_id,
        title=message.subject[:200],
        body=message.body,
        created_at=timezone.now(),
    )


def _result(row: InboxMessage) -> Result:
    return Result(ok=True, provider_id=f"inbox-{row.pk}", response="in inbox", delivered=True)


class InboxChannel(Channel):
    def send(self, message: Message) -> Result:
        if message.member_id is None:
            return NO_MEMBER
        row = _row(message)
        row.save()
        return _result(row)

    def send_many(self, messages: list[Message]) -> list[Result | Exception]:
        rows = iter(
            InboxMessage.objects.bulk_create([_row(m) for m in messages if m.member_id is not None])
        )
        return [NO_MEMBER if m.member_id is None else _result(next(rows)) for m in messages]
