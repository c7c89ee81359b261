"""The idempotency rule over the whole OpenAPI document (docs/api.md, "Retries"):

- every POST that creates a record (answers 201) takes an ``Idempotency-Key``;
- every other write without one is classified in ``huiyuan/api/retries.py``, on purpose: it
  changes nothing (a read with a body), keys each item itself, is a state change whose
  repeat is refused or answered as it is, or sets values that a retry leaves as they are —
  and its description says which;
- a retried create with the same key and body answers the first result, with no second row
  and no second audit event; the same key with another body is refused and changes nothing.
"""

from __future__ import annotations

import json

import pytest

from huiyuan.api.retries import CLASSES, NOTES, RETRY_MARK
from huiyuan.api.tests.conftest import error_of
from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.points.models import EarnRule
from huiyuan.segments.models import Segment
from huiyuan.wallet.models import RechargePackage

pytestmark = pytest.mark.django_db

# A POST answering 201 without a key: none. (Add one here only with the reason a retry
# cannot create twice.)
CREATES_WITHOUT_KEY: set[tuple[str, str]] = set()

KEY = "Idempotency-Key"


@pytest.fixture
def document(db, anon):
    return json.loads(anon.client.get("/api/v1/openapi.json").content)


def _key_of(operation):
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == KEY:
            return parameter
    return None


def test_every_create_takes_an_idempotency_key(document):
    creates, unkeyed = 0, set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "post" and "201" in operation["responses"]:
                creates += 1
                if _key_of(operation) is None:
                    unkeyed.add((method, path))
    assert creates > 60
    assert unkeyed == CREATES_WITHOUT_KEY


def test_every_write_without_a_key_is_classified(document):
    """A new write without a key fails here until someone decides why a retry is harmless."""
    unkeyed = {
        (method, path.removeprefix("/api/v1"))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method != "get" and _key_of(operation) is None
    }
    listed = [pair for members in CLASSES.values() for pair in members]
    assert len(listed) == len(set(listed))  # each in one class only
    assert unkeyed == set(listed)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            kind = operation.get(RETRY_MARK)
            if (method, path.removeprefix("/api/v1")) in unkeyed:
                assert operation["description"].endswith(NOTES[kind]), (method, path)
            else:
                assert kind is None, (method, path)


def test_the_key_is_described_and_optional_only_where_said(document):
    """Where the key is optional its description says so and repeats the rule."""
    optional = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameter = _key_of(operation)
            if parameter is None or parameter.get("required"):
                continue
            optional.add((method, path))
            assert parameter["schema"]["description"].startswith("Optional:"), (method, path)
            assert "idempotency_key_reused" in parameter["schema"]["description"]
    assert ("post", "/api/v1/members") in optional
    assert ("put", "/api/v1/wallet-policy") in optional
    assert ("post", "/api/v1/tags") not in optional  # newer writes require it


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_retried_segment_create_makes_one_row_and_one_event(as_staff):
    marketer = as_staff(Role.MARKETER)
    body = {"name": "女性会员", "definition": {"genders": ["F"]}}
    first = marketer.post("/segments", body, **{KEY: "seg-1"})
    assert first.status_code == 201, first.content
    events = AuditEvent.objects.count()
    again = marketer.post("/segments", body, **{KEY: "seg-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Segment.objects.count() == 1
    assert AuditEvent.objects.count() == events

    other = marketer.post("/segments", {**body, "name": "男性会员"}, **{KEY: "seg-1"})
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    assert list(Segment.objects.values_list("name", flat=True)) == ["女性会员"]
    assert AuditEvent.objects.count() == events

    # Without a key (allowed on this older operation) each call is a new request.
    assert marketer.post("/segments", {**body, "name": "老会员"}).status_code == 201
    assert Segment.objects.count() == 2


def test_a_retried_earn_rule_publish_makes_one_version(as_staff):
    owner = as_staff(Role.OWNER)
    body = {"code": "base", "name": "每1元1分"}
    first = owner.post("/points/rules", body, **{KEY: "rule-1"})
    assert first.status_code == 201, first.content
    events = AuditEvent.objects.count()
    again = owner.post("/points/rules", body, **{KEY: "rule-1"})
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    assert EarnRule.objects.count() == 1
    assert AuditEvent.objects.count() == events
    other = owner.post("/points/rules", {**body, "name": "每1元2分"}, **{KEY: "rule-1"})
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    assert EarnRule.objects.count() == 1


def test_a_retried_member_registration_makes_one_member(as_staff, stores):
    from huiyuan.members.models import Member

    manager = as_staff(Role.STORE_MANAGER)
    body = {"name": "李小红", "mobile": "13900001234", "store_id": stores[0].pk}
    first = manager.post("/members", body, **{KEY: "reg-1"})
    assert first.status_code == 201, first.content
    again = manager.post("/members", body, **{KEY: "reg-1"})
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    assert Member.objects.count() == 1
    other = manager.post("/members", {**body, "name": "李小明"}, **{KEY: "reg-1"})
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    assert list(Member.objects.values_list("name", flat=True)) == ["李小红"]


def test_a_retried_policy_change_records_one_event(as_staff):
    owner = as_staff(Role.OWNER)
    body = {"bonus_valid_days": 180}
    first = owner.put("/wallet-policy", body, **{KEY: "wp-1"})
    assert first.status_code == 200, first.content
    assert first.json()["bonus_valid_days"] == 180
    again = owner.put("/wallet-policy", body, **{KEY: "wp-1"})
    assert again.json() == first.json()
    assert _events("wallet_policy.updated") == 1
    other = owner.put("/wallet-policy", {"bonus_valid_days": 90}, **{KEY: "wp-1"})
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    assert owner.get("/wallet-policy").json()["bonus_valid_days"] == 180
    assert _events("wallet_policy.updated") == 1


def test_setting_the_state_a_package_has_records_nothing(as_staff):
    owner = as_staff(Role.OWNER)
    created = owner.post(
        "/recharge-packages",
        {"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000},
        **{KEY: "pkg-1"},
    )
    assert created.status_code == 201, created.content
    path = f"/recharge-packages/{created.json()['id']}/active"
    for _ in range(2):
        response = owner.post(path, {"active": False})
        assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert _events("recharge_package.deactivated") == 1
    assert RechargePackage.objects.get().is_active is False


def test_a_repeated_transition_is_refused_and_changes_nothing(as_staff, make_member):
    manager = as_staff(Role.STORE_MANAGER)
    member = make_member()
    path = f"/members/{member.pk}/freeze"
    first = manager.post(path, {"reason": "顾客要求"})
    assert first.status_code == 200, first.content
    events = AuditEvent.objects.count()
    again = manager.post(path, {"reason": "顾客要求"})
    assert (again.status_code, error_of(again)["code"]) == (409, "already_frozen")
    assert AuditEvent.objects.count() == events


def test_a_repeated_setter_leaves_the_same_state(as_staff):
    owner = as_staff(Role.OWNER)
    first = owner.put("/holidays/2026-10-01", {"name": "国庆节"})
    assert first.status_code == 200, first.content
    again = owner.put("/holidays/2026-10-01", {"name": "国庆节"})
    assert again.json() == first.json()
    listed = owner.get("/holidays?year=2026").json()
    assert [h["name"] for h in listed if h["date"] == "2026-10-01"] == ["国庆节"]


def test_an_unchanged_policy_is_answered_without_a_record(as_staff):
    owner = as_staff(Role.OWNER)
    current = owner.get("/tier-policy").json()
    for _ in range(2):
        response = owner.put("/tier-policy", current)
        assert (response.status_code, response.json()) == (200, current)
    assert _events("tier_policy.updated") == 0
    changed = {**current, "evaluation_period": "year"}
    assert owner.put("/tier-policy", changed).json() == changed
    assert owner.put("/tier-policy", changed).json() == changed
    assert _events("tier_policy.updated") == 1


def test_the_rule_is_in_the_document(document):
    description = document["info"]["description"]
    assert "Idempotency-Key" in description and "idempotency_key_reused" in description
    freeze = document["paths"]["/api/v1/members/{member_id}/freeze"]["post"]
    assert freeze[RETRY_MARK] == "transition"


@pytest.mark.parametrize(
    ("path", "body", "other", "model_name", "action"),
    [
        (
            "/tiers",
            {"code": "silver", "name": "银卡", "level": 1, "discount_permille": 950},
            {"name": "银卡会员"},
            "tiers.Tier",
            "tier.created",
        ),
        (
            "/recharge-packages",
            {"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000},
            {"bonus_fen": 6000},
            "wallet.RechargePackage",
            "recharge_package.created",
        ),
    ],
)
def test_a_retried_config_create_records_once(as_staff, path, body, other, model_name, action):
    from django.apps import apps

    model = apps.get_model(model_name)
    owner = as_staff(Role.OWNER)
    first = owner.post(path, body, **{KEY: "cfg-1"})
    assert first.status_code == 201, first.content
    events = AuditEvent.objects.count()
    assert _events(action) == 1
    again = owner.post(path, body, **{KEY: "cfg-1"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert model.objects.count() == 1
    assert AuditEvent.objects.count() == events
    refused = owner.post(path, {**body, **other}, **{KEY: "cfg-1"})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "idempotency_key_reused")
    assert model.objects.count() == 1
    assert AuditEvent.objects.count() == events
