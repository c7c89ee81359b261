"""Message templates: the built-in wording, the merchant's overrides, variables, rendering.

A body names variables in braces: ``{name}您好，您的余额为{balance}元``. Only the
variables in ``VARIABLES`` may be used (a template naming another is refused when saved);
one the context lacks renders empty. A marketing message always ends with the
unsubscribe line (``{unsubscribe}`` where the template puts it, else appended).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huiyuan.care.models import ChannelKind, MessageKind, MessageTemplate

VARIABLE = re.compile(r"\{(\w+)\}")

VARIABLES: dict[str, object] = {
    "name": _("member's name"),
    "code": _("verification code"),
    "purpose": _("what the code is for"),
    "minutes": _("minutes the code is valid"),
    "balance": _("stored-value balance (yuan)"),
    "amount": _("amount of the change"),
    "points": _("points balance"),
    "tier": _("tier name"),
    "next_tier": _("tier to keep"),
    "gap": _("what it takes to keep the tier"),
    "coupon": _("coupon attached"),
    "store": _("home store"),
    "days": _("days left"),
    "date": _("date"),
    "years": _("years of membership"),
    "occasion": _("special date or holiday"),
    "activity": _("activity name"),
    "changes": _("what changed in the activity"),
    "unsubscribe": _("unsubscribe line (marketing)"),
}


@dataclass(frozen=True)
class Wording:
    code: str
    channel: str
    kind: str
    subject: str
    body: str
    name: str = ""


T = MessageKind.TRANSACTIONAL
M = MessageKind.MARKETING

# code → (name, kind, subject, body); the same wording serves every channel unless the
# merchant saves a channel's own in the console.
BUILTIN: dict[str, tuple[str, str, str, str]] = {
    "verify_code": (
        "验证码",
        T,
        "验证码",
        "您的验证码是{code}，用于{purpose}，{minutes}分钟内有效。请勿告诉他人。",
    ),
    "balance_change": (
        "余额变动通知",
        T,
        "余额变动通知",
        "{name}您好，您的储值余额变动{amount}，当前余额{balance}。",
    ),
    "points_change": (
        "积分变动通知",
        T,
        "积分变动通知",
        "{name}您好，您的积分变动{amount}，当前积分{points}。",
    ),
    "birthday": (
        "生日祝福",
        M,
        "生日快乐",
        "亲爱的{name}，{store}祝您生日快乐！{coupon}",
    ),
    "anniversary": (
        "入会周年",
        M,
        "入会周年纪念",
        "{name}您好，今天是您加入我们的第{years}周年，感谢一路相伴！{coupon}",
    ),
    "points_expiry": (
        "积分到期提醒",
        T,
        "积分到期提醒",
        "{name}您好，您有{amount}积分将于{date}到期，请及时使用。",
    ),
    "coupon_expiry": (
        "优惠券到期提醒",
        T,
        "优惠券到期提醒",
        "{name}您好，您的优惠券“{coupon}”将于{date}到期，请及时使用。",
    ),
    "package_expiry": (
        "次卡到期提醒",
        T,
        "次卡到期提醒",
        "{name}您好，您的次卡将于{days}天后到期，剩余{amount}次。",
    ),
    "card_expiry": (
        "会员卡到期提醒",
        T,
        "会员卡到期提醒",
        "{name}您好，您的会员卡将于{date}到期，请到店续期。",
    ),
    "tier_downgrade": (
        "等级保级提醒",
        T,
        "等级保级提醒",
        "{name}您好，您当前为{tier}，{gap}即可保级，考核日为{date}。",
    ),
    "holiday": (
        "节日关怀",
        M,
        "节日祝福",
        "{name}您好，{occasion}快乐！{store}祝您节日愉快。{coupon}",
    ),
    "activity_changed": (
        "活动变更通知",
        T,
        "活动变更通知",
        "{name}您好，您报名的活动“{activity}”有变更：{changes}。",
    ),
    "promotion": (
        "营销短信",
        M,
        "会员专享活动",
        "{name}您好，{store}会员专享活动进行中。{coupon}",
    ),
}

UNSUBSCRIBE_SMS = "回TD退订"


def wording_for(code: str, channel: str) -> Wording | None:
    """The merchant's active wording for this channel, else the built-in one."""
    row = MessageTemplate.objects.filter(code=code, channel=channel, is_active=True).first()
    if row is not None:
        return Wording(code, channel, row.kind, row.subject, row.body, row.name)
    builtin = BUILTIN.get(code)
    if builtin is None:
        return None
    name, kind, subject, body = builtin
    return Wording(code, channel, kind, subject, body, name)


def unknown_variables(text: str) -> list[str]:
    return sorted({v for v in VARIABLE.findall(text) if v not in VARIABLES})


def render(text: str, context: dict[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        found = context.get(match.group(1))
        return "" if found is None else str(found)

    return VARIABLE.sub(value, text).strip()


def render_wording(
    wording: Wording, context: dict[str, object], *, unsubscribe_url: str = ""
) -> tuple[str, str]:
    """(subject, body) with the variables filled; marketing gets its unsubscribe line."""
    ctx = dict(context)
    line = ""
    if wording.kind == MessageKind.MARKETING:
        if wording.channel == ChannelKind.SMS:
            line = f"{UNSUBSCRIBE_SMS} {unsubscribe_url}".strip()
        else:
            line = f"退订：{unsubscribe_url}" if unsubscribe_url else "退订请回复TD"
        ctx["unsubscribe"] = line
    body = render(wording.body, ctx)
    if line and "{unsubscribe}" not in wording.body:
        body = f"{body} {line}"
    return render(wording.subject, ctx), body
