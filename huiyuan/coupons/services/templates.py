"""Coupon templates: create, edit (a new version), stop."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import Product
from huiyuan.core.errors import Conflict, NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.coupons.interest import interest_clear
from huiyuan.coupons.models import CouponTemplate
from huiyuan.ledger.commands import command_run
from huiyuan.stores.models import Store

TRIGGERS = ("member.registered", "wallet.recharged")
MAX_FEN = 100_000_000  # ¥1,000,000
MAX_STACK_GROUP = 20


@dataclass(frozen=True)
class TemplateInput:
    name: str
    kind: str
    value: int = 0  # fen off (cash, threshold), paid permille (percent), gift's value (gift)
    min_spend_fen: int = 0
    cap_fen: int = 0
    gift_product_id: int | None = None
    validity: str = CouponTemplate.Validity.FIXED
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    valid_days: int | None = None
    store_ids: tuple[int, ...] = ()
    category_codes: tuple[str, ...] = ()
    tier_codes: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    per_member_limit: int = 1
    stock: int | None = None
    budget_fen: int | None = None
    stack_group: str = ""
    claimable: bool = False
    issue_on: tuple[str, ...] = ()
    min_recharge_fen: int = 0
    restore_on_return: bool = True


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(message: Any, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_template", field=field)


def template_check(data: TemplateInput) -> TemplateInput:
    """Every rule a template must follow; returns it cleaned."""
    name = (data.name or "").strip()
    if not name or len(name) > 40:
        raise _fail(_("Give the template a name (at most 40 characters)."), "name")
    if data.kind not in CouponTemplate.Kind.values:
        raise _fail(_("Choose a coupon kind."), "kind")
    for field in ("value", "min_spend_fen", "cap_fen", "min_recharge_fen"):
        amount = getattr(data, field)
        if not _int(amount) or not 0 <= amount <= MAX_FEN:
            raise _fail(_("Enter an amount between 0 and ¥1,000,000."), field)
    kind = data.kind
    if kind in (CouponTemplate.Kind.CASH, CouponTemplate.Kind.THRESHOLD) and data.value <= 0:
        raise _fail(_("Enter the amount the coupon takes off."), "value")
    if kind == CouponTemplate.Kind.THRESHOLD and data.min_spend_fen < data.value:
        raise _fail(_("The threshold must be at least the amount taken off."), "min_spend_fen")
    if kind == CouponTemplate.Kind.PERCENT and not 1 <= data.value <= 999:
        raise _fail(_("Enter the price paid in permille, 1 to 999 (800 = 20% off)."), "value")
    if kind == CouponTemplate.Kind.GIFT:
        if (
            data.gift_product_id is None
            or not Product.objects.filter(pk=data.gift_product_id).exists()
        ):
            raise _fail(_("Choose the product given free."), "gift_product_id")
    elif data.gift_product_id is not None:
        raise _fail(_("Only a gift coupon names a product."), "gift_product_id")
    if data.validity == CouponTemplate.Validity.FIXED:
        if data.valid_from is None or data.valid_to is None or data.valid_from > data.valid_to:
            raise _fail(_("Enter the first and last day of validity."), "valid_to")
    elif data.validity == CouponTemplate.Validity.RELATIVE:
        if not _int(data.valid_days) or not 1 <= (data.valid_days or 0) <= 3650:
            raise _fail(_("Enter how many days a coupon is valid (1–3650)."), "valid_days")
    else:
        raise _fail(_("Choose how validity is set."), "validity")
    if any(not _int(d) or not 1 <= d <= 7 for d in data.weekdays):
        raise _fail(_("Weekdays are 1 (Monday) to 7 (Sunday)."), "weekdays")
    stores = sorted(set(data.store_ids))
    if len(Store.objects.filter(pk__in=stores)) != len(stores):
        raise _fail(_("Unknown store."), "store_ids")
    if not _int(data.per_member_limit) or not 0 <= data.per_member_limit <= 1000:
        raise _fail(_("Enter a per-member limit (0 for none)."), "per_member_limit")
    if data.stock is not None and (not _int(data.stock) or not 0 <= data.stock <= 10_000_000):
        raise _fail(_("Enter the total stock (empty for none)."), "stock")
    if data.budget_fen is not None:
        if not _int(data.budget_fen) or not 0 <= data.budget_fen <= MAX_FEN * 100:
            raise _fail(_("Enter the budget (empty for none)."), "budget_fen")
        if kind == CouponTemplate.Kind.PERCENT and not data.cap_fen:
            raise _fail(_("A percentage coupon with a budget needs a cap."), "cap_fen")
        if kind == CouponTemplate.Kind.GIFT and not data.value:
            raise _fail(_("A gift coupon with a budget needs the gift's value."), "value")
    group = (data.stack_group or "").strip()
    if len(group) > MAX_STACK_GROUP:
        raise _fail(_("A stacking group has at most 20 characters."), "stack_group")
    if any(t not in TRIGGERS for t in data.issue_on):
        raise _fail(_("Unknown event."), "issue_on")
    return dataclasses.replace(
        data,
        name=name,
        stack_group=group,
        store_ids=tuple(stores),
        weekdays=tuple(sorted(set(data.weekdays))),
        category_codes=tuple(sorted({c.strip() for c in data.category_codes if c.strip()})),
        tier_codes=tuple(sorted({c.strip() for c in data.tier_codes if c.strip()})),
        issue_on=tuple(sorted(set(data.issue_on))),
        valid_days=data.valid_days if data.validity == CouponTemplate.Validity.RELATIVE else None,
        valid_from=data.valid_from if data.validity == CouponTemplate.Validity.FIXED else None,
        valid_to=data.valid_to if data.validity == CouponTemplate.Validity.FIXED else None,
    )


def _fields(data: TemplateInput) -> dict[str, Any]:
    values = dataclasses.asdict(data)
    for key in ("store_ids", "category_codes", "tier_codes", "weekdays", "issue_on"):
        values[key] = list(values[key])
    return values


def template_snapshot(template: CouponTemplate) -> dict[str, Any]:
    return {
        f.name: (str(v) if isinstance(v := getattr(template, f.name), dt.date) else v)
        for f in dataclasses.fields(TemplateInput)
    }


def _keyed(
    actor: Actor, key: str | None, kind: str, payload: dict[str, Any], perform: Any
) -> CouponTemplate:
    """Once per Idempotency-Key when one is given (the API always gives one)."""
    if key is None:
        return transaction.atomic(perform)()  # type: ignore[no-any-return]
    return command_run(
        actor=actor,
        key=key,
        kind=kind,
        payload=payload,
        perform=perform,
        load=lambda pk: CouponTemplate.objects.get(pk=pk),
    )


def template_create(
    *, actor: Actor, data: TemplateInput, idempotency_key: str | None = None
) -> CouponTemplate:
    require(actor, Perm.COUPON_MANAGE)
    data = template_check(data)
    return _keyed(
        actor,
        idempotency_key,
        "coupon_template.create",
        _fields(data),
        lambda: _create(actor, data),
    )


def _create(actor: Actor, data: TemplateInput) -> CouponTemplate:
    now = timezone.now()
    template = CouponTemplate.objects.create(**_fields(data), created_at=now, updated_at=now)
    interest_clear()
    audit_record(
        actor=actor,
        action="coupon_template.created",
        subject_type="coupon_template",
        subject_id=template.pk,
        after=template_snapshot(template),
    )
    return template


def template_locked(template_id: int) -> CouponTemplate:
    """The template row locked FOR NO KEY UPDATE: every scarce counter changes under it."""
    template = (
        CouponTemplate.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=template_id)
        .first()
    )
    if template is None:
        raise NotFound(_("Coupon template not found."), code="coupon_template_not_found")
    return template


def template_update(
    *, actor: Actor, template_id: int, data: TemplateInput, idempotency_key: str | None = None
) -> CouponTemplate:
    """A new version of the template; coupons already issued keep their dates and take the
    new terms when used. Stock and budget never go below what was already issued."""
    require(actor, Perm.COUPON_MANAGE)
    data = template_check(data)
    return _keyed(
        actor,
        idempotency_key,
        "coupon_template.update",
        {"id": template_id, **_fields(data)},
        lambda: _update(actor, template_id, data),
    )


def _update(actor: Actor, template_id: int, data: TemplateInput) -> CouponTemplate:
    template = template_locked(template_id)
    if data.kind != template.kind:
        raise _fail(_("The kind of a template cannot change."), "kind")
    if data.stock is not None and data.stock < template.issued_count:
        raise _fail(_("The stock cannot be below the coupons already issued."), "stock")
    if data.budget_fen is not None and data.budget_fen < template.budget_used_fen:
        raise _fail(_("The budget cannot be below what is already reserved."), "budget_fen")
    before = template_snapshot(template)
    for key, value in _fields(data).items():
        setattr(template, key, value)
    template.version += 1
    template.updated_at = timezone.now()
    template.save()
    interest_clear()
    audit_record(
        actor=actor,
        action="coupon_template.updated",
        subject_type="coupon_template",
        subject_id=template.pk,
        before=before,
        after=template_snapshot(template),
    )
    return template


def template_stop(
    *, actor: Actor, template_id: int, idempotency_key: str | None = None
) -> CouponTemplate:
    """No more coupons are issued from it; those issued stay usable until they expire."""
    require(actor, Perm.COUPON_MANAGE)
    return _keyed(
        actor,
        idempotency_key,
        "coupon_template.stop",
        {"id": template_id},
        lambda: _stop(actor, template_id),
    )


def _stop(actor: Actor, template_id: int) -> CouponTemplate:
    template = template_locked(template_id)
    if template.status == CouponTemplate.Status.STOPPED:
        raise Conflict(_("This template is already stopped."), code="coupon_template_stopped")
    template.status = CouponTemplate.Status.STOPPED
    template.updated_at = timezone.now()
    template.save(update_fields=["status", "updated_at"])
    interest_clear()
    audit_record(
        actor=actor,
        action="coupon_template.stopped",
        subject_type="coupon_template",
        subject_id=template.pk,
    )
    return template
