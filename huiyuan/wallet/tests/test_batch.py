"""Enterprise batch recharge: every row checked first, all or nothing; then applied (see
test_batch_apply.py for the short transactions, resuming and a counter meanwhile)."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pytest
from django.utils import translation

from huiyuan.audit.models import AuditEvent
from huiyuan.cards import services as card_services
from huiyuan.core.errors import PermissionDenied, ValidationFailed
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.ledger.verify import verify_ledger
from huiyuan.wallet.batch import (
    MAX_ROWS,
    BatchPlan,
    BatchRowFailed,
    batch_error_report,
    batch_recharge_apply,
    batch_recharge_validate,
    batch_template,
)
from huiyuan.wallet.models import Recharge, WalletPolicy
from huiyuan.wallet.services import wallet_policy_update, wallet_recharge

pytestmark = pytest.mark.django_db


def xlsx(rows: list[tuple], header: tuple = ("卡号", "金额", "备注")) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def hq(owner, stores):
    """Head office working at the first store (where the company paid)."""
    return dataclasses.replace(owner, store_id=stores[0].pk)


@pytest.fixture
def cards(cashier, owner):
    return [card(cashier, owner) for _ in range(3)]


def snapshot(cards_):
    return (
        [balances(c) for c in cards_],
        Recharge.objects.count(),
        AuditEvent.objects.filter(action__startswith="wallet.").count(),
    )


def test_valid_file_recharges_exact_amounts_in_one_batch(hq, cards):
    a, b, c = cards
    data = xlsx(
        [
            (a.number, "100", "张三 三月福利"),
            (b.number, 250.5, "李四"),
            (c.number, "0.01", None),
            (a.number, "19.99", "张三 补发"),
        ]
    )
    plan = batch_recharge_validate(actor=hq, file=data, filename="福利.xlsx")
    assert plan.ok, [r.errors for r in plan.rows]
    assert [r.amount_fen for r in plan.rows] == [10000, 25050, 1, 1999]
    assert plan.total_fen == 37050
    assert plan.card_count == 3
    # The second row for card a is flagged, not refused.
    assert plan.rows[3].warnings and not plan.rows[3].errors

    result = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k1")

    assert [balances(x)["principal"] for x in cards] == [11999, 25050, 1]
    assert result.total_fen == 37050 and not result.replayed
    recharges = Recharge.objects.filter(batch=result.batch)
    assert recharges.count() == 4
    assert set(recharges.values_list("method", flat=True)) == {"enterprise"}
    assert set(recharges.values_list("store_id", flat=True)) == {hq.store_id}
    event = AuditEvent.objects.get(action="wallet.batch_recharged")
    assert event.after["rows"] == 4 and event.after["principal"] == 37050
    assert event.after["file"] == "福利.xlsx"
    assert verify_ledger().problems == []


def test_one_bad_row_applies_nothing_and_the_report_lists_it(hq, cards):
    a, b, _c = cards
    data = xlsx([(a.number, "100", ""), ("6000000000000000", "50", ""), (b.number, "20", "")])
    before = snapshot(cards)
    plan = batch_recharge_validate(actor=hq, file=data)
    assert not plan.ok
    assert [r.row for r in plan.error_rows] == [3]
    with translation.override("zh-hans"):
        plan_zh = batch_recharge_validate(actor=hq, file=data)
    assert plan_zh.rows[1].errors == ["没有这个卡号的卡。"]

    with pytest.raises(ValidationFailed) as refused:
        batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k2")
    assert refused.value.code == "batch_has_errors"
    assert snapshot(cards) == before

    report = openpyxl.load_workbook(io.BytesIO(batch_error_report(plan_zh)), read_only=True)
    rows = list(report.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("行号", "卡号", "金额", "备注", "持卡人", "状态", "错误")
    assert rows[1][:3] == (2, a.number, "100") and rows[1][5] == "正确"
    assert rows[2][:3] == (3, "6000000000000000", "50")
    assert rows[2][5] == "错误" and rows[2][6] == "没有这个卡号的卡。"
    assert len(rows) == 4


def test_same_key_twice_recharges_once(hq, cards):
    a, b, _c = cards
    plan = batch_recharge_validate(actor=hq, file=xlsx([(a.number, "10"), (b.number, "20")]))
    first = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="same")
    second = batch_recharge_apply(actor=hq, plan=plan, idempotency_key="same")
    assert second.replayed and second.batch == first.batch
    assert [r.pk for r in second.recharges] == [r.pk for r in first.recharges]
    assert [balances(x)["principal"] for x in (a, b)] == [1000, 2000]
    assert Recharge.objects.count() == 2
    assert AuditEvent.objects.filter(action="wallet.batch_recharged").count() == 1


def test_prepaid_limit_counts_the_balance_and_every_earlier_row(hq, cards, cashier):
    a, b, _c = cards
    wallet_recharge(
        actor=cashier, card_id=a.pk, amount_fen=400000, method="cash", idempotency_key=key()
    )
    plan = batch_recharge_validate(
        actor=hq,
        file=xlsx([(a.number, "600", "一"), (b.number, "5000", ""), (a.number, "400.01", "二")]),
    )
    assert [r.ok for r in plan.rows] == [True, True, False]
    (message,) = plan.rows[2].errors
    assert "¥5,000.00" in message and "¥4,000.00" in message and "¥600.00" in message
    before = snapshot(cards)
    with pytest.raises(ValidationFailed):
        batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k3")
    assert snapshot(cards) == before


def test_anonymous_card_has_the_lower_limit(hq, owner, cashier):
    ctype = card_services.card_type_create(
        actor=owner, code="anon", name="不记名卡", category="multi", anonymous=True
    )
    bearer = card_services.card_issue(actor=cashier, card_type_id=ctype.pk, member_id=None)
    wallet_policy_update(actor=owner, anonymous_limit_fen=100000)
    plan = batch_recharge_validate(actor=hq, file=xlsx([(bearer.number, "1000.01")]))
    assert not plan.ok and "¥1,000.00" in plan.rows[0].errors[0]
    assert WalletPolicy.current().anonymous_limit_fen == 100000


def test_row_by_row_errors_are_all_collected(hq, cards, cashier):
    a, b, c = cards
    card_services.card_report_lost(actor=cashier, card_id=c.pk, reason="丢了")
    data = xlsx(
        [
            (a.number, "12.345", ""),
            (a.number, "0", ""),
            (a.number, "-5", ""),
            (a.number, "abc", ""),
            (a.number, None, "没填金额"),
            (None, "10", "没填卡号"),
            (c.number, "10", ""),
            (b.number, "10", "同一行"),
            (b.number, "10", "同一行"),
            (None, None, None),  # a blank line is skipped
            (b.number, "100000.01", ""),
        ]
    )
    with translation.override("en"):
        plan = batch_recharge_validate(actor=hq, file=data)
    errors = {r.row: r.errors for r in plan.rows}
    assert errors == {
        2: ["An amount has at most two decimal places."],
        3: ["Enter an amount above zero."],
        4: ["Enter an amount above zero."],
        5: ["Invalid amount."],
        6: ["Enter an amount."],
        7: ["Enter a card number."],
        8: ["This card is reported lost."],
        9: [],
        10: [
            "Same card, amount and note as row 9: remove the duplicate, or tell the rows "
            "apart in the note."
        ],
        12: ["One recharge is at most ¥100,000.00."],
    }
    assert plan.rows[6].holder  # a lost card still shows its holder
    assert plan.total_fen == 1000  # only row 9 is correct
    assert plan.card_count == 1


def test_file_level_errors(hq, cards):
    wrong_header = batch_recharge_validate(
        actor=hq, file=xlsx([(cards[0].number, "10")], header=("卡", "钱"))
    )
    assert not wrong_header.ok and len(wrong_header.file_errors) == 2 and not wrong_header.rows
    not_excel = batch_recharge_validate(actor=hq, file=b"card,amount\n1,2\n")
    assert not_excel.file_errors and not not_excel.rows
    empty = batch_recharge_validate(actor=hq, file=xlsx([]))
    assert empty.file_errors
    too_many = batch_recharge_validate(
        actor=hq, file=xlsx([(cards[0].number, "1", str(i)) for i in range(MAX_ROWS + 1)])
    )
    assert too_many.file_errors and not too_many.rows
    english = batch_recharge_validate(
        actor=hq, file=xlsx([(cards[0].number, "10")], header=("Amount", "Card number"))
    )
    assert english.file_errors == [] and english.rows[0].card_number == "10"


def test_columns_in_any_order_and_numeric_cells(hq, cards):
    a = cards[0]
    plan = batch_recharge_validate(
        actor=hq, file=xlsx([("福利", 88, int(a.number))], header=("备注", "金额", "卡号"))
    )
    assert plan.ok
    assert (plan.rows[0].card_number, plan.rows[0].amount_fen, plan.rows[0].note) == (
        a.number,
        8800,
        "福利",
    )


def test_a_refusal_while_applying_rolls_back_every_row(hq, cards, cashier):
    a, b, _c = cards
    plan = batch_recharge_validate(actor=hq, file=xlsx([(a.number, "10"), (b.number, "20")]))
    assert plan.ok
    card_services.card_report_lost(actor=cashier, card_id=b.pk, reason="验证后挂失")
    before = snapshot(cards)
    with pytest.raises(BatchRowFailed) as failed:
        batch_recharge_apply(actor=hq, plan=plan, idempotency_key="k4")
    assert failed.value.details["row"] == 3
    assert snapshot(cards) == before
    assert balances(a)["principal"] == 0


def test_permissions_and_store(actors, cards, owner):
    from huiyuan.core.permissions import Role

    data = xlsx([(cards[0].number, "10")])
    for role in (Role.CASHIER, Role.STORE_MANAGER, Role.MARKETER, Role.CALL_CENTER):
        with pytest.raises(PermissionDenied):
            batch_recharge_validate(actor=actors[role], file=data)
    plan = batch_recharge_validate(actor=owner, file=data)
    with pytest.raises(ValidationFailed) as no_store:
        batch_recharge_apply(actor=owner, plan=plan, idempotency_key="k5")
    assert no_store.value.code == "store_required"
    assert Recharge.objects.count() == 0


def test_plan_survives_the_session_round_trip(hq, cards):
    plan = batch_recharge_validate(actor=hq, file=xlsx([(cards[0].number, "10", "备注")]))
    again = BatchPlan.load(plan.dump())
    assert again == plan


def test_template_has_the_header():
    sheet = openpyxl.load_workbook(io.BytesIO(batch_template()), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True)) == ("卡号", "金额", "备注")
