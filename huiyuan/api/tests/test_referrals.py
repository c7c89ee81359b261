"""Referral endpoints: the policy (levels capped at 3, a warning above 2), a member's code
and figures, rewards and commission lists; every route answers each role as
``ROLE_PERMS`` says."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.core.permissions import ROLE_PERMS, Perm, Role
from huiyuan.events.dispatch import events_dispatch
from huiyuan.referrals.models import ReferralPolicy
from huiyuan.referrals.tests.conftest import (  # noqa: F401 - fixtures
    chain,
    policy,
    product,
    sell,
)

pytestmark = pytest.mark.django_db

REFERRAL_CALLS = [
    ("GET", "/referrals/policy", None),
    ("PUT", "/referrals/policy", {}),
    ("GET", "/members/{member_id}/referral", None),
    ("GET", "/referrals/rewards", None),
    ("GET", "/referrals/commissions", None),
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


ROUTES = [
    ("GET", "/referrals/policy", Perm.MEMBER_VIEW),
    ("GET", "/referrals/commissions", Perm.MEMBER_VIEW),
    ("PUT", "/referrals/policy", Perm.POINTS_CONFIGURE),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(staff, policy, role, route):  # noqa: F811
    method, path, perm = route
    client = staff_client(staff[role])
    if method == "GET":
        response = client.get(path)
    else:
        response = client.put(path, {"levels": 1}, **{"Idempotency-Key": f"{role}"})
    if perm in ROLE_PERMS[role]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403, response.content
        assert error_of(response)["details"] == {"permission": perm.value}
        assert ReferralPolicy.current().levels == 2
