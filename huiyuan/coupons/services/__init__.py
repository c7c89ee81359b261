"""Coupon services: templates, issues (hand, claim, event, batch, bulk). Re-exported here."""

from huiyuan.coupons.services.batch import (
    MemberFilter,
    issue_batch_run,
    issue_batch_start,
    members_matching,
)
from huiyuan.coupons.services.bulk import coupons_issue_bulk
from huiyuan.coupons.services.issue import (
    coupon_claim,
    coupon_issue,
    coupon_load,
    coupons_issue_on_event,
)
from huiyuan.coupons.services.templates import (
    TemplateInput,
    template_create,
    template_stop,
    template_update,
)

__all__ = [
    "MemberFilter",
    "TemplateInput",
    "coupon_claim",
    "coupon_issue",
    "coupon_load",
    "coupons_issue_bulk",
    "coupons_issue_on_event",
    "issue_batch_run",
    "issue_batch_start",
    "members_matching",
    "template_create",
    "template_stop",
    "template_update",
]
