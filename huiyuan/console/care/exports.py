"""The care lists as Excel columns: the delivery log (and a campaign's recipients), the
campaigns, the special dates, the message templates.

A recipient is written masked, as the page shows it; a message's body, its template
variables and the provider's raw answer stay out (the page keeps them behind a click).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy

from huiyuan.care.models import Campaign, CareDate, ChannelKind, Delivery
from huiyuan.care.selectors import TemplateRow
from huiyuan.core.xlsx import Column

REASONS = {
    "quiet_hours": _l("waiting out quiet hours"),
    "opted_out": _l("opted out"),
    "capped": _l("frequency cap"),
}


def _reason(delivery: Delivery) -> str:
    return str(REASONS.get(delivery.reason, delivery.reason))


DELIVERY_COLUMNS: tuple[Column[Delivery], ...] = (
    Column("#", lambda d: d.pk, "number", 10),
    Column(_l("Time"), lambda d: d.created_at, "moment", 18),
    Column(pgettext_lazy("care", "Channel"), lambda d: d.get_channel_display(), width=10),
    Column(_l("Marketing"), lambda d: str(_l("Yes")) if d.kind == "marketing" else "", width=8),
    Column(_l("Template"), lambda d: d.template_code, width=16),
    Column(_l("Campaign"), lambda d: d.campaign_id, "number", 10),
    Column(_l("Member number"), lambda d: d.member.code if d.member else "", width=14),
    Column(_l("Recipient"), lambda d: d.recipient_masked, width=18),
    Column(_l("Status"), lambda d: d.get_status_display(), width=10),
    Column(_l("Reason"), _reason, width=16),
    Column(_l("Attempts"), lambda d: d.attempts, "number", 8),
    Column(_l("Sent at"), lambda d: d.sent_at, "moment", 18),
    Column(_l("Delivered at"), lambda d: d.delivered_at, "moment", 18),
    Column(_l("Provider's message id"), lambda d: d.provider_id, width=20),
    Column(_l("Last error"), lambda d: d.last_error, width=40),
)


def campaign_columns(segments: dict[int, str]) -> tuple[Column[Campaign], ...]:
    """The campaigns' columns; ``segments`` names the audiences (id → name)."""

    def audience(c: Campaign) -> str:
        if c.segment_id is None:
            return str(_l("Every active member"))
        return segments.get(c.segment_id, str(c.segment_id))

    return (
        Column("#", lambda c: c.pk, "number", 8),
        Column(_l("Campaign"), lambda c: c.name, width=24),
        Column(_l("Template"), lambda c: c.template_code, width=16),
        Column(pgettext_lazy("care", "Channel"), lambda c: c.get_channel_display(), width=10),
        Column(_l("Audience"), audience, width=18),
        Column(
            _l("Coupon attached"),
            lambda c: c.coupon_template.name if c.coupon_template else "",
            width=18,
        ),
        Column(_l("Status"), lambda c: c.get_status_display(), width=10),
        Column(_l("Members"), lambda c: c.total, "number", 10),
        Column(_l("Done"), lambda c: c.done, "number", 10),
        Column(_l("Created"), lambda c: c.created_at, "moment", 18),
        Column(
            _l("Created by"), lambda c: c.created_by.display_name if c.created_by else "", width=12
        ),
        Column(_l("Started"), lambda c: c.started_at, "moment", 18),
        Column(_l("Finished at"), lambda c: c.finished_at, "moment", 18),
    )


DateRow = tuple[CareDate, str, int]  # the date, how it reads, members served

CARE_DATE_COLUMNS: tuple[Column[DateRow], ...] = (
    Column(_l("Occasion name"), lambda r: r[0].name, width=18),
    Column(_l("Date"), lambda r: r[1], width=16),
    Column(_l("Calendar"), lambda r: r[0].get_calendar_display(), width=18),
    Column(_l("Template"), lambda r: r[0].template_code, width=16),
    Column(pgettext_lazy("care", "Channel"), lambda r: r[0].get_channel_display(), width=10),
    Column(_l("Days ahead"), lambda r: r[0].days_ahead, "number", 10),
    Column(
        _l("Coupon attached"),
        lambda r: r[0].coupon_template.name if r[0].coupon_template else "",
        width=18,
    ),
    Column(_l("Enabled"), lambda r: str(_l("Yes")) if r[0].is_active else str(_l("No")), width=8),
    Column(_l("Members served"), lambda r: r[2], "number", 12),
)


def _own_wording(row: TemplateRow) -> str:
    labels = dict(ChannelKind.choices)
    return "、".join(str(labels.get(channel, channel)) for channel in row.overrides)


TEMPLATE_COLUMNS: tuple[Column[TemplateRow], ...] = (
    Column(_l("Template"), lambda t: t.name, width=16),
    Column(_l("Code"), lambda t: t.code, width=16),
    Column(
        pgettext_lazy("care", "Kind"),
        lambda t: str(_l("Marketing") if t.kind == "marketing" else _l("Transactional")),
        width=10,
    ),
    Column(_l("Built in"), lambda t: str(_l("Yes")) if t.builtin else str(_l("No")), width=8),
    Column(_l("Own wording for"), _own_wording, width=18),
    Column(_l("Wording"), lambda t: t.body, width=60),
)
