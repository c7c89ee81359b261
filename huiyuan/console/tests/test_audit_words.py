"""Issue 17 §7, §14: the audit page and the member history speak in business words and yuan
(never raw codes, fen or UTC); the audit page is paginated and a manager's action filter
offers only the actions recorded in their stores."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone, translation

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.selectors import action_choices
from huiyuan.cards.services import card_reissue, card_report_lost
from huiyuan.checkout.services import QuickSaleInput, sale_quick
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, key, member
from huiyuan.members.services import member_freeze
from huiyuan.stores.signin import login_record
from huiyuan.tiers.services import tier_create, tier_move
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db

# Codes and raw values that must never reach a reader.
RAW = [
    "staff.logged_in",
    "member.frozen",
    "card.reported_lost",
    "wallet.recharged",
    "sale.completed",
    "tier.manual",
    "card.reissued",
    "new_number",
    "moved",
    "principal",
    "payable",
    "expires_at",
    "points_earned",
    "→ lost",
    "12800",
    "50000",
    "+00:00",
    "member:",
]


@pytest.fixture
def story(actors, staff, owner, cashier):
    """A member's day: frozen and unfrozen, a card lost and reissued, a recharge, a sale,
    a tier change; and a staff sign-in."""
    manager = actors[Role.STORE_MANAGER]
    m = member(cashier, name="陈静")
    c = card(cashier, owner, holder=m)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=50_000, method="cash", idempotency_key=key()
    )
    sale_quick(
        actor=cashier,
        data=QuickSaleInput(card_id=c.pk, amount_fen=12_800, balance_fen=12_800),
        idempotency_key=key(),
    )
    member_freeze(actor=manager, member_id=m.pk, earning=True, spending=True, reason="核查交易")
    card_report_lost(actor=cashier, card_id=c.pk, reason="顾客遗失")
    new = card_reissue(actor=manager, card_id=c.pk, idempotency_key=key(), reason="补卡")
    gold = tier_create(actor=owner, code="gold", name="金卡会员", level=2)
    tier_move(actor=manager, member_id=m.pk, tier_id=gold.pk, reason="店长调整")
    login_record(staff=staff[Role.CASHIER], ip="10.0.0.9")
    return {"member": m, "card": c, "new": new}


def text_of(html: str) -> str:
    """What a reader sees: the page without tags, attributes and scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_audit_page_shows_words_and_yuan(client_for, story):
    with translation.override("zh-hans"):
        response = client_for(Role.OWNER).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    for words in (
        "冻结会员",
        "挂失",
        "补卡",
        "储值 ¥500.00",
        "应付金额 ¥128.00",
        "金卡会员",
        "员工登录",
        "正常 → 已挂失",
        "新卡号 " + story["new"].number,
        "转入新卡 储值 ¥372.00",
    ):
        assert words in text, words
    for raw in RAW:
        assert raw not in text, raw


def test_member_history_shows_words_and_yuan(client_for, story):
    m = story["member"]
    with translation.override("zh-hans"):
        response = client_for(Role.OWNER).get(f"/members/{m.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    history = text_of(html[html.index('data-testid="history"') :])
    for words in ("冻结", "已挂失", "¥500.00", "¥128.00", "金卡会员", "转入新卡 储值 ¥372.00"):
        assert words in history, words
    for raw in RAW:
        assert raw not in history, raw


def test_timestamps_are_the_stores_local_time(owner, story):
    from huiyuan.audit.selectors import audit_diff

    event = AuditEvent.objects.get(action="card.issued", subject_id=str(story["new"].pk))
    expires = story["new"].expires_at
    with translation.override("zh-hans"):
        rows = {r.key: r.after for r in audit_diff(event)}
    if expires is not None:
        assert rows["expires_at"] == f"{timezone.localtime(expires):%Y-%m-%d %H:%M}"


def test_the_audit_page_is_paginated(client_for, story, owner):
    count = AuditEvent.objects.count()
    first = client_for(Role.OWNER).get("/audit/")
    assert first.context["page"].paginator.per_page == 25
    assert len(first.context["rows"]) == min(count, 25)


def test_a_managers_action_filter_lists_only_actions_in_their_scope(
    client_for, story, actors, stores
):
    manager = actors[Role.STORE_MANAGER]
    with translation.override("zh-hans"):
        offered = dict(action_choices(manager))
        page = client_for(Role.STORE_MANAGER).get("/audit/")
    in_scope = set(
        AuditEvent.objects.filter(store_id__in=manager.store_ids).values_list("action", flat=True)
    )
    assert set(offered) == in_scope
    assert "member.frozen" in offered and offered["member.frozen"] == "冻结会员"
    assert "tier.created" not in offered  # recorded at head office: never in a store's log
    choices = [v for v, _label in page.context["form"].fields["action"].choices]
    assert choices == ["", *sorted(in_scope)]
    owner_choices = dict(action_choices(actors[Role.OWNER]))
    assert "tier.created" in owner_choices
