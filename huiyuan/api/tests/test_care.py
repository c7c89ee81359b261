"""Care endpoints: templates and preview, campaigns (create, start, status), deliveries."""

from __future__ import annotations

import pytest

from huiyuan.care.models import OptOut
from huiyuan.care.testing import outbox
from huiyuan.core import pii
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.segments.services import segment_create

from .conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_off(settings):
    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)


def test_templates_preview_campaign_and_log_through_the_api(
    as_staff, cashier, owner, stores, quiet_off
):
    marketer = as_staff(Role.MARKETER)
    people = [member(cashier, name=n) for n in ("甲一", "乙二", "丙三")]
    segment = segment_create(actor=owner, name="全店", definition={"stores": [stores[0].pk]})
    r = marketer.post(
        "/care/templates",
        {
            "code": "spring",
            "channel": "sms",
            "name": "春季上新",
            "kind": "marketing",
            "body": "{name}您好，{store}春季上新，积分{points}可抵现。",
        },
    )
    assert r.status_code == 200, r.json()
    r = marketer.post(
        "/care/templates",
        {"code": "bad", "channel": "sms", "kind": "marketing", "body": "{nmae}您好"},
    )
    assert error_of(r)["code"] == "care_template_variable_unknown"
    codes = {t["code"]: t for t in marketer.get("/care/templates").json()}
    assert codes["spring"]["channels"] == ["sms"] and codes["verify_code"]["builtin"]
    assert "bad" not in codes
    r = marketer.post(
        "/care/templates/preview", {"code": "spring", "channel": "sms", "member_id": people[0].pk}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["body"].startswith("甲一您好，旗舰店春季上新，积分0可抵现。 回TD退订")

    r = marketer.post(
        "/care/campaigns",
        {"name": "春季DM", "template_code": "spring", "segment_id": segment.pk},
    )
    assert r.status_code == 201, r.json()
    campaign = r.json()
    assert (campaign["status"], campaign["total"]) == ("draft", 0)
    OptOut.objects.create(member=people[2], source="sms", created_at=people[2].joined_at)
    r = marketer.post(f"/care/campaigns/{campaign['id']}/start", {})
    assert r.status_code == 200, r.json()
    status = marketer.get(f"/care/campaigns/{campaign['id']}").json()
    assert (status["status"], status["total"], status["done"], status["percent"]) == (
        "done",
        3,
        3,
        100,
    )
    assert status["report"]["sent"] == 2 and status["report"]["opted_out"] == 1
    r = marketer.post(f"/care/campaigns/{campaign['id']}/start", {})
    assert error_of(r)["code"] == "campaign_done"

    log = marketer.get(f"/care/deliveries?campaign_id={campaign['id']}").json()
    assert sorted(d["member_id"] for d in log) == sorted(p.pk for p in people[:2])
    assert {d["status"] for d in log} == {"delivered"}
    assert log[0]["recipient"].count("*") == 4
    assert len(outbox(pii.decrypt(people[0].mobile_enc))) == 1


def test_opt_out_endpoint_and_refusals(as_staff, cashier):
    someone = member(cashier)
    counter = as_staff(Role.CASHIER)
    r = counter.post(f"/care/members/{someone.pk}/opt-out", {})
    assert r.status_code == 200 and r.json() == {"member_id": someone.pk, "opted_out": True}
    assert OptOut.objects.filter(member=someone, source="staff").exists()
    assert counter.get("/care/deliveries").status_code == 403
    r = counter.post("/care/campaigns", {"name": "x", "template_code": "promotion"})
    assert r.status_code == 403
    r = as_staff(Role.MARKETER).post(
        "/care/campaigns", {"name": "x", "template_code": "promotion", "segment_id": "1"}
    )
    assert r.status_code == 422  # ids are strict integers


# Every care operation, with a valid body: the role matrix below.
CARE_CALLS = [
    ("GET", "/care/templates", None),
    ("POST", "/care/templates", {"code": "x", "channel": "sms", "kind": "marketing", "body": "x"}),
    ("POST", "/care/templates/preview", {"code": "promotion", "channel": "sms", "member_id": 1}),
    ("GET", "/care/campaigns", None),
    ("POST", "/care/campaigns", {"name": "x", "template_code": "promotion"}),
    ("GET", "/care/campaigns/{campaign_id}", None),
    ("POST", "/care/campaigns/{campaign_id}/start", {}),
    ("GET", "/care/deliveries", None),
    ("POST", "/care/members/{member_id}/opt-out", {}),
    ("GET", "/care/dates", None),
    ("POST", "/care/dates", {"name": "x", "calendar": "solar", "month": 3, "day": 8}),
    ("PUT", "/care/dates/{care_date_id}", {"name": "x", "calendar": "solar", "month": 3, "day": 8}),
]
CARE_ROUTES = {(method, path) for method, path, _body in CARE_CALLS}
CARE_PATHS: dict[str, set[str]] = {}
for _method, _path, _body in CARE_CALLS:
    CARE_PATHS.setdefault(f"/api/v1{_path}", set()).add(_method.lower())
CARE_KEYED: set[tuple[str, str]] = set()  # not money: no Idempotency-Key


@pytest.mark.parametrize(("method", "path", "body"), CARE_CALLS)
def test_a_role_without_care_permissions_is_refused(as_staff, method, path, body):
    """The call-center agent holds neither care.* nor member.edit."""
    agent = as_staff(Role.CALL_CENTER)
    url = path.format(campaign_id=1, member_id=1, care_date_id=1)
    response = agent.call(method, url, body)
    if path == "/care/members/{member_id}/opt-out":
        # The agent may edit members (member.edit): unknown member, not a refusal.
        assert response.status_code == 404, response.content
        return
    assert response.status_code == 403, (method, path, response.content)


def test_special_dates_through_the_api(as_staff):
    from huiyuan.care.models import CareDate

    marketer = as_staff(Role.MARKETER)
    r = marketer.post("/care/dates", {"name": "中秋节", "calendar": "lunar", "month": 8, "day": 15})
    assert r.status_code == 201, r.json()
    created = r.json()
    assert (created["label"], created["template_code"], created["channel"]) == (
        "农历八月十五",
        "holiday",
        "sms",
    )
    r = marketer.post("/care/dates", {"name": "x", "calendar": "solar", "month": 2, "day": 30})
    assert (r.status_code, error_of(r)["code"]) == (422, "care_date_invalid")
    r = marketer.post("/care/dates", {"name": "x", "calendar": "once"})
    assert error_of(r)["code"] == "care_date_required"
    assert CareDate.objects.count() == 1
    r = marketer.put(
        f"/care/dates/{created['id']}",
        {"name": "中秋节", "calendar": "lunar", "month": 8, "day": 15, "days_ahead": 2},
    )
    assert r.status_code == 200 and r.json()["days_ahead"] == 2
    listed = marketer.get("/care/dates").json()
    assert [(d["name"], d["label"], d["days_ahead"]) for d in listed] == [
        ("中秋节", "农历八月十五", 2)
    ]
    cashier = as_staff(Role.CASHIER)
    r = cashier.post("/care/dates", {"name": "x", "calendar": "solar", "month": 3, "day": 8})
    assert r.status_code == 403
    assert CareDate.objects.count() == 1
