"""The member-actor matrix: every portal URL that names an object by id, asked by a member
for ANOTHER member's object, answers 404 (never 403, never the object).

Add your URL to ``OWN_URLS`` with a function that makes the object for a given member and
returns the URL kwargs (or to ``TESTED_ELSEWHERE``, naming your test that checks the 404);
``test_every_id_url_is_in_the_matrix`` fails until you do.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from huiyuan.cards.models import Card
from huiyuan.coupons.services import TemplateInput, coupon_issue, template_create
from huiyuan.members.models import Member

pytestmark = pytest.mark.django_db

Maker = Callable[[Member, Card, Any], dict[str, int]]


def _card(member: Member, card: Card, ctx: Any) -> dict[str, int]:
    return {"card_id": card.pk}


def _coupon(member: Member, card: Card, ctx: Any) -> dict[str, int]:
    template = template_create(
        actor=ctx.owner,
        data=TemplateInput(
            name="满50减10",
            kind="threshold",
            value=1000,
            min_spend_fen=5000,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
        ),
    )
    coupon = coupon_issue(
        actor=ctx.owner,
        template_id=template.pk,
        member_id=member.pk,
        idempotency_key=uuid.uuid4().hex,
    )
    return {"coupon_id": coupon.pk}


# url name (in the portal namespace) → maker of another member's object
OWN_URLS: dict[str, Maker] = {
    "portal:card_detail": _card,
    "portal:card_code": _card,
    "portal:card_history": _card,
    "portal:sections:coupon": _coupon,
}

# URLs whose own feature tests check another member's object → 404 (name → that test).
TESTED_ELSEWHERE: dict[str, str] = {
    "portal:surveys:answer": "test_surveys.py::test_signed_in_member_answers_an_invited_survey_once",
    "portal:surveys:feedback_detail": "test_surveys.py::test_member_files_a_complaint_and_sees_the_reply",
    # An activity is public (not a member's object); another member's sign-up → 404.
    "portal:activities:detail": "test_activities.py::test_member_signs_up_and_cancels",
    "portal:activities:signup": "test_activities.py::test_member_signs_up_and_cancels",
    "portal:activities:cancel": "test_activities.py::test_another_members_signup_is_404",
    # An online order is named by its number (not an id); another member's → 404.
    "portal:recharge:result": "test_recharge_pages.py::test_another_members_card_and_order_are_not_found",
    "portal:benefits:detail": "test_benefits_portal.py::test_another_members_card_is_not_found",
}


def _id_urls() -> set[str]:
    """Every portal URL name whose pattern takes an int parameter."""
    found: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                walk(p.url_patterns, ns)
            elif p.name and "<int:" in str(p.pattern):
                found.add(prefix + p.name)

    portal = next(
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == "portal"
    )
    walk(portal.url_patterns, "portal:")
    return found


def test_every_id_url_is_in_the_matrix():
    missing = _id_urls() - set(OWN_URLS) - set(TESTED_ELSEWHERE)
    assert not missing, f"add these portal URLs to OWN_URLS: {sorted(missing)}"


class Ctx:
    def __init__(self, owner):
        self.owner = owner


@pytest.mark.parametrize("url_name", sorted(OWN_URLS))
def test_another_members_object_is_404(url_name, member_client, member_with_card, owner):
    client, me, my_card = member_client
    other, other_card = member_with_card("李四")
    ctx = Ctx(owner)
    mine = reverse(url_name, kwargs=OWN_URLS[url_name](me, my_card, ctx))
    theirs = reverse(url_name, kwargs=OWN_URLS[url_name](other, other_card, ctx))
    assert client.get(mine).status_code == 200
    response = client.get(theirs)
    assert response.status_code == 404
    body = response.content.decode()
    assert other_card.number not in body and other.name not in body
