"""What was console-only, now in the API: member tags, custom fields, API keys, store scope.

Each endpoint: what it answers, its Idempotency-Key (replay, reuse with another body, a
missing key), and its refusals — the wrong scope (403 ``scope_missing``), a role without
the permission, another store's member (404), bad input (422) — with nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, snapshot, staff_client
from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.members import services as member_services
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.stores.models import ApiKey, StoreScopePolicy, Terminal
from huiyuan.stores.scope import CONFIGURABLE_OPS, OPS
from huiyuan.stores.services import api_key_authenticate, api_key_create

SETTINGS_PATHS = {
    "/api/v1/tags": {"get", "post"},
    "/api/v1/tags/{tag_id}": {"put", "delete"},
    "/api/v1/tags/{tag_id}/members": {"post"},
    "/api/v1/tags/{tag_id}/members/remove": {"post"},
    "/api/v1/custom-fields": {"get", "post"},
    "/api/v1/custom-fields/{field_id}": {"put"},
    "/api/v1/custom-fields/{field_id}/active": {"post"},
    "/api/v1/members/{member_id}/custom-fields": {"put"},
    "/api/v1/api-keys": {"get", "post"},
    "/api/v1/api-keys/{api_key_id}": {"patch"},
    "/api/v1/api-keys/{api_key_id}/revoke": {"post"},
    "/api/v1/store-scope-policy": {"get", "put"},
}


def ik(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def keyed(key: str) -> ApiClient:
    return ApiClient(new_client(), {"Authorization": f"Bearer {key}"})


def state() -> tuple[Any, ...]:
    """Everything these endpoints may change."""
    members, audits = snapshot()
    return (
        members,
        audits,
        list(Tag.objects.order_by("pk").values()),
        sorted(Member.tags.through.objects.values_list("member_id", "tag_id")),
        list(CustomField.objects.order_by("pk").values()),
        list(
            ApiKey.objects.order_by("pk").values(
                "pk", "scopes", "rate_limit_per_minute", "revoked_at"
            )
        ),
        list(StoreScopePolicy.objects.values()),
    )


@pytest.fixture
def boss(staff) -> ApiClient:
    return staff_client(staff[Role.OWNER])


@pytest.fixture
def key_client(owner, terminal):
    """A client over a fresh key of ``terminal`` (at the first store)."""

    def make(role: Role = Role.CASHIER, scopes: list[str] | None = None) -> ApiClient:
        _, key = api_key_create(
            actor=owner, terminal_id=terminal.pk, name="POS", role=role, scopes=scopes
        )
        return keyed(key)

    return make


@pytest.fixture
def two_members(make_member, stores) -> tuple[Member, Member]:
    """One member at the first store, one at the second."""
    return (
        make_member(name="张三", mobile="13812345678", store=stores[0]),
        make_member(name="李四", mobile="13912345678", store=stores[1]),
    )


# ---------------------------------------------------------------------------------- tags


# Every operation of these routers; each has its refusals by role and by key scope below.
SETTINGS_ROUTES = {
    ("GET", "/tags"),
    ("POST", "/tags"),
    ("PUT", "/tags/{tag_id}"),
    ("DELETE", "/tags/{tag_id}"),
    ("POST", "/tags/{tag_id}/members"),
    ("POST", "/tags/{tag_id}/members/remove"),
    ("GET", "/custom-fields"),
    ("POST", "/custom-fields"),
    ("PUT", "/custom-fields/{field_id}"),
    ("POST", "/custom-fields/{field_id}/active"),
    ("PUT", "/members/{member_id}/custom-fields"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("PATCH", "/api-keys/{api_key_id}"),
    ("POST", "/api-keys/{api_key_id}/revoke"),
    ("GET", "/store-scope-policy"),
    ("PUT", "/store-scope-policy"),
}


def test_create_a_tag_once_per_key(boss):
    body = {"name": "高净值", "color": "red"}
    first = boss.post("/tags", body, **ik("t-1"))
    assert first.status_code == 201
    tag = Tag.objects.get()
    assert first.json() == {
        "id": tag.pk,
        "name": "高净值",
        "color": "red",
        "member_count": 0,
        "created_at": first.json()["created_at"],
    }
    again = boss.post("/tags", body, **ik("t-1"))
    assert again.status_code == 201 and again.json() == first.json()
    other = boss.post("/tags", {"name": "另一个"}, **ik("t-1"))
    assert other.status_code == 409
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert Tag.objects.count() == 1


def test_tag_refusals_change_nothing(boss, staff):
    boss.post("/tags", {"name": "高净值"}, **ik("t-1"))
    before = state()
    missing = boss.post("/tags", {"name": "新"})
    assert missing.status_code == 422
    assert error_of(missing)["code"] == "idempotency_key_required"
    duplicate = boss.post("/tags", {"name": "高净值"}, **ik("t-2"))
    assert duplicate.status_code == 409
    assert error_of(duplicate)["code"] == "duplicate_tag"
    for bad in ({"name": ""}, {"name": "长" * 31}, {"name": "x", "color": "black"}, {"n": 1}):
        response = boss.post("/tags", bad, **ik(f"bad-{len(str(bad))}"))
        assert response.status_code == 422, bad
        assert error_of(response)["code"] == "invalid_request"
    cashier = staff_client(staff[Role.CASHIER]).post("/tags", {"name": "新"}, **ik("t-3"))
    assert cashier.status_code == 403
    assert error_of(cashier)["code"] == "permission_denied"
    assert state() == before


def test_list_tags_with_their_member_count(boss, key_client, two_members):
    made = boss.post("/tags", {"name": "高净值"}, **ik("t-1")).json()
    boss.post(f"/tags/{made['id']}/members", {"member_ids": [two_members[0].pk]}, **ik("m-1"))
    listed = key_client(scopes=["members:read"]).get("/tags")
    assert listed.status_code == 200
    assert [(t["name"], t["member_count"]) for t in listed.json()] == [("高净值", 1)]
    refused = key_client(scopes=["sell"]).get("/tags")
    assert refused.status_code == 403
    assert error_of(refused) == {
        "code": "scope_missing",
        "message": error_of(refused)["message"],
        "details": {"permission": "member.view"},
    }


def test_rename_a_tag(boss):
    tag = boss.post("/tags", {"name": "高净值"}, **ik("t-1")).json()
    boss.post("/tags", {"name": "沉睡"}, **ik("t-2"))
    renamed = boss.put(f"/tags/{tag['id']}", {"name": "高价值", "color": "green"}, **ik("r-1"))
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["color"]) == ("高价值", "green")
    assert Tag.objects.get(pk=tag["id"]).name == "高价值"
    assert AuditEvent.objects.filter(action="tag.renamed").count() == 1
    before = state()
    clash = boss.put(f"/tags/{tag['id']}", {"name": "沉睡"}, **ik("r-2"))
    assert clash.status_code == 409 and error_of(clash)["code"] == "duplicate_tag"
    unknown = boss.put("/tags/999999", {"name": "x"}, **ik("r-3"))
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "tag_not_found"
    assert state() == before


def test_delete_a_tag_untags_its_members(boss, two_members):
    tag = boss.post("/tags", {"name": "高净值"}, **ik("t-1")).json()
    ids = [m.pk for m in two_members]
    assert (
        boss.post(f"/tags/{tag['id']}/members", {"member_ids": ids}, **ik("m")).status_code == 200
    )
    deleted = boss.call("DELETE", f"/tags/{tag['id']}", **ik("d-1"))
    assert deleted.status_code == 200
    assert deleted.json() == {"id": tag["id"], "member_count": 2}
    assert not Tag.objects.exists() and not Member.tags.through.objects.exists()
    replay = boss.call("DELETE", f"/tags/{tag['id']}", **ik("d-1"))
    assert replay.status_code == 200 and replay.json() == {"id": tag["id"], "member_count": None}
    gone = boss.call("DELETE", f"/tags/{tag['id']}", **ik("d-2"))
    assert gone.status_code == 404 and error_of(gone)["code"] == "tag_not_found"


def test_tag_and_untag_members_in_bulk(boss, staff, key_client, two_members):
    here, _there = two_members
    tag = boss.post("/tags", {"name": "高净值"}, **ik("t-1")).json()
    pos = key_client(role=Role.CASHIER, scopes=["members:write", "members:read"])
    added = pos.post(f"/tags/{tag['id']}/members", {"member_ids": [here.pk]}, **ik("a-1"))
    assert added.status_code == 200
    assert added.json()["member_ids"] == [here.pk]
    assert added.json()["changed"] == [here.pk]
    assert added.json()["tag"]["member_count"] == 1
    assert list(here.tags.values_list("name", flat=True)) == ["高净值"]
    replay = pos.post(f"/tags/{tag['id']}/members", {"member_ids": [here.pk]}, **ik("a-1"))
    assert replay.status_code == 200 and replay.json()["changed"] is None
    twice = pos.post(f"/tags/{tag['id']}/members", {"member_ids": [here.pk]}, **ik("a-2"))
    assert twice.json()["changed"] == []
    removed = pos.post(f"/tags/{tag['id']}/members/remove", {"member_ids": [here.pk]}, **ik("r"))
    assert removed.status_code == 200 and removed.json()["changed"] == [here.pk]
    assert not here.tags.exists()
    assert list(
        AuditEvent.objects.filter(member_id=here.pk, action__startswith="member.")
        .order_by("pk")
        .values_list("action", flat=True)
    )[-2:] == ["member.tagged", "member.untagged"]


def test_bulk_tagging_refusals_change_nothing(boss, key_client, two_members):
    here, there = two_members
    tag = boss.post("/tags", {"name": "高净值"}, **ik("t-1")).json()
    pos = key_client(role=Role.CASHIER, scopes=["members:write", "members:read"])
    reader = key_client(scopes=["members:read"])
    before = state()
    # Another store's member: not found, and the member of this store is not tagged either.
    other = pos.post(f"/tags/{tag['id']}/members", {"member_ids": [here.pk, there.pk]}, **ik("x"))
    assert other.status_code == 404
    assert error_of(other)["code"] == "member_not_found"
    assert error_of(other)["details"] == {"member_ids": [there.pk]}
    scoped = reader.post(f"/tags/{tag['id']}/members", {"member_ids": [here.pk]}, **ik("y"))
    assert scoped.status_code == 403
    assert error_of(scoped)["code"] == "scope_missing"
    for bad in ({"member_ids": []}, {"member_ids": ["1"]}, {"member_ids": [0]}, {}):
        response = pos.post(f"/tags/{tag['id']}/members", bad, **ik(f"b{len(str(bad))}"))
        assert response.status_code == 422, bad
        assert error_of(response)["code"] == "invalid_request"
    unknown = pos.post("/tags/999999/members", {"member_ids": [here.pk]}, **ik("z"))
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "tag_not_found"
    assert state() == before


# ------------------------------------------------------------------------ custom fields

PLATE = {"key": "plate_number", "label": "车牌号", "kind": "text"}
PETS = {"key": "pet_count", "label": "宠物数", "kind": "number"}
COAT = {"key": "coat", "label": "毛色", "kind": "choice", "choices": ["短毛", "长毛"]}


def test_define_list_edit_and_retire_a_field(boss, key_client):
    created = boss.post("/custom-fields", COAT, **ik("f-1"))
    assert created.status_code == 201
    field = CustomField.objects.get()
    assert created.json() == {
        "id": field.pk,
        "key": "coat",
        "label": "毛色",
        "kind": "choice",
        "choices": ["短毛", "长毛"],
        "required": False,
        "is_active": True,
        "position": 0,
    }
    assert boss.post("/custom-fields", COAT, **ik("f-1")).json() == created.json()
    edited = boss.put(
        f"/custom-fields/{field.pk}",
        {"label": "毛发", "choices": ["短毛", "长毛", "无毛"], "required": True, "position": 3},
        **ik("e-1"),
    )
    assert edited.status_code == 200
    assert {k: edited.json()[k] for k in ("label", "choices", "required", "position")} == {
        "label": "毛发",
        "choices": ["短毛", "长毛", "无毛"],
        "required": True,
        "position": 3,
    }
    retired = boss.post(f"/custom-fields/{field.pk}/active", {"active": False}, **ik("a-1"))
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    listed = key_client(scopes=["members:read"]).get("/custom-fields")
    assert listed.status_code == 200
    assert [(f["key"], f["is_active"]) for f in listed.json()] == [("coat", False)]
    assert list(
        AuditEvent.objects.filter(subject_type="custom_field")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["custom_field.created", "custom_field.updated", "custom_field.disabled"]


def test_field_refusals_change_nothing(boss, staff):
    field = boss.post("/custom-fields", PLATE, **ik("f-1")).json()
    boss.post("/custom-fields", COAT, **ik("f-2"))
    before = state()
    duplicate = boss.post("/custom-fields", PLATE, **ik("f-3"))
    assert duplicate.status_code == 409 and error_of(duplicate)["code"] == "duplicate_key"
    for bad in ({**PLATE, "key": "Plate"}, {**PLATE, "kind": "photo"}, {**PLATE, "label": ""}):
        response = boss.post("/custom-fields", bad, **ik(f"b-{bad['key']}{bad['kind']}"))
        assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    choices = boss.put(f"/custom-fields/{field['id']}", {"label": "x", "choices": ["a"]}, **ik("c"))
    assert choices.status_code == 422 and error_of(choices)["code"] == "choices_not_allowed"
    coat = CustomField.objects.get(key="coat").pk
    empty = boss.put(f"/custom-fields/{coat}", {"label": "毛色", "choices": []}, **ik("d"))
    assert empty.status_code == 422 and error_of(empty)["code"] == "choices_required"
    unknown = boss.put("/custom-fields/999999", {"label": "x"}, **ik("u"))
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "unknown_custom_field"
    manager = staff_client(staff[Role.STORE_MANAGER]).post("/custom-fields", PETS, **ik("m"))
    assert manager.status_code == 403 and error_of(manager)["code"] == "permission_denied"
    assert state() == before


def test_set_a_members_values_checked_by_kind(boss, key_client, two_members):
    here, there = two_members
    for n, body in enumerate((PLATE, PETS, COAT)):
        boss.post("/custom-fields", body, **ik(f"f-{n}"))
    pos = key_client(scopes=["members:write", "members:read"])
    reader = key_client(scopes=["members:read"])
    body = {"values": {"plate_number": "沪A12345", "pet_count": 2, "coat": "长毛"}}
    done = pos.put(f"/members/{here.pk}/custom-fields", body, **ik("v-1"))
    assert done.status_code == 200
    assert done.json() == {
        "member_id": here.pk,
        "values": {"plate_number": "沪A12345", "pet_count": 2, "coat": "长毛"},
    }
    cleared = pos.put(f"/members/{here.pk}/custom-fields", {"values": {"coat": None}}, **ik("v-2"))
    assert cleared.json()["values"] == {"plate_number": "沪A12345", "pet_count": 2}
    before = state()
    for key, bad in (("pet_count", "两只"), ("coat", "卷毛"), ("pet_count", True)):
        response = pos.put(
            f"/members/{here.pk}/custom-fields", {"values": {key: bad}}, **ik(f"b-{key}{bad}")
        )
        assert response.status_code == 422, (key, bad)
        assert error_of(response)["code"] == "invalid_custom_field"
        assert error_of(response)["field"] == f"custom_fields.{key}"
    unknown = pos.put(f"/members/{here.pk}/custom-fields", {"values": {"x": 1}}, **ik("u"))
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_custom_field"
    elsewhere = pos.put(f"/members/{there.pk}/custom-fields", body, **ik("o"))
    assert elsewhere.status_code == 404 and error_of(elsewhere)["code"] == "member_not_found"
    scoped = reader.put(f"/members/{here.pk}/custom-fields", body, **ik("s"))
    assert scoped.status_code == 403 and error_of(scoped)["code"] == "scope_missing"
    empty = pos.put(f"/members/{here.pk}/custom-fields", {"values": {}}, **ik("e"))
    assert empty.status_code == 422 and error_of(empty)["code"] == "invalid_request"
    assert state() == before


# ----------------------------------------------------------------------------- API keys


def test_create_list_change_and_revoke_a_key(boss, terminal):
    body = {
        "terminal_id": terminal.pk,
        "name": "小程序",
        "role": "cashier",
        "scopes": ["sell", "members:read"],
        "rate_limit_per_minute": 120,
    }
    created = boss.post("/api-keys", body, **ik("k-1"))
    assert created.status_code == 201
    out = created.json()
    row = ApiKey.objects.get()
    assert out["key"].startswith(f"hy_{row.prefix}_")
    assert api_key_authenticate(out["key"]) == row
    assert {k: out[k] for k in ("id", "terminal_id", "store_id", "role", "scopes")} == {
        "id": row.pk,
        "terminal_id": terminal.pk,
        "store_id": terminal.store_id,
        "role": "cashier",
        "scopes": ["members:read", "sell"],
    }
    assert (out["rate_limit_per_minute"], out["is_active"]) == (120, True)
    replay = boss.post("/api-keys", body, **ik("k-1"))
    assert replay.status_code == 201
    assert replay.json() == {**out, "key": None, "last_used_at": replay.json()["last_used_at"]}
    assert ApiKey.objects.count() == 1
    listed = boss.get("/api-keys").json()
    assert [(k["id"], k["prefix"]) for k in listed] == [(row.pk, row.prefix)]
    assert "key" not in listed[0] and "key_hash" not in listed[0]
    changed = boss.patch(f"/api-keys/{row.pk}", {"rate_limit_per_minute": 30}, **ik("k-2"))
    assert changed.status_code == 200
    assert (changed.json()["rate_limit_per_minute"], changed.json()["scopes"]) == (
        30,
        ["members:read", "sell"],
    )
    revoked = boss.post(f"/api-keys/{row.pk}/revoke", {}, **ik("k-3"))
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert api_key_authenticate(out["key"]) is None
    again = boss.post(f"/api-keys/{row.pk}/revoke", {}, **ik("k-4"))
    assert again.status_code == 409 and error_of(again)["code"] == "already_revoked"


def test_a_key_cannot_give_more_than_its_own_scopes(key_client, terminal):
    manager = key_client(role=Role.STORE_MANAGER, scopes=["configure"])
    mine = ApiKey.objects.get()
    before = state()
    wider = {"terminal_id": terminal.pk, "role": "store_manager", "scopes": ["all"]}
    refused = manager.post("/api-keys", wider, **ik("w-1"))
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "scopes_exceed_caller"
    assert "member.view" in error_of(refused)["details"]["permissions"]
    reader = {"terminal_id": terminal.pk, "role": "cashier", "scopes": ["members:read"]}
    assert manager.post("/api-keys", reader, **ik("w-2")).status_code == 403
    itself = manager.patch(f"/api-keys/{mine.pk}", {"scopes": ["all"]}, **ik("w-3"))
    assert itself.status_code == 403 and error_of(itself)["code"] == "scopes_exceed_caller"
    assert state() == before
    same = {"terminal_id": terminal.pk, "role": "store_manager", "scopes": ["configure"]}
    assert manager.post("/api-keys", same, **ik("w-4")).status_code == 201


def test_key_refusals_change_nothing(boss, key_client, stores, terminal):
    elsewhere = Terminal.objects.create(store=stores[1], code="POS-02", name="2号收银台")
    manager = key_client(role=Role.STORE_MANAGER, scopes=["configure"])
    cashier = key_client(role=Role.CASHIER)
    reader = key_client(role=Role.STORE_MANAGER, scopes=["members:read"])
    before = state()
    other_store = manager.post(
        "/api-keys", {"terminal_id": elsewhere.pk, "scopes": ["sell"]}, **ik("o-1")
    )
    assert other_store.status_code == 403 and error_of(other_store)["code"] == "store_forbidden"
    denied = cashier.get("/api-keys")
    assert denied.status_code == 403 and error_of(denied)["code"] == "permission_denied"
    scoped = reader.get("/api-keys")
    assert scoped.status_code == 403 and error_of(scoped)["code"] == "scope_missing"
    for bad in (
        {"terminal_id": terminal.pk, "role": "owner"},
        {"terminal_id": terminal.pk, "scopes": ["everything"]},
        {"terminal_id": terminal.pk, "scopes": []},
        {"terminal_id": terminal.pk, "rate_limit_per_minute": 0},
        {"terminal_id": "1"},
    ):
        response = boss.post("/api-keys", bad, **ik(f"b-{sorted(bad)}-{len(str(bad))}"))
        assert response.status_code == 422, bad
        assert error_of(response)["code"] == "invalid_request"
    unknown = boss.post("/api-keys", {"terminal_id": 999999}, **ik("u-1"))
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "unknown_terminal"
    missing = boss.post(f"/api-keys/{ApiKey.objects.first().pk}/revoke", {})
    assert missing.status_code == 422 and error_of(missing)["code"] == "idempotency_key_required"
    nokey = boss.patch("/api-keys/999999", {"rate_limit_per_minute": 5}, **ik("n"))
    assert nokey.status_code == 404 and error_of(nokey)["code"] == "unknown_api_key"
    assert state() == before


# -------------------------------------------------------------------------- store scope


def test_read_and_change_the_store_scope_policy(boss):
    read = boss.get("/store-scope-policy")
    assert read.status_code == 200
    rules = {r["operation"]: r for r in read.json()["rules"]}
    assert set(rules) == {op.value for op in OPS}
    assert rules["refund"]["reach"] == "home" and rules["refund"]["configurable"] is True
    assert rules["card_issue"]["configurable"] is False
    changed = boss.put("/store-scope-policy", {"rules": {"refund": "chain"}}, **ik("p-1"))
    assert changed.status_code == 200
    after = {r["operation"]: r["reach"] for r in changed.json()["rules"]}
    assert after["refund"] == "chain" and after["spend"] == "chain"
    assert after["reissue"] == "home"
    assert StoreScopePolicy.objects.get().rules["refund"] == "chain"
    event = AuditEvent.objects.get(action="store_scope_policy.updated")
    assert (event.before, event.after) == ({"refund": "home"}, {"refund": "chain"})


def test_store_scope_refusals_change_nothing(boss, staff, key_client):
    boss.get("/store-scope-policy")
    before = state()
    for bad in ({"rules": {"card_issue": "chain"}}, {"rules": {"refund": "anywhere"}}, {}):
        response = boss.put("/store-scope-policy", bad, **ik(f"b-{len(str(bad))}"))
        assert response.status_code == 422, bad
        assert error_of(response)["code"] == "invalid_request"
    manager = staff_client(staff[Role.STORE_MANAGER])
    denied = manager.put("/store-scope-policy", {"rules": {"refund": "chain"}}, **ik("m"))
    assert denied.status_code == 403 and error_of(denied)["code"] == "permission_denied"
    assert manager.get("/store-scope-policy").status_code == 403
    no_key = boss.put("/store-scope-policy", {"rules": {"refund": "chain"}})
    assert no_key.status_code == 422 and error_of(no_key)["code"] == "idempotency_key_required"
    assert state() == before


def test_the_documented_operations_are_the_configurable_ones():
    from huiyuan.api.schemas.settings_api import ScopeOperation

    assert set(ScopeOperation.__args__) == {op.value for op in CONFIGURABLE_OPS}


def test_tagging_through_the_member_archive_still_works(boss, two_members, owner):
    """The archive's own ``tags`` list (PATCH /members) and the bulk endpoints agree."""
    here, _ = two_members
    boss.post("/tags", {"name": "高净值"}, **ik("t-1"))
    member_services.member_update(actor=owner, member_id=here.pk, changes={"tags": ["高净值"]})
    assert boss.get("/tags").json()[0]["member_count"] == 1
