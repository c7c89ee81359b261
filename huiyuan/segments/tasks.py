"""Background work of segments: the nightly rebuild of the member profiles (RFM, habits,
predictions) and the cross-sell pairs, so purchase-based filters follow the day's sales."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.segments.services import cross_sell_rebuild, profiles_rebuild


@task()
def segments_daily() -> dict[str, Any]:
    result = profiles_rebuild()
    pairs = cross_sell_rebuild()
    return {"profiles": result.members, "fitted": result.fit is not None, "pairs": pairs}
