"""Demo member care (docs/care.md): the automatic care rules a shop turns on first, one DM
campaign draft to a saved segment, and today's run of the rules (birthdays in three days,
coupons about to expire), so the delivery log and the development outbox show messages.
Loaded once: a second run finds the birthday rule and adds nothing."""

from __future__ import annotations

from typing import Any

from huiyuan.care.campaigns import CampaignInput, campaign_create
from huiyuan.care.models import CareRule
from huiyuan.care.rules import RuleInput, care_rule_save, care_rules_run
from huiyuan.segments.models import Segment

RULES = (
    RuleInput(kind="birthday", days_ahead=3),
    RuleInput(kind="anniversary"),
    RuleInput(kind="coupon_expiry", days_ahead=3),
    RuleInput(kind="points_expiry", days_ahead=7),
    RuleInput(kind="balance_change", channel="inbox"),
    RuleInput(kind="points_change", channel="inbox"),
)


def load_care(org: Any) -> bool:
    """Turn the demo's care rules on and run them for today; False when already loaded."""
    if CareRule.objects.filter(kind="birthday").exists():
        return False
    marketer = org.actor("marketing")
    for rule in RULES:
        care_rule_save(actor=marketer, data=rule)
    segment = Segment.objects.filter(name="流失风险会员").first()
    campaign_create(
        actor=marketer,
        data=CampaignInput(
            name="老会员召回",
            template_code="promotion",
            segment_id=segment.pk if segment else None,
        ),
    )
    care_rules_run()
    return True
