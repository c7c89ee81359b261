"""The 通存通兑 policy page, and the reports' store filter, in the console."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.ledger.tests.factories import card, key
from huiyuan.stores.models import StoreScopePolicy
from huiyuan.stores.scope import CONFIGURABLE_OPS, DEFAULT_POLICY, Reach, ScopeOp, scope_policy
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db

URL = "/config/store-scope/"


def text(response) -> str:
    return response.content.decode()


def form_of(policy: dict[ScopeOp, Reach]) -> dict[str, str]:
    return {op.value: policy[op].value for op in CONFIGURABLE_OPS}


def test_url_name():
    assert reverse("console:config_store_scope") == URL


@pytest.mark.parametrize("role", list(Role))
def test_only_owner_and_head_office_open_the_page(client_for, role):
    response = client_for(role).get(URL)
    assert response.status_code == (200 if role in (Role.OWNER, Role.HQ_ADMIN) else 403)


def test_the_page_shows_every_operation_in_chinese_with_the_defaults(client_for):
    page = text(client_for(Role.HQ_ADMIN).get(URL))
    for label in ("补卡", "储值退款", "挂失", "补积分", "撤销消费", "发卡"):
        assert label in page
    assert (
        'name="refund" value="home" class="form-check-input" id="id_refund_1" required checked'
        in page
    )
    assert (
        'name="spend" value="chain" class="form-check-input" id="id_spend_0" required checked'
        in page
    )
    assert 'name="card_issue"' not in page  # fixed: shown, not editable
    assert f'href="{URL}"' in page  # in the navigation


def test_saving_the_page_changes_the_policy_and_audits_it(client_for):
    hq = client_for(Role.HQ_ADMIN)
    data = form_of(DEFAULT_POLICY) | {"refund": "chain"}
    response = hq.post(URL, data, follow=True)
    assert "通存通兑规则已保存" in text(response)
    assert scope_policy()[ScopeOp.REFUND] == Reach.CHAIN
    event = AuditEvent.objects.get(action="store_scope_policy.updated")
    assert (event.before, event.after) == ({"refund": "home"}, {"refund": "chain"})


def test_a_bad_choice_is_a_form_error_and_changes_nothing(client_for):
    hq = client_for(Role.HQ_ADMIN)
    before = list(StoreScopePolicy.objects.values())
    response = hq.post(URL, form_of(DEFAULT_POLICY) | {"refund": "everywhere"})
    assert response.status_code == 200
    assert "is-invalid" in text(response) or "invalid-feedback" in text(response)
    assert list(StoreScopePolicy.objects.values()) == before
    assert scope_policy() == DEFAULT_POLICY


def test_a_store_manager_cannot_post_the_page(client_for):
    response = client_for(Role.STORE_MANAGER).post(
        URL, form_of(DEFAULT_POLICY) | {"refund": "chain"}
    )
    assert response.status_code == 403
    assert scope_policy() == DEFAULT_POLICY
    assert not AuditEvent.objects.filter(action="store_scope_policy.updated").exists()


# ----------------------------------------------------------------- reports by store


@pytest.fixture
def two_stores_funded(owner, staff, stores):
    """¥500 on a card of S01, ¥300 on a card of S02."""
    for store, amount in ((stores[0], 50000), (stores[1], 30000)):
        there = staff[Role.OWNER].as_actor(store_id=store.pk)
        c = card(there, owner)
        wallet_recharge(
            actor=there, card_id=c.pk, amount_fen=amount, method="cash", idempotency_key=key()
        )


def test_head_office_sees_the_chain_or_one_store(client_for, stores, two_stores_funded):
    hq = client_for(Role.HQ_ADMIN)
    page = text(hq.get(reverse("console:report_outstanding")))
    assert 'data-testid="held-principal">¥800.00<' in page and "全连锁合计" in page
    page = text(hq.get(reverse("console:report_outstanding"), {"store": stores[1].pk}))
    assert 'data-testid="held-principal">¥300.00<' in page and "所选门店合计" in page
    assert "旗舰店" not in page.split('id="q-')[0].split("</form>")[-1]
    export = hq.get(reverse("console:report_outstanding_export"), {"store": stores[1].pk})
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        "S02",
        None,
    ]
    assert book.sheetnames[-1] == "所选门店合计"
    assert book.worksheets[-1]["B2"].value == 300


def test_a_store_manager_sees_their_store_and_cannot_ask_for_another(
    client_for, stores, two_stores_funded
):
    manager = client_for(Role.STORE_MANAGER)
    page = text(manager.get(reverse("console:report_outstanding")))
    assert 'data-testid="held-principal">¥500.00<' in page and "全连锁合计" not in page
    for name in ("report_outstanding", "report_outstanding_export", "report_points"):
        response = manager.get(reverse(f"console:{name}"), {"store": stores[1].pk})
        assert response.status_code == 403, name
