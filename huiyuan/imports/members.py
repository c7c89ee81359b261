"""Member import (M3): one batch of rows checked and written in one short transaction.

The natural key is the mobile number (its keyed hash, ``Member.mobile_hash``, unique): a
row whose mobile already belongs to a member adds nobody — it is counted as *already
present*, or, when the import's options say ``update_existing``, the member's archive
fields named by the mapping are updated through ``member_update``. So the same file
imported twice adds nobody. A member number column (会员编号), when mapped, becomes the new
member's number; a number taken by another member refuses the row.

Members are created in bulk (one INSERT per batch) with the same cleaning the counter's
registration uses (``huiyuan.members.services``); imported members get no welcome events
(no ``member.registered``: a migration must not hand out a million welcome coupons), and
each batch writes one audit event naming how many it added.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.core import china, pii
from huiyuan.core.errors import DomainError, ValidationFailed
from huiyuan.core.permissions import Actor
from huiyuan.core.retry import RetryTransaction
from huiyuan.imports.columns import MEMBER_COLUMNS
from huiyuan.imports.models import ImportJob
from huiyuan.members.models import Member
from huiyuan.members.services import (
    _birthday_fields,
    _clean_email,
    _id_number_fields,
    _name_fields,
    member_update,
)

LABELS = {c.name: c.label for c in MEMBER_COLUMNS}
GENDERS = {
    "男": Member.Gender.MALE,
    "m": Member.Gender.MALE,
    "male": Member.Gender.MALE,
    "女": Member.Gender.FEMALE,
    "f": Member.Gender.FEMALE,
    "female": Member.Gender.FEMALE,
    "": Member.Gender.UNKNOWN,
    "未知": Member.Gender.UNKNOWN,
    "u": Member.Gender.UNKNOWN,
    "unknown": Member.Gender.UNKNOWN,
}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
# Fields an update may change (what the mapping names among these).
UPDATABLE = ("name", "gender", "birthday", "id_number", "region", "address", "occupation", "email")


@dataclass
class Outcome:
    """What one batch did, row numbers of its refusals with their messages."""

    created: int = 0
    present: int = 0
    updated: int = 0
    errors: list[tuple[int, list[str], str]] = field(default_factory=list)


def parse_date(text: str) -> dt.date:
    """``2024-05-01``, ``2024/5/1``, ``2024.05.01``, ``2024年5月1日`` or ``20240501``."""
    text = text.strip()
    match = DATE_RE.match(text)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise ValidationFailed(_("Write a date as 2024-05-01."), code="invalid_date")


@functools.lru_cache(maxsize=65_536)
def _name_fields_cached(name: str) -> tuple[tuple[str, str], ...]:
    """``_name_fields`` remembered per name: pinyin is most of a row's cost, and a member
    file repeats names (王伟, 李娜…) a great deal."""
    return tuple(_name_fields(name).items())


def _in(column: str, exc: DomainError) -> str:
    return gettext("%(column)s: %(message)s") % {
        "column": LABELS.get(column, column),
        "message": exc.message,
    }


def member_row_clean(values: dict[str, str]) -> tuple[dict[str, Any], str, list[str]]:
    """The row's model fields, its mobile's keyed hash, and every problem (in Chinese when
    the language is Chinese). Nothing is read from the database."""
    fields: dict[str, Any] = {}
    problems: list[str] = []
    digest = ""

    def check(column: str, clean: Any) -> None:
        try:
            fields.update(clean())
        except DomainError as exc:
            problems.append(_in(column, exc))

    check("name", lambda: dict(_name_fields_cached(values.get("name", ""))))

    def mobile() -> dict[str, str]:
        nonlocal digest
        number = china.normalize_mobile(values.get("mobile", ""))
        digest = pii.keyed_hash(number)
        return {
            "mobile_enc": pii.encrypt(number),
            "mobile_hash": digest,
            "mobile_masked": pii.mask_mobile(number),
            "mobile_last4": number[-4:],
        }

    check("mobile", mobile)
    code = values.get("code", "").strip()
    if code and not CODE_RE.match(code):
        problems.append(_in("code", ValidationFailed(_("At most 20 letters, digits or dashes."))))
    elif code:
        fields["code"] = code

    def gender() -> dict[str, str]:
        value = GENDERS.get(values.get("gender", "").strip().lower())
        if value is None:
            raise ValidationFailed(_("Write 男 or 女."), code="invalid_gender")
        return {"gender": value}

    if "gender" in values:
        check("gender", gender)
    if values.get("birthday", "").strip():
        check("birthday", lambda: _birthday_fields(parse_date(values["birthday"]), None))
    if values.get("id_number", "").strip():
        check("id_number", lambda: _id_number_fields(values["id_number"]))
    if values.get("email", "").strip():
        check("email", lambda: {"email": _clean_email(values["email"])})
    for key, limit in (("region", 100), ("occupation", 50), ("preferences", 1000)):
        if values.get(key):
            fields[key] = values[key].strip()[:limit]
    if values.get("address"):
        fields["address_enc"] = pii.encrypt(values["address"].strip()[:200])
    return fields, digest, problems


@dataclass
class MemberRow:
    row: int
    cells: list[str]
    values: dict[str, str]


def _new_codes(count: int) -> list[str]:
    """``count`` member numbers not in use (drawn like the counter's, checked in one query)."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {f"8{secrets.randbelow(10**9):09d}" for _i in range(count - len(codes))}
        taken = set(Member.objects.filter(code__in=wanted).values_list("code", flat=True))
        codes |= wanted - taken
    return list(codes)


def _update_changes(values: dict[str, str], fields: dict[str, Any]) -> dict[str, Any]:
    """The ``member_update`` changes for the mapped, non-empty archive columns."""
    changes: dict[str, Any] = {}
    for name in UPDATABLE:
        text = values.get(name, "").strip()
        if not text:
            continue
        if name == "birthday":
            changes["birthday"] = fields["birthday"]
        elif name == "gender":
            changes["gender"] = fields["gender"]
        else:
            changes[name] = text
    return changes


def members_import_batch(
    *, actor: Actor, job: ImportJob, rows: list[MemberRow], watermark: int
) -> Outcome:
    """Check and write one batch; runs in the caller's (short) transaction.

    ``watermark`` is the highest member id before the job started: a mobile found on a
    member this job imported (id above it, channel import) is a duplicate row of the file,
    not a member already present."""
    outcome = Outcome()
    update = bool(job.options.get("update_existing"))
    store_id = int(job.store_id or 0)
    cleaned: list[tuple[MemberRow, dict[str, Any], str]] = []
    first_in_batch: dict[str, int] = {}
    for row in rows:
        fields, digest, problems = member_row_clean(row.values)
        if digest and digest in first_in_batch and not problems:
            problems.append(
                gettext("Same mobile as row %(row)s.") % {"row": first_in_batch[digest]}
            )
        if problems:
            outcome.errors.append((row.row, row.cells, "；".join(problems)))
            continue
        first_in_batch[digest] = row.row
        cleaned.append((row, fields, digest))

    existing = {
        h: (pk, channel)
        for pk, h, channel in Member.objects.filter(
            mobile_hash__in=[d for _r, _f, d in cleaned]
        ).values_list("pk", "mobile_hash", "channel")
    }
    given_codes = [f["code"] for _r, f, _d in cleaned if "code" in f]
    codes_taken = dict(
        Member.objects.filter(code__in=given_codes).values_list("code", "mobile_hash")
    )
    now = timezone.now()
    new: list[Member] = []
    for row, fields, digest in cleaned:
        found = existing.get(digest)
        if found is not None:
            pk, channel = found
            if pk > watermark and channel == Member.Channel.IMPORT:
                outcome.errors.append(
                    (row.row, row.cells, gettext("Same mobile as an earlier row of this file."))
                )
            elif update:
                try:
                    member_update(
                        actor=actor, member_id=pk, changes=_update_changes(row.values, fields)
                    )
                except DomainError as exc:
                    outcome.errors.append((row.row, row.cells, str(exc.message)))
                else:
                    outcome.updated += 1
            else:
                outcome.present += 1
            continue
        code = fields.get("code")
        if code is not None and code in codes_taken:
            outcome.errors.append(
                (
                    row.row,
                    row.cells,
                    _in("code", ValidationFailed(_("This member number is already in use."))),
                )
            )
            continue
        if code is not None:
            codes_taken[code] = digest
        new.append(
            Member(
                channel=Member.Channel.IMPORT,
                home_store_id=store_id,
                registered_by=actor.staff,
                joined_at=now,
                last_activity_at=now,
                consent_at=now,
                **fields,
            )
        )
    for member, code in zip(
        [m for m in new if not m.code], _new_codes(sum(1 for m in new if not m.code)), strict=True
    ):
        member.code = code
    if new:
        try:
            Member.objects.bulk_create(new)
        except IntegrityError as exc:
            # A counter registered one of these mobiles (or numbers) since the check: run
            # the batch again, which now finds it present.
            raise RetryTransaction() from exc
        outcome.created = len(new)
        audit_record(
            actor=actor,
            action="members.imported",
            subject_type="import_job",
            subject_id=job.pk,
            after={"created": len(new), "first_row": rows[0].row, "last_row": rows[-1].row},
            store_id=store_id or None,
        )
    return outcome
