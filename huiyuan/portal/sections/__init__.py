"""The list of sections on 我的 (Me): one entry per feature a member can open.

To add your feature's section, add ONE line to ``SECTIONS`` (keep the order: money first,
then benefits, then engagement, then account)::

    Section("recharge", _("Recharge"), "portal:recharge:index"),

``url_name`` is reversed with no arguments; a section whose URL does not exist yet (its
app is not mounted) is simply not shown, so nothing fake appears before it is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    shown_if: str = ""  # optional: a dotted path to a function () -> bool


SECTIONS: list[Section] = [
    Section("coupons", _("My coupons"), "portal:sections:coupons"),
    Section("packages", pgettext_lazy("portal", "Count cards"), "portal:sections:packages"),
    Section("gifts", _("Gifts for points"), "portal:sections:gifts"),
    # Other features: one line each, below this comment.
    Section("recharge", _("Recharge online"), "portal:recharge:index"),
    Section(
        "cardactivate",
        _("Activate a gift card"),
        "portal:cardactivate:index",
        "huiyuan.selfservice.cardactivate.activation_offered",
    ),
    Section(
        "benefits",
        _("My benefit card"),
        "portal:benefits:index",
        "huiyuan.benefits.selectors.plans_exist",
    ),
    Section("pin", _("Payment PIN"), "portal:pin:index"),
    Section("activities", _("Member activities"), "portal:activities:index"),
    Section("referral", _("Invite friends"), "portal:referral:index"),
    Section("inbox", _("Messages"), "portal:inbox:index"),
    Section("surveys", _("Surveys and feedback"), "portal:surveys:index"),
    Section("privacy", _("My data and privacy"), "portal:privacy:index"),
    Section("charter", _("Member charter"), "portal:charter"),
]


@dataclass(frozen=True)
class SectionLink:
    key: str
    label: str | Promise
    url: str


def my_sections(request: HttpRequest) -> list[SectionLink]:
    """The sections whose pages exist, in order, with their URLs."""
    links = []
    for section in SECTIONS:
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        if section.shown_if and not import_string(section.shown_if)():
            continue
        links.append(SectionLink(section.key, section.label, url))
    return links
