"""Enterprise batch recharge (W1): validate a whole spreadsheet first, then apply it at once.

A company buys stored value for its staff and sends a list: 卡号 (card number), 金额 (yuan,
at most two decimals) and an optional 备注. ``batch_recharge_validate`` reads every row and
collects every problem, row by row, before anything is written; ``batch_recharge_apply``
then recharges every card in ONE transaction through ``wallet_recharge`` (all or nothing),
each row under a key derived from the batch's key so a repeated confirmation changes
nothing. ``batch_error_report`` gives the rows back as a spreadsheet with an error column.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.cards.models import Card
from huiyuan.cards.services import card_require_usable
from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account
from huiyuan.members.models import Member
from huiyuan.wallet.models import PaymentMethod, Recharge, WalletPolicy
from huiyuan.wallet.services import MAX_SINGLE_RECHARGE_FEN, card_limit_fen, wallet_recharge

MAX_ROWS = 5_000
MAX_FILE_BYTES = 5 * 1024 * 1024
NOTE_MAX = 200

# Accepted header texts (after trimming, case-insensitive) for each column.
HEADERS: dict[str, tuple[str, ...]] = {
    "card": ("卡号", "会员卡号", "card number", "card"),
    "amount": ("金额", "充值金额", "金额(元)", "金额（元）", "amount"),
    "note": ("备注", "note", "remark"),
}


class BatchRowFailed(DomainError):
    """A row was refused while applying: the whole batch was rolled back."""

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


def _cell_text(value: object) -> str:
    """A cell as the text a person typed; whole numbers without ``.0``; never via float maths."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)  # shortest text that reads back as this float: 100.1, not 100.0999…
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


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


def batch_recharge_apply(
    *,
    actor: Actor,
    plan: BatchPlan,
    idempotency_key: str,
    method: str = PaymentMethod.ENTERPRISE,
) -> BatchResult:
    """Recharge every row in one transaction: any refusal rolls back the whole batch.

    Row ``n`` is recharged under the key ``f"{idempotency_key}:{n}"``: confirming the same
    batch again replays the recharges instead of repeating them.
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
    recharges: list[Recharge] = []
    with transaction.atomic():
        replayed = Recharge.objects.filter(batch=batch).exists()
        for row in plan.rows:
            assert row.card_id is not None and row.amount_fen is not None
            try:
                recharge = wallet_recharge(
                    actor=actor,
                    card_id=row.card_id,
                    amount_fen=row.amount_fen,
                    method=method,
                    idempotency_key=f"{key}:{row.row}",
                    batch=batch,
                )
            except DomainError as exc:
                raise BatchRowFailed(
                    _("Row %(row)s (card %(card)s): %(message)s. Nothing was recharged.")
                    % {"row": row.row, "card": row.card_number, "message": exc.message},
                    details={"row": row.row, "code": exc.code},
                ) from exc
            recharges.append(recharge)
        total = sum(r.principal_fen for r in recharges)
        if not replayed:
            audit_record(
                actor=actor,
                action="wallet.batch_recharged",
                subject_type="recharge_batch",
                subject_id=batch,
                after={
                    "batch": batch,
                    "rows": len(recharges),
                    "cards": len({r.card_id for r in recharges}),
                    "principal": total,
                    "method": method,
                    "file": plan.filename,
                },
            )
    return BatchResult(batch=batch, recharges=recharges, total_fen=total, replayed=replayed)


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
