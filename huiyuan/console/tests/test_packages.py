"""Console pages of count cards: plans, the counter's 核销, a package's page, the member
page's block; undo and refund through the forms."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Role
from huiyuan.packages.models import MemberPackage, PackageItem, PackagePlan, PackageUse
from huiyuan.packages.tests.conftest import (  # noqa: F401 - fixtures
    member_card,
    packages_of,
    plan_set,
    sell,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(plan_set, member_card, sell) -> MemberPackage:  # noqa: F811
    return packages_of(sell(plan_set.swim10, member_card))[0]


def test_the_counter_finds_the_card_and_uses_a_visit(client_for, package, member_card):  # noqa: F811
    client = client_for(Role.CASHIER)
    page = client.get("/packages/counter/", {"q": member_card.number})
    assert page.status_code == 200
    text = page.content.decode()
    assert package.code in text and "游泳" in text
    item = PackageItem.objects.get(package=package)
    posted = client.post(
        "/packages/counter/",
        {
            "q": member_card.number,
            "package": package.pk,
            "item": item.pk,
            "idempotency_key": "form-1",
        },
    )
    assert posted.status_code == 302
    again = client.post(
        "/packages/counter/",
        {
            "q": member_card.number,
            "package": package.pk,
            "item": item.pk,
            "idempotency_key": "form-1",
        },
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert item.used == 1  # a double submit used one visit
    by_code = client.get("/packages/counter/", {"q": package.code})
    assert 'data-testid="remaining">9<' in by_code.content.decode()


def test_unknown_card_shows_an_error(client_for, plan_set):  # noqa: F811
    page = client_for(Role.CASHIER).get("/packages/counter/", {"q": "000000"})
    assert page.status_code == 200
    assert 'data-testid="find-error"' in page.content.decode()


def test_the_member_page_shows_what_is_left(client_for, package, member_card):  # noqa: F811
    page = client_for(Role.CASHIER).get(f"/members/{member_card.member_id}/")
    text = page.content.decode()
    assert 'data-testid="member-packages"' in text
    assert 'data-testid="member-package-remaining">10<' in text


def test_detail_undo_and_refund(client_for, package, cashier):
    from huiyuan.ledger.tests.factories import key
    from huiyuan.packages.services import package_use

    use = package_use(actor=cashier, package_id=package.pk, idempotency_key=key())
    cashier_client = client_for(Role.CASHIER)
    assert cashier_client.get(f"/packages/{package.pk}/").status_code == 200
    forbidden = cashier_client.post(
        f"/packages/{package.pk}/uses/{use.pk}/undo/", {"reason": "x", "idempotency_key": "u"}
    )
    assert forbidden.status_code == 403
    manager = client_for(Role.STORE_MANAGER)
    manager.post(
        f"/packages/{package.pk}/uses/{use.pk}/undo/", {"reason": "刷错", "idempotency_key": "u"}
    )
    assert PackageUse.objects.filter(reverses=use).count() == 1
    page = manager.get(f"/packages/{package.pk}/").content.decode()
    assert 'data-testid="refund-amount">¥300.00<' in page
    manager.post(
        f"/packages/{package.pk}/refund/",
        {"method": "cash", "reason": "搬家", "idempotency_key": "r"},
    )
    package.refresh_from_db()
    assert package.status == MemberPackage.Status.REFUNDED


def test_plans_are_created_and_edited_by_head_office(client_for, owner):
    from huiyuan.catalog import services as catalog

    product = catalog.product_create(
        actor=owner,
        data=catalog.ProductInput(sku="CAR-W", name="洗车卡", list_price_fen=20000),
    )
    assert client_for(Role.CASHIER).get("/packages/plans/new/").status_code == 403
    client = client_for(Role.HQ_ADMIN)
    assert client.get("/packages/plans/new/").status_code == 200
    form = {
        "product": product.pk,
        "name": "洗车5次卡",
        "kind": "course",
        "items": "",
        "validity_unit": "day",
        "activation": "sale",
        "limit_period": "day",
        "all_stores": "on",
        "active": "on",
    }
    refused = client.post("/packages/plans/new/", form)
    assert refused.status_code == 200
    assert PackagePlan.objects.count() == 0
    created = client.post(
        "/packages/plans/new/", {**form, "items": "精洗 2\n普洗 3", "refund_fee_percent": "5"}
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    plan = PackagePlan.objects.get()
    assert [(i.name, i.uses) for i in plan.items.all()] == [("精洗", 2), ("普洗", 3)]
    assert plan.refund_fee_bp == 500
    edited = client.post(
        f"/packages/plans/{plan.pk}/",
        {**form, "kind": "count", "uses": "5", "validity_value": "90"},
    )
    assert edited.status_code == 302
    plan.refresh_from_db()
    assert (plan.kind, plan.validity_value) == ("count", 90)
    listing = client.get("/packages/plans/").content.decode()
    assert "洗车5次卡" in listing


# The counter's one panel and state (console/counter/panel.py: card_state): the status badge,
# and the use buttons disabled with the reason; a use posted anyway takes nothing.
@pytest.mark.parametrize(
    ("make_state", "badge", "reason"),
    [
        ("spend_frozen", "已冻结（消费）", "消费已冻结：不能用储值和积分支付。"),
        ("lost", "已挂失", "此卡已挂失：请先解挂或补卡。"),
        ("expired", "已过期", "此卡已于"),
    ],
)
def test_the_counter_shows_a_blocked_card_and_takes_no_visit(
    client_for,
    package,
    member_card,  # noqa: F811
    owner,
    make_state,
    badge,
    reason,
):
    import datetime as dt

    from django.utils import timezone

    from huiyuan.cards.models import Card
    from huiyuan.cards.services import card_report_lost
    from huiyuan.members.services import member_freeze

    if make_state == "spend_frozen":
        member_freeze(
            actor=owner,
            member_id=member_card.member_id,
            earning=False,
            spending=True,
            reason="争议",
        )
    elif make_state == "lost":
        card_report_lost(actor=owner, card_id=member_card.pk, reason="顾客挂失")
    else:
        Card.objects.filter(pk=member_card.pk).update(
            expires_at=timezone.now() - dt.timedelta(days=1)
        )
    client = client_for(Role.CASHIER)
    page = client.get("/packages/counter/", {"q": member_card.number})
    html = page.content.decode()
    assert 'data-testid="card-panel"' in html
    status = html.split('data-testid="card-status">')[1].split("</span>")[0]
    assert badge in status
    blocked = html.split('data-testid="blocked-reason">')[1].split("</div>")[0]
    assert reason in blocked
    button = html.split('data-testid="use-visit"')[1].split(">")[0]
    assert "disabled" in button and 'aria-describedby="use-blocked"' in button
    item = PackageItem.objects.get(package=package)
    forced = client.post(
        "/packages/counter/",
        {"q": member_card.number, "package": package.pk, "item": item.pk, "idempotency_key": "f"},
        follow=True,
    )
    assert reason in forced.content.decode()
    item.refresh_from_db()
    assert item.used == 0
    assert not PackageUse.objects.exists()


def test_the_counter_panel_of_a_usable_card(client_for, package, member_card):  # noqa: F811
    html = client_for(Role.CASHIER).get("/packages/counter/", {"q": member_card.number})
    text = html.content.decode()
    assert 'data-state="active"' in text and 'data-testid="blocked-reason"' not in text
    button = text.split('data-testid="use-visit"')[1].split(">")[0]
    assert "disabled" not in button
