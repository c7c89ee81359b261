"""Member endpoints: exact values on success; on every refusal the specific code and no change."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.api.tests.conftest import error_of, snapshot, translated
from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.members import services
from huiyuan.members.models import CustomField, Member, Tag
from huiyuan.stores.models import Store

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def cashier_api(as_staff):
    return as_staff(Role.CASHIER)


@pytest.fixture
def owner_api(as_staff):
    return as_staff(Role.OWNER)


@pytest.fixture
def vip(owner):
    return services.tag_create(actor=owner, name="VIP")


@pytest.fixture
def plate(owner):
    return services.custom_field_create(actor=owner, key="plate", label="车牌号", kind="text")


# ------------------------------------------------------------------------ create


def test_create_with_every_field(cashier_api, stores, staff, vip, plate, make_member):
    referrer = make_member(name="王五", mobile="13700000000")
    response = cashier_api.post(
        "/members",
        {
            "name": "  张三丰 ",
            "mobile": "+86 138-1234-5678",
            "gender": "M",
            "lunar_birthday": {"year": 1990, "month": 8, "day": 15},
            "id_number": ID_NUMBER,
            "region": "北京市朝阳区",
            "address": "建国路1号",
            "occupation": "教师",
            "preferences": "喜欢茶",
            "email": "zsf@example.com",
            "custom_fields": {"plate": "京A12345"},
            "tags": ["VIP"],
            "referrer_code": referrer.code,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert body == {
        "id": member.pk,
        "code": member.code,
        "name": "张三丰",
        "gender": "M",
        "mobile_masked": "138****5678",
        "status": "active",
        "earn_frozen": False,
        "spend_frozen": False,
        "channel": "store",
        "home_store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "joined_at": body["joined_at"],
        "birthday": "1990-10-03",
        "birthday_calendar": "lunar",
        "lunar_birthday": {"month": 8, "day": 15, "leap": False},
        "id_number_masked": "110***********002X",
        "address_masked": "****",
        "region": "北京市朝阳区",
        "occupation": "教师",
        "preferences": "喜欢茶",
        "email": "zsf@example.com",
        "custom_fields": {"plate": "京A12345"},
        "tags": ["VIP"],
        "referrer_code": referrer.code,
        "merged_into_code": None,
        "freeze_reason": "",
        "last_activity_at": body["last_activity_at"],
        "updated_at": body["updated_at"],
    }
    # Times leave in UTC with millisecond precision.
    joined = member.joined_at.replace(microsecond=member.joined_at.microsecond // 1000 * 1000)
    assert dt.datetime.fromisoformat(body["joined_at"]) == joined
    assert member.mobile == "13812345678"
    assert member.id_number == ID_NUMBER
    assert member.address == "建国路1号"
    assert member.registered_by == staff[Role.CASHIER]
    raw = response.content.decode()
    assert "13812345678" not in raw and ID_NUMBER not in raw and "建国路" not in raw
    event = AuditEvent.objects.get(action="member.registered", member_id=member.pk)
    assert event.actor == staff[Role.CASHIER]
    assert event.store_id == stores[0].pk


def test_minimal_create_defaults(cashier_api, stores):
    response = cashier_api.post("/members", {"name": "李四", "mobile": "13900001111"})
    assert response.status_code == 201
    body = response.json()
    assert (body["gender"], body["birthday"], body["lunar_birthday"]) == ("U", None, None)
    assert (body["id_number_masked"], body["address_masked"], body["tags"]) == ("", "", [])
    assert body["home_store"]["id"] == stores[0].pk


@pytest.mark.parametrize(
    "role,channel", [(Role.CASHIER, "store"), (Role.CALL_CENTER, "call_center")]
)
def test_channel_follows_the_caller(as_staff, stores, role, channel):
    response = as_staff(role).post(
        "/members", {"name": "李四", "mobile": "13900001111", "store_id": stores[0].pk}
    )
    assert response.status_code == 201
    assert response.json()["channel"] == channel


def test_terminal_key_registers_through_api_channel(pos, stores, terminal):
    response = pos.post("/members", {"name": "李四", "mobile": "13900001111"})
    assert response.status_code == 201
    member = Member.objects.get()
    assert (member.channel, member.home_store_id, member.registered_by) == (
        "api",
        stores[0].pk,
        None,
    )
    event = AuditEvent.objects.get(action="member.registered")
    assert (event.terminal, event.actor_label) == (terminal, "terminal:POS-01")


def test_owner_registers_at_a_chosen_store(owner_api, stores):
    response = owner_api.post(
        "/members", {"name": "李四", "mobile": "13900001111", "store_id": stores[1].pk}
    )
    assert response.status_code == 201
    assert response.json()["home_store"] == {"id": stores[1].pk, "code": "S02", "name": "东城店"}


def _inactive_store() -> int:
    return Store.objects.create(code="S09", name="已关店", is_active=False).pk


@pytest.mark.parametrize(
    "body,status,code,field",
    [
        ({"mobile": "12345"}, 422, "invalid_mobile", "mobile"),
        ({"id_number": "110105194912310021"}, 422, "invalid_id_checksum", "id_number"),
        ({"id_number": "11010519491331002X"}, 422, "invalid_id_number", "id_number"),
        ({"name": "   "}, 422, "name_required", "name"),
        ({"store_id": 999999}, 404, "unknown_store", "store_id"),
        ({"store_id": "inactive"}, 404, "unknown_store", "store_id"),
        ({"birthday": "2999-01-01"}, 422, "invalid_birthday", "birthday"),
        (
            {"lunar_birthday": {"year": 2024, "month": 2, "day": 1, "leap": True}},
            422,
            "invalid_lunar_date",
            None,
        ),
        ({"tags": ["不存在"]}, 422, "unknown_tag", "tags"),
        ({"custom_fields": {"nope": "1"}}, 422, "unknown_custom_field", "custom_fields"),
        ({"referrer_code": "8000000000"}, 404, "unknown_referrer", "referrer_code"),
        ({"consent": False}, 422, "consent_required", "consent"),
        # Schema limits and types: refused before any service runs.
        ({"name": "张" * 51}, 422, "invalid_request", "name"),
        ({"address": "路" * 201}, 422, "invalid_request", "address"),
        ({"preferences": "x" * 1001}, 422, "invalid_request", "preferences"),
        ({"tags": ["t"] * 51}, 422, "invalid_request", "tags"),
        ({"custom_fields": {f"k{i}": "v" for i in range(51)}}, 422, "invalid_request", None),
        ({"name": 123}, 422, "invalid_request", "name"),
        ({"mobile": ["13812345678"]}, 422, "invalid_request", "mobile"),
        ({"store_id": "abc"}, 422, "invalid_request", "store_id"),
        ({"store_id": 2**70}, 422, "invalid_request", "store_id"),
        ({"gender": "X"}, 422, "invalid_request", "gender"),
        ({"tags": "VIP"}, 422, "invalid_request", "tags"),
        ({"lunar_birthday": {"year": 1990, "month": 13, "day": 1}}, 422, "invalid_request", None),
        ({"birthday": "1990-02-30"}, 422, "invalid_request", "birthday"),
        ({"name": "张\x00三"}, 422, "invalid_request", "name"),
        ({"unexpected": 1}, 422, "invalid_request", "unexpected"),
    ],
)
def test_bad_create_is_refused_and_writes_nothing(cashier_api, vip, body, status, code, field):
    payload = {"name": "李四", "mobile": "13900001111", **body}
    if payload.get("store_id") == "inactive":
        payload["store_id"] = _inactive_store()
    before = snapshot()
    response = cashier_api.post("/members", payload)
    assert response.status_code == status, response.content
    error = error_of(response)
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    assert snapshot() == before


def test_missing_required_fields(cashier_api):
    before = snapshot()
    response = cashier_api.post("/members", {})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert sorted(d["loc"][-1] for d in error["details"]) == ["mobile", "name"]
    assert snapshot() == before


def test_duplicate_mobile_is_a_conflict(cashier_api, make_member):
    make_member(mobile="13900001111")
    before = snapshot()
    response = cashier_api.post("/members", {"name": "李四", "mobile": "139 0000 1111"})
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "duplicate_mobile",
        "message": translated("This mobile number already belongs to a member."),
        "field": "mobile",
    }
    assert snapshot() == before


def test_terminal_key_cannot_register_at_another_store(pos, stores):
    before = snapshot()
    response = pos.post(
        "/members", {"name": "李四", "mobile": "13900001111", "store_id": stores[1].pk}
    )
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "store_forbidden",
        "message": translated("This store is outside your scope."),
        "details": {"store_id": stores[1].pk},
    }
    assert snapshot() == before


# -------------------------------------------------------------------------- read


def test_get_by_id_and_by_code(cashier_api, make_member, vip, owner):
    member = make_member(id_number=ID_NUMBER, address="建国路1号", tags=["VIP"])
    by_id = cashier_api.get(f"/members/{member.pk}")
    by_code = cashier_api.get(f"/members/by-code/{member.code}")
    assert by_id.status_code == by_code.status_code == 200
    assert by_id.json() == by_code.json()
    body = by_id.json()
    assert (body["code"], body["name"], body["tags"]) == (member.code, "张三丰", ["VIP"])
    assert (body["mobile_masked"], body["id_number_masked"]) == (
        "138****5678",
        "110***********002X",
    )
    raw = by_id.content.decode()
    assert "13812345678" not in raw and ID_NUMBER not in raw


@pytest.mark.parametrize(
    "path,status,code",
    [
        ("/members/999999", 404, "member_not_found"),
        ("/members/by-code/8999999999", 404, "member_not_found"),
        ("/members/by-code/abc-def", 422, "invalid_request"),
        ("/members/0", 422, "invalid_request"),
        (f"/members/{2**64}", 422, "invalid_request"),
        ("/members/999999/history", 404, "member_not_found"),
    ],
)
def test_unknown_member(cashier_api, path, status, code):
    response = cashier_api.get(path)
    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_merged_code_is_not_found(owner_api, owner, make_member):
    survivor = make_member()
    duplicate = make_member(name="张三", mobile="13900001111")
    services.member_merge(
        actor=owner, survivor_id=survivor.pk, duplicate_id=duplicate.pk, reason="重复"
    )
    assert owner_api.get(f"/members/by-code/{duplicate.code}").status_code == 404


def test_list_searches_and_filters(owner_api, cashier_api, make_member, stores, vip, owner):
    zhang = make_member(name="张三丰", mobile="13812345678", id_number=ID_NUMBER, tags=["VIP"])
    li = make_member(name="李四", mobile="13900001111", store=stores[1])
    services.member_cancel(actor=owner, member_id=li.pk, reason="本人申请")

    def codes(query: str, api=owner_api) -> list[str]:
        response = api.get(f"/members{query}")
        assert response.status_code == 200, response.content
        return [m["code"] for m in response.json()["items"]]

    assert codes("") == [li.code, zhang.code]
    # A cashier of S01 lists S01's members; S02's only by an exact key, and masked.
    assert codes("", cashier_api) == [zhang.code]
    assert codes("?q=ls", cashier_api) == codes("?status=cancelled", cashier_api) == []
    found = cashier_api.get("/members?q=13900001111").json()["items"]
    assert [(m["code"], m["name"], m["mobile_masked"]) for m in found] == [
        (li.code, "李*", "139****1111")
    ]
    response = cashier_api.get(f"/members?store_id={stores[1].pk}")
    assert response.status_code == 403
    assert error_of(response)["code"] == "store_forbidden"
    assert codes("?q=13812345678") == [zhang.code]
    assert codes("?q=5678") == [zhang.code]
    assert codes(f"?q={zhang.code}") == [zhang.code]
    assert codes("?q=张三") == [zhang.code]
    assert codes("?q=zsf") == [zhang.code]
    assert codes("?q=ls") == [li.code]
    assert codes(f"?q={ID_NUMBER}") == [zhang.code]
    assert codes(f"?store_id={stores[1].pk}") == [li.code]
    assert codes("?status=cancelled") == [li.code]
    assert codes("?tag=VIP") == [zhang.code]
    assert codes("?tag=nobody") == []
    page = owner_api.get("/members?limit=1&offset=1").json()
    assert (page["count"], page["limit"], page["offset"]) == (2, 1, 1)
    assert [m["code"] for m in page["items"]] == [zhang.code]
    assert page["items"][0] == {
        "id": zhang.pk,
        "code": zhang.code,
        "name": "张三丰",
        "gender": "U",
        "mobile_masked": "138****5678",
        "status": "active",
        "earn_frozen": False,
        "spend_frozen": False,
        "channel": "store",
        "home_store": {"id": stores[0].pk, "code": "S01", "name": "旗舰店"},
        "joined_at": page["items"][0]["joined_at"],
    }


@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=101", "?offset=-1", "?status=gone", "?q=" + "x" * 51, "?store_id=x"],
)
def test_list_rejects_bad_query(cashier_api, query):
    response = cashier_api.get(f"/members{query}")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


def test_list_query_count_does_not_grow_with_members(
    cashier_api, make_member, django_assert_max_num_queries
):
    for i in range(5):
        make_member(name=f"会员{i}", mobile=f"1390000{i:04d}")
    with django_assert_max_num_queries(8):
        response = cashier_api.get("/members?limit=50")
    assert len(response.json()["items"]) == 5


def test_history_lists_the_audit_trail(owner_api, make_member, owner):
    member = make_member()
    services.member_freeze(
        actor=owner, member_id=member.pk, earning=True, spending=False, reason="核查"
    )
    response = owner_api.get(f"/members/{member.pk}/history")
    assert response.status_code == 200
    events = response.json()
    assert [e["action"] for e in events] == ["member.frozen", "member.registered"]
    assert events[0]["before"] == {"earn_frozen": False}
    assert events[0]["after"] == {"earn_frozen": True}
    assert (events[0]["note"], events[0]["actor_label"], events[0]["member_id"]) == (
        "核查",
        "owner",
        member.pk,
    )
    assert "13812345678" not in response.content.decode()


# ------------------------------------------------------------------------- edit


def test_patch_changes_only_the_fields_sent(cashier_api, make_member, vip):
    member = make_member(occupation="教师", region="北京")
    response = cashier_api.patch(
        f"/members/{member.pk}", {"mobile": "13900001111", "tags": ["VIP"], "region": None}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["mobile_masked"], body["tags"], body["region"]) == ("139****1111", ["VIP"], "")
    assert (body["occupation"], body["name"]) == ("教师", "张三丰")
    member.refresh_from_db()
    assert member.mobile == "13900001111"
    event = AuditEvent.objects.get(action="member.updated")
    assert event.before == {"mobile": "138****5678", "region": "北京", "tags": []}
    assert event.after == {"mobile": "139****1111", "region": "", "tags": ["VIP"]}


def test_patch_lunar_birthday_and_clear_id_number(cashier_api, make_member):
    member = make_member(id_number=ID_NUMBER)
    response = cashier_api.patch(
        f"/members/{member.pk}",
        {"lunar_birthday": {"year": 1990, "month": 8, "day": 15}, "id_number": None},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["birthday"], body["lunar_birthday"]) == (
        "1990-10-03",
        {"month": 8, "day": 15, "leap": False},
    )
    assert body["id_number_masked"] == ""


def test_empty_patch_changes_nothing(cashier_api, make_member):
    member = make_member()

    def state():
        rows, audits = snapshot()
        return [{k: v for k, v in r.items() if k != "updated_at"} for r in rows], audits

    before = state()
    response = cashier_api.patch(f"/members/{member.pk}", {})
    assert response.status_code == 200
    assert state() == before


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"mobile": "12345"}, 422, "invalid_mobile"),
        ({"mobile": "13700000000"}, 409, "duplicate_mobile"),
        ({"id_number": "110105194912310021"}, 422, "invalid_id_checksum"),
        ({"name": ""}, 422, "name_required"),
        ({"tags": ["不存在"]}, 422, "unknown_tag"),
        ({"name": None}, 422, "invalid_request"),
        ({"mobile": None}, 422, "invalid_request"),
        ({"name": "张" * 51}, 422, "invalid_request"),
        ({"status": "terminated"}, 422, "invalid_request"),
        ({"home_store_id": 2}, 422, "invalid_request"),
        ({"email": 5}, 422, "invalid_request"),
    ],
)
def test_bad_patch_is_refused_and_writes_nothing(cashier_api, make_member, body, status, code):
    member = make_member()
    make_member(name="王五", mobile="13700000000")
    before = snapshot()
    response = cashier_api.patch(f"/members/{member.pk}", body)
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code
    assert snapshot() == before


def test_patch_a_member_of_another_store_is_forbidden(cashier_api, make_member, stores):
    member = make_member(store=stores[1])
    before = snapshot()
    response = cashier_api.patch(f"/members/{member.pk}", {"name": "改名"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "store_forbidden"
    assert snapshot() == before


# -------------------------------------------------------------------- lifecycle


def test_freeze_and_unfreeze(owner_api, make_member):
    member = make_member()
    frozen = owner_api.post(
        f"/members/{member.pk}/freeze", {"earning": False, "spending": True, "reason": "挂失"}
    )
    assert frozen.status_code == 200
    body = frozen.json()
    assert (body["earn_frozen"], body["spend_frozen"], body["freeze_reason"]) == (
        False,
        True,
        "挂失",
    )
    thawed = owner_api.post(f"/members/{member.pk}/unfreeze", {"reason": "找回"})
    assert thawed.status_code == 200
    assert (thawed.json()["spend_frozen"], thawed.json()["freeze_reason"]) == (False, "")
    assert list(
        AuditEvent.objects.filter(member_id=member.pk).order_by("id").values_list("action", "note")
    ) == [
        ("member.registered", str(Member.Channel.STORE.label)),
        ("member.frozen", "挂失"),
        ("member.unfrozen", "找回"),
    ]


def test_cancel_restore_terminate(owner_api, make_member):
    member = make_member()
    assert (
        owner_api.post(f"/members/{member.pk}/cancel", {"reason": "本人申请"}).json()["status"]
        == "cancelled"
    )
    assert (
        owner_api.post(f"/members/{member.pk}/restore", {"reason": "撤销"}).json()["status"]
        == "active"
    )
    assert (
        owner_api.post(f"/members/{member.pk}/terminate", {"reason": "长期未消费"}).json()["status"]
        == "terminated"
    )
    member.refresh_from_db()
    assert member.status == "terminated"


@pytest.mark.parametrize(
    "path,body,status,code",
    [
        ("freeze", {"reason": ""}, 422, "reason_required"),
        ("freeze", {"earning": False, "spending": False, "reason": "x"}, 422, "nothing_to_freeze"),
        ("unfreeze", {"reason": "x"}, 409, "not_frozen"),
        ("restore", {"reason": "x"}, 409, "member_not_cancelled"),
        ("cancel", {"reason": "x" * 201}, 422, "invalid_request"),
        ("cancel", {}, 422, "invalid_request"),
        ("terminate", {"reason": 5}, 422, "invalid_request"),
        ("freeze", {"earning": "maybe", "reason": "x"}, 422, "invalid_request"),
    ],
)
def test_bad_lifecycle_is_refused_and_writes_nothing(
    owner_api, make_member, path, body, status, code
):
    member = make_member()
    before = snapshot()
    response = owner_api.post(f"/members/{member.pk}/{path}", body)
    assert response.status_code == status, response.content
    assert error_of(response)["code"] == code
    assert snapshot() == before


def test_merge(owner_api, make_member, vip):
    survivor = make_member()
    duplicate = make_member(name="张三", mobile="13900001111", tags=["VIP"], occupation="医生")
    response = owner_api.post(
        f"/members/{survivor.pk}/merge", {"duplicate_id": duplicate.pk, "reason": "同一人"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["tags"], body["occupation"]) == (survivor.pk, ["VIP"], "医生")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", survivor.pk)
    dup = owner_api.get(f"/members/{duplicate.pk}").json()
    assert (dup["status"], dup["merged_into_code"]) == ("merged", survivor.code)


@pytest.mark.parametrize(
    "duplicate,status,code",
    [
        ("self", 422, "merge_same_member"),
        (999999, 404, "member_not_found"),
        (0, 422, "invalid_request"),
    ],
)
def test_bad_merge_is_refused(owner_api, make_member, duplicate, status, code):
    survivor = make_member()
    before = snapshot()
    response = owner_api.post(
        f"/members/{survivor.pk}/merge",
        {"duplicate_id": survivor.pk if duplicate == "self" else duplicate, "reason": "x"},
    )
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert snapshot() == before


def test_reveal_returns_plaintext_and_is_audited(as_staff, make_member, staff):
    member = make_member(id_number=ID_NUMBER, address="建国路1号")
    response = as_staff(Role.STORE_MANAGER).post(f"/members/{member.pk}/reveal")
    assert response.status_code == 200
    assert response.json() == {
        "mobile": "13812345678",
        "id_number": ID_NUMBER,
        "address": "建国路1号",
    }
    event = AuditEvent.objects.get(action="member.pii_viewed")
    assert (event.member_id, event.actor) == (member.pk, staff[Role.STORE_MANAGER])


def test_custom_field_values_are_typed(cashier_api, owner):
    services.custom_field_create(actor=owner, key="pets", label="宠物数", kind="number")
    response = cashier_api.post(
        "/members", {"name": "李四", "mobile": "13900001111", "custom_fields": {"pets": "2"}}
    )
    assert response.status_code == 201
    assert response.json()["custom_fields"] == {"pets": 2}
    assert CustomField.objects.count() == 1 and Tag.objects.count() == 0
