"""Referral endpoints: the policy (levels capped at 3, a warning above 2), a member's code
and figures, rewards and commission lists; every route answers each role as
``ROLE_PERMS`` says."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.ledger.tests.factories import balances
from huiyuan.referrals import services
from huiyuan.referrals.models import ReferralCommission, ReferralPayout, ReferralPolicy
from huiyuan.referrals.tests.conftest import (  # noqa: F401 - fixtures
    chain,
    policy,
    product,
    sell,
)
from huiyuan.referrals.tests.test_coupon_rewards import make_template, set_policy

pytestmark = pytest.mark.django_db

REFERRAL_CALLS: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/referrals/policy", None),
    ("PUT", "/referrals/policy", {}),
    ("GET", "/members/{member_id}/referral", None),
    ("GET", "/referrals/rewards", None),
    ("GET", "/referrals/commissions", None),
    ("GET", "/referrals/payouts/owed", None),
    ("POST", "/referrals/payouts", {}),
    ("GET", "/referrals/payouts", None),
]
REFERRAL_ROUTES = {(method, path) for method, path, _body in REFERRAL_CALLS}
REFERRAL_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in REFERRAL_CALLS:
    REFERRAL_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
REFERRAL_KEYED = {(m.lower(), f"/api/v1{p}") for m, p, _b in REFERRAL_CALLS if m != "GET"}


def test_policy_levels_are_capped_and_warned(staff, policy):  # noqa: F811
    owner = staff_client(staff[Role.OWNER])
    body = {"levels": 3, "level1_bp": 500, "level2_bp": 200, "level3_bp": 100}
    done = owner.put("/referrals/policy", body, **{"Idempotency-Key": "p1"})
    assert done.status_code == 200, done.content
    assert done.json()["levels"] == 3 and done.json()["warnings"]
    refused = owner.put("/referrals/policy", {**body, "levels": 4}, **{"Idempotency-Key": "p2"})
    assert refused.status_code == 422
    assert ReferralPolicy.current().levels == 3
    no_key = owner.put("/referrals/policy", body)
    assert error_of(no_key)["code"] == "idempotency_key_required"


def test_a_member_code_and_commission(staff, chain, sell):  # noqa: F811
    events_dispatch()
    sale = sell(chain.cards[3])
    events_dispatch()
    client = staff_client(staff[Role.STORE_MANAGER])
    mine = client.get(f"/members/{chain.members[2].pk}/referral")
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert (body["code"], body["referees"], body["held_fen"]) == (chain.members[2].code, 1, 500)
    assert body["points"] == 100 + 50  # 丁 joined, then bought
    rows = client.get(f"/referrals/commissions?member_id={chain.members[2].pk}").json()
    assert [(r["sale_id"], r["level"], r["amount_fen"]) for r in rows] == [(sale.pk, 1, 500)]
    rewards = client.get("/referrals/rewards").json()
    assert {r["kind"] for r in rewards} == {"join", "first_purchase"}


def test_policy_takes_coupon_templates(staff, owner, policy):  # noqa: F811
    template = make_template(owner)
    client = staff_client(staff[Role.OWNER])
    body = {"join_points": 10, "join_coupon_template_id": template.pk}
    done = client.put("/referrals/policy", body, **{"Idempotency-Key": "c1"})
    assert done.status_code == 200, done.content
    got = done.json()
    assert (got["join_coupon_template_id"], got["first_purchase_coupon_template_id"]) == (
        template.pk,
        None,
    )
    refused = client.put(
        "/referrals/policy",
        {**body, "join_coupon_template_id": 987654},
        **{"Idempotency-Key": "c2"},
    )
    assert refused.status_code == 422, refused.content
    assert error_of(refused)["code"] == "unknown_coupon_template"
    assert ReferralPolicy.current().join_coupon_template_id == template.pk
    assert client.get("/referrals/policy").json()["join_coupon_template_id"] == template.pk


def test_a_coupon_reward_not_given_says_why(staff, owner, chain):  # noqa: F811
    template = make_template(owner, stock=1)
    set_policy(owner, join_coupon_template_id=template.pk)
    events_dispatch()
    client = staff_client(staff[Role.STORE_MANAGER])
    rows = client.get("/referrals/rewards").json()
    got = sorted((r["referee_id"], r["coupon_id"] is not None, r["coupon_refusal"]) for r in rows)
    assert got == [
        (chain.members[1].pk, True, ""),
        (chain.members[2].pk, False, "coupon_out_of_stock"),
        (chain.members[3].pk, False, "coupon_out_of_stock"),
    ]
    assert {r["coupon_template_id"] for r in rows} == {template.pk}


def test_pay_released_commission_through_the_api(staff, chain, sell):  # noqa: F811
    sale = sell(chain.cards[3])
    events_dispatch()
    row = ReferralCommission.objects.filter(sale_id=sale.pk, level=1).get()
    assert row.release_on is not None
    services.commissions_release_run(now=dt.datetime.combine(row.release_on, dt.time(12), dt.UTC))
    client = staff_client(staff[Role.STORE_MANAGER])
    owed = client.get("/referrals/payouts/owed").json()
    assert owed == [
        {"member_id": chain.members[2].pk, "amount_fen": 500, "rows": 1},
        {"member_id": chain.members[1].pk, "amount_fen": 200, "rows": 1},
    ]
    member = chain.members[2].pk
    no_key = client.post("/referrals/payouts", {"member_id": member, "expected_fen": 500})
    assert error_of(no_key)["code"] == "idempotency_key_required"
    wrong = client.post(
        "/referrals/payouts", {"member_id": member, "expected_fen": 499}, **{"Idempotency-Key": "w"}
    )
    assert wrong.status_code == 409, wrong.content
    assert error_of(wrong)["code"] == "payout_amount_changed"
    assert error_of(wrong)["details"] == {"owed_fen": 500}
    assert balances(chain.cards[2])["bonus"] == 0
    assert ReferralPayout.objects.count() == 0
    paid = client.post(
        "/referrals/payouts", {"member_id": member, "expected_fen": 500}, **{"Idempotency-Key": "k"}
    )
    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert (body["beneficiary_id"], body["amount_fen"], body["rows"], body["card_id"]) == (
        member,
        500,
        1,
        chain.cards[2].pk,
    )
    replay = client.post(
        "/referrals/payouts", {"member_id": member, "expected_fen": 500}, **{"Idempotency-Key": "k"}
    )
    assert replay.json()["id"] == body["id"]
    again = client.post(
        "/referrals/payouts",
        {"member_id": member, "expected_fen": 500},
        **{"Idempotency-Key": "k2"},
    )
    assert error_of(again)["code"] == "nothing_to_pay"
    assert balances(chain.cards[2])["bonus"] == 500
    assert [p["id"] for p in client.get(f"/referrals/payouts?member_id={member}").json()] == [
        body["id"]
    ]
    mine = client.get(f"/members/{member}/referral").json()
    assert (mine["paid_fen"], mine["owed_fen"]) == (500, 0)
    rows = client.get(f"/referrals/commissions?member_id={member}").json()
    assert [r["payout_id"] for r in rows] == [body["id"]]


ROUTES = [
    ("GET", "/referrals/policy", Perm.MEMBER_VIEW),
    ("GET", "/referrals/commissions", Perm.MEMBER_VIEW),
    ("GET", "/referrals/payouts/owed", Perm.MEMBER_VIEW),
    ("GET", "/referrals/payouts", Perm.MEMBER_VIEW),
    ("PUT", "/referrals/policy", Perm.POINTS_CONFIGURE),
    ("POST", "/referrals/payouts", Perm.REFERRAL_PAYOUT),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(staff, policy, role, route):  # noqa: F811
    method, path, perm = route
    client = staff_client(staff[role])
    if method == "GET":
        response = client.get(path)
    elif method == "POST":
        response = client.post(
            path, {"member_id": 1, "expected_fen": 100}, **{"Idempotency-Key": f"{role}"}
        )
    else:
        response = client.put(path, {"levels": 1}, **{"Idempotency-Key": f"{role}"})
    if perm in ROLE_PERMS[role] and method == "POST":
        assert response.status_code == 404, response.content  # allowed; no such member
        assert error_of(response)["code"] == "member_not_found"
    elif perm in ROLE_PERMS[role]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["details"] == {"permission": perm.value}
        assert ReferralPolicy.current().levels == 2


def test_payouts_take_their_own_permission_not_the_refund_one(staff, chain, sell, terminal):  # noqa: F811
    """``referral.payout``: owner, head office and store managers; a cashier — who may not
    refund either — and a key without the recharge scope are refused, and nothing moves."""
    from huiyuan.api.tests.conftest import ApiClient, new_client
    from huiyuan.stores.api_scopes import Scope, scopes_granting
    from huiyuan.stores.services import api_key_create

    assert {r for r in Role if Perm.REFERRAL_PAYOUT in ROLE_PERMS[r]} == {
        Role.OWNER,
        Role.HQ_ADMIN,
        Role.STORE_MANAGER,
    }
    assert scopes_granting(Perm.REFERRAL_PAYOUT) == {Scope.RECHARGE, Scope.ALL}
    sale = sell(chain.cards[3])
    events_dispatch()
    row = ReferralCommission.objects.filter(sale_id=sale.pk, level=1).get()
    services.commissions_release_run(now=dt.datetime.combine(row.release_on, dt.time(12), dt.UTC))
    member = chain.members[2].pk
    body = {"member_id": member, "expected_fen": 500}
    owner = staff[Role.OWNER].as_actor()

    def key_client(scopes: list[str]) -> ApiClient:
        _, secret = api_key_create(
            actor=owner,
            terminal_id=terminal.pk,
            name="POS",
            role=Role.STORE_MANAGER,
            scopes=scopes,
        )
        return ApiClient(new_client(), {"Authorization": f"Bearer {secret}"})

    cashier = staff_client(staff[Role.CASHIER])
    refused = cashier.post("/referrals/payouts", body, **{"Idempotency-Key": "c1"})
    assert refused.status_code == 403, refused.content
    assert (error_of(refused)["code"], error_of(refused)["details"]) == (
        "permission_denied",
        {"permission": "referral.payout"},
    )
    no_scope = key_client(["members:write", "sell"]).post(
        "/referrals/payouts", body, **{"Idempotency-Key": "s1"}
    )
    assert no_scope.status_code == 403, no_scope.content
    assert (error_of(no_scope)["code"], error_of(no_scope)["details"]) == (
        "scope_missing",
        {"permission": "referral.payout"},
    )
    assert balances(chain.cards[2])["bonus"] == 0
    assert ReferralPayout.objects.count() == 0
    assert ReferralCommission.objects.filter(payout__isnull=False).count() == 0
    paid = key_client(["recharge"]).post("/referrals/payouts", body, **{"Idempotency-Key": "r1"})
    assert paid.status_code == 200, paid.content
    assert (paid.json()["amount_fen"], balances(chain.cards[2])["bonus"]) == (500, 500)
