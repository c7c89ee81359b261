"""Configuration and report pages: card types, stored value, points, earn rules, tiers,
enterprise batch recharge, the prepaid-balance (预收款) and points-liability reports.

Each view checks its permission itself, lets a form parse the input (yuan and 折 in the
forms, fen and ‰ inside), calls one service and renders. A service's refusal
(``DomainError``) becomes a form error or a message; nothing is written.
"""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db import IntegrityError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config_forms import (
    WEEKDAY_NAMES,
    BatchUploadForm,
    CardTypeForm,
    DryRunForm,
    EarnRuleForm,
    PointsPolicyForm,
    RechargePackageForm,
    ReportYearForm,
    TierForm,
    TierPolicyForm,
    WalletPolicyForm,
)
from huiyuan.console.context import request_actor
from huiyuan.core.errors import DomainError
from huiyuan.core.errors import PermissionDenied as DomainPermissionDenied
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.points import selectors as points_selectors
from huiyuan.points import services as points_services
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.points.rules import EarnContext, EarnResult
from huiyuan.stores import selectors as store_selectors
from huiyuan.tiers import services as tier_services
from huiyuan.tiers.models import MemberTier, Tier, TierPolicy
from huiyuan.wallet import batch as wallet_batch
from huiyuan.wallet import selectors as wallet_selectors
from huiyuan.wallet import services as wallet_services
from huiyuan.wallet.models import PaymentMethod, WalletPolicy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_SESSION_KEY = "batch_recharge"


def _actor(request: HttpRequest, perm: Perm) -> Actor:
    """The acting staff member, refused with 403 unless they hold ``perm``."""
    actor = request_actor(request)
    try:
        require(actor, perm)
    except DomainPermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return actor


def _refuse_if_forbidden(exc: DomainError) -> None:
    if isinstance(exc, DomainPermissionDenied):
        raise HttpForbidden(str(exc.message)) from exc


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------------ card types


@login_required
def card_types(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CARD_CONFIGURE)
    form = CardTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card_type = card_services.card_type_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Card type %(name)s created.") % {"name": card_type.name})
            return redirect("console:config_card_types")
    types = card_selectors.card_types(active_only=False).annotate(card_count=Count("cards"))
    policy = WalletPolicy.current()
    return render(
        request,
        "console/config/card_types.html",
        {
            "card_types": types,
            "form": form,
            "limits": {
                "named": fen_to_yuan_str(policy.named_limit_fen),
                "anonymous": fen_to_yuan_str(policy.anonymous_limit_fen),
            },
        },
    )


# ---------------------------------------------------------------------- stored value


def _wallet_page(
    request: HttpRequest,
    *,
    policy_form: WalletPolicyForm | None = None,
    package_form: RechargePackageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = WalletPolicy.current()
    return render(
        request,
        "console/config/wallet.html",
        {
            "policy": policy,
            "policy_form": policy_form
            or WalletPolicyForm(initial=WalletPolicyForm.initial_for(policy)),
            "package_form": package_form or RechargePackageForm(),
            "packages": [
                {
                    "package": p,
                    "pay": fen_to_yuan_str(p.pay_fen),
                    "bonus": fen_to_yuan_str(p.bonus_fen),
                    "bonus_pct": _tenths(p.bonus_fen * 1000 // p.pay_fen) if p.pay_fen else "",
                }
                for p in wallet_selectors.recharge_packages(active_only=False)
            ],
            "limits": {
                "named": fen_to_yuan_str(policy.named_limit_fen),
                "anonymous": fen_to_yuan_str(policy.anonymous_limit_fen),
            },
        },
        status=status,
    )


def _tenths(value: int) -> str:
    """An integer count of tenths as text: 105 → ``10.5``, 100 → ``10``."""
    whole, tenth = divmod(value, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


@login_required
@require_GET
def wallet_settings(request: HttpRequest) -> HttpResponse:
    _actor(request, Perm.WALLET_CONFIGURE)
    return _wallet_page(request)


@login_required
@require_POST
def wallet_policy(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.WALLET_CONFIGURE)
    form = WalletPolicyForm(request.POST)
    if form.is_valid():
        try:
            wallet_services.wallet_policy_update(actor=actor, **form.changes())
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The stored-value policy has been saved."))
            return redirect("console:config_wallet")
    return _wallet_page(request, policy_form=form)


@login_required
@require_POST
def recharge_package_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.WALLET_CONFIGURE)
    form = RechargePackageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            package = wallet_services.recharge_package_create(
                actor=actor,
                name=data["name"],
                pay_fen=data["pay"],
                bonus_fen=data["bonus"] or 0,
                bonus_valid_days=data["bonus_valid_days"],
            )
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc, aliases={"pay_fen": "pay", "bonus_fen": "bonus"})
        else:
            messages.success(
                request, _("Recharge package %(name)s created.") % {"name": package.name}
            )
            return redirect("console:config_wallet")
    return _wallet_page(request, package_form=form)


@login_required
@require_POST
def recharge_package_set_active(request: HttpRequest, package_id: int) -> HttpResponse:
    actor = _actor(request, Perm.WALLET_CONFIGURE)
    active = request.POST.get("active") == "1"
    try:
        package = wallet_services.recharge_package_set_active(
            actor=actor, package_id=package_id, active=active
        )
    except DomainError as exc:
        _refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        text = (
            _("%(name)s is offered at the counter again.")
            if active
            else _("%(name)s is no longer offered; past recharges keep it.")
        )
        messages.success(request, text % {"name": package.name})
    return redirect("console:config_wallet")


# ---------------------------------------------------------------------------- points


@login_required
def points_policy(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.POINTS_CONFIGURE)
    policy = PointsPolicy.current()
    form = PointsPolicyForm(request.POST or None, initial=PointsPolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        try:
            points_services.points_policy_update(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The points policy has been saved."))
            return redirect("console:config_points")
    return render(
        request,
        "console/config/points_policy.html",
        {"form": form, "policy": policy, "example": _policy_example(policy)},
    )


def _policy_example(policy: PointsPolicy) -> dict[str, Any]:
    """A worked example for the page: what 1,000 points pay on a ¥100 bill."""
    points = 1000
    value_fen = points * 100 // policy.points_per_yuan
    cap_fen = 10000 * policy.max_offset_percent // 100
    return {
        "points": points,
        "value": fen_to_yuan_str(value_fen),
        "cap": fen_to_yuan_str(cap_fen),
        "paid": fen_to_yuan_str(min(value_fen, cap_fen)),
    }


# ------------------------------------------------------------------------ earn rules


@dataclasses.dataclass
class RuleVersion:
    rule: EarnRule
    state: str  # "current", "scheduled", "ended"
    unit: str
    stores: list[str]
    special: list[str]


@dataclasses.dataclass
class RuleGroup:
    code: str
    name: str
    versions: list[RuleVersion]

    @property
    def current(self) -> RuleVersion | None:
        return next((v for v in self.versions if v.state == "current"), None)


def _rule_groups(rules: list[EarnRule], store_names: dict[int, str]) -> list[RuleGroup]:
    now = timezone.now()
    groups: dict[str, RuleGroup] = {}
    for rule in rules:
        if rule.effective_from > now:
            state = "scheduled"
        elif (rule.effective_to and rule.effective_to <= now) or not rule.is_active:
            state = "ended"
        else:
            state = "current"
        special = [
            f"{d.get('date') or WEEKDAY_NAMES.get(int(d.get('weekday') or 0), '?')} "
            f"×{d.get('multiplier_pct', 100)}%" + (f" {d['label']}" if d.get("label") else "")
            for d in rule.special_days
        ]
        version = RuleVersion(
            rule=rule,
            state=state,
            unit=fen_to_yuan_str(rule.unit_fen),
            stores=[store_names.get(s, str(s)) for s in rule.store_ids],
            special=special,
        )
        group = groups.setdefault(rule.code, RuleGroup(rule.code, rule.name, []))
        group.versions.append(version)
    return sorted(groups.values(), key=lambda g: (g.current is None, g.code))


def _earn_rules_page(
    request: HttpRequest,
    actor: Actor,
    *,
    form: EarnRuleForm | None = None,
    dry_form: DryRunForm | None = None,
    dry_result: dict[str, Any] | None = None,
) -> HttpResponse:
    stores = store_selectors.store_choices(actor=actor)
    tiers = list(Tier.objects.order_by("level"))
    rules = points_selectors.earn_rules()
    if form is None:
        based_on = next((r for r in rules if r.code == request.GET.get("code")), None)
        initial: dict[str, Any] = EarnRuleForm.initial_for(based_on) if based_on else {}
        form = EarnRuleForm(initial=initial, stores=stores, tiers=tiers)
    if dry_form is None:
        dry_form = DryRunForm(stores=stores, tiers=tiers, rules=rules)
    return render(
        request,
        "console/config/earn_rules.html",
        {
            "groups": _rule_groups(rules, {s.pk: s.name for s in stores}),
            "form": form,
            "dry_form": dry_form,
            "dry_result": dry_result,
            "new_version_of": request.GET.get("code") if request.method == "GET" else None,
        },
    )


@login_required
def earn_rules(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.POINTS_CONFIGURE)
    if request.method != "POST":
        return _earn_rules_page(request, actor)
    form = EarnRuleForm(
        request.POST,
        stores=store_selectors.store_choices(actor=actor),
        tiers=list(Tier.objects.order_by("level")),
    )
    if form.is_valid():
        try:
            rule = points_services.earn_rule_publish(
                actor=actor,
                code=form.cleaned_data["code"],
                effective_from=form.cleaned_data["effective_from"],
                **form.rule_fields(),
            )
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(
                form,
                exc,
                aliases={"effective_from": "effective_from", "unit_fen": "unit"},
            )
        else:
            start = timezone.localtime(rule.effective_from).strftime("%Y-%m-%d %H:%M")
            messages.success(
                request,
                _("%(name)s version %(version)s published, in effect from %(start)s.")
                % {"name": rule.name, "version": rule.version, "start": start},
            )
            return redirect("console:config_earn_rules")
    return _earn_rules_page(request, actor, form=form)


# The engine explains itself in plain English; staff read these translations.
STEP_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^nothing paid: no points$"), lambda m: _("Nothing paid: no points.")),
    (re.compile(r"^no rule applies: no points$"), lambda m: _("No rule applies: no points.")),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): not in effect$"),
        lambda m: _("%(rule)s: not in effect at that time") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other stores only$"),
        lambda m: _("%(rule)s: only at other stores") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other tiers only$"),
        lambda m: _("%(rule)s: only for other tiers") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other categories only$"),
        lambda m: _("%(rule)s: only for other categories") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): category (?P<category>.*) excluded$"),
        lambda m: _("%(rule)s: category %(category)s earns nothing") % m.groupdict(),
    ),
    (
        re.compile(
            r"^(?P<rule>\S+ v\d+): (?P<amount>\d+) fen / (?P<unit>\d+) = (?P<units>\d+) units "
            r"\((?P<rounding>\w+)\) x (?P<ppu>\d+) = (?P<base>\d+) points$"
        ),
        lambda m: (
            _(
                "%(rule)s: %(amount)s ÷ %(unit)s = %(units)s full amounts (%(rounding)s) "
                "× %(ppu)s = %(base)s points"
            )
            % {
                **m.groupdict(),
                "amount": fen_to_yuan_str(int(m["amount"])),
                "unit": fen_to_yuan_str(int(m["unit"])),
                "rounding": _("rounded half up")
                if m["rounding"] == "half_up"
                else _("rest dropped"),
            }
        ),
    ),
    (
        re.compile(r"^tier (?P<tier>.*): x(?P<pct>\d+)%$"),
        lambda m: _("Tier %(tier)s: ×%(pct)s%%") % m.groupdict(),
    ),
    (
        re.compile(r"^birthday: x(?P<pct>\d+)%$"),
        lambda m: _("Birthday: ×%(pct)s%%") % m.groupdict(),
    ),
    (
        re.compile(r"^special day (?P<label>.*): x(?P<pct>\d+)%$"),
        lambda m: _("Special day %(label)s: ×%(pct)s%%") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<base>\d+) x (?P<pct>\d+)% = (?P<points>\d+) points \(rounded down\)$"),
        lambda m: _("%(base)s × %(pct)s%% = %(points)s points (rounded down)") % m.groupdict(),
    ),
    (
        re.compile(r"^capped at (?P<cap>\d+) per sale$"),
        lambda m: _("Capped at %(cap)s points per sale") % m.groupdict(),
    ),
    (
        re.compile(r"^daily cap (?P<cap>\d+): (?P<earned>\d+) earned today, (?P<room>\d+) left$"),
        lambda m: _("Daily cap %(cap)s: %(earned)s earned today, %(room)s left") % m.groupdict(),
    ),
]


def explain_step(step: str) -> str:
    """One step of the engine's explanation in the reader's language (unknown: as is)."""
    for pattern, render_step in STEP_PATTERNS:
        match = pattern.match(step)
        if match:
            return render_step(match)
    return step


@login_required
@require_GET
def earn_rule_dry_run(request: HttpRequest) -> HttpResponse:
    """What the rules would give for a sale: points, and every step of the reasoning."""
    actor = _actor(request, Perm.POINTS_CONFIGURE)
    stores = store_selectors.store_choices(actor=actor)
    tiers = list(Tier.objects.order_by("level"))
    rules = points_selectors.earn_rules()
    form = DryRunForm(request.GET, stores=stores, tiers=tiers, rules=rules)
    result: dict[str, Any] | None = None
    if form.is_valid():
        data = form.cleaned_data
        tier = form.chosen_tier()
        context = EarnContext(
            amount_fen=data["amount"],
            at=data["at"],
            store_id=data["store"],
            category=(data["category"] or "").strip(),
            tier_code=tier.code if tier else "",
            tier_multiplier_pct=tier.points_multiplier_pct if tier else 100,
            is_birthday=data["is_birthday"],
            earned_today=data["earned_today"] or 0,
        )
        try:
            earned: EarnResult = (
                points_services.points_dry_run_rule(
                    actor=actor, rule_id=data["rule"], context=context
                )
                if data["rule"]
                else points_services.points_dry_run(actor=actor, context=context)
            )
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            result = {
                "points": earned.points,
                "rule": earned.rule,
                "steps": [(explain_step(s), s) for s in earned.steps],
                "amount": fen_to_yuan_str(context.amount_fen),
                "at": timezone.localtime(context.at),
            }
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "console/config/earn_rules.html#dry_run",
            {"dry_form": form, "dry_result": result},
        )
    return _earn_rules_page(request, actor, dry_form=form, dry_result=result)


# ----------------------------------------------------------------------------- tiers


def _tiers_page(
    request: HttpRequest, form: TierForm, policy_form: TierPolicyForm | None = None
) -> HttpResponse:
    counts = dict(
        MemberTier.objects.values("tier_id").annotate(n=Count("id")).values_list("tier_id", "n")
    )
    tiers = list(Tier.objects.order_by("level"))
    rows = [
        {
            "tier": t,
            "members": counts.get(t.pk, 0),
            "threshold": _tier_amount(t, t.threshold),
            "retention": _tier_amount(t, t.retention),
            "discount": _zhe(t.discount_permille),
            "privileges": [p.strip() for p in t.privileges.splitlines() if p.strip()],
        }
        for t in tiers
    ]
    policy_form = policy_form or TierPolicyForm(
        initial=TierPolicyForm.initial_for(TierPolicy.current())
    )
    return render(
        request,
        "console/config/tiers.html",
        {
            "rows": rows,
            "form": form,
            "policy_form": policy_form,
            "open_form": request.method == "POST" and not policy_form.is_bound,
        },
    )


def _tier_amount(tier: Tier, value: int) -> str:
    return fen_to_yuan_str(value) if tier.basis == Tier.Basis.SPEND else f"{value:,}"


def _zhe(permille: int) -> str:
    """950 → 9.5折, 880 → 8.8折, 1000 → no discount."""
    if permille >= 1000:
        return _("No discount")
    whole, rest = divmod(permille, 100)
    text = f"{whole}.{rest:02d}".rstrip("0").rstrip(".")
    return _("%(zhe)s折") % {"zhe": text}


@login_required
def tiers(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.TIER_CONFIGURE)
    existing = list(Tier.objects.all())
    form = TierForm(request.POST or None, tiers=existing)
    if request.method == "POST" and form.is_valid():
        try:
            tier = tier_services.tier_create(actor=actor, **form.tier_fields())
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        except IntegrityError:  # a concurrent create took the code or level
            form.add_error(None, _("A tier with this code or level exists already."))
        else:
            messages.success(request, _("Tier %(name)s created.") % {"name": tier.name})
            return redirect("console:config_tiers")
    return _tiers_page(request, form)


@login_required
@require_POST
def tier_policy(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.TIER_CONFIGURE)
    policy_form = TierPolicyForm(request.POST)
    if policy_form.is_valid():
        try:
            tier_services.tier_policy_update(actor=actor, **policy_form.cleaned_data)
        except DomainError as exc:
            _refuse_if_forbidden(exc)
            add_domain_error(policy_form, exc)
        else:
            messages.success(request, _("Tier policy saved."))
            return redirect("console:config_tiers")
    return _tiers_page(request, TierForm(tiers=list(Tier.objects.all())), policy_form)


@login_required
@require_POST
def tiers_evaluate(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.TIER_CONFIGURE)
    try:
        result = tier_services.tiers_evaluate_run(actor=actor)
    except DomainError as exc:
        _refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Period evaluation done: %(n)s members moved down.") % {"n": result["downgraded"]},
        )
    return redirect("console:config_tiers")


# -------------------------------------------------------------------- batch recharge


def _pending_batch(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(BATCH_SESSION_KEY)
    return pending if isinstance(pending, dict) and "plan" in pending else None


@login_required
def batch_recharge(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.WALLET_BATCH)
    stores = store_selectors.store_choices(actor=actor)
    form = BatchUploadForm(
        request.POST or None,
        request.FILES or None,
        stores=stores,
        initial={"store": actor.store_id or (stores[0].pk if stores else None)},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        plan = wallet_batch.batch_recharge_validate(
            actor=actor, file=upload, filename=str(upload.name or "")
        )
        request.session[BATCH_SESSION_KEY] = {
            "plan": plan.dump(),
            "key": uuid.uuid4().hex,
            "store_id": form.cleaned_data["store"],
            "method": form.cleaned_data["method"],
        }
        return redirect("console:config_batch")
    # A rejected upload shows the form with its errors, not an earlier preview.
    pending = _pending_batch(request) if request.method != "POST" else None
    preview = wallet_batch.BatchPlan.load(pending["plan"]) if pending else None
    store_names = {s.pk: s.name for s in stores}
    return render(
        request,
        "console/config/batch.html",
        {
            "form": form,
            "plan": preview,
            "pending": pending,
            "total": fen_to_yuan_str(preview.total_fen) if preview else "",
            "store_name": store_names.get(pending["store_id"], "") if pending else "",
            "method_label": PaymentMethod(pending["method"]).label if pending else "",
            "max_rows": wallet_batch.MAX_ROWS,
        },
    )


@login_required
@require_POST
def batch_recharge_confirm(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.WALLET_BATCH)
    pending = _pending_batch(request)
    if pending is None or request.POST.get("key") != pending["key"]:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:config_batch")
    store_id = pending["store_id"]
    if not actor.covers_store(store_id):
        raise HttpForbidden(_("This store is outside your scope."))
    plan = wallet_batch.BatchPlan.load(pending["plan"])
    try:
        result = wallet_batch.batch_recharge_apply(
            actor=dataclasses.replace(actor, store_id=store_id),
            plan=plan,
            idempotency_key=pending["key"],
            method=pending["method"],
        )
    except DomainError as exc:
        _refuse_if_forbidden(exc)
        messages.error(request, str(exc.message))
        return redirect("console:config_batch")
    request.session.pop(BATCH_SESSION_KEY, None)
    messages.success(
        request,
        _("Batch %(batch)s: %(rows)s recharges, %(total)s in all, applied.")
        % {
            "batch": result.batch,
            "rows": len(result.recharges),
            "total": fen_to_yuan_str(result.total_fen),
        },
    )
    return redirect("console:config_batch")


@login_required
@require_POST
def batch_recharge_discard(request: HttpRequest) -> HttpResponse:
    _actor(request, Perm.WALLET_BATCH)
    request.session.pop(BATCH_SESSION_KEY, None)
    return redirect("console:config_batch")


@login_required
@require_GET
def batch_recharge_report(request: HttpRequest) -> HttpResponse:
    _actor(request, Perm.WALLET_BATCH)
    pending = _pending_batch(request)
    if pending is None:
        messages.error(request, _("This preview is no longer current: upload the file again."))
        return redirect("console:config_batch")
    plan = wallet_batch.BatchPlan.load(pending["plan"])
    filename = f"batch-check-{timezone.localdate():%Y%m%d}.xlsx"
    return _xlsx_response(wallet_batch.batch_error_report(plan), filename)


@login_required
@require_GET
def batch_recharge_template(request: HttpRequest) -> HttpResponse:
    _actor(request, Perm.WALLET_BATCH)
    return _xlsx_response(wallet_batch.batch_template(), "batch-recharge-template.xlsx")


# --------------------------------------------------------------------------- reports


def _report_year(request: HttpRequest) -> tuple[ReportYearForm, int]:
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - 6, -1))
    form = ReportYearForm(request.GET or None, years=years, initial={"year": this_year})
    year = this_year
    if form.is_bound and form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    return form, year


OUTSTANDING_KEYS = ("recharged", "spent_here", "refunded", "bonus_granted", "net")


def _outstanding_rows(items: list[wallet_selectors.StoreOutstanding]) -> dict[str, Any]:
    """Per-store figures in fen, their total, and the same as ¥ text for the page."""
    rows = [{key: getattr(i, key) for key in OUTSTANDING_KEYS} | {"store": i.store} for i in items]
    total = {key: sum(r[key] for r in rows) for key in OUTSTANDING_KEYS}

    def shown(values: dict[str, Any]) -> dict[str, Any]:
        return values | {f"{k}_yuan": fen_to_yuan_str(values[k]) for k in OUTSTANDING_KEYS}

    return {"rows": [shown(r) for r in rows], "total": shown(total)}


@login_required
@require_GET
def report_outstanding(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.REPORT_VIEW)
    form, year = _report_year(request)
    now_rows = _outstanding_rows(wallet_selectors.outstanding_by_store(actor=actor))
    chain = wallet_selectors.outstanding_total(actor=actor)
    chain = chain | {"all": chain["principal"] + chain["bonus"]}
    quarters = [
        (label, _outstanding_rows(items))
        for label, items in wallet_selectors.outstanding_by_quarter(actor=actor, year=year)
    ]
    return render(
        request,
        "console/config/report_outstanding.html",
        {
            "form": form,
            "year": year,
            "now": now_rows,
            "quarters": quarters,
            "chain": {k: fen_to_yuan_str(v) for k, v in chain.items()},
            "chain_wide": actor.store_ids is None,
            "as_of": timezone.localtime(),
        },
    )


def _sheet_outstanding(
    workbook: Any, title: str, block: dict[str, Any], formats: dict[str, Any]
) -> None:
    sheet = workbook.add_worksheet(title)
    headers = [
        (_("Store code"), 10),
        (_("Store"), 16),
        (_("Recharged (¥)"), 14),
        (_("Spent here (¥)"), 14),
        (_("Refunded (¥)"), 14),
        (_("Bonus granted (¥)"), 14),
        (_("Net for settlement (¥)"), 18),
    ]
    for col, (name, width) in enumerate(headers):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, name, formats["header"])
    line = 1
    for item in block["rows"]:
        sheet.write_string(line, 0, item["store"].code)
        sheet.write_string(line, 1, item["store"].name)
        for col, key in enumerate(OUTSTANDING_KEYS, start=2):
            _write_yuan(sheet, line, col, item[key], formats["money"])
        line += 1
    sheet.write_string(line, 1, _("Total"), formats["bold"])
    for col, key in enumerate(OUTSTANDING_KEYS, start=2):
        _write_yuan(sheet, line, col, block["total"][key], formats["money_bold"])
    sheet.freeze_panes(1, 0)


def _write_yuan(sheet: Any, row: int, col: int, fen: int, fmt: Any) -> None:
    """A fen amount as yuan in a cell: the formula ``=fen/100`` with its exact decimal value."""
    sheet.write_formula(row, col, f"={fen}/100", fmt, Decimal(fen) / 100)


def _formats(workbook: Any) -> dict[str, Any]:
    return {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1}),
        "bold": workbook.add_format({"bold": True}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "money_bold": workbook.add_format({"num_format": "#,##0.00", "bold": True}),
        "int": workbook.add_format({"num_format": "#,##0"}),
    }


@login_required
@require_GET
def report_outstanding_export(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.REPORT_VIEW)
    _form, year = _report_year(request)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    _sheet_outstanding(
        workbook,
        _("Now"),
        _outstanding_rows(wallet_selectors.outstanding_by_store(actor=actor)),
        formats,
    )
    for label, items in wallet_selectors.outstanding_by_quarter(actor=actor, year=year):
        _sheet_outstanding(workbook, label, _outstanding_rows(items), formats)
    if actor.store_ids is None:
        chain = wallet_selectors.outstanding_total(actor=actor)
        sheet = workbook.add_worksheet(_("Chain total"))
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 1, 16)
        sheet.write_string(0, 0, _("Held for members now"), formats["header"])
        sheet.write_string(0, 1, "¥", formats["header"])
        for line, (label, fen) in enumerate(
            (
                (_("Stored value (principal)"), chain["principal"]),
                (_("Bonus"), chain["bonus"]),
                (_("Total"), chain["principal"] + chain["bonus"]),
            ),
            start=1,
        ):
            sheet.write_string(line, 0, label)
            _write_yuan(sheet, line, 1, fen, formats["money"])
    workbook.close()
    return _xlsx_response(
        buffer.getvalue(), f"outstanding-{year}-{timezone.localdate():%Y%m%d}.xlsx"
    )


def _points_lines(liability: dict[str, int]) -> list[tuple[str, str, str]]:
    """(label, shown value, key) for the points-liability page and its export."""
    return [
        (_("Points outstanding"), f"{liability['points']:,}", "points"),
        (_("Cards holding points"), f"{liability['cards']:,}", "cards"),
        (_("Value at the offset rate"), fen_to_yuan_str(liability["value_fen"]), "value_fen"),
        (_("Issued"), f"{liability['issued']:,}", "issued"),
        (_("Redeemed"), f"{liability['redeemed']:,}", "redeemed"),
        (_("Expired"), f"{liability['expired']:,}", "expired"),
        (_("Adjusted by hand (net)"), f"{liability['adjusted']:,}", "adjusted"),
    ]


@login_required
@require_GET
def report_points(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.REPORT_VIEW)
    liability = points_selectors.points_liability(actor=actor)
    return render(
        request,
        "console/config/report_points.html",
        {
            "liability": liability,
            "shown": {k: f"{v:,}" for k, v in liability.items()},
            "value": fen_to_yuan_str(liability["value_fen"]),
            "policy": PointsPolicy.current(),
            "as_of": timezone.localtime(),
        },
    )


@login_required
@require_GET
def report_points_export(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.REPORT_VIEW)
    liability = points_selectors.points_liability(actor=actor)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(workbook)
    sheet = workbook.add_worksheet(_("Points liability"))
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 16)
    sheet.write_string(0, 0, _("Item"), formats["header"])
    sheet.write_string(0, 1, _("Value"), formats["header"])
    for line, (label, _shown, key) in enumerate(_points_lines(liability), start=1):
        sheet.write_string(line, 0, label + (" (¥)" if key == "value_fen" else ""))
        if key == "value_fen":
            _write_yuan(sheet, line, 1, liability[key], formats["money"])
        else:
            sheet.write_number(line, 1, liability[key], formats["int"])
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet.write_string(len(_points_lines(liability)) + 2, 0, _("As of %(time)s") % {"time": stamp})
    workbook.close()
    return _xlsx_response(buffer.getvalue(), f"points-liability-{timezone.localdate():%Y%m%d}.xlsx")
