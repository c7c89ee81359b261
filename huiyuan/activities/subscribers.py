"""Points tasks on domain events: registering earns the ``register`` task's points once.

The points go to a card, and a member registered at the counter gets the card a moment
later: so the task is tried on ``member.registered`` and again on the member's first
``card.issued`` (not a replacement), within ``REGISTER_WINDOW`` of joining. The grant's
unique key (task, member) keeps it to once."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from huiyuan.activities.services.rewards import task_points_give
from huiyuan.activities.tasks import SYSTEM
from huiyuan.events.registry import subscriber
from huiyuan.members.models import Member

if TYPE_CHECKING:
    from huiyuan.events.models import OutboxEvent

REGISTER_WINDOW = dt.timedelta(days=7)


def _register_task_on(_event_name: str) -> bool:
    from huiyuan.activities.models import PointsTask

    return PointsTask.objects.filter(code="register", active=True, points__gt=0).exists()


@subscriber(
    "member.registered", "card.issued", name="activities.task_register", wants=_register_task_on
)
def activities_task_register(event: OutboxEvent) -> None:
    if event.member_id is None or event.payload.get("replaces_card_id"):
        return
    joined = Member.objects.filter(pk=event.member_id).values_list("joined_at", flat=True).first()
    if joined is None or timezone.now() - joined > REGISTER_WINDOW:
        return
    task_points_give(actor=SYSTEM, code="register", member_id=event.member_id)
