"""Plans (次卡方案): the offer a catalog product sells. Head office configures them
(``catalog.manage``); every change is audited. A change never touches packages sold
before it: they carry a copy of the terms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.catalog.models import Product
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run
from huiyuan.packages.models import (
    MAX_USES,
    Activation,
    Kind,
    LimitPeriod,
    PackagePlan,
    PlanItem,
    ValidityUnit,
)
from huiyuan.stores.models import Store

MAX_ITEMS = 20
MAX_FEE_FEN = 100_000_000
MAX_MONTHS = 120
MAX_DAYS = 3_660


@dataclass(frozen=True)
class ItemInput:
    name: str
    uses: int | None  # None: unlimited (period cards only)


@dataclass(frozen=True)
class PlanInput:
    product_id: int
    name: str
    kind: str
    items: Sequence[ItemInput] = ()
    validity_value: int | None = None
    validity_unit: str = ValidityUnit.DAY
    activation: str = Activation.SALE
    limit_count: int | None = None
    limit_period: str = LimitPeriod.DAY
    all_stores: bool = True
    store_ids: Sequence[int] = field(default_factory=tuple)
    refund_fee_fen: int = 0
    refund_fee_bp: int = 0
    active: bool = True


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(message: str | Promise, code: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)


def _clean_items(data: PlanInput) -> list[ItemInput]:
    items = list(data.items)
    if data.kind == Kind.PERIOD:
        # A period card is one unlimited item (its visits are bounded by the limit).
        name = (items[0].name.strip() if items else "") or str(_("Visits"))
        return [ItemInput(name=name[:40], uses=None)]
    if not items or (data.kind == Kind.COUNT and len(items) != 1) or len(items) > MAX_ITEMS:
        raise _bad(
            _("A count card has one item; a course card one to twenty."),
            "invalid_items",
            "items",
        )
    cleaned = []
    names = set()
    for item in items:
        name = " ".join((item.name or "").split())[:40]
        if not name:
            raise _bad(_("Name each item."), "item_name_required", "items")
        if name in names:
            raise _bad(_("Two items have the same name."), "item_name_duplicate", "items")
        names.add(name)
        if not _int(item.uses) or not 1 <= int(item.uses or 0) <= MAX_USES:
            raise _bad(
                _("Give each item 1 to %(max)s uses.") % {"max": MAX_USES},
                "invalid_uses",
                "items",
            )
        cleaned.append(ItemInput(name=name, uses=item.uses))
    return cleaned


def _clean(data: PlanInput) -> tuple[str, list[ItemInput], list[int]]:
    name = " ".join((data.name or "").split())[:60]
    if not name:
        raise _bad(_("Name the plan."), "name_required", "name")
    if data.kind not in Kind.values:
        raise _bad(_("Unknown kind of card."), "invalid_kind", "kind")
    if data.validity_unit not in ValidityUnit.values:
        raise _bad(_("Unknown validity unit."), "invalid_validity_unit", "validity_unit")
    if data.activation not in Activation.values:
        raise _bad(_("Unknown activation."), "invalid_activation", "activation")
    if data.limit_period not in LimitPeriod.values:
        raise _bad(_("Unknown limit period."), "invalid_limit_period", "limit_period")
    most = MAX_MONTHS if data.validity_unit == ValidityUnit.MONTH else MAX_DAYS
    if data.validity_value is None:
        if data.kind == Kind.PERIOD:
            raise _bad(
                _("A period card needs its validity."), "validity_required", "validity_value"
            )
    elif not _int(data.validity_value) or not 1 <= data.validity_value <= most:
        raise _bad(
            _("Give a validity of 1 to %(max)s.") % {"max": most},
            "invalid_validity",
            "validity_value",
        )
    if data.limit_count is not None and (
        not _int(data.limit_count) or not 1 <= data.limit_count <= MAX_USES
    ):
        raise _bad(_("Give a limit of at least 1."), "invalid_limit", "limit_count")
    if not _int(data.refund_fee_fen) or not 0 <= data.refund_fee_fen <= MAX_FEE_FEN:
        raise _bad(_("Enter a fee of zero or more."), "invalid_fee", "refund_fee_fen")
    if not _int(data.refund_fee_bp) or not 0 <= data.refund_fee_bp <= 10_000:
        raise _bad(_("Enter a fee rate from 0% to 100%."), "invalid_fee_rate", "refund_fee_bp")
    store_ids: list[int] = []
    if not data.all_stores:
        store_ids = sorted(set(data.store_ids))
        if not store_ids or not all(_int(s) for s in store_ids):
            raise _bad(_("Choose the stores that accept it."), "stores_required", "store_ids")
        if Store.objects.filter(pk__in=store_ids).count() != len(store_ids):
            raise _bad(_("Unknown store."), "store_not_found", "store_ids")
    return name, _clean_items(data), store_ids


def _product(product_id: int, *, plan_id: int | None = None) -> Product:
    product = Product.objects.filter(pk=product_id).first() if _int(product_id) else None
    if product is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    if product.is_bundle or product.divisible:
        raise _bad(
            _("A card is sold as whole units of a product that is not a bundle."),
            "product_not_a_unit",
            "product_id",
        )
    others = PackagePlan.objects.filter(product_id=product.pk)
    if plan_id is not None:
        others = others.exclude(pk=plan_id)
    taken = others.exists()
    if taken:
        raise ValidationFailed(
            _("This product already sells another plan."),
            code="product_has_plan",
            field="product_id",
        )
    return product


def _snapshot(plan: PackagePlan) -> dict[str, object]:
    return {
        "product": plan.product_id,
        "name": plan.name,
        "kind": plan.kind,
        "validity": [plan.validity_value, plan.validity_unit, plan.activation],
        "limit": [plan.limit_count, plan.limit_period],
        "stores": "all" if plan.all_stores else plan.store_ids,
        "fee": [plan.refund_fee_fen, plan.refund_fee_bp],
        "active": plan.active,
        "items": [[i.name, i.uses] for i in plan.items.all()],
    }


def _apply(plan: PackagePlan, data: PlanInput, name: str, store_ids: list[int]) -> None:
    plan.name = name
    plan.kind = data.kind
    plan.validity_value = data.validity_value
    plan.validity_unit = data.validity_unit
    plan.activation = data.activation
    plan.limit_count = data.limit_count
    plan.limit_period = data.limit_period
    plan.all_stores = bool(data.all_stores)
    plan.store_ids = store_ids
    plan.refund_fee_fen = data.refund_fee_fen
    plan.refund_fee_bp = data.refund_fee_bp
    plan.active = bool(data.active)
    plan.updated_at = timezone.now()


def _set_items(plan: PackagePlan, items: list[ItemInput]) -> None:
    plan.items.all().delete()
    PlanItem.objects.bulk_create(
        PlanItem(plan=plan, position=n, name=item.name, uses=item.uses)
        for n, item in enumerate(items, start=1)
    )


def _payload(data: PlanInput) -> dict[str, Any]:
    body = asdict(data)
    body["items"] = [[i.name, i.uses] for i in data.items]
    body["store_ids"] = list(data.store_ids)
    return body


def _plan_load(plan_id: int) -> PackagePlan:
    return PackagePlan.objects.get(pk=plan_id)


def plan_create(*, actor: Actor, data: PlanInput, idempotency_key: str = "") -> PackagePlan:
    """Offer a count, period or course card through a catalog product (once per key, when
    one is given)."""
    require(actor, Perm.CATALOG_MANAGE)
    name, items, store_ids = _clean(data)
    if idempotency_key:
        return command_run(
            actor=actor,
            key=idempotency_key,
            kind="package_plan_create",
            payload=_payload(data),
            perform=lambda: _create(actor, data, name, items, store_ids),
            load=_plan_load,
        )
    with transaction.atomic():
        return _create(actor, data, name, items, store_ids)


def _create(
    actor: Actor, data: PlanInput, name: str, items: list[ItemInput], store_ids: list[int]
) -> PackagePlan:
    product = _product(data.product_id)
    plan = PackagePlan(product=product, created_at=timezone.now())
    _apply(plan, data, name, store_ids)
    plan.save()
    _set_items(plan, items)
    audit_record(
        actor=actor,
        action="package_plan.created",
        subject_type="package_plan",
        subject_id=plan.pk,
        after=_snapshot(plan),
    )
    return plan


def plan_update(*, actor: Actor, plan_id: int, data: PlanInput) -> PackagePlan:
    """Change a plan; packages already sold keep the terms they were sold with."""
    require(actor, Perm.CATALOG_MANAGE)
    name, items, store_ids = _clean(data)
    with transaction.atomic():
        plan = (
            PackagePlan.objects.select_for_update().filter(pk=plan_id).first()
            if _int(plan_id)
            else None
        )
        if plan is None:
            raise NotFound(_("Plan not found."), code="plan_not_found")
        before = _snapshot(plan)
        if data.product_id != plan.product_id:
            plan.product = _product(data.product_id, plan_id=plan.pk)
        _apply(plan, data, name, store_ids)
        plan.save()
        _set_items(plan, items)
        audit_record(
            actor=actor,
            action="package_plan.updated",
            subject_type="package_plan",
            subject_id=plan.pk,
            before=before,
            after=_snapshot(plan),
        )
    return plan
