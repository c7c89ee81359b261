"""The domain-event feed for integrators: every event the caller may read, oldest first.

Needs ``event.view`` (head office); a store-scoped key reads its own stores' events. Poll
with ``after`` = the ``next_after`` of the previous page. A transaction that started first
may commit a smaller id a moment later: a reader that must see everything re-reads a short
way back (docs/events.md, "Reading the feed").
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from huiyuan.api.auth import actor_of
from huiyuan.api.schemas.common import ERRORS
from huiyuan.api.schemas.events import EventFeedQuery, EventPageOut
from huiyuan.events.selectors import EventFilters, event_feed

router = Router(tags=["events"])


@router.get(
    "/events",
    response={200: EventPageOut, **ERRORS},
    summary="Domain events, oldest first (a feed to poll)",
)
def event_list(request: HttpRequest, page: Query[EventFeedQuery]) -> dict[str, object]:
    items = event_feed(
        actor=actor_of(request),
        filters=EventFilters(name=page.name or "", since=page.since),
        after=page.after,
        limit=page.limit,
    )
    return {
        "limit": page.limit,
        "after": page.after,
        "next_after": items[-1].pk if items else page.after,
        "has_more": len(items) == page.limit,
        "items": items,
    }
