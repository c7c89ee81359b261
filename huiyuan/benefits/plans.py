"""Benefit plans (权益卡方案): the offer a catalog product sells, with its privileges as data.

Head office configures them (``catalog.manage``); every change is audited and bumps the
plan's version. A change never touches cards sold before it: they carry a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.audit.services import audit_record
from huiyuan.benefits.models import BenefitPlan, Term
from huiyuan.benefits.rules import terms_of
from huiyuan.catalog.models import Product
from huiyuan.core.errors import NotFound, ValidationFailed
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.commands import command_run
from huiyuan.packages.models import PackagePlan

MAX_RANK = 99
MAX_MULTIPLIER = 1000  # 10×
MAX_PRICE_FEN = 100_000_000
MAX_ENTRIES = 200


@dataclass(frozen=True)
class PlanInput:
    product_id: int
    code: str
    name: str
    term: str
    rank: int = 1
    paid_permille: int = 1000
    category_discounts: Mapping[str, int] = field(default_factory=dict)
    points_multiplier_pct: int = 100
    member_prices: Mapping[int, int] = field(default_factory=dict)
    free_plan_id: int | None = None
    priority_text: str = ""
    refund_fee_bp: int = 0
    active: bool = True


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(message: object, code: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)  # type: ignore[arg-type]


def _clean(data: PlanInput, plan: BenefitPlan | None) -> dict[str, Any]:
    code = (data.code or "").strip().upper()[:20]
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise _bad(_("Give the plan a code of letters and digits."), "invalid_code", "code")
    same_code = BenefitPlan.objects.filter(code=code)
    if plan is not None:
        same_code = same_code.exclude(pk=plan.pk)
    if same_code.exists():
        raise _bad(_("Another plan has this code."), "code_taken", "code")
    name = " ".join((data.name or "").split())[:60]
    if not name:
        raise _bad(_("Name the plan."), "name_required", "name")
    if data.term not in Term.values:
        raise _bad(_("Unknown term."), "invalid_term", "term")
    if not _int(data.rank) or not 1 <= data.rank <= MAX_RANK:
        raise _bad(_("Give a rank from 1 to 99."), "invalid_rank", "rank")
    if not _int(data.paid_permille) or not 0 <= data.paid_permille <= 1000:
        raise _bad(_("Give a rate from 0‰ to 1000‰."), "invalid_rate", "paid_permille")
    if len(data.category_discounts) > MAX_ENTRIES:
        raise _bad(_("Too many categories."), "invalid_rate", "category_discounts")
    categories: dict[str, int] = {}
    for key, rate in data.category_discounts.items():
        cat = str(key).strip()[:40]
        if not cat or not _int(rate) or not 0 <= rate <= 1000:
            raise _bad(_("Give a rate from 0‰ to 1000‰."), "invalid_rate", "category_discounts")
        categories[cat] = rate
    if not _int(data.points_multiplier_pct) or not 0 < data.points_multiplier_pct <= MAX_MULTIPLIER:
        raise _bad(
            _("Give a points multiplier from 1% to 1000%."),
            "invalid_multiplier",
            "points_multiplier_pct",
        )
    if len(data.member_prices) > MAX_ENTRIES:
        raise _bad(_("Too many member prices."), "invalid_price", "member_prices")
    prices: dict[str, int] = {}
    for product_id, price in data.member_prices.items():
        if not _int(product_id) or not _int(price) or not 0 <= price <= MAX_PRICE_FEN:
            raise _bad(_("Give each member price in fen."), "invalid_price", "member_prices")
        prices[str(product_id)] = price
    if prices and Product.objects.filter(pk__in=[int(k) for k in prices]).count() != len(prices):
        raise _bad(_("Unknown product."), "product_not_found", "member_prices")
    if data.free_plan_id is not None and (
        not _int(data.free_plan_id) or not PackagePlan.objects.filter(pk=data.free_plan_id).exists()
    ):
        raise _bad(_("Unknown count-card plan."), "free_plan_not_found", "free_plan_id")
    if not _int(data.refund_fee_bp) or not 0 <= data.refund_fee_bp <= 10_000:
        raise _bad(_("Enter a fee rate from 0% to 100%."), "invalid_fee_rate", "refund_fee_bp")
    if not _int(data.product_id) or not Product.objects.filter(pk=data.product_id).exists():
        raise _bad(_("Unknown product."), "product_not_found", "product_id")
    taken = BenefitPlan.objects.filter(product_id=data.product_id)
    if plan is not None:
        taken = taken.exclude(pk=plan.pk)
    if taken.exists() or PackagePlan.objects.filter(product_id=data.product_id).exists():
        raise _bad(_("This product already sells another card."), "product_taken", "product_id")
    return {
        "product_id": data.product_id,
        "code": code,
        "name": name,
        "term": data.term,
        "rank": data.rank,
        "paid_permille": data.paid_permille,
        "category_discounts": categories,
        "points_multiplier_pct": data.points_multiplier_pct,
        "member_prices": prices,
        "free_plan_id": data.free_plan_id,
        "priority_text": (data.priority_text or "").strip()[:200],
        "refund_fee_bp": data.refund_fee_bp,
        "active": bool(data.active),
    }


def _payload(data: PlanInput) -> dict[str, Any]:
    body = asdict(data)
    body["category_discounts"] = dict(data.category_discounts)
    body["member_prices"] = {str(k): v for k, v in data.member_prices.items()}
    return body


def _create(actor: Actor, values: dict[str, Any]) -> BenefitPlan:
    now = timezone.now()
    plan = BenefitPlan.objects.create(**values, created_at=now, updated_at=now)
    audit_record(
        actor=actor,
        action="benefit_plan.created",
        subject_type="benefit_plan",
        subject_id=plan.pk,
        after={"name": plan.name, "term": plan.term, **terms_of(plan)},
    )
    return plan


def plan_create(*, actor: Actor, data: PlanInput, idempotency_key: str = "") -> BenefitPlan:
    """Offer a benefit card through a catalog product (once per key, when one is given)."""
    require(actor, Perm.CATALOG_MANAGE)
    if idempotency_key:
        return command_run(
            actor=actor,
            key=idempotency_key,
            kind="benefit_plan_create",
            payload=_payload(data),
            perform=lambda: _create(actor, _clean(data, None)),
            load=lambda pk: BenefitPlan.objects.get(pk=pk),
        )
    with transaction.atomic():
        return _create(actor, _clean(data, None))


def plan_update(*, actor: Actor, plan_id: int, data: PlanInput) -> BenefitPlan:
    require(actor, Perm.CATALOG_MANAGE)
    if not _int(plan_id):
        raise NotFound(_("Plan not found."), code="plan_not_found")
    with transaction.atomic():
        plan = BenefitPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise NotFound(_("Plan not found."), code="plan_not_found")
        values = _clean(data, plan)
        before = terms_of(plan)
        for key, value in values.items():
            setattr(plan, key, value)
        plan.version += 1
        plan.updated_at = timezone.now()
        plan.save()
        audit_record(
            actor=actor,
            action="benefit_plan.updated",
            subject_type="benefit_plan",
            subject_id=plan.pk,
            before=before,
            after=terms_of(plan),
        )
    return plan
