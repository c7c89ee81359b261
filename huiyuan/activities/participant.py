"""Payment activities (消费满送) take part in the sale's transaction (``checkout.hooks``):
the reward is given with the sale and taken back with its return or reversal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from huiyuan.activities.models import Activity
from huiyuan.activities.services.points_days import points_day_in_force
from huiyuan.activities.services.rewards import (
    running,
    sale_rewards_give,
    sale_rewards_take_back,
)
from huiyuan.checkout import hooks


class PointsDaySource:
    """Feeds the double-points day in force to the earn engine."""

    def boost_for(self, *, store_id: int, now: dt.datetime) -> hooks.PointsBoost | None:
        day = points_day_in_force(store_id, now)
        if day is None:
            return None
        return hooks.PointsBoost(label=day.name, multiplier_pct=day.multiplier_pct)


class ActivityParticipant(hooks.Participant):
    name = "activities"

    def quote_notes(self, context: hooks.QuoteContext) -> Sequence[hooks.Note]:
        if context.member_id is None or context.completing:
            return ()
        notes = []
        for activity in running(Activity.Kind.PAYMENT, context.now, context.store_id):
            notes.append(
                hooks.Note(
                    code="activity_offer",
                    message=_("Spend ¥%(yuan)s in one sale: %(name)s")
                    % {"yuan": f"{activity.threshold_fen / 100:.2f}", "name": activity.name},
                    params={"activity_id": activity.pk, "threshold_fen": activity.threshold_fen},
                )
            )
        return notes

    def sale_completed(self, done: hooks.SaleDone) -> None:
        sale_rewards_give(actor=done.actor, sale=done.sale, lock=done.lock, now=done.now)

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        sale_rewards_take_back(
            actor=done.actor, sale=done.sale, lock=done.lock, now=done.now, whole=False
        )

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        sale_rewards_take_back(
            actor=done.actor, sale=done.sale, lock=done.lock, now=done.now, whole=True
        )
