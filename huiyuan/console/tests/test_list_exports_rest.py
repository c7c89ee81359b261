"""Excel export of the remaining list pages (issue 13 §5): the audit log, the referral
commissions and payouts, a segment's members, card types, tiers and recharge packages.
Each page shows the button; each export is the page's rows with Chinese column titles,
exact cell values, and the page's store scope (a store manager sees only their store's
rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.console.tests.test_list_exports_more import _rows  # the one xlsx reader
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import member
from huiyuan.referrals.models import ReferralCommission
from huiyuan.segments.services import segment_create
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.services import recharge_package_create

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDIT_TITLES = ("时间", "会员号", "操作人", "门店", "操作", "对象")
COMMISSION_TITLES = (
    "时间",
    "佣金给",
    "会员号",
    "层级",
    "被推荐人",
    "实收",
    "佣金",
    "状态",
    "解冻日期",
)


def _shows_button(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    assert 'data-testid="export-xlsx"' in html
    assert "导出 Excel" in html


@pytest.mark.parametrize(
    ("name", "titles"),
    [("console:audit", AUDIT_TITLES), ("console:referrals", COMMISSION_TITLES)],
)
def test_each_page_shows_the_button_and_exports_its_titles(owner_client, name, titles):
    url = reverse(name)
    _shows_button(owner_client, url)
    assert _rows(owner_client, url)[0] == titles


def _moment(hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hour, 30, tzinfo=dt.UTC)


def test_audit_log_export_has_exact_cells_and_the_managers_store_only(
    stores, staff, cashier, client_for
):
    someone = member(cashier, name="李雷")
    mine = AuditEvent.objects.create(
        created_at=_moment(2),
        actor=staff[Role.STORE_MANAGER],
        actor_label="manager",
        store=stores[0],
        action="member.registered",
        subject_type="member",
        subject_id=str(someone.pk),
        member_id=someone.pk,
        before={"mobile": "13800000000"},
    )
    theirs = AuditEvent.objects.create(
        created_at=_moment(3),
        actor_label="system",
        store=stores[1],
        action="store.created",
        subject_type="store",
        subject_id=str(stores[1].pk),
    )
    url = reverse("console:audit")

    everything = _rows(client_for(Role.OWNER), url)
    by_time = {r[0]: r for r in everything[1:]}
    assert by_time[dt.datetime(2026, 3, 1, 10, 30)] == (
        dt.datetime(2026, 3, 1, 10, 30),
        someone.code,
        "manager",
        "旗舰店",
        "会员注册",
        f"会员 #{someone.pk}",
    )
    assert by_time[dt.datetime(2026, 3, 1, 11, 30)] == (
        dt.datetime(2026, 3, 1, 11, 30),
        None,
        "系统",
        "东城店",
        "新建门店",
        f"门店 #{stores[1].pk}",
    )
    cells = " ".join(str(c) for r in everything for c in r)
    assert "13800000000" not in cells

    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert scoped[0] == AUDIT_TITLES
    assert {r[3] for r in scoped[1:]} == {"旗舰店"}
    times = [r[0] for r in scoped[1:]]
    assert dt.datetime(2026, 3, 1, 10, 30) in times
    assert dt.datetime(2026, 3, 1, 11, 30) not in times
    assert mine.store_id != theirs.store_id


def test_referral_commissions_export_money_in_yuan_and_the_managers_store(
    stores, cashier, client_for
):
    upline = member(cashier, name="甲")
    referee = member(cashier, name="乙")

    def make(store_index: int, amount_fen: int, hour: int) -> ReferralCommission:
        return ReferralCommission.objects.create(
            beneficiary=upline,
            referee=referee,
            level=1,
            sale_id=1000 + hour,
            store_id=stores[store_index].pk,
            base_fen=amount_fen * 20,
            rate_bp=500,
            amount_fen=amount_fen,
            status=ReferralCommission.Status.HELD,
            release_on=dt.date(2026, 3, 8),
            created_at=_moment(hour),
        )

    mine = make(0, 1_234, 2)
    theirs = make(1, 500, 3)
    url = reverse("console:referrals")

    everything = _rows(client_for(Role.OWNER), url)
    assert everything[1:] == [
        (
            dt.datetime(2026, 3, 1, 11, 30),
            "甲",
            upline.code,
            1,
            "乙",
            100,
            5,
            "冻结中",
            dt.datetime(2026, 3, 8, 0, 0),
        ),
        (
            dt.datetime(2026, 3, 1, 10, 30),
            "甲",
            upline.code,
            1,
            "乙",
            246.8,
            12.34,
            "冻结中",
            dt.datetime(2026, 3, 8, 0, 0),
        ),
    ]
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert [r[6] for r in scoped[1:]] == [12.34]
    ReferralCommission.objects.filter(pk=theirs.pk).update(status="released")
    held = _rows(client_for(Role.OWNER), url, status="held")
    assert [r[6] for r in held[1:]] == [12.34]
    assert mine.pk != theirs.pk
    assert timezone.is_aware(mine.created_at)


def test_segment_members_export_masks_mobiles(owner, cashier, owner_client):
    someone = member(cashier, name="韩梅梅")
    segment = segment_create(actor=owner, name="全部会员", definition={})
    url = reverse("console:segment_detail", args=[segment.pk])
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == (
        "会员号",
        "姓名",
        "手机号",
        "开卡门店",
        "RFM 分类",
        "最近消费",
        "累计消费",
        "流失风险",
        "预测价值",
    )
    assert rows[1:] == [
        (someone.code, "韩梅梅", someone.mobile_masked, "旗舰店", None, None, None, None, None)
    ]
    assert "****" in someone.mobile_masked
    cells = " ".join(str(c) for r in rows for c in r)
    assert someone.mobile not in cells


def test_card_types_export_every_type_with_its_card_count(owner, owner_client):
    card_services.card_type_create(
        actor=owner, code="gift", name="礼品卡", category="multi", anonymous=True
    )
    url = reverse("console:config_card_types")
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == (
        "编码",
        "名称",
        "类别",
        "持有方式",
        "不记名",
        "有效期（月）",
        "卡数",
        "状态",
    )
    gift = next(r for r in rows[1:] if r[0] == "gift")
    assert gift[1] == "礼品卡" and gift[4] == "是" and gift[6:] == (0, "已启用")


def test_tiers_export_each_tier_as_the_page_shows_it(owner, owner_client):
    tier_create(actor=owner, code="normal", name="普通", level=0)
    url = reverse("console:config_tiers")
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == ("级别", "会员等级", "编码", "升级门槛", "保级", "折扣", "会员数")
    assert rows[1:] == [(0, "普通", "normal", "¥0.00", "¥0.00", "不打折", 0)]


def test_recharge_packages_export_money_in_yuan(owner, owner_client):
    recharge_package_create(actor=owner, name="充500送50", pay_fen=50_000, bonus_fen=5_050)
    url = reverse("console:config_wallet")
    _shows_button(owner_client, url)
    rows = _rows(owner_client, url)
    assert rows[0] == ("套餐", "实付", "赠送金", "赠送金有效期（天）", "状态")
    assert rows[1:] == [("充500送50", 500, 50.5, None, "已上架")]


def test_commission_payouts_export_what_each_referrer_is_owed_in_the_managers_store(
    stores, cashier, client_for
):
    upline = member(cashier, name="甲")
    referee = member(cashier, name="乙")
    for n, (store, amount_fen) in enumerate([(0, 1_234), (0, 100), (1, 5_000)]):
        ReferralCommission.objects.create(
            beneficiary=upline,
            referee=referee,
            level=1,
            sale_id=2000 + n,
            store_id=stores[store].pk,
            base_fen=amount_fen * 20,
            rate_bp=500,
            amount_fen=amount_fen,
            status=ReferralCommission.Status.RELEASED,
            created_at=_moment(2),
        )
    url = reverse("console:referral_payouts")
    _shows_button(client_for(Role.OWNER), url)
    everything = _rows(client_for(Role.OWNER), url)
    assert everything == [
        ("推荐人", "会员号", "佣金笔数", "应发"),
        ("甲", upline.code, 3, 63.34),
    ]
    scoped = _rows(client_for(Role.STORE_MANAGER), url)
    assert scoped[1:] == [("甲", upline.code, 2, 13.34)]
