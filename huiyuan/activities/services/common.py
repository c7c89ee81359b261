"""What the activity services share: row locks, the store check, keyed writes.

Lock order (every activity service): the card's locks first (``cards.locks.card_lock``:
member → card → card accounts), then the activity row, then sign-up rows by id. Seats and
budgets are decided on the locked activity row only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from huiyuan.activities.models import Activity, Signup
from huiyuan.core.errors import Conflict, NotFound
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import atomic_retry
from huiyuan.ledger.commands import R, command_run


def for_update(qs):  # type: ignore[no-untyped-def]
    """``FOR NO KEY UPDATE OF`` the table's own rows on PostgreSQL; a plain lock elsewhere."""
    if connection.vendor == "postgresql":
        return qs.select_for_update(no_key=True, of=("self",))
    return qs.select_for_update()


def activity_locked(activity_id: int) -> Activity:
    """Lock one activity row (its seats and budget are decided on this object only)."""
    activity = for_update(Activity.objects.filter(pk=activity_id)).first()
    if activity is None:
        raise NotFound(_("Activity not found."), code="activity_not_found")
    return activity


def signup_locked(signup_id: int) -> Signup:
    row = for_update(Signup.objects.filter(pk=signup_id)).first()
    if row is None:
        raise NotFound(_("Sign-up not found."), code="signup_not_found")
    return row


def activity_at_store(activity: Activity, store_id: int | None) -> None:
    """Refuse an activity limited to other stores than the one it is used at."""
    if activity.store_ids and store_id is not None and store_id not in activity.store_ids:
        raise Conflict(
            _("This activity is not held at this store."),
            code="activity_other_store",
            details={"store_id": store_id},
        )


def activity_visible(actor: Actor, activity: Activity) -> bool:
    """A store-scoped actor sees chain-wide activities and those of its stores."""
    if actor.store_ids is None or not activity.store_ids:
        return True
    return bool(set(activity.store_ids) & set(actor.store_ids))


def run_write(
    *,
    actor: Actor,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    perform: Callable[[], R],
    load: Callable[[int], R],
) -> R:
    """A write idempotent by nature (an edit, a status): with a key it goes through
    ``command_run``; without one it runs in a retried transaction."""
    if key is None:
        return atomic_retry(perform)
    return command_run(actor=actor, key=key, kind=kind, payload=payload, perform=perform, load=load)
