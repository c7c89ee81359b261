"""Opening balances from a legacy system: one operation per card, lots with expiry, a
reconciliation to the fen, verify-ledger clean, and re-runs that post nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card
from huiyuan.core.clock import local_day_start, local_today
from huiyuan.core.errors import PermissionDenied
from huiyuan.core.permissions import Role
from huiyuan.imports.models import ImportRowError, OpeningBalance
from huiyuan.imports.selectors import opening_reconciliation
from huiyuan.imports.services import import_upload
from huiyuan.imports.tests.conftest import csv_bytes
from huiyuan.ledger.models import Account, Lot, Operation
from huiyuan.ledger.services import card_accounts
from huiyuan.ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db

HEADER = ["卡号", "手机号", "本金", "赠送金", "赠送金有效期", "积分", "积分有效期"]


@pytest.fixture
def card_type(owner):
    return card_services.card_type_create(actor=owner, code="vip", name="储值卡", category="tier")


@pytest.fixture
def members(owner, run_file):
    rows = [["姓名", "手机号"], *[[f"老会员{i}", f"1370000{i:04d}"] for i in range(6)]]
    job = run_file(owner, csv_bytes(rows))
    assert job.rows_created == 6


def later(days: int) -> str:
    return (local_today() + dt.timedelta(days=days)).isoformat()


def test_opening_balances_post_one_operation_per_card_and_reconcile(
    owner, stores, card_type, members, run_file
):
    rows = [
        ["LEG000001", "13700000000", "100.50", "20.00", later(30), "1500", later(365)],
        ["LEG000002", "13700000001", "0.01", "", "", "", ""],
        ["LEG000003", "13700000002", "", "5", later(1), "7", ""],
    ]

    job = run_file(owner, csv_bytes([HEADER, *rows]), kind="opening", card_type_id=card_type.pk)

    assert (job.status, job.rows_created, job.rows_error) == ("done", 3, 0)
    card = Card.objects.get(number="LEG000001")
    assert card.member.name == "老会员0"
    balances = {k: a.balance for k, a in card_accounts(card.pk).items()}
    assert balances == {"principal": 10050, "bonus": 2000, "points": 1500}
    bonus_lot = Lot.objects.get(account__card_id=card.pk, account__kind="bonus")
    assert bonus_lot.expires_at == local_day_start(local_today() + dt.timedelta(days=31))
    assert Lot.objects.get(account__card_id=card.pk, account__kind="points").remaining == 1500
    points_lot = Lot.objects.get(
        account__card_id=Card.objects.get(number="LEG000003").pk, account__kind="points"
    )
    assert points_lot.expires_at is None
    assert Operation.objects.filter(kind="opening_balance").count() == 3
    report = opening_reconciliation(job)
    assert (report.file.rows, report.file.principal_fen, report.file.bonus_fen) == (3, 10051, 2500)
    assert report.file.points == 1507
    assert (report.ledger.principal_fen, report.ledger.bonus_fen, report.ledger.points) == (
        10051,
        2500,
        1507,
    )
    assert report.ok
    opening = Account.objects.get(kind=Account.Kind.OPENING_BALANCE)
    assert sum(e.delta for e in opening.entries.all()) == -12551
    assert verify_ledger().ok


def test_the_same_file_again_posts_nothing(owner, stores, card_type, members, run_file):
    data = csv_bytes([HEADER, ["LEG000001", "13700000000", "10", "1", later(9), "5", ""]])
    run_file(owner, data, kind="opening", card_type_id=card_type.pk)

    again = run_file(owner, data, kind="opening", card_type_id=card_type.pk)

    assert (again.rows_created, again.rows_present, again.rows_error) == (0, 1, 0)
    assert Operation.objects.filter(kind="opening_balance").count() == 1
    assert OpeningBalance.objects.count() == 1
    card = Card.objects.get(number="LEG000001")
    assert card_accounts(card.pk)["principal"].balance == 1000
    report = opening_reconciliation(again)
    assert report.ok and report.present.principal_fen == 1000 and report.ledger.rows == 0
    assert verify_ledger().ok


def test_bad_rows_are_refused_and_change_nothing(owner, stores, card_type, members, run_file):
    rows = [
        ["LEG000001", "13700000000", "10.001", "", "", "", ""],  # sub-fen amount
        ["LEG000002", "13799999999", "10", "", "", "", ""],  # no such member
        ["LEG000003", "13700000002", "10", "5", "2001-01-01", "", ""],  # expiry past
        ["LEG000004", "13700000003", "10", "", "", "-5", ""],  # negative points
        ["LEG000005", "13700000004", "12.34", "", "", "", ""],  # fine
        ["LEG000005", "13700000005", "1", "", "", "", ""],  # same card again
    ]

    job = run_file(owner, csv_bytes([HEADER, *rows]), kind="opening", card_type_id=card_type.pk)

    assert (job.rows_created, job.rows_error) == (1, 5)
    assert sorted(ImportRowError.objects.filter(job=job).values_list("row", flat=True)) == [
        2,
        3,
        4,
        5,
        7,
    ]
    assert list(Card.objects.values_list("number", flat=True)) == ["LEG000005"]
    assert Operation.objects.filter(kind="opening_balance").count() == 1
    report = opening_reconciliation(job)
    assert report.ok
    assert (report.posted.rows, report.posted.principal_fen) == (1, 1234)
    assert report.file.principal_fen == 1234 + 1000 + 1000 + 1000 + 100
    assert verify_ledger().ok


def test_only_owner_and_head_office_migrate_balances(actors, stores, card_type):
    data = csv_bytes([HEADER, ["LEG000001", "", "10", "", "", "", ""]])
    with pytest.raises(PermissionDenied):
        import_upload(
            actor=actors[Role.STORE_MANAGER],
            kind="opening",
            filename="a.csv",
            chunks=[data],
            options={"store_id": stores[0].pk, "card_type_id": card_type.pk},
        )
