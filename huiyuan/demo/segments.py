"""Demo segments: a few saved segments a marketer would keep, and the member profiles
(RFM, habits, predictions) computed from the demo's sales."""

from __future__ import annotations

from typing import Any

from huiyuan.segments.models import Segment
from huiyuan.segments.services import cross_sell_rebuild, profiles_rebuild, segment_create

DEMO_SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "重要价值客户",
        "近期常来、花得多：维护关系，优先邀请新品品鉴",
        {"rfm_classes": ["important_value"]},
    ),
    (
        "流失风险会员",
        "曾经常来，最近很久没来：发召回券",
        {"labels": ["at_risk"]},
    ),
    ("女性会员 25–40 岁", "节日关怀与美妆类活动", {"genders": ["F"], "age_min": 25, "age_max": 40}),
    ("周末常客", "周六、周日消费最多的会员", {"weekdays": [6, 7]}),
)


def load_segments(org: Any) -> int:
    """Save the demo segments (once) and compute the profiles; the number created."""
    marketer = org.actor("marketing")
    created = 0
    for name, description, definition in DEMO_SEGMENTS:
        if not Segment.objects.filter(name=name).exists():
            segment_create(
                actor=marketer, name=name, description=description, definition=definition
            )
            created += 1
    profiles_rebuild()  # derived figures: no audit event, so a second load changes nothing
    cross_sell_rebuild()
    return created
