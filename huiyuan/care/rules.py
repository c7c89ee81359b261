"""Automatic care (Cm2): each ``CareRule`` serves a member once per occasion.

Scheduled rules run in the daily ``care_rules`` job; notice rules react to domain events
(``subscribers.py``). Either way a member is served through ``care_serve``, which first
writes a ``CareSend`` row keyed by (rule, member, occasion) — ``birthday:2026``,
``coupon_expiry:<coupon>``, ``event:<event id>`` — so a scheduler that runs twice, or an
event delivered twice, sends nothing twice. A marketing rule (birthday, anniversary)
follows the member's consent; a notice (expiry, balance, points) is transactional.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.models import Card
from huiyuan.care import sending
from huiyuan.care.context import member_context
from huiyuan.care.models import CareRule, CareSend, ChannelKind, MessageKind
from huiyuan.care.templates import wording_for
from huiyuan.core import china
from huiyuan.core.clock import local_date, local_day_start, local_today
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.coupons.models import Coupon
from huiyuan.coupons.services.issue import issue_locked, issue_refusal
from huiyuan.coupons.services.templates import template_locked
from huiyuan.ledger.models import Account, Lot
from huiyuan.members.models import Member
from huiyuan.tiers.models import MemberTier
from huiyuan.tiers.services import tiers_ordered, window_values

log = logging.getLogger(__name__)
SYSTEM = Actor(role=Role.OWNER)

# The wording each kind starts with (the merchant may pick another template).
DEFAULT_TEMPLATES = {
    CareRule.Kind.BIRTHDAY: "birthday",
    CareRule.Kind.ANNIVERSARY: "anniversary",
    CareRule.Kind.BALANCE_CHANGE: "balance_change",
    CareRule.Kind.POINTS_CHANGE: "points_change",
    CareRule.Kind.POINTS_EXPIRY: "points_expiry",
    CareRule.Kind.COUPON_EXPIRY: "coupon_expiry",
    CareRule.Kind.PACKAGE_EXPIRY: "package_expiry",
    CareRule.Kind.CARD_EXPIRY: "card_expiry",
    CareRule.Kind.TIER_DOWNGRADE: "tier_downgrade",
}
SCHEDULED = (
    CareRule.Kind.BIRTHDAY,
    CareRule.Kind.ANNIVERSARY,
    CareRule.Kind.POINTS_EXPIRY,
    CareRule.Kind.COUPON_EXPIRY,
    CareRule.Kind.CARD_EXPIRY,
    CareRule.Kind.TIER_DOWNGRADE,
)


# ------------------------------------------------------------------------------ configuring


@dataclass(frozen=True)
class RuleInput:
    kind: str
    template_code: str = ""
    channel: str = ChannelKind.SMS
    days_ahead: int = 0
    coupon_template_id: int | None = None
    is_active: bool = True


def care_rule_save(*, actor: Actor, data: RuleInput) -> CareRule:
    """Create or change the rule of ``data.kind`` (one rule per occasion)."""
    require(actor, Perm.CARE_MANAGE)
    if data.kind not in CareRule.Kind.values:
        raise ValidationFailed(_("Unknown occasion."), code="care_rule_kind_unknown", field="kind")
    if data.channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), code="care_channel_unknown", field="channel")
    template_code = data.template_code or DEFAULT_TEMPLATES[CareRule.Kind(data.kind)]
    if wording_for(template_code, data.channel) is None:
        raise ValidationFailed(
            _("Unknown message template."), code="care_template_unknown", field="template_code"
        )
    if not 0 <= data.days_ahead <= 60:
        raise ValidationFailed(
            _("Days ahead must be between 0 and 60."), code="care_days_ahead", field="days_ahead"
        )
    with transaction.atomic():
        before = CareRule.objects.select_for_update().filter(kind=data.kind).first()
        rule, _created = CareRule.objects.update_or_create(
            kind=data.kind,
            defaults={
                "template_code": template_code,
                "channel": data.channel,
                "days_ahead": data.days_ahead,
                "coupon_template_id": data.coupon_template_id,
                "is_active": data.is_active,
                "updated_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor,
            action="care_rule.saved",
            subject_type="care_rule",
            subject_id=rule.pk,
            before=None
            if before is None
            else {
                "template": before.template_code,
                "channel": before.channel,
                "days_ahead": before.days_ahead,
                "active": before.is_active,
            },
            after={
                "template": rule.template_code,
                "channel": rule.channel,
                "days_ahead": rule.days_ahead,
                "active": rule.is_active,
            },
        )
    from huiyuan.care.subscribers import rules_cache_clear

    rules_cache_clear()
    return rule


# ------------------------------------------------------------------------------ serving


def care_serve(
    rule: CareRule, member: Member, occasion: str, context: dict[str, Any], now: dt.datetime
) -> bool:
    """Serve ``member`` for ``occasion`` once: True when this call did it."""
    wording = wording_for(rule.template_code, rule.channel)
    if wording is None:
        log.warning("care rule %s names unknown template %s", rule.kind, rule.template_code)
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                send = CareSend.objects.create(
                    rule=rule, member=member, occasion=occasion, created_at=now
                )
        except IntegrityError:
            return False
        marketing = wording.kind == MessageKind.MARKETING
        if marketing and not sending.marketing_allowed(member.pk):
            return True  # served: they said no; asked again next occasion
        to = sending.member_address(member, rule.channel)
        if not to:
            return True
        ctx = {**member_context(member), **context}
        if rule.coupon_template_id:
            template = template_locked(rule.coupon_template_id)
            if issue_refusal(template, member, now) is None:
                coupon = issue_locked(
                    actor=SYSTEM,
                    template=template,
                    member=member,
                    channel=Coupon.Channel.EVENT,
                    now=now,
                    source=f"care:{rule.kind}:{occasion}"[:60],
                )
                ctx["coupon"] = f"送您一张“{template.name}”，券码{coupon.code}。"
        send.delivery = sending.delivery_queue(
            template=rule.template_code,
            channel=rule.channel,
            to=to,
            context=ctx,
            member_id=member.pk,
        )
        send.save(update_fields=["delivery"])
    return True


def _active(kind: str) -> CareRule | None:
    return CareRule.objects.filter(kind=kind, is_active=True).first()


def _members(ids: Any) -> list[Member]:
    return list(
        Member.objects.filter(pk__in=ids, status=Member.Status.ACTIVE)
        .select_related("home_store")
        .order_by("pk")
    )


# ------------------------------------------------------------------------------ scheduled


def birthday_members(target: dt.date) -> list[tuple[Member, str]]:
    """Members whose birthday (solar, or lunar in its year) falls on ``target``, each
    with the occasion key of that birthday."""
    found: list[tuple[Member, str]] = []
    solar = Q(birthday__month=target.month, birthday__day=target.day)
    leap_year = target.year % 4 == 0 and (target.year % 100 != 0 or target.year % 400 == 0)
    if (target.month, target.day) == (2, 28) and not leap_year:
        solar |= Q(birthday__month=2, birthday__day=29)  # a 29 February birthday, this year
    for member in _members(
        Member.objects.filter(solar, birthday_calendar=Member.Calendar.SOLAR).values("pk")
    ):
        found.append((member, f"birthday:{target.year}"))
    lunar_year, month, day, leap = china.solar_to_lunar(target)
    if not leap:
        days = [day, 30] if day == 29 else [day]
        candidates = Member.objects.filter(
            birthday_calendar=Member.Calendar.LUNAR,
            lunar_birth_month=month,
            lunar_birth_day__in=days,
        ).values("pk")
        for member in _members(candidates):
            assert member.lunar_birth_month is not None and member.lunar_birth_day is not None
            try:
                date = china.lunar_birthday_in_year(
                    member.lunar_birth_month, member.lunar_birth_day, lunar_year
                )
            except ValidationFailed:
                continue
            if date == target:
                found.append((member, f"birthday:lunar{lunar_year}"))
    return found


def run_birthday(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    target = today + dt.timedelta(days=rule.days_ahead)
    served = 0
    for member, occasion in birthday_members(target):
        served += care_serve(rule, member, occasion, {"date": f"{target:%m月%d日}"}, now)
    return served


def run_anniversary(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    target = today + dt.timedelta(days=rule.days_ahead)
    served = 0
    ids = Member.objects.filter(joined_at__month=target.month, joined_at__day=target.day).values(
        "pk"
    )
    for member in _members(ids):
        years = target.year - local_date(member.joined_at).year
        if years < 1:
            continue
        occasion = f"anniversary:{target.year}"
        served += care_serve(rule, member, occasion, {"years": years}, now)
    return served


def _window(today: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    return local_day_start(today), local_day_start(today + dt.timedelta(days=days + 1))


def run_points_expiry(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    start, end = _window(today, rule.days_ahead)
    lots = (
        Lot.objects.filter(
            account__kind=Account.Kind.POINTS,
            remaining__gt=0,
            expires_at__gte=max(start, now),
            expires_at__lt=end,
        )
        .values_list("account__card_id", "remaining", "expires_at")
        .order_by("expires_at")
    )
    found = list(lots)
    owners = dict(
        Card.objects.filter(pk__in={card_id for card_id, _r, _e in found}).values_list(
            "pk", "member_id"
        )
    )
    per_member: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for card_id, remaining, expires_at in found:
        member_id = owners.get(card_id) if card_id is not None else None
        if member_id is not None and expires_at is not None:
            per_member[member_id].append((remaining, expires_at))
    served = 0
    for member in _members(list(per_member)):
        rows = per_member[member.pk]
        first = local_date(rows[0][1])
        amount = sum(r for r, e in rows if local_date(e) == first)
        occasion = f"points_expiry:{first.isoformat()}"
        served += care_serve(
            rule, member, occasion, {"amount": amount, "date": f"{first:%Y-%m-%d}"}, now
        )
    return served


def run_coupon_expiry(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    coupons = (
        Coupon.objects.filter(
            status=Coupon.Status.UNUSED,
            valid_to__gte=today,
            valid_to__lte=today + dt.timedelta(days=rule.days_ahead),
        )
        .select_related("template", "member", "member__home_store")
        .order_by("pk")
    )
    served = 0
    for coupon in coupons:
        member = coupon.member
        if member.status != Member.Status.ACTIVE:
            continue
        context = {"coupon": coupon.template.name, "date": f"{coupon.valid_to:%Y-%m-%d}"}
        served += care_serve(rule, member, f"coupon_expiry:{coupon.pk}", context, now)
    return served


def run_card_expiry(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    start, end = _window(today, rule.days_ahead)
    cards = (
        Card.objects.filter(
            status=Card.Status.ACTIVE, expires_at__gte=max(start, now), expires_at__lt=end
        )
        .exclude(member=None)
        .select_related("member", "member__home_store")
        .order_by("pk")
    )
    served = 0
    for card in cards:
        member = card.member
        if member is None or member.status != Member.Status.ACTIVE or card.expires_at is None:
            continue
        day = local_date(card.expires_at)
        occasion = f"card_expiry:{card.pk}:{day.isoformat()}"
        served += care_serve(rule, member, occasion, {"date": f"{day:%Y-%m-%d}"}, now)
    return served


def next_evaluation(today: dt.date) -> dt.date:
    """The date of the next monthly tier evaluation (the first of next month)."""
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def run_tier_downgrade(rule: CareRule, today: dt.date, now: dt.datetime) -> int:
    evaluation = next_evaluation(today)
    if (evaluation - today).days > max(rule.days_ahead, 1):
        return 0
    tiers = tiers_ordered()
    if len(tiers) < 2:
        return 0
    lowest = tiers[-1]
    states = (
        MemberTier.objects.exclude(tier=lowest)
        .exclude(protected_until__gte=evaluation)
        .select_related("tier")
        .order_by("member_id")
    )
    served = 0
    for state in states:
        held = state.tier
        value = window_values(state.member_id, [held], now)[held.pk]
        if value >= held.retention:
            continue
        gap = held.retention - value
        if held.basis == held.Basis.POINTS:
            gap_text = f"再获得{gap}积分"
        elif held.basis == held.Basis.SPEND:
            gap_text = f"再消费{fen_to_yuan_str(gap)}"  # the spend basis counts fen
        else:
            gap_text = f"再获得{gap}成长值"
        member = _members([state.member_id])
        if not member:
            continue
        context = {"tier": held.name, "gap": gap_text, "date": f"{evaluation:%Y-%m-%d}"}
        occasion = f"tier_downgrade:{evaluation:%Y-%m}"
        served += care_serve(rule, member[0], occasion, context, now)
    return served


RUNNERS = {
    CareRule.Kind.BIRTHDAY: run_birthday,
    CareRule.Kind.ANNIVERSARY: run_anniversary,
    CareRule.Kind.POINTS_EXPIRY: run_points_expiry,
    CareRule.Kind.COUPON_EXPIRY: run_coupon_expiry,
    CareRule.Kind.CARD_EXPIRY: run_card_expiry,
    CareRule.Kind.TIER_DOWNGRADE: run_tier_downgrade,
}


def care_rules_run(now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: every active scheduled rule, for today; served members per rule."""
    now = now or timezone.now()
    today = local_date(now) if now else local_today()
    result: dict[str, int] = {}
    for rule in CareRule.objects.filter(kind__in=SCHEDULED, is_active=True).order_by("kind"):
        result[rule.kind] = RUNNERS[CareRule.Kind(rule.kind)](rule, today, now)
    from huiyuan.care.dates import care_dates_run

    result.update(care_dates_run(today, now))
    return result


# ------------------------------------------------------------------------------ on events


def serve_event(kind: str, member_id: int | None, event_id: int, context: dict[str, Any]) -> bool:
    """A notice rule (balance, points, count card) reacting to one domain event."""
    if member_id is None:
        return False
    rule = _active(kind)
    if rule is None:
        return False
    member = _members([member_id])
    if not member:
        return False
    return care_serve(rule, member[0], f"event:{event_id}", context, timezone.now())


def signed_yuan(fen: int) -> str:
    return f"+{fen_to_yuan_str(fen)}" if fen > 0 else fen_to_yuan_str(fen)
