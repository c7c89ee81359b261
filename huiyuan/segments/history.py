"""Import of past sales (销售历史导入): rows of member, date, amount and items become
``HistorySale`` rows that feed RFM and prediction — never the money ledger.

It runs on the import machinery (``huiyuan.imports``: upload, mapping, preview, streamed
run in batches, row errors and their workbook) as the kind ``sales``; this module is the
batch step. A row's member is named by member number or mobile; the date is a local date
not in the future; the amount is yuan (> 0, two decimals at most); items are names
separated by ``;`` ``、`` or ``|``, each optionally ``name:category``, and an optional
category column applies to items without one.

A re-run of the same file adds nothing: each row's fingerprint hashes its member, date,
amount, items and which repetition of that same row it is; a row already imported is
counted as present (and claimed by this run, so a repeated row in the file is told from
the first).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.core import china, clock, pii
from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.money import yuan_to_fen
from huiyuan.core.permissions import Actor
from huiyuan.imports.members import parse_date
from huiyuan.imports.models import ImportJob
from huiyuan.members.models import Member
from huiyuan.segments.models import HistorySale

MAX_FEN = 100_000_000  # ¥1,000,000 a purchase
MAX_ITEMS = 50
ITEM_SPLIT = re.compile(r"[;；、|]")


@dataclass
class SalesRow:
    row: int
    cells: list[str]
    values: dict[str, str]


@dataclass
class Outcome:
    created: int = 0
    present: int = 0
    updated: int = 0
    errors: list[tuple[int, list[str], str]] = field(default_factory=list)


@dataclass
class Clean:
    line: SalesRow
    member_text: str
    day: Any
    fen: int
    items: list[dict[str, str]]


LABELS = {
    "member": _("Member number or mobile"),
    "date": _("Date"),
    "amount": _("Amount (yuan)"),
    "items": _("Items"),
    "category": _("Category"),
}


def _in(column: str, message: Any) -> str:
    return gettext("%(column)s: %(message)s") % {
        "column": LABELS.get(column, column),
        "message": message,
    }


def items_parse(text: str, default_category: str = "") -> list[dict[str, str]]:
    """``"拿铁:咖啡;可颂"`` → ``[{"name": "拿铁", "category": "咖啡"}, {"name": "可颂", …}]``."""
    items = []
    for token in ITEM_SPLIT.split(text or ""):
        name, _sep, category = token.strip().partition(":")
        if not name.strip():
            continue
        item = {"name": name.strip()[:80]}
        category = (category.strip() or default_category.strip())[:40]
        if category:
            item["category"] = category
        items.append(item)
    return items


def row_clean(line: SalesRow, today: Any) -> Clean:
    """The row's values parsed; every problem of the row in one message."""
    v = line.values
    problems: list[str] = []
    member_text = v.get("member", "").strip()
    if not member_text:
        problems.append(_in("member", gettext("enter the member number or mobile.")))
    day = None
    date_text = v.get("date", "").strip()
    if not date_text:
        problems.append(_in("date", gettext("enter the date.")))
    else:
        try:
            day = parse_date(date_text)
        except DomainError as exc:
            problems.append(_in("date", exc.message))
        else:
            if day > today:
                problems.append(_in("date", gettext("a date in the future.")))
    fen = 0
    amount = v.get("amount", "").strip()
    if not amount:
        problems.append(_in("amount", gettext("enter the amount.")))
    else:
        try:
            fen = yuan_to_fen(amount)
        except DomainError as exc:
            problems.append(_in("amount", exc.message))
        else:
            if not 0 < fen <= MAX_FEN:
                problems.append(_in("amount", gettext("more than 0 and at most ¥1,000,000.")))
    items = items_parse(v.get("items", ""), v.get("category", ""))
    if not items and v.get("category", "").strip():
        items = [{"name": "", "category": v["category"].strip()[:40]}]
    if len(items) > MAX_ITEMS:
        problems.append(_in("items", gettext("at most 50 items.")))
    if problems:
        raise ValidationFailed("; ".join(problems), code="invalid_row")
    return Clean(line=line, member_text=member_text, day=day, fen=fen, items=items)


def _members(texts: list[str]) -> tuple[dict[str, Member], dict[str, Member]]:
    hashes: dict[str, str] = {}
    for text in texts:
        try:
            hashes[text] = pii.keyed_hash(china.normalize_mobile(text))
        except DomainError:
            continue
    by_hash = {
        m.mobile_hash or "": m for m in Member.objects.filter(mobile_hash__in=hashes.values())
    }
    by_code = {m.code: m for m in Member.objects.filter(code__in=texts)}
    by_text = {t: by_hash[h] for t, h in hashes.items() if h in by_hash}
    return by_text, by_code


def _member_for(text: str, by_mobile: dict[str, Member], by_code: dict[str, Member]) -> Member:
    member = by_mobile.get(text) or by_code.get(text)
    if member is None:
        raise ValidationFailed(
            _in("member", gettext("no member has this number or mobile; import the members first."))
        )
    if member.status == Member.Status.MERGED and member.merged_into_id:
        member = Member.objects.get(pk=member.merged_into_id)
    return member


def fingerprint(member_id: int, clean: Clean, repeat: int) -> str:
    items = json.dumps(clean.items, ensure_ascii=False, sort_keys=True)
    text = f"{member_id}|{clean.day.isoformat()}|{clean.fen}|{items}|{repeat}"
    return hashlib.sha256(text.encode()).hexdigest()


def sales_import_batch(*, actor: Actor, job: ImportJob, rows: list[SalesRow]) -> Outcome:
    """Import one batch of rows (inside the batch's transaction)."""
    out = Outcome()
    today = clock.local_today()
    cleaned: list[Clean] = []
    for line in rows:
        try:
            cleaned.append(row_clean(line, today))
        except DomainError as exc:
            out.errors.append((line.row, line.cells, str(exc.message)))
    by_mobile, by_code = _members([c.member_text for c in cleaned])
    ready: list[tuple[Clean, Member]] = []
    for clean in cleaned:
        try:
            member = _member_for(clean.member_text, by_mobile, by_code)
            if not actor.covers_store(member.home_store_id):
                raise ValidationFailed(_in("member", gettext("a member of another store.")))
        except DomainError as exc:
            out.errors.append((clean.line.row, clean.line.cells, str(exc.message)))
            continue
        ready.append((clean, member))
    # Fingerprints already there (with the run that last read them), looked up at once for
    # as many repetitions as the batch holds of each row.
    bases = Counter((m.pk, fingerprint(m.pk, c, 0)) for c, m in ready)
    wanted = [
        fingerprint(m.pk, c, k)
        for c, m in ready
        for k in range(bases[(m.pk, fingerprint(m.pk, c, 0))])
    ]
    claims: dict[str, int | None] = dict(
        HistorySale.objects.filter(fingerprint__in=wanted).values_list("fingerprint", "job_id")
    )
    new: list[HistorySale] = []
    reclaimed: list[str] = []
    for clean, member in ready:
        repeat = 0
        while True:
            fp = fingerprint(member.pk, clean, repeat)
            if fp not in claims:
                row = HistorySale.objects.filter(fingerprint=fp).values_list("job_id").first()
                if row is not None:
                    claims[fp] = row[0]
            if fp not in claims:
                new.append(
                    HistorySale(
                        member=member,
                        store_id=job.store_id,
                        occurred_on=clean.day,
                        amount_fen=clean.fen,
                        items=clean.items,
                        fingerprint=fp,
                        job=job,
                    )
                )
                claims[fp] = job.pk
                out.created += 1
                break
            if claims[fp] == job.pk:  # this run read it already: a repetition in the file
                repeat += 1
                continue
            claims[fp] = job.pk
            reclaimed.append(fp)
            out.present += 1
            break
    HistorySale.objects.bulk_create(new, batch_size=1000)
    if reclaimed:
        HistorySale.objects.filter(fingerprint__in=reclaimed).update(job=job)
    return out
