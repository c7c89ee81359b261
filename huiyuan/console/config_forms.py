"""Forms of the configuration and report pages. They parse input (yuan, 折, dates) into
what the services take (fen, ‰, aware datetimes); the services decide and write."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.models import CardType
from huiyuan.console.admin_forms import TablerForm
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.points.models import EarnRule, PointsPolicy
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier, TierPolicy
from huiyuan.wallet.models import PaymentMethod, WalletPolicy

WEEKDAYS = {
    "周一": 1,
    "周二": 2,
    "周三": 3,
    "周四": 4,
    "周五": 5,
    "周六": 6,
    "周日": 7,
    "周天": 7,
    "星期一": 1,
    "星期二": 2,
    "星期三": 3,
    "星期四": 4,
    "星期五": 5,
    "星期六": 6,
    "星期日": 7,
    "星期天": 7,
    "mon": 1,
    "tue": 2,
    "wed": 3,
    "thu": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
}
WEEKDAY_NAMES = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


def fen_to_input(fen: int | None) -> str:
    """Fen as the plain yuan text a form field shows (no ¥, no thousands separator)."""
    if fen is None:
        return ""
    return fen_to_yuan_str(fen).replace("¥", "").replace(",", "")


class YuanField(forms.CharField):
    """A yuan amount typed by a person; ``clean`` gives integer fen (never a float)."""

    def __init__(self, *args: Any, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            fen = yuan_to_fen(text)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        if fen < 0 or (fen == 0 and not self.allow_zero):
            raise forms.ValidationError(_("Enter an amount above zero."))
        return fen


def _split_list(text: str) -> list[str]:
    parts = re.split(r"[,，、;；\s]+", text or "")
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _store_choices(stores: Iterable[Store]) -> list[tuple[str, str]]:
    return [(str(s.pk), f"{s.code} · {s.name}") for s in stores]


# ------------------------------------------------------------------------ card types


class CardTypeForm(TablerForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "gold"}),
        help_text=_("Lowercase letters, digits, - and _; cannot be changed later."),
    )
    name = forms.CharField(
        label=_("Card type name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "金卡"}),
    )
    category = forms.ChoiceField(label=_("Card category"), choices=CardType.Category.choices)
    holding = forms.ChoiceField(
        label=_("Holding"), choices=CardType.Holding.choices, initial=CardType.Holding.PERSONAL
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous (bearer) card: the lower prepaid limit applies"), required=False
    )
    validity_months = forms.IntegerField(
        label=_("Valid for months"),
        required=False,
        min_value=1,
        max_value=1200,
        help_text=_("Leave empty for a card that never expires."),
    )
    max_holders = forms.IntegerField(
        label=_("Holders at most"), min_value=1, max_value=50, initial=1
    )
    number_prefix = forms.RegexField(
        label=_("Card number prefix"),
        regex=r"^\d{1,6}$",
        initial="6",
        max_length=6,
        error_messages={"invalid": _("A number prefix is 1–6 digits.")},
    )


# ---------------------------------------------------------------------------- wallet


class RechargePackageForm(TablerForm):
    name = forms.CharField(
        label=_("Package name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "充500送50"}),
    )
    pay = YuanField(label=_("Pay (¥)"), widget=forms.TextInput(attrs={"placeholder": "500.00"}))
    bonus = YuanField(
        label=_("Bonus given (¥)"),
        required=False,
        allow_zero=True,
        widget=forms.TextInput(attrs={"placeholder": "50.00"}),
    )
    bonus_valid_days = forms.IntegerField(
        label=_("Bonus valid for days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Empty: the stored-value policy's validity applies."),
    )


class WalletPolicyForm(TablerForm):
    spend_order = forms.ChoiceField(
        label=_("Spending order"), choices=WalletPolicy.SpendOrder.choices
    )
    named_limit = YuanField(
        label=_("Named card limit (¥)"),
        help_text=_("Stored value a named card may hold. The regulation's ceiling is ¥5,000."),
    )
    anonymous_limit = YuanField(
        label=_("Anonymous card limit (¥)"),
        help_text=_("Stored value an anonymous card may hold. The regulation's ceiling is ¥1,000."),
    )
    bonus_valid_days = forms.IntegerField(
        label=_("Bonus valid for days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Empty: bonus never expires."),
    )

    @classmethod
    def initial_for(cls, policy: WalletPolicy) -> dict[str, Any]:
        return {
            "spend_order": policy.spend_order,
            "named_limit": fen_to_input(policy.named_limit_fen),
            "anonymous_limit": fen_to_input(policy.anonymous_limit_fen),
            "bonus_valid_days": policy.bonus_valid_days,
        }

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "spend_order": data["spend_order"],
            "named_limit_fen": data["named_limit"],
            "anonymous_limit_fen": data["anonymous_limit"],
            "bonus_valid_days": data["bonus_valid_days"],
        }


# ---------------------------------------------------------------------------- points


class PointsPolicyForm(TablerForm):
    points_per_yuan = forms.IntegerField(
        label=_("Points worth ¥1 when paying with points"),
        min_value=1,
        max_value=100_000,
        help_text=_("100 means 100 points pay ¥1 of a bill."),
    )
    max_offset_percent = forms.IntegerField(
        label=_("Points pay at most this percentage of a bill"), min_value=0, max_value=100
    )
    expiry = forms.ChoiceField(label=_("Points expire"), choices=PointsPolicy.Expiry.choices)
    expiry_days = forms.IntegerField(
        label=_("Expiry days"),
        min_value=0,
        max_value=36500,
        help_text=_("Days after earning; with a period end, the end of the period they fall in."),
    )
    supplement_days = forms.IntegerField(
        label=_("Supplementary points within days"),
        min_value=0,
        max_value=365,
        help_text=_("How long after a purchase a member may still ask for its points (补积分)."),
    )

    @classmethod
    def initial_for(cls, policy: PointsPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in cls.base_fields}


class TierPolicyForm(TablerForm):
    evaluation_period = forms.ChoiceField(
        label=_("Evaluate tiers"),
        choices=TierPolicy.Period.choices,
        help_text=_("At each period end, members under their tier's retention bar move down."),
    )
    inactive_termination_days = forms.IntegerField(
        label=_("Terminate members inactive for days"),
        required=False,
        min_value=30,
        max_value=3650,
        help_text=_("Leave empty to never terminate inactive members."),
    )

    @classmethod
    def initial_for(cls, policy: TierPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in cls.base_fields}


class EarnRuleForm(TablerForm):
    code = forms.SlugField(
        label=_("Rule code"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "base"}),
        help_text=_("An existing code publishes a new version of that rule."),
    )
    name = forms.CharField(
        label=_("Rule name"),
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "每消费1元积1分"}),
    )
    effective_from = forms.DateTimeField(
        label=_("Effective from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Empty: now. A new version ends the previous one at this moment."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        initial=100,
        min_value=-10_000,
        max_value=10_000,
        help_text=_("The first rule that applies, by priority (smaller first), gives the points."),
    )
    unit = YuanField(label=_("Per amount (¥)"), initial="1.00")
    points_per_unit = forms.IntegerField(
        label=_("Points per amount"), initial=1, min_value=0, max_value=1_000_000
    )
    rounding = forms.ChoiceField(
        label=_("Part below a full amount"),
        choices=EarnRule.Rounding.choices,
        initial=EarnRule.Rounding.FLOOR,
    )
    stores = forms.TypedMultipleChoiceField(
        label=_("Only at stores"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every store."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Only for tiers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier."),
    )
    categories = forms.CharField(
        label=_("Only for categories"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "餐饮, 烘焙"}),
        help_text=_("Separate with commas. Empty: every category."),
    )
    excluded_categories = forms.CharField(
        label=_("Categories that earn nothing"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "烟酒, 充值卡"}),
    )
    birthday_multiplier_pct = forms.IntegerField(
        label=_("Birthday multiplier %"),
        initial=100,
        min_value=0,
        max_value=10_000,
        help_text=_("200 = double points on the member's birthday."),
    )
    special_days = forms.CharField(
        label=_("Special days"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-11-11 200 双十一\n周三 150"}),
        help_text=_(
            "One per line: a date (2026-11-11) or a weekday (周三), the multiplier %, "
            "then an optional label."
        ),
    )
    cap_per_sale = forms.IntegerField(
        label=_("Cap per sale"), required=False, min_value=0, max_value=100_000_000
    )
    cap_per_day = forms.IntegerField(
        label=_("Cap per member and day"), required=False, min_value=0, max_value=100_000_000
    )

    def __init__(
        self, *args: Any, stores: Iterable[Store], tiers: Iterable[Tier], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = _store_choices(stores)  # type: ignore[attr-defined]
        self.fields["tiers"].choices = [(t.code, t.name) for t in tiers]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, rule: EarnRule) -> dict[str, Any]:
        return {
            "code": rule.code,
            "name": rule.name,
            "priority": rule.priority,
            "unit": fen_to_input(rule.unit_fen),
            "points_per_unit": rule.points_per_unit,
            "rounding": rule.rounding,
            "stores": [str(s) for s in rule.store_ids],
            "tiers": list(rule.tier_codes),
            "categories": ", ".join(rule.categories),
            "excluded_categories": ", ".join(rule.excluded_categories),
            "birthday_multiplier_pct": rule.birthday_multiplier_pct,
            "special_days": special_days_text(rule.special_days),
            "cap_per_sale": rule.cap_per_sale,
            "cap_per_day": rule.cap_per_day,
        }

    def clean_effective_from(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("effective_from")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def clean_special_days(self) -> list[dict[str, Any]]:
        return parse_special_days(self.cleaned_data.get("special_days") or "")

    def rule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "priority": data["priority"],
            "unit_fen": data["unit"],
            "points_per_unit": data["points_per_unit"],
            "rounding": data["rounding"],
            "store_ids": sorted(data["stores"]),
            "tier_codes": list(data["tiers"]),
            "categories": _split_list(data["categories"]),
            "excluded_categories": _split_list(data["excluded_categories"]),
            "birthday_multiplier_pct": data["birthday_multiplier_pct"],
            "special_days": data["special_days"],
            "cap_per_sale": data["cap_per_sale"],
            "cap_per_day": data["cap_per_day"],
        }


def parse_special_days(text: str) -> list[dict[str, Any]]:
    """``2026-11-11 200 双十一`` / ``周三 150`` lines into the rule's special-day entries."""
    days: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) < 2:
            raise forms.ValidationError(
                _("Line %(n)s: give a date or weekday and a multiplier %%."), params={"n": number}
            )
        when, pct_text, label = parts[0], parts[1].rstrip("%％"), " ".join(parts[2:])
        if not pct_text.isdigit() or not 0 <= int(pct_text) <= 10_000:
            raise forms.ValidationError(
                _("Line %(n)s: the multiplier is a whole percent, e.g. 200."), params={"n": number}
            )
        entry: dict[str, Any] = {"multiplier_pct": int(pct_text)}
        weekday = WEEKDAYS.get(when.lower())
        if weekday is not None:
            entry["weekday"] = weekday
        else:
            try:
                entry["date"] = dt.date.fromisoformat(when).isoformat()
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: %(when)s is neither a date (2026-11-11) nor a weekday (周三)."),
                    params={"n": number, "when": when},
                ) from None
        if label:
            entry["label"] = label[:30]
        days.append(entry)
    return days


def special_days_text(days: Iterable[dict[str, Any]]) -> str:
    lines = []
    for day in days:
        when = day.get("date") or WEEKDAY_NAMES.get(int(day.get("weekday") or 0), "")
        label = f" {day['label']}" if day.get("label") else ""
        lines.append(f"{when} {day.get('multiplier_pct', 100)}{label}")
    return "\n".join(lines)


class DryRunForm(TablerForm):
    amount = YuanField(
        label=_("Amount paid (¥)"), widget=forms.TextInput(attrs={"placeholder": "128.50"})
    )
    category = forms.CharField(label=_("Category"), required=False, max_length=40)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Empty: now. Pick a future date to try a version not yet in effect."),
    )
    earned_today = forms.IntegerField(
        label=_("Points earned today already"), required=False, min_value=0, initial=0
    )
    is_birthday = forms.BooleanField(label=_("It is the member's birthday"), required=False)
    rule = forms.TypedChoiceField(label=_("Rule"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        stores: Iterable[Store],
        tiers: Iterable[Tier],
        rules: Iterable[EarnRule] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tier_list = list(tiers)
        self.fields["rule"].choices = [("", _("The rules in effect at that time"))] + [  # type: ignore[attr-defined]
            (str(r.pk), f"{r.name} · {r.code} v{r.version}") for r in rules
        ]
        self.fields["store"].choices = [("", _("Any store")), *_store_choices(stores)]  # type: ignore[attr-defined]
        self.fields["tier"].choices = [("", _("No tier"))] + [  # type: ignore[attr-defined]
            (t.code, f"{t.name} (×{t.points_multiplier_pct}%)") for t in self.tier_list
        ]

    def clean_at(self) -> dt.datetime:
        value: dt.datetime | None = self.cleaned_data.get("at")
        if value is None:
            return timezone.now()
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    def chosen_tier(self) -> Tier | None:
        code = self.cleaned_data.get("tier")
        return next((t for t in self.tier_list if t.code == code), None)


# ----------------------------------------------------------------------------- tiers


class TierForm(TablerForm):
    code = forms.SlugField(
        label=_("Code"), max_length=30, widget=forms.TextInput(attrs={"placeholder": "gold"})
    )
    name = forms.CharField(
        label=_("Tier name"),
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "金卡会员"}),
    )
    level = forms.IntegerField(
        label=_("Level"),
        min_value=0,
        max_value=100,
        help_text=_("Higher is better; the lowest level is where every member starts."),
    )
    basis = forms.ChoiceField(
        label=_("Threshold on"), choices=Tier.Basis.choices, initial=Tier.Basis.SPEND
    )
    threshold = forms.CharField(
        label=_("Threshold"),
        max_length=16,
        initial="0",
        help_text=_("Yuan for spend; points or growth value otherwise."),
    )
    retention = forms.CharField(
        label=_("Retention bar"),
        max_length=16,
        initial="0",
        help_text=_("Below this at the period end, the member moves down."),
    )
    window_days = forms.IntegerField(
        label=_("Rolling window (days)"), initial=365, min_value=1, max_value=3650
    )
    discount = forms.CharField(
        label=_("Discount (折)"),
        max_length=5,
        required=False,
        initial="10",
        widget=forms.TextInput(attrs={"placeholder": "9.5"}),
        help_text=_("9.5 = 95折 (pay 95%); 10 or empty = no discount."),
    )
    points_multiplier_pct = forms.IntegerField(
        label=_("Points multiplier %"), initial=100, min_value=1, max_value=10_000
    )
    privileges = forms.CharField(
        label=_("Privileges"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "免费停车2小时\n生日礼券"}),
    )

    def __init__(self, *args: Any, tiers: Iterable[Tier] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = list(tiers)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if any(t.code == code for t in self.existing):
            raise forms.ValidationError(_("A tier with this code exists already."))
        return code

    def clean_level(self) -> int:
        level: int = self.cleaned_data["level"]
        if any(t.level == level for t in self.existing):
            raise forms.ValidationError(_("Another tier has this level."))
        return level

    def _amount(self, name: str) -> int:
        text = (self.cleaned_data.get(name) or "0").strip()
        if self.cleaned_data.get("basis") == Tier.Basis.SPEND:
            try:
                fen = yuan_to_fen(text)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.message)) from exc
        else:
            if not text.isdigit():
                raise forms.ValidationError(_("Enter a whole number, zero or more."))
            fen = int(text)
        if fen < 0:
            raise forms.ValidationError(_("Enter a whole number, zero or more."))
        return fen

    def clean_discount(self) -> int:
        text = (self.cleaned_data.get("discount") or "").strip().rstrip("折")
        if not text:
            return 1000
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter a discount like 9.5 (95折).")) from None
        permille = value * 100
        if not value.is_finite() or permille != permille.to_integral_value():
            raise forms.ValidationError(_("Enter a discount like 9.5 (95折).")) from None
        if not 1 <= permille <= 1000:
            raise forms.ValidationError(_("A discount is between 0.01 and 10 (no discount)."))
        return int(permille)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "basis" in data:
            for name in ("threshold", "retention"):
                if name in data:
                    try:
                        data[f"{name}_value"] = self._amount(name)
                    except forms.ValidationError as exc:
                        self.add_error(name, exc)
        return data

    def tier_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "name": data["name"].strip(),
            "level": data["level"],
            "basis": data["basis"],
            "threshold": data["threshold_value"],
            "retention": data["retention_value"],
            "window_days": data["window_days"],
            "discount_permille": data["discount"],
            "points_multiplier_pct": data["points_multiplier_pct"],
            "privileges": data["privileges"].strip(),
        }


# ------------------------------------------------------------------- batch recharge


class BatchUploadForm(TablerForm):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_("Columns 卡号, 金额 (yuan) and optionally 备注; at most 5,000 rows."),
    )
    store = forms.TypedChoiceField(
        label=_("Recharged at store"),
        coerce=int,
        help_text=_("The store that received the company's payment (for settlement)."),
    )
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.ENTERPRISE,
    )

    def __init__(self, *args: Any, stores: Iterable[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = _store_choices(stores)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- reports


class ReportYearForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, years: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(str(y), str(y)) for y in years]  # type: ignore[attr-defined]
        self.fields["year"].widget.attrs["class"] = "form-select"
