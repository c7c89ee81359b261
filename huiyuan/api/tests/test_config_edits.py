"""Editing configuration over the API (issue 17 §10): the console's edits, with the
Idempotency-Key required, roles and store scope as in the console, stable error codes and
refusals that change nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping

import pytest

from huiyuan.api.tests.conftest import error_of
from huiyuan.audit.models import AuditEvent
from huiyuan.core.clock import local_today
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, card_type, key
from huiyuan.stores.models import Staff, Terminal
from huiyuan.tiers.models import Tier, TierPolicy
from huiyuan.tiers.services import tier_create
from huiyuan.wallet.models import Recharge, RechargePackage
from huiyuan.wallet.services import recharge_package_create, wallet_recharge

pytestmark = pytest.mark.django_db


class _FreshKey(Mapping[str, str]):
    """``**KEY``: a new Idempotency-Key each time (each edit below is a new request; a key
    used again with another body is refused, see ``test_an_edit_is_done_once_per_key``)."""

    def __getitem__(self, name: str) -> str:
        if name != "Idempotency-Key":
            raise KeyError(name)
        return f"edit-{uuid.uuid4().hex}"

    def __iter__(self) -> Iterator[str]:
        return iter(["Idempotency-Key"])

    def __len__(self) -> int:
        return 1


KEY = _FreshKey()


@pytest.fixture
def gold(owner) -> Tier:
    return tier_create(
        actor=owner, code="gold", name="金卡", level=1, threshold=100000, discount_permille=950
    )


def tier_body(**changes) -> dict:
    body = {
        "name": "金卡",
        "privileges": "",
        "basis": "spend",
        "threshold": 100000,
        "retention": 0,
        "window_days": 365,
        "discount_permille": 950,
        "points_multiplier_pct": 100,
        "category_discounts": {},
    }
    body.update(changes)
    return body


def test_tier_edit_from_a_date_and_its_versions(as_staff, gold):
    owner = as_staff(Role.OWNER)
    day = local_today() + dt.timedelta(days=5)
    response = owner.put(
        f"/tiers/{gold.pk}", tier_body(threshold=80000, effective_from=day.isoformat()), **KEY
    )
    assert response.status_code == 200, response.content
    assert response.json()["threshold"] == 100000  # the terms in force today
    versions = owner.get(f"/tiers/{gold.pk}/versions").json()
    assert [(v["effective_from"], v["state"], v["threshold"]) for v in versions] == [
        (day.isoformat(), "scheduled", 80000),
        (None, "current", 100000),
    ]
    assert AuditEvent.objects.get(action="tier.updated").after == {
        "threshold": 80000,
        "effective_from": day.isoformat(),
    }


def test_tier_edit_refusals_change_nothing(as_staff, gold):
    owner = as_staff(Role.OWNER)
    past = (local_today() - dt.timedelta(days=1)).isoformat()
    refused = owner.put(f"/tiers/{gold.pk}", tier_body(threshold=1, effective_from=past), **KEY)
    assert (refused.status_code, error_of(refused)["code"]) == (422, "effective_date_past")
    missing = owner.put(f"/tiers/{gold.pk}", tier_body(threshold=1))
    assert error_of(missing)["code"] == "idempotency_key_required"
    unknown = owner.put("/tiers/999999", tier_body(), **KEY)
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "unknown_tier")
    cashier = as_staff(Role.CASHIER).put(f"/tiers/{gold.pk}", tier_body(threshold=1), **KEY)
    assert cashier.status_code == 403
    gold.refresh_from_db()
    assert (gold.threshold, gold.versions) == (100000, [])
    assert not AuditEvent.objects.filter(action="tier.updated").exists()


def test_package_edit_keeps_a_past_recharge(as_staff, owner, cashier):
    package = recharge_package_create(actor=owner, name="充500送50", pay_fen=50000, bonus_fen=5000)
    c = card(cashier, owner)
    wallet_recharge(
        actor=cashier,
        card_id=c.pk,
        amount_fen=50000,
        method="cash",
        package_id=package.pk,
        idempotency_key=key(),
    )
    response = as_staff(Role.OWNER).put(
        f"/recharge-packages/{package.pk}",
        {"name": "充500送100", "pay_fen": 50000, "bonus_fen": 10000},
        **KEY,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != package.pk and body["bonus_fen"] == 10000
    past = Recharge.objects.get(card=c)
    assert (past.principal_fen, past.bonus_fen, past.package_id) == (50000, 5000, package.pk)
    assert RechargePackage.objects.get(pk=package.pk).is_active is False
    refused = as_staff(Role.OWNER).put(
        f"/recharge-packages/{body['id']}", {"name": "x", "pay_fen": 0, "bonus_fen": 0}, **KEY
    )
    assert refused.status_code == 422
    assert RechargePackage.objects.get(pk=body["id"]).pay_fen == 50000


def test_card_type_edit_and_default(as_staff, owner, cashier):
    ctype = card_type(owner)
    card(cashier, owner, ctype=ctype)
    api = as_staff(Role.OWNER)
    body = {
        "name": "会员卡",
        "category": "tier",
        "holding": "personal",
        "anonymous": False,
        "validity_months": 36,
        "max_holders": 1,
        "number_prefix": "6",
    }
    response = api.put(f"/card-types/{ctype.pk}", body, **KEY)
    assert response.status_code == 200 and response.json()["name"] == "会员卡"
    refused = api.put(f"/card-types/{ctype.pk}", {**body, "anonymous": True}, **KEY)
    assert (refused.status_code, error_of(refused)["code"]) == (409, "card_type_in_use")
    ctype.refresh_from_db()
    assert (ctype.anonymous, ctype.validity_months) == (False, 36)

    chosen = api.put("/card-types/default", {"card_type_id": ctype.pk}, **KEY)
    assert chosen.status_code == 200 and chosen.json() == {"card_type_id": ctype.pk}
    assert as_staff(Role.CASHIER).get("/card-types/default").json() == {"card_type_id": ctype.pk}
    assert TierPolicy.current().default_card_type_id == ctype.pk
    unknown = api.put("/card-types/default", {"card_type_id": 999999}, **KEY)
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "unknown_card_type")
    assert TierPolicy.current().default_card_type_id == ctype.pk


def test_store_terminal_and_staff_edits_in_scope(as_staff, stores, terminal, staff):
    owner = as_staff(Role.OWNER)
    store = owner.put(f"/stores/{stores[1].pk}", {"name": "东城旗舰店", "phone": "010-1"}, **KEY)
    assert store.status_code == 200 and store.json()["name"] == "东城旗舰店"

    manager = as_staff(Role.STORE_MANAGER)
    other = Terminal.objects.create(store=stores[1], code="POS-02", name="东城1号")
    own = manager.put(f"/terminals/{terminal.pk}", {"name": "前台"}, **KEY)
    assert own.status_code == 200 and own.json()["name"] == "前台"
    refused = manager.put(f"/terminals/{other.pk}", {"name": "改名"}, **KEY)
    assert (refused.status_code, error_of(refused)["code"]) == (403, "store_forbidden")
    assert Terminal.objects.get(pk=other.pk).name == "东城1号"
    assert manager.put(f"/stores/{stores[0].pk}", {"name": "x"}, **KEY).status_code == 403

    cashier = staff[Role.CASHIER]
    edited = owner.put(
        f"/staff/{cashier.pk}",
        {"display_name": "李收银", "role": "cashier", "store_ids": [stores[0].pk, stores[1].pk]},
        **KEY,
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["store_ids"] == sorted([stores[0].pk, stores[1].pk])
    no_store = owner.put(
        f"/staff/{cashier.pk}", {"display_name": "李收银", "role": "cashier"}, **KEY
    )
    assert (no_store.status_code, error_of(no_store)["code"]) == (422, "store_required")
    hq = as_staff(Role.HQ_ADMIN)
    owner_row = staff[Role.OWNER]
    demote = hq.put(f"/staff/{owner_row.pk}", {"display_name": "x", "role": "hq_admin"}, **KEY)
    assert (demote.status_code, error_of(demote)["code"]) == (403, "owner_only")
    assert Staff.objects.get(pk=owner_row.pk).role == "owner"
    assert Staff.objects.get(pk=cashier.pk).display_name == "李收银"


def test_an_edit_is_done_once_per_key(as_staff, gold):
    """Same key and body: the first answer, nothing recorded twice; another body: refused."""
    owner = as_staff(Role.OWNER)
    once = {"Idempotency-Key": "rename-gold"}
    first = owner.put(f"/tiers/{gold.pk}", tier_body(name="黄金卡"), **once)
    assert first.status_code == 200, first.content
    events = AuditEvent.objects.count()
    again = owner.put(f"/tiers/{gold.pk}", tier_body(name="黄金卡"), **once)
    assert (again.status_code, again.json()) == (200, first.json())
    assert AuditEvent.objects.count() == events
    other = owner.put(f"/tiers/{gold.pk}", tier_body(name="铂金卡"), **once)
    assert (other.status_code, error_of(other)["code"]) == (409, "idempotency_key_reused")
    assert Tier.objects.get(pk=gold.pk).name == "黄金卡"
    assert AuditEvent.objects.count() == events
