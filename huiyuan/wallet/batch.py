"""Enterprise batch recharge (W1): validate a whole spreadsheet first, then apply it in short
transactions.

A company buys stored value for its staff and sends a list: 卡号 (card number), 金额 (yuan,
at most two decimals) and an optional 备注. ``batch_recharge_validate`` reads every row and
collects every problem, row by row, before anything is written. ``batch_recharge_apply``
checks every row again against the database as it is at confirmation (all or nothing:
one problem and no row is applied), then recharges the rows in order through
``wallet_recharge``, a short transaction per chunk of rows (at most ``CHUNK_ROWS`` rows or
``CHUNK_SECONDS``). Between two chunks the database is free, so a counter sale or recharge
waits for one chunk at most, never for the batch (on SQLite, whose
writers take one lock for the whole file, a 5,000-row batch in one transaction held it for
over a minute). Row ``n`` is recharged under the key ``f"{key}:{n}"``: confirming the same
batch again — after a crash, or after a row refused midway was put right — skips the rows
already in and applies exactly the rest. ``batch_error_report`` gives the rows back as a
spreadsheet with an error column.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import IO, Any

from django.db import connection
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.models import AuditEvent
from huiyuan.audit.services import audit_record
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.core.errors import Conflict, DomainError, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.core.retry import atomic_retry
from huiyuan.core.sheets import cell_text
from huiyuan.ledger.commands import actor_scope
from huiyuan.ledger.errors import IdempotencyConflict
from huiyuan.ledger.models import Account, IdempotencyKey
from huiyuan.members.models import Member
from huiyuan.wallet.models import PaymentMethod, Recharge, WalletPolicy
from huiyuan.wallet.services import MAX_SINGLE_RECHARGE_FEN, card_limit_fen, wallet_recharge

MAX_ROWS = 5_000
# A chunk (one transaction while applying) closes after CHUNK_ROWS rows or CHUNK_SECONDS,
# whichever comes first: that is the longest a counter waits for the batch. On SQLite the
# batch then pauses: a waiting writer's busy handler polls at most every 100 ms, so a pause
# a little longer than that always lets it in before the next chunk takes the lock again.
CHUNK_ROWS = 50
CHUNK_SECONDS = 0.25
SQLITE_PAUSE_SECONDS = 0.11
MAX_FILE_BYTES = 5 * 1024 * 1024
NOTE_MAX = 200

# Accepted header texts (after trimming, case-insensitive) for each column.
HEADERS: dict[str, tuple[str, ...]] = {
    "card": ("卡号", "会员卡号", "card number", "card"),
    "amount": ("金额", "充值金额", "金额(元)", "金额（元）", "amount"),
    "note": ("备注", "note", "remark"),
}


log = logging.getLogger(__name__)


class BatchRowFailed(DomainError):
    """A row was refused: before applying (nothing applied), or while applying (the rows
    before it stay; ``details["applied"]`` says how many rows of the batch are in)."""

    code = "batch_row_failed"


@dataclass
class BatchRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    card_number: str
    amount_text: str
    note: str = ""
    card_id: int | None = None
    amount_fen: int | None = None
    holder: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class BatchPlan:
    """The validated file: rows with their errors, and errors about the file as a whole."""

    rows: list[BatchRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    filename: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_rows(self) -> list[BatchRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen or 0 for r in self.rows if r.ok)

    @property
    def card_count(self) -> int:
        return len({r.card_id for r in self.rows if r.ok and r.card_id})

    def dump(self) -> dict[str, Any]:
        """A compact JSON-able form (kept in the session between preview and confirmation)."""
        return {
            "rows": [[getattr(r, name) for name in _ROW_FIELDS] for r in self.rows],
            "file_errors": list(self.file_errors),
            "filename": self.filename,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> BatchPlan:
        return cls(
            rows=[BatchRow(**dict(zip(_ROW_FIELDS, r, strict=True))) for r in data.get("rows", [])],
            file_errors=list(data.get("file_errors", [])),
            filename=str(data.get("filename", "")),
        )


_ROW_FIELDS = tuple(f.name for f in fields(BatchRow))


@dataclass(frozen=True)
class BatchResult:
    batch: str
    recharges: list[Recharge]
    total_fen: int
    replayed: bool


# ----------------------------------------------------------------------------- reading


# A cell as the text a person typed (shared by every import: ``huiyuan.core.sheets``).
_cell_text = cell_text


def _header_map(cells: Iterable[object]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(cells):
        text = _cell_text(raw).replace(" ", "").lower()
        if not text:
            continue
        for name, accepted in HEADERS.items():
            if text in {a.replace(" ", "").lower() for a in accepted}:
                if name in columns:
                    problems.append(
                        gettext("The column %(name)s appears twice in the header.")
                        % {"name": HEADERS[name][0]}
                    )
                columns[name] = index
    for name in ("card", "amount"):
        if name not in columns:
            problems.append(
                gettext("The header row has no %(name)s column.") % {"name": HEADERS[name][0]}
            )
    return columns, problems


def _read_rows(file: IO[bytes] | bytes) -> tuple[list[BatchRow], list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = file if isinstance(file, bytes) else file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return [], [gettext("The file is larger than 5 MB.")]
    unreadable = gettext("This file cannot be read: upload an Excel workbook (.xlsx).")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return [], [unreadable]
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return [], [unreadable]
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None)
        if header is None:
            return [], [gettext("The file is empty.")]
        columns, problems = _header_map(header)
        if problems:
            return [], problems
        rows: list[BatchRow] = []
        for number, cells in enumerate(lines, start=2):

            def cell(name: str, cells: tuple[object, ...] = cells) -> str:
                index = columns.get(name)
                return _cell_text(cells[index]) if index is not None and index < len(cells) else ""

            card_number, amount, note = cell("card"), cell("amount"), cell("note")
            if not (card_number or amount or note):
                continue  # blank lines are ignored
            if len(rows) == MAX_ROWS:
                return [], [
                    gettext("A batch has at most %(max)s rows; split the file.")
                    % {"max": f"{MAX_ROWS:,}"}
                ]
            rows.append(
                BatchRow(row=number, card_number=card_number, amount_text=amount, note=note)
            )
        if not rows:
            return [], [gettext("The file has no rows under its header.")]
        return rows, []
    finally:
        workbook.close()


# -------------------------------------------------------------------------- validating


def _cards_by_number(numbers: set[str]) -> dict[str, Card]:
    found: dict[str, Card] = {}
    chunk = sorted(numbers)
    for start in range(0, len(chunk), 500):
        for card in Card.objects.select_related("card_type", "member").filter(
            number__in=chunk[start : start + 500]
        ):
            found[card.number] = card
    return found


def _principal_balances(card_ids: set[int]) -> dict[int, int]:
    rows = Account.objects.filter(card_id__in=card_ids, kind=Account.Kind.PRINCIPAL)
    return {
        card_id: balance for card_id, balance in rows.values_list("card_id", "balance") if card_id
    }


def _check_amount(row: BatchRow) -> None:
    if not row.amount_text:
        row.errors.append(gettext("Enter an amount."))
        return
    try:
        fen = yuan_to_fen(row.amount_text)
    except DomainError as exc:
        row.errors.append(str(exc.message))
        return
    if fen <= 0:
        row.errors.append(gettext("Enter an amount above zero."))
    elif fen > MAX_SINGLE_RECHARGE_FEN:
        row.errors.append(
            gettext("One recharge is at most %(max)s.")
            % {"max": fen_to_yuan_str(MAX_SINGLE_RECHARGE_FEN)}
        )
    else:
        row.amount_fen = fen


def _check_card(row: BatchRow, card: Card | None) -> None:
    if not row.card_number:
        row.errors.append(gettext("Enter a card number."))
        return
    if card is None:
        row.errors.append(gettext("No card has this number."))
        return
    row.card_id = card.pk
    row.holder = card.member.name if card.member else gettext("Anonymous card")
    try:
        card_require_usable(card)
    except DomainError as exc:
        row.errors.append(str(exc.message))
        return
    if card.member is not None and card.member.status != Member.Status.ACTIVE:
        row.errors.append(gettext("The member is not active."))


def batch_recharge_validate(
    *, actor: Actor, file: IO[bytes] | bytes, filename: str = ""
) -> BatchPlan:
    """Read and check every row; nothing is written. The plan lists every problem found."""
    require(actor, Perm.WALLET_BATCH)
    rows, file_errors = _read_rows(file)
    plan = BatchPlan(rows=rows, file_errors=file_errors, filename=filename[:100])
    if file_errors:
        return plan
    cards = _cards_by_number({r.card_number for r in rows if r.card_number})
    balances = _principal_balances({c.pk for c in cards.values()})
    policy = WalletPolicy.current()
    seen: dict[tuple[str, int | None, str], int] = {}
    first_row_of_card: dict[str, int] = {}
    planned: dict[int, int] = {}  # card id -> fen already planned by earlier rows
    for row in rows:
        if len(row.note) > NOTE_MAX:
            row.errors.append(gettext("A note is at most 200 characters."))
        _check_amount(row)
        card = cards.get(row.card_number)
        _check_card(row, card)
        signature = (row.card_number, row.amount_fen, row.note)
        if row.card_number and row.amount_fen is not None and signature in seen:
            row.errors.append(
                gettext(
                    "Same card, amount and note as row %(row)s: remove the duplicate, or tell "
                    "the rows apart in the note."
                )
                % {"row": seen[signature]}
            )
        else:
            seen.setdefault(signature, row.row)
        if row.card_number in first_row_of_card:
            row.warnings.append(
                gettext("This card is also on row %(row)s; the amounts add up.")
                % {"row": first_row_of_card[row.card_number]}
            )
        elif row.card_number:
            first_row_of_card[row.card_number] = row.row
        if row.errors or card is None or row.amount_fen is None:
            continue
        limit = card_limit_fen(card, policy)
        balance = balances.get(card.pk, 0)
        earlier = planned.get(card.pk, 0)
        if balance + earlier + row.amount_fen > limit:
            row.errors.append(
                gettext(
                    "Over the prepaid limit: this card may hold at most %(limit)s "
                    "(now %(balance)s, earlier rows %(earlier)s)."
                )
                % {
                    "limit": fen_to_yuan_str(limit),
                    "balance": fen_to_yuan_str(balance),
                    "earlier": fen_to_yuan_str(earlier),
                }
            )
            continue
        planned[card.pk] = earlier + row.amount_fen
    return plan


# ---------------------------------------------------------------------------- applying


def batch_id_for(actor: Actor, idempotency_key: str) -> str:
    """The shared ``batch`` of every recharge of one batch (the same on a replay)."""
    from huiyuan.ledger.services import actor_scope

    digest = hashlib.sha256(f"{actor_scope(actor)}|{idempotency_key}".encode()).hexdigest()
    return f"B{digest[:20].upper()}"


Progress = Callable[[int, int], None]


class _RowRefused(Exception):
    """A row refused inside a chunk's transaction (carried out of it, which rolls it back)."""

    def __init__(self, row: BatchRow, error: DomainError) -> None:
        super().__init__(row.row)
        self.row, self.error = row, error


def _row_key(key: str, row: BatchRow) -> str:
    return f"{key}:{row.row}"


def _applied_rows(
    *, actor: Actor, key: str, rows: list[BatchRow], batch: str
) -> dict[int, Recharge]:
    """The rows already recharged under their keys (row number → recharge).

    A key that produced something other than this row's recharge means the batch key was
    used for another file: refused, before anything is applied."""
    scope = actor_scope(actor)
    by_key = {_row_key(key, row): row for row in rows}
    found: dict[int, int] = {}  # row number → recharge id
    names = list(by_key)
    for start in range(0, len(names), 500):
        for name, result_id in IdempotencyKey.objects.filter(
            scope=scope, key__in=names[start : start + 500]
        ).values_list("key", "result_id"):
            if result_id is None:
                raise IdempotencyConflict()
            found[by_key[name].row] = result_id
    recharges = Recharge.objects.in_bulk(list(found.values()))
    applied: dict[int, Recharge] = {}
    rows_by_number = {row.row: row for row in rows}
    for number, recharge_id in found.items():
        recharge = recharges.get(recharge_id)
        row = rows_by_number[number]
        if (
            recharge is None
            or recharge.batch != batch
            or recharge.card_id != row.card_id
            or recharge.principal_fen != row.amount_fen
        ):
            raise IdempotencyConflict()
        applied[number] = recharge
    return applied


def _precheck(rows: list[BatchRow]) -> list[tuple[BatchRow, DomainError]]:
    """Every row not applied yet, checked against the database now (as ``wallet_recharge``
    will check it under the lock): card usable, member active, prepaid limit with every
    earlier row of the batch counted."""
    card_ids = [row.card_id for row in rows if row.card_id is not None]
    cards: dict[int, Card] = {}
    for start in range(0, len(card_ids), 500):
        cards.update(
            Card.objects.select_related("card_type", "member").in_bulk(
                card_ids[start : start + 500]
            )
        )
    balances = _principal_balances(set(cards))
    policy = WalletPolicy.current()
    planned: dict[int, int] = {}
    problems: list[tuple[BatchRow, DomainError]] = []
    for row in rows:
        assert row.card_id is not None and row.amount_fen is not None
        card = cards.get(row.card_id)
        try:
            if card is None:
                raise Conflict(_("No card has this number."), code="card_not_found")
            card_require_usable(card)
            if card.member is not None and card.member.status != Member.Status.ACTIVE:
                raise Conflict(_("The member is not active."), code="member_not_active")
            limit = card_limit_fen(card, policy)
            balance, earlier = balances.get(card.pk, 0), planned.get(card.pk, 0)
            if balance + earlier + row.amount_fen > limit:
                raise Conflict(
                    _(
                        "Over the prepaid limit: this card may hold at most %(limit)s "
                        "(now %(balance)s, earlier rows %(earlier)s)."
                    )
                    % {
                        "limit": fen_to_yuan_str(limit),
                        "balance": fen_to_yuan_str(balance),
                        "earlier": fen_to_yuan_str(earlier),
                    },
                    code="prepaid_limit_exceeded",
                )
        except DomainError as exc:
            problems.append((row, exc))
            continue
        planned[card.pk] = planned.get(card.pk, 0) + row.amount_fen
    return problems


def _row_failed(row: BatchRow, exc: DomainError, *, applied: int, total: int) -> BatchRowFailed:
    values = {"row": row.row, "card": row.card_number, "message": exc.message}
    if applied:
        message = _(
            "Row %(row)s (card %(card)s): %(message)s. %(applied)s of %(total)s rows are "
            "recharged; put it right and confirm the same batch again to recharge the rest."
        ) % {**values, "applied": applied, "total": total}
    else:
        message = _("Row %(row)s (card %(card)s): %(message)s. Nothing was recharged.") % values
    return BatchRowFailed(
        message, details={"row": row.row, "code": exc.code, "applied": applied, "rows": total}
    )


def _apply_chunk(
    *, actor: Actor, key: str, rows: list[BatchRow], method: str, batch: str
) -> dict[int, Recharge]:
    """Recharge the first of ``rows`` in the caller's transaction, until ``CHUNK_SECONDS``
    have passed (one row at least); returns the rows done. Rows a twin confirmation already
    recharged (their key exists by now) are taken as they are."""
    started = time.monotonic()
    existing = _applied_rows(actor=actor, key=key, rows=rows, batch=batch)
    done: dict[int, Recharge] = {}
    for row in rows:
        if done and time.monotonic() - started >= CHUNK_SECONDS:
            break
        if row.row in existing:
            done[row.row] = existing[row.row]
            continue
        assert row.card_id is not None and row.amount_fen is not None
        try:
            done[row.row] = wallet_recharge(
                actor=actor,
                card_id=row.card_id,
                amount_fen=row.amount_fen,
                method=method,
                idempotency_key=_row_key(key, row),
                batch=batch,
            )
        except DomainError as exc:
            raise _RowRefused(row, exc) from exc  # rolls the chunk back
    return done


def batch_recharge_apply(
    *,
    actor: Actor,
    plan: BatchPlan,
    idempotency_key: str,
    method: str = PaymentMethod.ENTERPRISE,
    progress: Progress | None = None,
) -> BatchResult:
    """Check every row again (all or nothing), then recharge them a chunk at a time.

    1. Rows already recharged under their keys (an earlier confirmation of this batch) are
       skipped; every other row is checked against the database now: any problem refuses
       the batch with every problem row listed, and nothing is applied.
    2. The rows are recharged in order, a chunk per transaction (at most ``CHUNK_ROWS``
       rows or ``CHUNK_SECONDS``; retried on a deadlock or a busy database);
       ``progress(done, total)`` is called after each chunk has committed.
    3. When every row is in, one audit event records the batch (once, however often it is
       confirmed).

    A row refused while applying (its card was reported lost after the check) stops the
    batch there: its chunk is rolled back, earlier chunks stay, and ``BatchRowFailed`` says
    how many rows are in. Confirming the same batch again applies exactly the rest.
    """
    require(actor, Perm.WALLET_BATCH, store_id=actor.store_id, check_store=True)
    if actor.store_id is None:
        raise ValidationFailed(_("Choose the store you work at."), code="store_required")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 80:
        raise ValidationFailed(
            _("Idempotency-Key is required (1–80 characters)."), code="idempotency_key_required"
        )
    if not plan.ok:
        raise ValidationFailed(
            _("The file has errors: correct them and upload it again."), code="batch_has_errors"
        )
    batch = batch_id_for(actor, key)
    total = len(plan.rows)
    done = _applied_rows(actor=actor, key=key, rows=plan.rows, batch=batch)
    pending = [row for row in plan.rows if row.row not in done]
    replayed = not pending
    problems = _precheck(pending)
    if problems:
        row, exc = problems[0]
        failed = _row_failed(row, exc, applied=len(done), total=total)
        failed.details["problems"] = [
            {"row": r.row, "code": e.code, "message": str(e.message)} for r, e in problems
        ]
        raise failed
    position = 0
    while position < len(pending):
        chunk = pending[position : position + CHUNK_ROWS]

        def apply(chunk: list[BatchRow] = chunk) -> dict[int, Recharge]:
            return _apply_chunk(actor=actor, key=key, rows=chunk, method=method, batch=batch)

        try:
            made = atomic_retry(apply)
        except _RowRefused as refused:
            raise _row_failed(
                refused.row, refused.error, applied=len(done), total=total
            ) from refused.error
        done.update(made)
        position += len(made)
        log.info("batch %s: %s of %s rows recharged", batch, len(done), total)
        if progress is not None:
            progress(len(done), total)
        if position < len(pending) and connection.vendor == "sqlite":
            time.sleep(SQLITE_PAUSE_SECONDS)
    recharges = [done[row.row] for row in plan.rows]
    total_fen = sum(r.principal_fen for r in recharges)
    atomic_retry(
        lambda: _audit_once(
            actor=actor,
            batch=batch,
            recharges=recharges,
            total_fen=total_fen,
            method=method,
            filename=plan.filename,
        )
    )
    return BatchResult(batch=batch, recharges=recharges, total_fen=total_fen, replayed=replayed)


def _audit_once(
    *,
    actor: Actor,
    batch: str,
    recharges: list[Recharge],
    total_fen: int,
    method: str,
    filename: str,
) -> None:
    if AuditEvent.objects.filter(
        action="wallet.batch_recharged", subject_type="recharge_batch", subject_id=batch
    ).exists():
        return
    audit_record(
        actor=actor,
        action="wallet.batch_recharged",
        subject_type="recharge_batch",
        subject_id=batch,
        after={
            "batch": batch,
            "rows": len(recharges),
            "cards": len({r.card_id for r in recharges}),
            "principal": total_fen,
            "method": method,
            "file": filename,
        },
    )


# ------------------------------------------------------------------------------ report


def batch_error_report(plan: BatchPlan) -> bytes:
    """The rows as an .xlsx, each with its status and error messages (for correcting)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("Batch recharge check"))
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    bad = workbook.add_format({"font_color": "#C62828", "text_wrap": True})
    good = workbook.add_format({"font_color": "#2E7D32"})
    text = workbook.add_format({"num_format": "@"})
    titles = [
        (gettext("Row"), 6),
        ("卡号", 22),
        ("金额", 12),
        ("备注", 24),
        (gettext("Holder"), 12),
        (gettext("Status"), 10),
        (gettext("Errors"), 60),
    ]
    for col, (title, width) in enumerate(titles):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, header)
    sheet.freeze_panes(1, 0)
    line = 1
    for problem in plan.file_errors:
        sheet.write_string(line, 6, problem, bad)
        line += 1
    for row in plan.rows:
        sheet.write_number(line, 0, row.row)
        sheet.write_string(line, 1, row.card_number, text)
        sheet.write_string(line, 2, row.amount_text, text)
        sheet.write_string(line, 3, row.note)
        sheet.write_string(line, 4, row.holder)
        if row.ok:
            sheet.write_string(line, 5, gettext("OK"), good)
            sheet.write_string(line, 6, "；".join(row.warnings))
        else:
            sheet.write_string(line, 5, gettext("Error"), bad)
            sheet.write_string(line, 6, "；".join(row.errors), bad)
        line += 1
    workbook.close()
    return buffer.getvalue()


def batch_template() -> bytes:
    """An empty workbook with the expected header, to fill in."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("Batch recharge"))
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    for col, (title, width) in enumerate((("卡号", 22), ("金额", 12), ("备注", 30))):
        sheet.set_column(col, col, width, text if col == 0 else None)
        sheet.write_string(0, col, title, header)
    workbook.close()
    return buffer.getvalue()
