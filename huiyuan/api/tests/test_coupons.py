"""The coupon API: templates, issue, claim, list, stats, dry run, group-buy; a basket
quote lists the member's coupons and proposes one; a sale applies the chosen code."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.api.tests.conftest import ApiClient, new_client
from huiyuan.checkout.tests.conftest import shop  # noqa: F401 - a fixture
from huiyuan.core.permissions import Role
from huiyuan.coupons.models import Coupon
from huiyuan.ledger.tests.factories import card


@pytest.fixture
def as_role(staff):
    def make(role: Role) -> ApiClient:
        client = new_client()
        client.force_login(staff[role])
        return ApiClient(client)

    return make


COUPON_CALLS = [
    ("GET", "/coupons", None),
    ("GET", "/coupons/templates", None),
    ("POST", "/coupons/templates", None),
    ("GET", "/coupons/templates/{template_id}", None),
    ("PUT", "/coupons/templates/{template_id}", None),
    ("POST", "/coupons/templates/{template_id}/stop", {}),
    ("GET", "/coupons/templates/{template_id}/stats", None),
    ("GET", "/coupons/templates/{template_id}/dry-run", None),
    ("POST", "/coupons/templates/{template_id}/issue", {"member_id": 1}),
    ("POST", "/coupons/templates/{template_id}/claim", {"member_id": 1}),
    ("POST", "/coupons/templates/{template_id}/batches", {}),
    ("GET", "/coupons/batches/{batch_id}", None),
    ("POST", "/coupons/group-buy/verify", {"provider": "meituan", "code": "100000000001"}),
    ("POST", "/coupons/group-buy/redeem", {"provider": "meituan", "code": "100000000001"}),
]
COUPON_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in COUPON_CALLS:
    COUPON_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
# Every coupon route is refused to a role without coupon permissions (below).
COUPON_ROUTES = {(method, path) for method, path, _body in COUPON_CALLS}
# Writes that issue, use or change coupons take an Idempotency-Key.
COUPON_KEYED = {
    (method.lower(), f"/api/v1{path}")
    for method, path, _body in COUPON_CALLS
    if method in ("POST", "PUT") and not path.endswith("/verify")
}


@pytest.mark.parametrize(("method", "path", "body"), COUPON_CALLS)
def test_a_role_without_coupon_permissions_is_refused(as_role, method, path, body):
    """The call-center agent holds none of coupon.*."""
    agent = as_role(Role.CALL_CENTER)
    url = path.format(template_id=1, batch_id=1)
    if method in ("POST", "PUT") and body is None:
        body = {**TEMPLATE}
    response = agent.call(method, url, body, **{"Idempotency-Key": "k"})
    assert response.status_code == 403, (method, path, response.content)


TEMPLATE = {
    "name": "满50减10",
    "kind": "threshold",
    "value": 1000,
    "min_spend_fen": 5000,
    "valid_from": "2020-01-01",
    "valid_to": "2099-12-31",
    "claimable": True,
}


def test_template_issue_claim_list_and_stats(as_role, owner, cashier):
    api = as_role(Role.OWNER)
    missing = api.post("/coupons/templates", TEMPLATE)
    assert missing.status_code == 422
    created = api.post("/coupons/templates", TEMPLATE, **{"Idempotency-Key": "t1"})
    assert created.status_code == 201, created.content
    again = api.post("/coupons/templates", TEMPLATE, **{"Idempotency-Key": "t1"})
    assert again.json()["id"] == created.json()["id"]
    template_id = created.json()["id"]
    bad = api.post(
        "/coupons/templates", {**TEMPLATE, "min_spend_fen": 10}, **{"Idempotency-Key": "t2"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "min_spend_fen"
    c = card(cashier, owner)
    issued = api.post(
        f"/coupons/templates/{template_id}/issue",
        {"member_id": c.member_id},
        **{"Idempotency-Key": "i1"},
    )
    assert issued.status_code == 201 and issued.json()["status"] == "unused"
    till = as_role(Role.CASHIER)
    refused = till.post(
        f"/coupons/templates/{template_id}/claim",
        {"member_id": c.member_id},
        **{"Idempotency-Key": "c1"},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "coupon_limit_reached"
    listed = api.get(f"/coupons?member_id={c.member_id}")
    assert [row["code"] for row in listed.json()] == [issued.json()["code"]]
    stats = api.get(f"/coupons/templates/{template_id}/stats").json()
    assert (stats["issued"], stats["used"]) == (1, 0)
    dry = api.get(f"/coupons/templates/{template_id}/dry-run")
    assert dry.status_code == 200 and dry.json()["sales_seen"] == 0
    stopped = api.post(
        f"/coupons/templates/{template_id}/stop",
        {"reason": "活动结束"},
        **{"Idempotency-Key": "s1"},
    )
    assert stopped.json()["status"] == "stopped"


def test_quote_proposes_and_sale_applies_the_coupon(as_role, owner, cashier, shop):  # noqa: F811
    from huiyuan.coupons.services import TemplateInput, coupon_issue, template_create

    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="满50减10",
            kind="threshold",
            value=1000,
            min_spend_fen=5000,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
        ),
    )
    c = card(cashier, owner)
    coupon = coupon_issue(
        actor=owner, template_id=template.pk, member_id=c.member_id, idempotency_key="x"
    )
    till = as_role(Role.CASHIER)
    basket = {
        "lines": [{"product_id": shop.coffee.pk, "quantity_milli": 2000}],
        "card_id": c.pk,
    }
    quote = till.post("/sales/quote", basket)
    assert quote.status_code == 200, quote.content
    body = quote.json()
    assert body["coupon_proposal"] == [coupon.code] and body["coupon_proposal_fen"] == 1000
    assert body["coupons"][0]["applies"] is True and body["discount_fen"] == 0
    sale = till.post(
        "/sales",
        {
            **basket,
            "coupon_codes": [coupon.code.lower()],
            "payments": [{"method": "cash", "amount_fen": 4600}],
        },
        **{"Idempotency-Key": "sale1"},
    )
    assert sale.status_code == 201, sale.content
    assert sale.json()["payable_fen"] == 4600
    assert Coupon.objects.get().status == "used"


def test_group_buy_over_the_api(as_role):
    till = as_role(Role.CASHIER)
    verified = till.post(
        "/coupons/group-buy/verify", {"provider": "meituan", "code": "100000000005"}
    )
    assert verified.json() == {
        "provider": "meituan",
        "code": "100000000005",
        "deal_title": "双人套餐",
        "amount_fen": 9900,
    }
    redeemed = till.post(
        "/coupons/group-buy/redeem",
        {"provider": "meituan", "code": "100000000005"},
        **{"Idempotency-Key": "g1"},
    )
    assert redeemed.status_code == 201
    twice = till.post(
        "/coupons/group-buy/redeem",
        {"provider": "meituan", "code": "100000000005"},
        **{"Idempotency-Key": "g2"},
    )
    assert twice.json()["error"]["code"] == "groupbuy_redeemed"


def test_a_batch_to_a_saved_segment_in_the_callers_stores(as_role, owner, stores, terminal):
    """``segment_id`` is a strict integer; a segment the caller cannot see answers as a
    missing one and starts nothing; a store's key reaches only its store's members."""
    from huiyuan.api.tests.conftest import ApiClient, error_of, new_client
    from huiyuan.audit.models import AuditEvent
    from huiyuan.coupons.models import IssueBatch
    from huiyuan.coupons.services import TemplateInput, template_create
    from huiyuan.coupons.tasks import run_issue_batch
    from huiyuan.members.services import MemberInput, member_register
    from huiyuan.segments.services import segment_create
    from huiyuan.stores.services import api_key_create

    template = template_create(
        actor=owner,
        data=TemplateInput(
            name="会员日券",
            kind="cash",
            value=500,
            valid_from=dt.date(2020, 1, 1),
            valid_to=dt.date(2099, 12, 31),
            per_member_limit=0,
        ),
    )
    people = [
        member_register(
            actor=owner,
            data=MemberInput(name=name, mobile=mobile),
            channel="store",
            store_id=store.pk,
        )
        for name, mobile, store in (
            ("甲", "13811110001", stores[0]),
            ("乙", "13811110002", stores[0]),
            ("丙", "13811110003", stores[1]),
        )
    ]
    everyone = segment_create(actor=owner, name="全部会员", definition={})
    east = segment_create(actor=owner, name="东城店会员", definition={}, store_id=stores[1].pk)
    _, secret = api_key_create(
        actor=owner, terminal_id=terminal.pk, name="营销", role=Role.MARKETER, scopes=["all"]
    )
    flagship = ApiClient(new_client(), {"Authorization": f"Bearer {secret}"})
    url = f"/coupons/templates/{template.pk}/batches"
    before = (IssueBatch.objects.count(), AuditEvent.objects.count())
    for bad in ("1", 1.0, True, 0):
        response = flagship.post(url, {"segment_id": bad}, **{"Idempotency-Key": f"b{bad}"})
        assert response.status_code == 422, (bad, response.content)
        assert error_of(response)["field"] == "segment_id"
    missing = flagship.post(url, {"segment_id": 987654}, **{"Idempotency-Key": "m"})
    hidden = flagship.post(url, {"segment_id": east.pk}, **{"Idempotency-Key": "h"})
    assert missing.status_code == hidden.status_code == 404
    assert error_of(missing) == error_of(hidden)
    assert (error_of(hidden)["code"], error_of(hidden)["field"]) == (
        "segment_not_found",
        "segment_id",
    )
    assert (IssueBatch.objects.count(), AuditEvent.objects.count()) == before

    started = flagship.post(url, {"segment_id": everyone.pk}, **{"Idempotency-Key": "go"})
    assert started.status_code == 202, started.content
    body = started.json()
    assert (body["segment_id"], body["total"], body["status"]) == (everyone.pk, 2, "queued")
    run_issue_batch.call(body["id"])  # the worker, as the system
    progress = flagship.get(f"/coupons/batches/{body['id']}").json()
    assert (progress["status"], progress["issued"], progress["percent"]) == ("done", 2, 100)
    holders = sorted(Coupon.objects.filter(template=template).values_list("member_id", flat=True))
    assert holders == [people[0].pk, people[1].pk]  # 丙 is at 东城店: out of the key's reach
    # Chain-wide staff reach everyone in the segment (丙 too; 甲 and 乙 get a second one).
    api = as_role(Role.MARKETER)
    chain = api.post(url, {"segment_id": everyone.pk}, **{"Idempotency-Key": "all"})
    assert chain.json()["total"] == 3
    run_issue_batch.call(chain.json()["id"])
    assert Coupon.objects.filter(template=template).count() == 5
    stats = api.get(f"/coupons/templates/{template.pk}/stats").json()
    assert (stats["issued"], stats["batch"], stats["on_event"], stats["referral"]) == (5, 5, 0, 0)
