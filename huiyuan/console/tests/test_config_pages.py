"""Configuration and report pages: who may open which page; refusals write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.models import CardType
from huiyuan.core.permissions import Role
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.tiers.models import Tier
from huiyuan.wallet.models import RechargePackage, WalletPolicy

pytestmark = pytest.mark.django_db

HQ = {Role.OWNER, Role.HQ_ADMIN}
REPORTERS = {Role.OWNER, Role.HQ_ADMIN, Role.STORE_MANAGER, Role.MARKETER}
# Page → roles that may open it (CARD_CONFIGURE, WALLET_CONFIGURE, POINTS_CONFIGURE,
# TIER_CONFIGURE and WALLET_BATCH are head office's; REPORT_VIEW is wider).
ALLOWED = {
    "config_card_types": HQ,
    "config_wallet": HQ,
    "config_points": HQ,
    "config_earn_rules": HQ,
    "config_earn_dry_run": HQ,
    "config_tiers": HQ,
    "config_batch": HQ,
    "config_batch_template": HQ,
    "report_outstanding": REPORTERS,
    "report_outstanding_export": REPORTERS,
    "report_points": REPORTERS,
    "report_points_export": REPORTERS,
}


def snapshot():
    return (
        list(CardType.objects.order_by("pk").values()),
        list(RechargePackage.objects.order_by("pk").values()),
        list(WalletPolicy.objects.values()),
        list(PointsPolicy.objects.values()),
        list(EarnRule.objects.order_by("pk").values()),
        list(Tier.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("page", sorted(ALLOWED))
@pytest.mark.parametrize("role", list(Role))
def test_role_page_matrix(client, staff, page, role):
    client.force_login(staff[role])
    response = client.get(reverse(f"console:{page}"))
    assert response.status_code == (200 if role in ALLOWED[page] else 403)


@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_pages_need_a_login(client, stores, page):
    response = client.get(reverse(f"console:{page}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


POSTS = [
    (
        "config_card_types",
        {
            "code": "gold",
            "name": "金卡",
            "category": "tier",
            "holding": "personal",
            "max_holders": "1",
            "number_prefix": "6",
        },
    ),
    (
        "config_wallet_policy",
        {"spend_order": "bonus_first", "named_limit": "3000", "anonymous_limit": "500"},
    ),
    ("config_package_create", {"name": "充100送10", "pay": "100", "bonus": "10"}),
    (
        "config_points",
        {
            "points_per_yuan": "10",
            "max_offset_percent": "20",
            "expiry": "never",
            "expiry_days": "0",
            "supplement_days": "3",
        },
    ),
    (
        "config_earn_rules",
        {
            "code": "base",
            "name": "基础",
            "priority": "100",
            "unit": "1",
            "points_per_unit": "1",
            "rounding": "floor",
            "birthday_multiplier_pct": "100",
        },
    ),
    (
        "config_tiers",
        {
            "code": "gold",
            "name": "金卡",
            "level": "1",
            "basis": "spend",
            "threshold": "1000",
            "retention": "500",
            "window_days": "365",
            "discount": "9.5",
            "points_multiplier_pct": "150",
        },
    ),
    ("config_tiers_evaluate", {}),
    ("config_batch_discard", {}),
    ("config_batch_confirm", {"key": "x"}),
]


@pytest.mark.parametrize(("url_name", "data"), POSTS)
@pytest.mark.parametrize(
    "role", [Role.STORE_MANAGER, Role.CASHIER, Role.CALL_CENTER, Role.MARKETER]
)
def test_refused_posts_write_nothing(client, staff, role, url_name, data):
    before = snapshot()
    client.force_login(staff[role])
    response = client.post(reverse(f"console:{url_name}"), data)
    assert response.status_code == 403
    assert snapshot() == before


def test_package_toggle_refused_for_store_manager(client, staff, owner):
    from huiyuan.wallet.services import recharge_package_create

    package = recharge_package_create(actor=owner, name="充100送10", pay_fen=10000, bonus_fen=1000)
    before = snapshot()
    client.force_login(staff[Role.STORE_MANAGER])
    response = client.post(
        reverse("console:config_package_set_active", args=[package.pk]), {"active": "0"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_nav_shows_only_permitted_entries(client, staff):
    client.force_login(staff[Role.OWNER])
    page = client.get(reverse("console:dashboard")).content.decode()
    for name in (
        "config_card_types",
        "config_wallet",
        "config_batch",
        "config_points",
        "config_earn_rules",
        "config_tiers",
        "report_outstanding",
        "report_points",
    ):
        assert f'href="{reverse(f"console:{name}")}"' in page
    client.force_login(staff[Role.MARKETER])
    page = client.get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:report_outstanding")}"' in page
    assert f'href="{reverse("console:config_wallet")}"' not in page
    client.force_login(staff[Role.CASHIER])
    page = client.get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:report_points")}"' not in page
