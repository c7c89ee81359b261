"""Gift, lottery and check-in endpoints: strict input, Idempotency-Key, exact balances."""

from __future__ import annotations

import pytest

from huiyuan.core.permissions import Role
from huiyuan.gifts import services as gift_services
from huiyuan.gifts.models import Gift
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.points.services import points_adjust

from .conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_card(cashier, owner):
    c = card(cashier, owner)
    points_adjust(actor=owner, card_id=c.pk, delta=1000, reason="赠送", idempotency_key=key())
    return c


def test_create_redeem_cancel_through_the_api(as_staff, rich_card):
    hq, counter = as_staff(Role.HQ_ADMIN), as_staff(Role.CASHIER)
    body = {"code": "CUP", "name": "保温杯", "points_price": 300, "stock": 2}
    r = hq.post("/gifts", body, **{"Idempotency-Key": "g1"})
    assert r.status_code == 201, r.json()
    gift_id = r.json()["id"]
    assert hq.post("/gifts", body, **{"Idempotency-Key": "g1"}).json()["id"] == gift_id
    r = counter.post(
        "/gifts/redemptions",
        {"card_id": rich_card.pk, "gift_id": gift_id},
        **{"Idempotency-Key": "r1"},
    )
    assert r.status_code == 201, r.json()
    out = r.json()
    assert (out["points"], out["status"], out["balances_after"]["points"]) == (300, "redeemed", 700)
    assert Gift.objects.get(pk=gift_id).stock == 1
    movements = counter.get(f"/gifts/{gift_id}/movements").json()
    assert [(m["kind"], m["stock_after"]) for m in movements] == [("redeem", 1), ("create", 2)]
    listed = counter.get(f"/gifts/redemptions?card_id={rich_card.pk}").json()
    assert listed["count"] == 1
    r = counter.post(
        f"/gifts/redemptions/{out['id']}/cancel", {"reason": "不要了"}, **{"Idempotency-Key": "c1"}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["balances_after"]["points"] == 1000
    assert balances(rich_card)["points"] == 1000


def test_writes_need_a_key_and_strict_integers(as_staff, rich_card, owner):
    counter = as_staff(Role.CASHIER)
    gift = gift_services.gift_create(
        actor=owner, data=gift_services.GiftInput(code="P", name="笔", points_price=10), stock=5
    )
    r = counter.post("/gifts/redemptions", {"card_id": rich_card.pk, "gift_id": gift.pk})
    assert error_of(r)["code"] == "idempotency_key_required"
    r = counter.post(
        "/gifts/redemptions",
        {"card_id": str(rich_card.pk), "gift_id": gift.pk},
        **{"Idempotency-Key": "x"},
    )
    assert r.status_code == 422
    r = counter.post(
        "/gifts", {"code": "Z", "name": "Z", "points_price": 1}, **{"Idempotency-Key": "y"}
    )
    assert r.status_code == 403
    assert balances(rich_card)["points"] == 1000


def test_lottery_and_checkin_endpoints(as_staff, rich_card):
    hq, counter = as_staff(Role.HQ_ADMIN), as_staff(Role.CASHIER)
    r = hq.post(
        "/lotteries",
        {
            "name": "幸运转盘",
            "cost_points": 100,
            "prizes": [
                {"kind": "points", "weight": 1, "points": 50},
                {"kind": "nothing", "weight": 1},
            ],
        },
        **{"Idempotency-Key": "l1"},
    )
    assert r.status_code == 201, r.json()
    lottery = r.json()
    assert lottery["secret"] == "" and len(lottery["commitment"]) == 64
    r = hq.post(
        f"/lotteries/{lottery['id']}/status", {"status": "active"}, **{"Idempotency-Key": "l2"}
    )
    assert r.json()["status"] == "active"
    r = counter.post(
        f"/lotteries/{lottery['id']}/draws", {"card_id": rich_card.pk}, **{"Idempotency-Key": "d1"}
    )
    assert r.status_code == 201, r.json()
    draw = r.json()
    assert draw["balances_after"]["points"] == 900 + draw["points_won"]
    check = counter.get(f"/lotteries/draws/{draw['id']}/verify").json()
    assert check["ok"] and check["seed"] == draw["seed"]
    r = counter.post("/checkin", {"card_id": rich_card.pk}, **{"Idempotency-Key": "k1"})
    assert r.status_code == 201 and r.json()["streak"] == 1
    r = counter.post("/checkin", {"card_id": rich_card.pk}, **{"Idempotency-Key": "k2"})
    assert error_of(r)["code"] == "already_checked_in"
    streak = counter.get(f"/checkin/members/{rich_card.member_id}").json()
    assert streak["checked_in_today"] and streak["current"] == 1


# Every gift, lottery and check-in operation, with a valid body: the role matrix below.
GIFT_CALLS = [
    ("GET", "/gifts", None),
    ("POST", "/gifts", {"code": "X1", "name": "杯", "points_price": 10}),
    ("GET", "/gifts/{gift_id}", None),
    ("PUT", "/gifts/{gift_id}", {"code": "X1", "name": "杯", "points_price": 10}),
    ("POST", "/gifts/{gift_id}/status", {"status": "delisted"}),
    ("POST", "/gifts/{gift_id}/restock", {"delta": 1, "reason": "入库"}),
    ("GET", "/gifts/{gift_id}/movements", None),
    ("POST", "/gifts/redemptions", {"card_id": 1, "gift_id": 1}),
    ("GET", "/gifts/redemptions", None),
    ("GET", "/gifts/redemptions/{redemption_id}", None),
    ("POST", "/gifts/redemptions/{redemption_id}/pick-up", {}),
    ("POST", "/gifts/redemptions/{redemption_id}/cancel", {"reason": "不要了"}),
    ("POST", "/gifts/distributions", {"gift_id": 1, "member_ids": [1], "reason": "活动"}),
    ("GET", "/gifts/distributions/{distribution_id}", None),
    ("POST", "/gifts/distributions/{distribution_id}/run", {}),
    ("GET", "/lotteries", None),
    (
        "POST",
        "/lotteries",
        {"name": "转盘", "cost_points": 1, "prizes": [{"kind": "nothing", "weight": 1}]},
    ),
    ("GET", "/lotteries/{lottery_id}", None),
    ("POST", "/lotteries/{lottery_id}/status", {"status": "active"}),
    ("POST", "/lotteries/{lottery_id}/draws", {"card_id": 1}),
    ("GET", "/lotteries/{lottery_id}/draws", None),
    ("GET", "/lotteries/draws/{draw_id}/verify", None),
    ("POST", "/checkin", {"card_id": 1}),
    ("GET", "/checkin/policy", None),
    ("PUT", "/checkin/policy", {"enabled": True, "rewards": [[1, 5]], "cycle_days": None}),
    ("GET", "/checkin/members/{member_id}", None),
]
GIFT_ROUTES = {(method, path) for method, path, _body in GIFT_CALLS}
GIFT_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in GIFT_CALLS:
    GIFT_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
GIFT_KEYED = {(m.lower(), f"/api/v1{p}") for m, p, _b in GIFT_CALLS if m != "GET"}


@pytest.mark.parametrize(("method", "path", "body"), GIFT_CALLS)
def test_a_role_without_gift_permissions_is_refused(as_staff, method, path, body):
    """The call-center agent holds none of gift.*, checkin.record or points.configure."""
    agent = as_staff(Role.CALL_CENTER)
    url = path.format(
        gift_id=1, redemption_id=1, distribution_id=1, lottery_id=1, draw_id=1, member_id=1
    )
    response = agent.call(method, url, body, **{"Idempotency-Key": key()})
    assert response.status_code == 403, (method, path, response.content)


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status"),
    [
        (Role.CASHIER, "GET", "/gifts", None, 200),
        (Role.CASHIER, "POST", "/gifts", {"code": "X", "name": "X", "points_price": 1}, 403),
        (Role.MARKETER, "POST", "/gifts", {"code": "X", "name": "X", "points_price": 1}, 201),
        (Role.STORE_MANAGER, "PUT", "/checkin/policy", {"enabled": True, "rewards": [[1, 5]]}, 403),
        (Role.HQ_ADMIN, "PUT", "/checkin/policy", {"enabled": True, "rewards": [[1, 5]]}, 200),
        (Role.CASHIER, "GET", "/checkin/policy", None, 200),
    ],
)
def test_roles_that_may(as_staff, role, method, path, body, status):
    response = as_staff(role).call(method, path, body, **{"Idempotency-Key": key()})
    assert response.status_code == status, response.content
