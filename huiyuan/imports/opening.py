"""Legacy migration: cards with their opening principal, bonus and points (期初余额).

Each row names a card (卡号) and, for a named card, its member (by mobile or member number,
imported first); a card not yet here is issued with the import's card type at the
import's store. The balances arrive as **one ledger operation per card**
(``opening_balance``) from the chain's opening accounts — ``opening_balance`` (fen) for
principal and bonus, ``opening_points`` for points — so the ledger stays double-entry and
``verify-ledger`` holds: principal to the card's principal, bonus to a bonus lot and points
to a points lot, each lot with the row's expiry (valid through that local date; none: no
expiry). ``OpeningBalance`` (unique per card) is written in the same transaction: a card
gets an opening balance once, ever, so re-running the file posts nothing twice (such rows
are *already present*).

Each row is decided under the card's lock (``card_lock``), in a savepoint: a refused row
changes nothing and the rest of its batch goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from huiyuan.cards.locks import card_lock
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_issue
from huiyuan.core import pii
from huiyuan.core.clock import local_day_start, local_today
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.money import yuan_to_fen
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import RetryTransaction
from huiyuan.imports.columns import OPENING_COLUMNS
from huiyuan.imports.members import parse_date
from huiyuan.imports.models import ImportJob, OpeningBalance
from huiyuan.ledger.models import Account
from huiyuan.ledger.services import Move, operation_post, system_account
from huiyuan.members.models import Member

LABELS = {c.name: c.label for c in OPENING_COLUMNS}
MAX_FEN = 10**10  # ¥100,000,000 on one card is a typing error
MAX_POINTS = 10**11
OPERATION_KIND = "opening_balance"
AMOUNTS = ("principal", "bonus", "points")
SUM_KEYS = ("posted", "present", "error")  # what became of the rows


@dataclass
class OpeningRow:
    row: int
    cells: list[str]
    values: dict[str, str]
    card: str = ""
    mobile_hash: str = ""
    member_code: str = ""
    principal: int = 0
    bonus: int = 0
    points: int = 0
    bonus_expires: dt.datetime | None = None
    points_expires: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    def amounts(self) -> dict[str, int]:
        return {"principal": self.principal, "bonus": self.bonus, "points": self.points}


@dataclass
class Outcome:
    created: int = 0
    present: int = 0
    errors: list[tuple[int, list[str], str]] = field(default_factory=list)
    # Sums by what became of the rows: posted now, already present, refused.
    sums: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: dict.fromkeys(AMOUNTS, 0) for k in SUM_KEYS}
    )

    def add(self, key: str, row: OpeningRow) -> None:
        for name, value in row.amounts().items():
            self.sums[key][name] += value


def _in(column: str, message: Any) -> str:
    return gettext("%(column)s: %(message)s") % {
        "column": LABELS.get(column, column),
        "message": message,
    }


def _expiry(row: OpeningRow, column: str, today: dt.date) -> dt.datetime | None:
    text = row.values.get(column, "").strip()
    if not text:
        return None
    try:
        day = parse_date(text)
    except DomainError as exc:
        row.problems.append(_in(column, exc.message))
        return None
    if day < today:
        row.problems.append(
            _in(column, gettext("already past; leave it out or give a later date."))
        )
        return None
    return local_day_start(day + dt.timedelta(days=1))  # valid through that local date


def opening_row_clean(row: OpeningRow, today: dt.date) -> None:
    """Parse the row's texts into amounts and expiries, listing every problem."""
    values = row.values
    row.card = values.get("card", "").strip()
    if not row.card:
        row.problems.append(_in("card", gettext("enter the card number.")))
    elif not (row.card.isalnum() and 6 <= len(row.card) <= 32):
        row.problems.append(_in("card", gettext("6–32 letters or digits.")))
    mobile = values.get("mobile", "").strip()
    if mobile:
        from huiyuan.core import china

        try:
            row.mobile_hash = pii.keyed_hash(china.normalize_mobile(mobile))
        except DomainError as exc:
            row.problems.append(_in("mobile", exc.message))
    row.member_code = values.get("code", "").strip()
    for name in ("principal", "bonus"):
        text = values.get(name, "").strip()
        if not text:
            continue
        try:
            fen = yuan_to_fen(text)
        except DomainError as exc:
            row.problems.append(_in(name, exc.message))
            continue
        if not 0 <= fen <= MAX_FEN:
            row.problems.append(_in(name, gettext("between 0 and 100,000,000 yuan.")))
            continue
        setattr(row, name, fen)
    text = values.get("points", "").strip().replace(",", "")
    if text:
        try:
            points = int(text)
        except ValueError:
            row.problems.append(_in("points", gettext("a whole number.")))
        else:
            if not 0 <= points <= MAX_POINTS:
                row.problems.append(_in("points", gettext("a whole number of at least 0.")))
            else:
                row.points = points
    row.bonus_expires = _expiry(row, "bonus_expires", today)
    row.points_expires = _expiry(row, "points_expires", today)


def row_amounts(values: dict[str, str]) -> dict[str, int]:
    """The row's amounts as the file states them (an amount that does not parse counts 0):
    the file's own totals, summed apart from the run."""
    row = OpeningRow(0, [], values)
    opening_row_clean(row, local_today())
    return row.amounts()


def _members_of(rows: list[OpeningRow]) -> tuple[dict[str, Member], dict[str, Member]]:
    hashes = [r.mobile_hash for r in rows if r.mobile_hash]
    codes = [r.member_code for r in rows if r.member_code]
    by_hash = {m.mobile_hash or "": m for m in Member.objects.filter(mobile_hash__in=hashes)}
    by_code = {m.code: m for m in Member.objects.filter(code__in=codes)}
    return by_hash, by_code


def _member_for(
    row: OpeningRow, by_hash: dict[str, Member], by_code: dict[str, Member]
) -> Member | None:
    member = None
    if row.mobile_hash:
        member = by_hash.get(row.mobile_hash)
        if member is None:
            raise ValidationFailed(
                _in("mobile", gettext("no member has this mobile; import the members first."))
            )
    if row.member_code:
        coded = by_code.get(row.member_code)
        if coded is None:
            raise ValidationFailed(_in("code", gettext("no member has this number.")))
        if member is not None and coded.pk != member.pk:
            raise ValidationFailed(
                gettext("The mobile and the member number name different members.")
            )
        member = coded
    return member


def _post_one(
    *, actor: Actor, job: ImportJob, row: OpeningRow, card_id: int, accounts: dict[str, Account]
) -> str:
    """Post the card's opening operation under its lock; "created" or "present"."""
    lock = card_lock(card_id)
    if OpeningBalance.objects.filter(card_id=card_id).exists():
        return "present"
    store_id = lock.card.store_id
    moves = [
        Move(
            kind="opening_principal",
            source=accounts["fen"],
            target=lock.principal,
            amount=row.principal,
        ),
        Move(
            kind="opening_bonus",
            source=accounts["fen"],
            target=lock.bonus,
            amount=row.bonus,
            expires_at=row.bonus_expires,
            lot_store_id=store_id,
        ),
        Move(
            kind="opening_points",
            source=accounts["points"],
            target=lock.points,
            amount=row.points,
            expires_at=row.points_expires,
            lot_store_id=store_id,
        ),
    ]
    result = operation_post(
        actor=actor,
        kind=OPERATION_KIND,
        moves=moves,
        member_id=lock.card.member_id,
        card_id=card_id,
        store_id=store_id,
        locked=lock.accounts,
        memo=f"import #{job.pk} row {row.row}",
        details={"import_job": job.pk, "row": row.row},
    )
    try:
        with transaction.atomic():
            OpeningBalance.objects.create(
                card_id=card_id,
                member_id=lock.card.member_id,
                job=job,
                row=row.row,
                operation_id=result.operation.pk,
                principal_fen=row.principal,
                bonus_fen=row.bonus,
                points=row.points,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:  # another run posted this card's opening meanwhile
        raise RetryTransaction() from exc
    return "created"


def opening_import_batch(*, actor: Actor, job: ImportJob, rows: list[OpeningRow]) -> Outcome:
    """Check and post one batch in the caller's transaction; each row in a savepoint."""
    outcome = Outcome()
    today = local_today()
    for row in rows:
        opening_row_clean(row, today)
    by_hash, by_code = _members_of([r for r in rows if not r.problems])
    cards = {c.number: c for c in Card.objects.filter(number__in=[r.card for r in rows if r.card])}
    done = {
        card_id: (principal, bonus, points)
        for card_id, principal, bonus, points in OpeningBalance.objects.filter(
            card_id__in=[c.pk for c in cards.values()]
        ).values_list("card_id", "principal_fen", "bonus_fen", "points")
    }
    accounts = {
        "fen": system_account(Account.Kind.OPENING_BALANCE),
        "points": system_account(Account.Kind.OPENING_POINTS),
    }
    card_type_id = int(job.options.get("card_type_id") or 0)
    seen: dict[str, int] = {}
    for row in rows:
        if row.card and row.card in seen and not row.problems:
            row.problems.append(gettext("Same card as row %(row)s.") % {"row": seen[row.card]})
        if row.problems:
            outcome.errors.append((row.row, row.cells, "；".join(row.problems)))
            outcome.add("error", row)
            continue
        seen[row.card] = row.row
        card = cards.get(row.card)
        if card is not None and card.pk in done:
            if done[card.pk] != (row.principal, row.bonus, row.points):
                outcome.errors.append(
                    (
                        row.row,
                        row.cells,
                        gettext("This card already has a different opening balance."),
                    )
                )
                outcome.add("error", row)
            else:
                outcome.present += 1
                outcome.add("present", row)
            continue
        try:
            with transaction.atomic():
                member = _member_for(row, by_hash, by_code)
                if card is None:
                    card = card_issue(
                        actor=actor,
                        card_type_id=card_type_id,
                        member_id=member.pk if member else None,
                        number=row.card,
                        store_id=job.store_id,
                    )
                elif member is not None and card.member_id != member.pk:
                    raise Conflict(gettext("This card belongs to another member."))
                state = _post_one(actor=actor, job=job, row=row, card_id=card.pk, accounts=accounts)
        except DomainError as exc:
            outcome.errors.append((row.row, row.cells, str(exc.message)))
            outcome.add("error", row)
            continue
        if state == "present":
            outcome.present += 1
            outcome.add("present", row)
        else:
            outcome.created += 1
            outcome.add("posted", row)
    return outcome
