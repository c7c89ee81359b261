"""Editing what was created (issue 17 §10): tiers, card types, recharge packages, stores,
terminals, staff — the form prefilled, the edit saved and audited with before/after, a
refusal shown in Chinese with nothing changed; money already in flight keeps its terms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.models import Card
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, card_type, key
from huiyuan.stores.models import Staff, Store, Terminal
from huiyuan.tiers.models import Tier, TierPolicy
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import Recharge, RechargePackage
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client, staff):
    client.force_login(staff[Role.HQ_ADMIN])
    return client


def text(response) -> str:
    return response.content.decode()


def last_audit(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


# ---------------------------------------------------------------------------- tiers


@pytest.fixture
def gold(owner) -> Tier:
    tier_create(actor=owner, code="normal", name="普通会员", level=0)
    return tier_create(
        actor=owner,
        code="gold",
        name="金卡",
        level=1,
        threshold=100000,
        retention=50000,
        discount_permille=950,
        points_multiplier_pct=150,
        category_discounts={"drinks": 900},
    )


def tier_post(**changes: str) -> dict[str, str]:
    data = {
        "name": "金卡",
        "basis": "spend",
        "threshold": "1000",
        "retention": "500",
        "window_days": "365",
        "discount": "9.5",
        "category_discounts": "drinks=9",
        "points_multiplier_pct": "150",
        "privileges": "",
        "effective_from": local_today().isoformat(),
    }
    data.update(changes)
    return data


def test_tier_edit_form_is_prefilled_in_yuan_and_zhe(hq, gold):
    response = hq.get(reverse("console:config_tier_edit", args=[gold.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["threshold"] == "1000"
    assert form.initial["retention"] == "500"
    assert form.initial["discount"] == "9.5"
    assert form.initial["category_discounts"] == "drinks=9"
    assert form.initial["effective_from"] == local_today()
    page = text(response)
    assert 'value="金卡"' in page
    assert "自创建起" in page  # the one version there is


def test_tier_edit_from_a_future_date_is_listed_and_audited(hq, gold):
    day = local_today() + dt.timedelta(days=10)
    response = hq.post(
        reverse("console:config_tier_edit", args=[gold.pk]),
        tier_post(threshold="800", points_multiplier_pct="200", effective_from=day.isoformat()),
    )
    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.threshold, gold.points_multiplier_pct) == (100000, 150)  # today's terms
    event = last_audit("tier.updated")
    assert event.before == {"threshold": 100000, "points_multiplier_pct": 150}
    assert event.after == {
        "threshold": 80000,
        "points_multiplier_pct": 200,
        "effective_from": day.isoformat(),
    }
    page = text(hq.get(reverse("console:config_tier_edit", args=[gold.pk])))
    assert day.isoformat() in page and "待生效" in page and "¥800.00" in page
    listing = text(hq.get(reverse("console:config_tiers")))
    assert f"{day.isoformat()} 起新规则" in listing


def test_tier_edit_from_a_past_date_is_refused_in_chinese_and_changes_nothing(hq, gold):
    events = AuditEvent.objects.count()
    yesterday = local_today() - dt.timedelta(days=1)
    response = hq.post(
        reverse("console:config_tier_edit", args=[gold.pk]),
        tier_post(threshold="1", effective_from=yesterday.isoformat()),
    )
    assert response.status_code == 200
    assert "新规则从今天或以后的日期起生效，不能从过去的日期起生效。" in text(response)
    gold.refresh_from_db()
    assert (gold.threshold, gold.versions) == (100000, [])
    assert AuditEvent.objects.count() == events


def test_tier_edit_needs_the_tier_permission(client_for, gold):
    response = client_for(Role.STORE_MANAGER).get(
        reverse("console:config_tier_edit", args=[gold.pk])
    )
    assert response.status_code == 403


# ----------------------------------------------------------------- recharge packages


@pytest.fixture
def package(owner) -> RechargePackage:
    return recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)


def package_post(**changes: str) -> dict[str, str]:
    data = {"name": "充500送80", "pay": "500.00", "bonus": "80.00", "bonus_valid_days": ""}
    data.update(changes)
    return data


def test_package_edit_form_is_prefilled(hq, package):
    form = hq.get(reverse("console:config_package_edit", args=[package.pk])).context["form"]
    assert (form.initial["name"], form.initial["pay"], form.initial["bonus"]) == (
        "充500送50",
        "500.00",
        "50.00",
    )


def test_editing_an_unsold_package_changes_it_in_place(hq, package):
    response = hq.post(reverse("console:config_package_edit", args=[package.pk]), package_post())
    assert response.status_code == 302
    package.refresh_from_db()
    assert (package.name, package.pay_fen, package.bonus_fen, package.is_active) == (
        "充500送80",
        50000,
        8000,
        True,
    )
    event = last_audit("recharge_package.updated")
    assert event.before == {"name": "充500送50", "bonus_fen": 5000}
    assert event.after == {"name": "充500送80", "bonus_fen": 8000}


def test_a_price_change_leaves_a_past_recharge_as_it_was_sold(hq, owner, cashier, package):
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    past = Recharge.objects.select_related("package").get(card=c)
    sold = (past.principal_fen, past.bonus_fen, past.package_id, past.package.name)

    response = hq.post(
        reverse("console:config_package_edit", args=[package.pk]),
        package_post(name="充600送80", pay="600.00"),
    )
    assert response.status_code == 302

    past = Recharge.objects.select_related("package").get(pk=past.pk)
    assert (past.principal_fen, past.bonus_fen, past.package_id, past.package.name) == sold
    assert sold == (50000, 5000, package.pk, "充500送50")
    package.refresh_from_db()
    assert (package.pay_fen, package.bonus_fen, package.is_active) == (50000, 5000, False)
    new = RechargePackage.objects.get(is_active=True)
    assert (new.name, new.pay_fen, new.bonus_fen) == ("充600送80", 60000, 8000)
    event = last_audit("recharge_package.updated")
    assert event.subject_id == str(package.pk)
    assert event.before == {"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000}
    assert event.after == {
        "name": "充600送80",
        "pay_fen": 60000,
        "bonus_fen": 8000,
        "replaced_by": new.pk,
    }


def test_a_bad_package_edit_changes_nothing(hq, package):
    events = AuditEvent.objects.count()
    response = hq.post(
        reverse("console:config_package_edit", args=[package.pk]), package_post(pay="0")
    )
    assert response.status_code == 200
    package.refresh_from_db()
    assert (package.name, package.pay_fen, package.bonus_fen) == ("充500送50", 50000, 5000)
    assert RechargePackage.objects.count() == 1
    assert AuditEvent.objects.count() == events


# ---------------------------------------------------------------------- card types


def card_type_post(**changes: str) -> dict[str, str]:
    data = {
        "name": "会员卡",
        "category": "tier",
        "holding": "personal",
        "anonymous": "",
        "validity_months": "24",
        "max_holders": "1",
        "number_prefix": "6",
    }
    data.update(changes)
    return data


def test_card_type_edit_keeps_issued_cards_expiry(hq, owner, cashier):
    ctype = card_type(owner, validity_months=12)
    c = card(cashier, owner, ctype=ctype)
    expires = Card.objects.get(pk=c.pk).expires_at
    assert expires is not None

    form = hq.get(reverse("console:config_card_type_edit", args=[ctype.pk])).context["form"]
    assert (form.initial["name"], form.initial["validity_months"]) == ("普通卡", 12)
    response = hq.post(reverse("console:config_card_type_edit", args=[ctype.pk]), card_type_post())
    assert response.status_code == 302

    ctype.refresh_from_db()
    assert (ctype.name, ctype.validity_months) == ("会员卡", 24)
    assert Card.objects.get(pk=c.pk).expires_at == expires
    event = last_audit("card_type.updated")
    assert event.before == {"name": "普通卡", "validity_months": 12}
    assert event.after == {"name": "会员卡", "validity_months": 24}


def test_anonymity_of_a_type_with_cards_out_cannot_change(hq, owner, cashier):
    ctype = card_type(owner)
    card(cashier, owner, ctype=ctype)
    events = AuditEvent.objects.count()
    response = hq.post(
        reverse("console:config_card_type_edit", args=[ctype.pk]),
        card_type_post(name="普通卡", anonymous="on", validity_months=""),
    )
    assert response.status_code == 200
    assert "该类型已有发出的卡：卡类别、持有方式和是否不记名不能再修改。" in text(response)
    ctype.refresh_from_db()
    assert (ctype.anonymous, ctype.name) == (False, "普通卡")
    assert AuditEvent.objects.count() == events


def test_default_card_type_is_preselected_at_issue(hq, owner, cashier, client_for):
    card_type(owner, code="std")
    gold_type = card_type(owner, code="gold", name="金卡")
    response = hq.post(reverse("console:config_card_type_default"), {"card_type": gold_type.pk})
    assert response.status_code == 302
    assert TierPolicy.current().default_card_type_id == gold_type.pk
    assert last_audit("card_type.default_set").after == {"default_card_type": gold_type.pk}

    holder = card(cashier, owner).member  # a member (with a card of the first type)
    page = client_for(Role.CASHIER).get(reverse("console:card_issue", args=[holder.pk]))
    form = page.context["form"]
    assert form["card_type"].value() == str(gold_type.pk)


# ------------------------------------------------------------ stores, terminals, staff


def test_store_edit(client_for, stores):
    owner_client = client_for(Role.OWNER)
    store = stores[1]
    form = owner_client.get(reverse("console:store_edit", args=[store.pk])).context["form"]
    assert form.initial["name"] == "东城店"
    response = owner_client.post(
        reverse("console:store_edit", args=[store.pk]),
        {"name": "东城旗舰店", "address": "东城路1号", "phone": ""},
    )
    assert response.status_code == 302
    assert Store.objects.get(pk=store.pk).name == "东城旗舰店"
    event = last_audit("store.updated")
    assert event.before == {"name": "东城店", "address": ""}
    assert event.after == {"name": "东城旗舰店", "address": "东城路1号"}
    # A store manager does not edit stores.
    assert (
        client_for(Role.STORE_MANAGER)
        .get(reverse("console:store_edit", args=[store.pk]))
        .status_code
        == 403
    )


def test_a_store_manager_edits_only_their_stores_terminals(client_for, stores, terminal):
    other = Terminal.objects.create(store=stores[1], code="POS-02", name="东城1号")
    manager = client_for(Role.STORE_MANAGER)
    response = manager.post(
        reverse("console:terminal_edit", args=[terminal.pk]), {"name": "前台收银"}
    )
    assert response.status_code == 302
    assert Terminal.objects.get(pk=terminal.pk).name == "前台收银"
    assert last_audit("terminal.updated").after == {"name": "前台收银"}

    events = AuditEvent.objects.count()
    response = manager.post(reverse("console:terminal_edit", args=[other.pk]), {"name": "改名"})
    assert response.status_code == 404
    assert Terminal.objects.get(pk=other.pk).name == "东城1号"
    assert AuditEvent.objects.count() == events


def test_staff_edit(client_for, staff, stores):
    owner_client = client_for(Role.OWNER)
    cashier = staff[Role.CASHIER]
    form = owner_client.get(reverse("console:staff_edit", args=[cashier.pk])).context["form"]
    assert (form.initial["display_name"], form.initial["role"], form.initial["stores"]) == (
        "cashier",
        "cashier",
        [stores[0].pk],
    )
    response = owner_client.post(
        reverse("console:staff_edit", args=[cashier.pk]),
        {
            "display_name": "李收银",
            "mobile": "13800001234",
            "role": "store_manager",
            "stores": [stores[1].pk],
        },
    )
    assert response.status_code == 302
    cashier.refresh_from_db()
    assert (cashier.display_name, cashier.role, cashier.default_store_id) == (
        "李收银",
        "store_manager",
        stores[1].pk,
    )
    assert list(cashier.stores.values_list("pk", flat=True)) == [stores[1].pk]
    event = last_audit("staff.updated")
    assert event.before == {
        "display_name": "cashier",
        "mobile": "",
        "role": "cashier",
        "stores": [stores[0].pk],
    }
    assert event.after == {
        "display_name": "李收银",
        "mobile": "138****1234",
        "role": "store_manager",
        "stores": [stores[1].pk],
    }


def test_head_office_cannot_edit_the_owner(client_for, staff):
    owner = staff[Role.OWNER]
    events = AuditEvent.objects.count()
    response = client_for(Role.HQ_ADMIN).post(
        reverse("console:staff_edit", args=[owner.pk]),
        {"display_name": "改名", "mobile": "", "role": "hq_admin", "stores": []},
    )
    assert response.status_code == 403
    owner.refresh_from_db()
    assert (owner.display_name, owner.role) == ("owner", "owner")
    assert AuditEvent.objects.count() == events


def test_a_cashier_cannot_edit_staff(client_for, staff):
    response = client_for(Role.CASHIER).get(
        reverse("console:staff_edit", args=[staff[Role.CASHIER].pk])
    )
    assert response.status_code == 403
    assert Staff.objects.get(pk=staff[Role.CASHIER].pk).display_name == "cashier"


def test_edit_links_are_on_the_lists(hq, gold, package, owner, stores, terminal):
    ctype = card_type(owner)
    assert reverse("console:config_tier_edit", args=[gold.pk]) in text(
        hq.get(reverse("console:config_tiers"))
    )
    assert reverse("console:config_package_edit", args=[package.pk]) in text(
        hq.get(reverse("console:config_wallet"))
    )
    assert reverse("console:config_card_type_edit", args=[ctype.pk]) in text(
        hq.get(reverse("console:config_card_types"))
    )
    assert reverse("console:store_edit", args=[stores[0].pk]) in text(
        hq.get(reverse("console:stores"))
    )
    assert reverse("console:terminal_edit", args=[terminal.pk]) in text(
        hq.get(reverse("console:store_detail", args=[stores[0].pk]))
    )
    staff_page = text(hq.get(reverse("console:staff")))
    assert reverse("console:staff_edit", args=[Staff.objects.get(username="cashier").pk]) in (
        staff_page
    )
