"""Earn rules (积分规则), their versions, and the dry run that explains a sale's points."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from huiyuan.console.admin_forms import add_domain_error
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.config.forms.points import WEEKDAY_NAMES, DryRunForm, EarnRuleForm
from huiyuan.core.clock import local_date
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Actor, Perm
from huiyuan.points import selectors as points_selectors
from huiyuan.points import services as points_services
from huiyuan.points.explain import render_steps
from huiyuan.points.models import EarnRule
from huiyuan.points.rules import EarnContext, EarnResult
from huiyuan.stores import selectors as store_selectors
from huiyuan.tiers import versions as tier_versions
from huiyuan.tiers.models import Tier


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
    actor = acting_staff(request, Perm.POINTS_CONFIGURE)
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
            refuse_if_forbidden(exc)
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


@login_required
@require_GET
def earn_rule_dry_run(request: HttpRequest) -> HttpResponse:
    """What the rules would give for a sale: points, and every step of the reasoning."""
    actor = acting_staff(request, Perm.POINTS_CONFIGURE)
    stores = store_selectors.store_choices(actor=actor)
    tiers = list(Tier.objects.order_by("level"))
    rules = points_selectors.earn_rules()
    form = DryRunForm(request.GET, stores=stores, tiers=tiers, rules=rules)
    result: dict[str, Any] | None = None
    if form.is_valid():
        data = form.cleaned_data
        tier = form.chosen_tier()
        if tier is not None:  # the tier's terms in force on the sale's business date
            tier_versions.tier_terms_apply(tier, local_date(data["at"] or timezone.now()))
        context = EarnContext(
            amount_fen=data["amount"],
            at=data["at"],
            store_id=data["store"],
            category=(data["category"] or "").strip(),
            tier_code=tier.code if tier else "",
            tier_name=tier.name if tier else "",
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
            refuse_if_forbidden(exc)
            add_domain_error(form, exc)
        else:
            result = {
                "points": earned.points,
                "rule": earned.rule,
                "steps": render_steps(earned.steps),
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
