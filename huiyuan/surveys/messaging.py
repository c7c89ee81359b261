"""The survey link by SMS, through the care app's channels (a marketing message: the
member's opt-out, quiet hours and the frequency cap apply, and it carries the 退订 line)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from huiyuan.care.models import ChannelKind, MessageKind
from huiyuan.care.sending import delivery_queue, member_address
from huiyuan.members.models import Member

TEMPLATE = "survey_invite"
# (name, kind, subject, body) in the care app's catalogue of built-in wordings.
WORDING = (
    "问卷邀请",
    MessageKind.MARKETING,
    "问卷邀请",
    "{name}您好，{store}诚邀您花一分钟填写问卷：{link}",
)


def survey_links_send(member_ids: Iterable[int], link_for: Callable[[int], str]) -> int:
    """Queue one SMS per member with a mobile; returns how many were queued."""
    queued = 0
    for member in Member.objects.filter(pk__in=list(member_ids)).select_related("home_store"):
        to = member_address(member, ChannelKind.SMS)
        if not to:
            continue
        delivery_queue(
            template=TEMPLATE,
            channel=ChannelKind.SMS,
            to=to,
            context={
                "name": member.name,
                "store": member.home_store.name,
                "link": link_for(member.pk),
            },
            member_id=member.pk,
            kind=MessageKind.MARKETING,
        )
        queued += 1
    return queued
