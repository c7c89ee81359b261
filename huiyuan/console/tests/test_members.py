"""Member pages: list, search, register, edit, lifecycle, export, dashboard."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.test import Client

from huiyuan.audit.models import AuditEvent
from huiyuan.console.tests.conftest import snapshot
from huiyuan.core.permissions import Role
from huiyuan.members.models import CustomField, Member, Tag

pytestmark = pytest.mark.django_db

VALID = {
    "name": "李小龙",
    "mobile": "13900001111",
    "gender": "M",
    "calendar": "solar",
    "birth_year": "1990",
    "birth_month": "5",
    "birth_day": "20",
    "id_number": "",
    "region": "广东省深圳市",
    "address": "南山区科技园 1 号",
    "occupation": "工程师",
    "preferences": "喜欢喝茶",
    "email": "lxl@example.com",
    "referrer_code": "",
    "consent": "on",
}


# ---------------------------------------------------------------------------- register


def test_register_success(cashier_client: Client, stores) -> None:
    Tag.objects.create(name="VIP")
    response = cashier_client.post("/members/new/", {**VALID, "tags": ["VIP"]})
    assert response.status_code == 302
    member = Member.objects.get()
    assert response["Location"] == f"/members/{member.pk}/"
    assert member.name == "李小龙"
    assert member.mobile == "13900001111"
    assert member.birthday == dt.date(1990, 5, 20)
    assert member.channel == "store"
    assert member.home_store == stores[0]
    assert member.address == "南山区科技园 1 号"
    assert [t.name for t in member.tags.all()] == ["VIP"]
    assert AuditEvent.objects.filter(action="member.registered", member_id=member.pk).count() == 1


def test_register_lunar_birthday(cashier_client: Client) -> None:
    data = {**VALID, "calendar": "lunar", "birth_year": "1990", "birth_month": "8"}
    data["birth_day"] = "15"
    assert cashier_client.post("/members/new/", data).status_code == 302
    member = Member.objects.get()
    assert member.birthday_calendar == "lunar"
    assert (member.lunar_birth_month, member.lunar_birth_day) == (8, 15)
    assert member.birthday == dt.date(1990, 10, 3)


def test_call_center_registers_for_a_chosen_store(client_for, stores) -> None:
    client = client_for(Role.CALL_CENTER)
    page = client.get("/members/new/").content.decode()
    assert 'name="store"' in page
    response = client.post("/members/new/", VALID)
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not Member.objects.exists()
    response = client.post("/members/new/", {**VALID, "store": stores[1].pk})
    assert response.status_code == 302
    member = Member.objects.get()
    assert member.channel == "call_center"
    assert member.home_store == stores[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "这个字段是必填项"),
        ({"mobile": "12345"}, "请输入有效的中国大陆手机号"),
        ({"id_number": "110105194912310021"}, "校验"),
        ({"id_number": "12345"}, "18 位"),
        ({"birth_month": "2", "birth_day": "30"}, "日期不存在"),
        ({"birth_day": ""}, "请填写生日的年、月、日"),
        ({"calendar": "lunar", "birth_month": "2", "birth_day": "30", "lunar_leap": "on"}, "农历"),
        ({"birth_year": "2090"}, "生日必须在 1900 年至今天之间"),
        ({"email": "not-an-email"}, "有效的 Email 地址"),
        ({"referrer_code": "899999999"}, "推荐人不存在"),
        ({"consent": ""}, "这个字段是必填项"),
    ],
)
def test_register_bad_input_is_shown_and_nothing_written(
    cashier_client: Client, stores, change, message
) -> None:
    before = snapshot()
    response = cashier_client.post("/members/new/", {**VALID, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


def test_register_duplicate_mobile_is_refused(cashier_client: Client, make_member) -> None:
    make_member(mobile=VALID["mobile"])
    before = snapshot()
    response = cashier_client.post("/members/new/", VALID)
    assert response.status_code == 200
    assert "该手机号已被其他会员使用" in response.content.decode()
    assert snapshot() == before


def test_register_required_custom_field(cashier_client: Client) -> None:
    CustomField.objects.create(key="plate", label="车牌号", kind="text", required=True)
    CustomField.objects.create(key="pets", label="宠物数", kind="number")
    before = snapshot()
    response = cashier_client.post("/members/new/", {**VALID, "cf_pets": "2"})
    assert response.status_code == 200
    assert "车牌号" in response.content.decode()
    assert snapshot() == before
    response = cashier_client.post("/members/new/", {**VALID, "cf_pets": "2", "cf_plate": "粤B1"})
    assert response.status_code == 302
    assert Member.objects.get().custom_fields == {"plate": "粤B1", "pets": 2}


def test_marketer_cannot_register(client_for) -> None:
    client = client_for(Role.MARKETER)
    assert client.get("/members/new/").status_code == 403
    assert client.post("/members/new/", VALID).status_code == 403
    assert not Member.objects.exists()


# ------------------------------------------------------------------------------- edit


def test_edit_keeps_blank_personal_data_and_records_diff(
    cashier_client: Client, make_member
) -> None:
    member = make_member(region="北京")
    data = {**VALID, "name": "张三", "mobile": "", "region": "上海"}
    del data["consent"]
    response = cashier_client.post(f"/members/{member.pk}/edit/", data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "张三"
    assert member.region == "上海"
    assert member.mobile == "13812345678"
    page = cashier_client.get(f"/members/{member.pk}/").content.decode()
    assert "修改资料" in page
    assert "北京" in page and "上海" in page


# ------------------------------------------------------------------------- member page


def test_member_page_shows_masked_data_and_history(cashier_client: Client, make_member) -> None:
    member = make_member(id_number="11010519491231002X")
    page = cashier_client.get(f"/members/{member.pk}/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert "11010519491231002X" not in page
    assert "登记" in page
    # A cashier has no PII permission: no reveal button.
    assert "显示完整信息" not in page


def test_unknown_member_is_404(cashier_client: Client, stores) -> None:
    assert cashier_client.get("/members/999999/").status_code == 404


def test_reveal_pii_is_audited(client_for, make_member) -> None:
    member = make_member(id_number="11010519491231002X")
    client = client_for(Role.STORE_MANAGER)
    assert "显示完整信息" in client.get(f"/members/{member.pk}/").content.decode()
    response = client.post(f"/members/{member.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "13812345678" in body and "11010519491231002X" in body
    assert AuditEvent.objects.filter(action="member.pii_viewed", member_id=member.pk).count() == 1


def test_reveal_pii_refused_without_permission(cashier_client: Client, make_member) -> None:
    member = make_member()
    before = snapshot()
    response = cashier_client.post(f"/members/{member.pk}/reveal/")
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert snapshot() == before


# -------------------------------------------------------------------------- lifecycle


def test_freeze_via_post(client_for, make_member) -> None:
    member = make_member()
    client = client_for(Role.STORE_MANAGER)
    response = client.post(
        f"/members/{member.pk}/freeze/", {"earning": "on", "spending": "on", "reason": "挂失"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.earn_frozen and member.spend_frozen
    assert member.freeze_reason == "挂失"
    page = client.get(f"/members/{member.pk}/").content.decode()
    assert "会员已冻结" in page
    assert 'data-action="member.frozen"' in page


def test_cashier_gets_403_on_freeze_and_nothing_changes(cashier_client: Client, make_member):
    member = make_member()
    before = snapshot()
    response = cashier_client.post(
        f"/members/{member.pk}/freeze/", {"earning": "on", "reason": "试试"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_freeze_without_reason_or_choice_writes_nothing(client_for, make_member) -> None:
    member = make_member()
    client = client_for(Role.STORE_MANAGER)
    before = snapshot()
    response = client.post(f"/members/{member.pk}/freeze/", {"earning": "on"}, follow=True)
    assert "这个字段是必填项" in response.content.decode()
    response = client.post(f"/members/{member.pk}/freeze/", {"reason": "x"}, follow=True)
    assert "请选择冻结内容" in response.content.decode()
    assert snapshot() == before


def test_manager_of_another_store_is_refused(client_for, make_member, stores, actors) -> None:
    member = make_member(actor=actors[Role.OWNER], store_id=stores[1].pk)
    before = snapshot()
    response = client_for(Role.STORE_MANAGER).post(f"/members/{member.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 403
    assert snapshot() == before


def test_unfreeze_cancel_restore_terminate(owner_client: Client, make_member) -> None:
    member = make_member()
    url = f"/members/{member.pk}"
    owner_client.post(f"{url}/freeze/", {"earning": "on", "reason": "a"})
    owner_client.post(f"{url}/unfreeze/", {"earning": "on", "reason": "b"})
    member.refresh_from_db()
    assert not member.is_frozen
    owner_client.post(f"{url}/cancel/", {"reason": "c"})
    member.refresh_from_db()
    assert member.status == "cancelled"
    owner_client.post(f"{url}/restore/", {"reason": "d"})
    member.refresh_from_db()
    assert member.status == "active"
    owner_client.post(f"{url}/terminate/", {"reason": "e"})
    member.refresh_from_db()
    assert member.status == "terminated"
    # A terminated member cannot be restored; the refusal is a message, nothing changes.
    before = snapshot()
    response = owner_client.post(f"{url}/restore/", {"reason": "f"}, follow=True)
    assert "只有已注销的会员才能恢复" in response.content.decode()
    assert snapshot() == before
    actions = list(
        AuditEvent.objects.filter(member_id=member.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "member.registered",
        "member.frozen",
        "member.unfrozen",
        "member.cancelled",
        "member.restored",
        "member.terminated",
    ]


def test_merge(owner_client: Client, make_member) -> None:
    survivor = make_member()
    duplicate = make_member(name="张三丰", mobile="13800000000", occupation="教师")
    response = owner_client.post(
        f"/members/{survivor.pk}/merge/",
        {"duplicate_code": duplicate.code, "reason": "重复登记", "confirm": "on"},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert duplicate.status == "merged"
    assert duplicate.merged_into == survivor
    assert survivor.occupation == "教师"


def test_merge_unknown_number_writes_nothing(owner_client: Client, make_member) -> None:
    survivor = make_member()
    before = snapshot()
    response = owner_client.post(
        f"/members/{survivor.pk}/merge/",
        {"duplicate_code": "812345678", "reason": "x", "confirm": "on"},
        follow=True,
    )
    assert "没有会员号为 812345678 的会员" in response.content.decode()
    assert snapshot() == before


# --------------------------------------------------------------------- list and search


def test_member_list_filters_and_paginates(cashier_client: Client, make_member, stores) -> None:
    tag = Tag.objects.create(name="VIP")
    first = make_member(name="王小明", mobile="13700000001", tags=["VIP"])
    for i in range(30):
        make_member(name=f"测试{i}", mobile=f"1360000{i:04d}")
    page = cashier_client.get("/members/").content.decode()
    assert "1–25" in page
    page = cashier_client.get("/members/?page=2").content.decode()
    assert "26–31" in page
    page = cashier_client.get(f"/members/?tag={tag.pk}").content.decode()
    assert first.code in page
    assert "测试1" not in page
    page = cashier_client.get("/members/?q=wxm").content.decode()
    assert first.code in page
    page = cashier_client.get("/members/?q=测试99").content.decode()
    assert "没有符合条件的会员" in page


def test_member_list_and_export_cover_only_the_cashiers_stores(
    cashier_client: Client, make_member, stores, owner, staff
) -> None:
    """Store scope: S02's member is neither listed, filterable nor exported at S01; found
    only by the full mobile, and then masked."""
    ours = make_member(name="王小明", mobile="13700000001")
    theirs = make_member(name="李四光", mobile="13900001111", actor=owner, store_id=stores[1].pk)
    page = cashier_client.get("/members/").content.decode()
    assert ours.code in page and theirs.code not in page
    page = cashier_client.get(f"/members/?store={stores[1].pk}").content.decode()
    assert theirs.code not in page
    assert f'<option value="{stores[1].pk}"' not in page  # not offered as a filter
    page = cashier_client.get("/members/?q=lsg").content.decode()
    assert theirs.code not in page
    page = cashier_client.get("/members/?q=13900001111").content.decode()
    assert theirs.code in page and "李*光" in page and "李四光" not in page
    cashier_client.force_login(staff[Role.STORE_MANAGER])

    def exported(query: str) -> list[str]:
        export = cashier_client.get(f"/members/export.xlsx{query}")
        book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
        return [row[0] for row in list(book.active.values)[1:]]

    assert exported("?q=13900001111") == []
    assert exported("") == [ours.code]


def test_search_partial(cashier_client: Client, make_member) -> None:
    member = make_member(name="张三丰")
    make_member(name="李四", mobile="13911112222")
    response = cashier_client.post("/members/search/", {"q": "zs"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert member.code in body
    assert "李四" not in body
    body = cashier_client.post("/members/search/", {"q": "ls9"}).content.decode()
    assert "没有找到" in body


def test_enter_on_exact_mobile_or_card_number_jumps_to_member(
    cashier_client: Client, make_member
) -> None:
    member = make_member()
    for q in ("13812345678", member.code):
        response = cashier_client.post("/members/go/", {"q": q})
        assert response["Location"] == f"/members/{member.pk}/"
    response = cashier_client.post("/members/go/", {"q": "13000000000"})
    assert response["Location"] == "/members/?q=13000000000"


def test_search_and_go_take_the_query_by_post_only(cashier_client: Client, make_member) -> None:
    """A mobile typed into the search box must not travel in a URL (access logs)."""
    make_member()
    for url in ("/members/search/", "/members/go/"):
        assert cashier_client.get(url, {"q": "13812345678"}).status_code == 405


# ----------------------------------------------------------------------------- export


def test_export_is_a_valid_masked_xlsx(client_for, make_member) -> None:
    make_member(name="王小明", mobile="13700000001", id_number="11010519491231002X")
    make_member(name="李四", mobile="13911112222")
    response = client_for(Role.MARKETER).get("/members/export.xlsx?q=wxm")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("会员号", "姓名", "性别", "手机号")
    assert len(rows) == 2
    assert rows[1][1] == "王小明"
    assert rows[1][3] == "137****0001"
    assert rows[1][6] == "110***********002X"


def test_cashier_cannot_export(cashier_client: Client, make_member) -> None:
    make_member()
    assert cashier_client.get("/members/export.xlsx").status_code == 403


# -------------------------------------------------------------------------- dashboard


def test_dashboard_numbers(client_for, make_member, actors) -> None:
    make_member()
    frozen = make_member(name="李四", mobile="13911112222")
    from huiyuan.members import services

    services.member_freeze(
        actor=actors[Role.OWNER], member_id=frozen.pk, earning=True, spending=False, reason="x"
    )
    page = client_for(Role.OWNER).get("/").content.decode()
    assert 'data-stat="total">2<' in page
    assert 'data-stat="today">2<' in page
    assert 'data-stat="this_month">2<' in page
    assert 'data-stat="frozen">1<' in page
    assert "旗舰店" in page
    response = client_for(Role.OWNER).get("/")
    assert response.context["chart"]["channels"] == [{"name": "门店柜台", "value": 2}]
    assert response.context["chart"]["joined"][-1] == 2


def test_dashboard_requires_permission(client: Client, staff) -> None:
    # Every role holds dashboard.view; an anonymous visitor is sent to the login page.
    assert client.get("/").status_code == 302


def test_member_list_shows_tier_stored_value_and_points_and_filters_them(
    cashier_client: Client, make_member, cashier, owner
) -> None:
    from huiyuan.ledger.tests.factories import card, key
    from huiyuan.members import services
    from huiyuan.points.services import points_adjust
    from huiyuan.tiers.models import Tier
    from huiyuan.tiers.services import tier_create, tier_move
    from huiyuan.wallet.services import wallet_recharge

    tier_create(actor=owner, code="base", name="普通会员", level=1)
    gold = tier_create(actor=owner, code="gold", name="金卡", level=2, threshold=100_000)
    rich = make_member(name="王小明", mobile="13700000001")
    plain = make_member(name="李小红", mobile="13700000002")
    frozen = make_member(name="赵冻结", mobile="13700000003")
    c = card(cashier, owner, holder=rich)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=12_345, method="cash", idempotency_key=key()
    )
    points_adjust(actor=owner, card_id=c.pk, delta=1_234, reason="开卡礼", idempotency_key=key())
    tier_move(actor=owner, member_id=rich.pk, tier_id=gold.pk, reason="升级")
    services.member_freeze(
        actor=owner, member_id=frozen.pk, earning=False, spending=True, reason="争议"
    )

    page = cashier_client.get("/members/").content.decode()
    row = page[page.index(rich.code) :].split("</tr>")[0]
    assert "金卡" in row, row
    assert "¥123.45" in row and ">1234<" in row, row
    other = page[page.index(plain.code) :].split("</tr>")[0]
    assert 'data-testid="member-stored"' in other and "¥" not in other  # no card: a dash
    assert "普通会员" in other  # never moved: the lowest tier

    page = cashier_client.get(f"/members/?tier={gold.pk}").content.decode()
    assert rich.code in page and plain.code not in page and frozen.code not in page
    base = Tier.objects.get(code="base")
    page = cashier_client.get(f"/members/?tier={base.pk}").content.decode()
    assert plain.code in page and frozen.code in page and rich.code not in page
    page = cashier_client.get("/members/?status=frozen").content.decode()
    assert frozen.code in page and rich.code not in page and plain.code not in page
    assert "已冻结（积分或消费）" in page  # the status filter offers it in words


def test_registration_shows_every_mistake_at_once_and_keeps_what_was_typed(
    cashier_client: Client, make_member
) -> None:
    page = cashier_client.get("/members/new/").content.decode()
    assert re.search(r'name="name"[^>]*autofocus', page)  # 姓名 first
    before = Member.objects.count()
    html = cashier_client.post(
        "/members/new/",
        {
            "name": "王五",
            "mobile": "1234",
            "id_number": "110101199003071235",  # a wrong check digit
            "birth_year": "1990",
            "birth_month": "2",
            "birth_day": "30",
            "calendar": "solar",
            "consent": "on",
        },
    ).content.decode()
    assert "请输入有效的中国大陆手机号（以 1 开头的 11 位数字）。" in html
    assert "身份证号校验位不正确，请核对。" in html
    assert "该日期不存在。" in html
    assert 'value="王五"' in html and 'value="1234"' in html
    assert Member.objects.count() == before

    existing = make_member(name="张三丰", mobile="13812345678")
    html = cashier_client.post(
        "/members/new/", {"name": "张三", "mobile": "138 1234 5678", "consent": "on"}
    ).content.decode()
    assert 'data-testid="duplicate-member"' in html
    assert f'href="/members/{existing.pk}/"' in html and existing.code in html
    assert Member.objects.count() == before + 1
