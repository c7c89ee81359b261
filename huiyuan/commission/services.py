"""Commission rules and the entries a sale, a return, a reversal or a recharge writes.

Entries for sales are written by ``CommissionParticipant`` inside the sale's transaction
(``checkout.hooks``): the sale, its return or its reversal and the commission commit
together. Recharges are credited by a subscriber of ``wallet.recharged`` (see
docs/commission.md for why), once per recharge (a unique index).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.commission import rules as calc
from huiyuan.commission.models import CommissionEntry, CommissionRule
from huiyuan.core.clock import local_date
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, Role, require
from huiyuan.ledger.commands import command_run
from huiyuan.stores.models import Staff

MAX_FIXED_FEN = 1_000_000
CATEGORY_CODE_MAX = 30


def _spec(rule: CommissionRule) -> calc.RuleSpec:
    return calc.RuleSpec(
        id=rule.pk,
        kind=rule.kind,
        category_code=rule.category_code,
        role=rule.role,
        method=rule.method,
        rate_bp=rule.rate_bp,
        fixed_fen=rule.fixed_fen,
    )


def active_rules() -> list[calc.RuleSpec]:
    return [_spec(r) for r in CommissionRule.objects.filter(is_active=True).order_by("id")]


def rule_state(rule: CommissionRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "category_code": rule.category_code,
        "role": rule.role,
        "method": rule.method,
        "rate_bp": rule.rate_bp,
        "fixed_fen": rule.fixed_fen,
        "is_active": rule.is_active,
    }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_rule(
    kind: str, category_code: str, role: str, method: str, rate_bp: object, fixed_fen: object
) -> tuple[str, str, int, int]:
    if kind not in CommissionRule.Kind.values:
        raise ValidationFailed(
            _("Choose what the rule applies to."), code="invalid_kind", field="kind"
        )
    category_code = (category_code or "").strip()
    if kind == CommissionRule.Kind.CATEGORY:
        if not category_code or len(category_code) > CATEGORY_CODE_MAX:
            raise ValidationFailed(
                _("Enter the category code."), code="category_required", field="category_code"
            )
    else:
        category_code = ""
    if role and role not in {r.value for r in Role}:
        raise ValidationFailed(_("Unknown role."), code="invalid_role", field="role")
    if method == CommissionRule.Method.PERCENT:
        if not _is_int(rate_bp) or not 0 < rate_bp <= 10_000:  # type: ignore[operator]
            raise ValidationFailed(
                _("Enter a rate above 0% and at most 100%."), code="invalid_rate", field="rate_bp"
            )
        return category_code, role, int(rate_bp), 0  # type: ignore[call-overload]
    if method == CommissionRule.Method.FIXED:
        if not _is_int(fixed_fen) or not 0 < fixed_fen <= MAX_FIXED_FEN:  # type: ignore[operator]
            raise ValidationFailed(
                _("Enter an amount per unit above zero."),
                code="invalid_fixed",
                field="fixed_fen",
            )
        return category_code, role, 0, int(fixed_fen)  # type: ignore[call-overload]
    raise ValidationFailed(_("Choose percentage or fixed."), code="invalid_method", field="method")


def commission_rule_set(
    *,
    actor: Actor,
    kind: str,
    method: str,
    idempotency_key: str,
    category_code: str = "",
    role: str = "",
    rate_bp: int = 0,
    fixed_fen: int = 0,
) -> CommissionRule:
    """Set the rule for a category (or recharges) and role: the active rule for the same
    target is retired, the new one applies from now (entries keep the rule that made them)."""
    require(actor, Perm.COMMISSION_CONFIGURE)
    category_code, role, rate_bp, fixed_fen = _clean_rule(
        kind, category_code, role, method, rate_bp, fixed_fen
    )

    def perform() -> CommissionRule:
        with transaction.atomic():
            current = (
                CommissionRule.objects.select_for_update()
                .filter(kind=kind, category_code=category_code, role=role, is_active=True)
                .first()
            )
            before = rule_state(current) if current else None
            if current is not None:
                current.is_active = False
                current.save(update_fields=["is_active"])
            try:
                with transaction.atomic():
                    rule = CommissionRule.objects.create(
                        kind=kind,
                        category_code=category_code,
                        role=role,
                        method=method,
                        rate_bp=rate_bp,
                        fixed_fen=fixed_fen,
                        created_by=actor.staff,
                        created_at=timezone.now(),
                    )
            except IntegrityError as exc:  # a twin set it at the same moment
                from huiyuan.core.retry import RetryTransaction

                raise RetryTransaction() from exc
            audit_record(
                actor=actor,
                action="commission.rule_set",
                subject_type="commission_rule",
                subject_id=rule.pk,
                before=before,
                after=rule_state(rule),
                store_id=None,
            )
            return rule

    return command_run(
        actor=actor,
        key=idempotency_key,
        kind="commission_rule_set",
        payload={
            "kind": kind,
            "category_code": category_code,
            "role": role,
            "method": method,
            "rate_bp": rate_bp,
            "fixed_fen": fixed_fen,
        },
        perform=perform,
        load=lambda pk: CommissionRule.objects.get(pk=pk),
    )


def commission_rule_retire(*, actor: Actor, rule_id: int) -> CommissionRule:
    """Stop a rule: later sales earn nothing from it (idempotent by nature)."""
    require(actor, Perm.COMMISSION_CONFIGURE)
    with transaction.atomic():
        rule = CommissionRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("Commission rule not found."), code="commission_rule_not_found")
        if rule.is_active:
            before = rule_state(rule)
            rule.is_active = False
            rule.save(update_fields=["is_active"])
            audit_record(
                actor=actor,
                action="commission.rule_retired",
                subject_type="commission_rule",
                subject_id=rule.pk,
                before=before,
                after=rule_state(rule),
                store_id=None,
            )
        return rule


# ------------------------------------------------------------------------- entries


class LineSold:
    """What a sale line contributes: its id, category path, quantity and amount paid."""

    def __init__(
        self, *, line_id: int, category_path: Sequence[str], quantity_milli: int, paid_fen: int
    ) -> None:
        self.line_id = line_id
        self.category_path = tuple(category_path)
        self.quantity_milli = quantity_milli
        self.paid_fen = paid_fen


def entries_for_sale(
    *, sale_id: int, store_id: int, associate: Staff, lines: Sequence[LineSold], now: dt.datetime
) -> list[CommissionEntry]:
    """Credit the associate for each line a rule covers (inside the sale's transaction)."""
    specs = active_rules()
    if not specs:
        return []
    day = local_date(now)
    rows: list[CommissionEntry] = []
    for line in lines:
        spec = calc.rule_for_line(specs, category_path=line.category_path, role=associate.role)
        if spec is None:
            continue
        amount = calc.commission_amount(
            spec, base_fen=line.paid_fen, quantity_milli=line.quantity_milli
        )
        if amount <= 0:
            continue
        rows.append(
            CommissionEntry(
                staff=associate,
                store_id=store_id,
                source=CommissionEntry.Source.SALE,
                rule_id=spec.id,
                sale_id=sale_id,
                sale_line_id=line.line_id,
                base_fen=line.paid_fen,
                quantity_milli=line.quantity_milli,
                amount_fen=amount,
                business_date=day,
                created_at=now,
            )
        )
    return CommissionEntry.objects.bulk_create(rows)


def _credits_of_lines(line_ids: Sequence[int]) -> dict[int, CommissionEntry]:
    return {
        e.sale_line_id: e  # type: ignore[misc]
        for e in CommissionEntry.objects.filter(
            sale_line_id__in=line_ids, source=CommissionEntry.Source.SALE
        )
    }


def _reversed_so_far(credit_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per credit: (fen taken back, quantity taken back) by earlier returns/reversals."""
    rows = (
        CommissionEntry.objects.filter(reverses_id__in=credit_ids)
        .values("reverses_id")
        .annotate(fen=Sum("amount_fen"), milli=Sum("quantity_milli"))
    )
    return {r["reverses_id"]: (-int(r["fen"] or 0), -int(r["milli"] or 0)) for r in rows}


def entries_for_return(
    *, return_id: int, returned: Sequence[tuple[int, int]], now: dt.datetime
) -> list[CommissionEntry]:
    """Take back, per (sale line id, quantity returned now), the returned part of the
    line's credit: cumulative, so a line returned in pieces gives back its credit exactly."""
    credits = _credits_of_lines([line_id for line_id, _q in returned])
    if not credits:
        return []
    earlier = _reversed_so_far([c.pk for c in credits.values()])
    day = local_date(now)
    rows: list[CommissionEntry] = []
    for line_id, quantity in returned:
        credit = credits.get(line_id)
        if credit is None or quantity <= 0:
            continue
        _fen_before, milli_before = earlier.get(credit.pk, (0, 0))
        share = calc.reversal_share(
            credit.amount_fen,
            quantity_milli=credit.quantity_milli,
            before_milli=milli_before,
            now_milli=quantity,
        )
        base_share = calc.reversal_share(
            credit.base_fen,
            quantity_milli=credit.quantity_milli,
            before_milli=milli_before,
            now_milli=quantity,
        )
        rows.append(
            CommissionEntry(
                staff_id=credit.staff_id,
                store_id=credit.store_id,
                source=CommissionEntry.Source.RETURN,
                rule_id=credit.rule_id,
                sale_id=credit.sale_id,
                sale_line_id=line_id,
                return_id=return_id,
                reverses=credit,
                base_fen=-base_share,
                quantity_milli=-quantity,
                amount_fen=-share,
                business_date=day,
                created_at=now,
            )
        )
    return CommissionEntry.objects.bulk_create(rows)


def entries_for_reversal(*, sale_id: int, now: dt.datetime) -> list[CommissionEntry]:
    """Take back everything the sale's credits still hold."""
    credits = list(
        CommissionEntry.objects.filter(sale_id=sale_id, source=CommissionEntry.Source.SALE)
    )
    if not credits:
        return []
    earlier = _reversed_so_far([c.pk for c in credits])
    day = local_date(now)
    rows = []
    for credit in credits:
        fen_before, milli_before = earlier.get(credit.pk, (0, 0))
        left = credit.amount_fen - fen_before
        if left == 0:
            continue
        rows.append(
            CommissionEntry(
                staff_id=credit.staff_id,
                store_id=credit.store_id,
                source=CommissionEntry.Source.REVERSAL,
                rule_id=credit.rule_id,
                sale_id=sale_id,
                sale_line_id=credit.sale_line_id,
                reverses=credit,
                base_fen=-credit.base_fen,
                quantity_milli=-(credit.quantity_milli - milli_before),
                amount_fen=-left,
                business_date=day,
                created_at=now,
            )
        )
    return CommissionEntry.objects.bulk_create(rows)


def entry_for_recharge(
    *, recharge_id: int, staff: Staff, store_id: int, principal_fen: int, at: dt.datetime
) -> CommissionEntry | None:
    """Credit the operator of a recharge once (a replayed event writes nothing)."""
    spec = calc.rule_for_recharge(active_rules(), role=staff.role)
    if spec is None:
        return None
    amount = calc.commission_amount(spec, base_fen=principal_fen, quantity_milli=1000)
    if amount <= 0:
        return None
    if CommissionEntry.objects.filter(
        recharge_id=recharge_id, source=CommissionEntry.Source.RECHARGE
    ).exists():
        return None
    return CommissionEntry.objects.create(
        staff=staff,
        store_id=store_id,
        source=CommissionEntry.Source.RECHARGE,
        rule_id=spec.id,
        recharge_id=recharge_id,
        base_fen=principal_fen,
        quantity_milli=1000,
        amount_fen=amount,
        business_date=local_date(at),
        created_at=timezone.now(),
    )
