"""Activity pages: they render for the roles that may see them; a marketer creates and
publishes a sign-up activity, a cashier signs a member up at the counter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from huiyuan.activities import services
from huiyuan.activities.models import Activity, PointsDay, Signup
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


def client_for(staff) -> Client:
    c = Client()
    c.force_login(staff)
    return c


def test_pages_render_by_role(staff, owner):
    starts = timezone.now() + dt.timedelta(days=1)
    activity = services.activity_create(
        actor=owner,
        data=services.ActivityInput(
            code="YOGA",
            name="瑜伽体验课",
            kind="signup",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            capacity=5,
        ),
    )
    hq = client_for(staff[Role.HQ_ADMIN])
    for url in [
        "/activities/",
        "/activities/new/?kind=signup",
        "/activities/new/?kind=payment",
        "/activities/new/?kind=claim",
        "/activities/new/?kind=care",
        f"/activities/{activity.pk}/",
        f"/activities/{activity.pk}/edit/",
        f"/activities/{activity.pk}/counter/",
        "/activities/tasks/",
        "/activities/points-days/",
        "/activities/dry-run/",
        "/activities/dry-run/?subject=&date_from=2026-10-01&date_to=2026-10-31",
    ]:
        response = hq.get(url)
        assert response.status_code == 200, url
    cashier = client_for(staff[Role.CASHIER])
    assert cashier.get("/activities/").status_code == 200
    assert cashier.get("/activities/new/").status_code == 403
    assert client_for(staff[Role.CALL_CENTER]).get("/activities/").status_code == 403


def test_create_publish_and_sign_up_at_the_counter(staff, cashier, owner):
    marketer = client_for(staff[Role.MARKETER])
    response = marketer.post(
        "/activities/new/?kind=signup",
        {
            "kind": "signup",
            "idempotency_key": key(),
            "code": "BAKE",
            "name": "亲子烘焙课",
            "starts_at": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (timezone.localtime() + dt.timedelta(days=2, hours=2)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "capacity": "1",
            "fee": "20",
            "refund_rule": "full",
            "refund_hours": "0",
        },
    )
    activity = Activity.objects.get(code="BAKE")
    assert response.status_code == 302 and activity.fee_fen == 2000
    marketer.post(f"/activities/{activity.pk}/publish/")
    activity.refresh_from_db()
    assert activity.status == "published"
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=5000, method="cash", idempotency_key=key()
    )
    counter = client_for(staff[Role.CASHIER])
    page = counter.get(f"/activities/{activity.pk}/counter/?card={c.number}")
    assert "从卡内储值扣除" in page.content.decode() or "stored value" in page.content.decode()
    response = counter.post(
        f"/activities/{activity.pk}/counter/", {"card": c.number, "idempotency_key": key()}
    )
    assert response.status_code == 302
    signup = Signup.objects.get()
    assert (signup.status, signup.fee_fen, balances(c)["principal"]) == ("seated", 2000, 3000)
    detail = counter.get(f"/activities/{activity.pk}/").content.decode()
    assert 'data-testid="signup-table"' in detail
    counter.post(f"/activities/signups/{signup.pk}/cancel/")
    signup.refresh_from_db()
    assert (signup.status, balances(c)["principal"]) == ("cancelled", 5000)


def test_a_points_day_is_added_from_its_page(staff):
    hq = client_for(staff[Role.HQ_ADMIN])
    response = hq.post(
        "/activities/points-days/",
        {"name": "周三会员日", "multiplier_pct": "200", "weekdays": ["3"]},
    )
    assert response.status_code == 302
    assert PointsDay.objects.get().weekdays == [3]
