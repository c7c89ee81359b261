"""Coupon forms: a template in the words a shop uses (yuan, 折, dates), turned into the
service's ``TemplateInput`` (fen, permille)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.catalog import selectors as catalog
from huiyuan.coupons import selectors as coupon_selectors
from huiyuan.coupons.models import CouponTemplate
from huiyuan.coupons.services import TemplateInput
from huiyuan.stores.models import Store
from huiyuan.tiers.models import Tier

WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
MONEY = {"class": "form-control", "inputmode": "decimal"}

# service field → form field (for the error shown next to it)
FIELD_OF = {
    "min_spend_fen": "min_spend",
    "cap_fen": "cap",
    "gift_product_id": "gift_product",
    "budget_fen": "budget",
    "store_ids": "stores",
    "tier_codes": "tiers",
    "issue_on": "issue_on",
    "min_recharge_fen": "min_recharge",
    "category_codes": "categories",
}


def _fen(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def _money(label: Any, required: bool = False, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        widget=forms.TextInput(attrs=MONEY),
    )


class TemplateForm(forms.Form):
    name = forms.CharField(
        label=_("Coupon name"), max_length=40, help_text=_("Shown on the receipt, e.g. 满100减20.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CouponTemplate.Kind.choices)
    amount = _money(
        _("Amount off (¥)"),
        help_text=_(
            "Cash and spend-and-save coupons; for a gift coupon, the gift's value (for the budget)."
        ),
    )
    discount = forms.DecimalField(
        label=_("Discount (折)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("9.9"),
        decimal_places=1,
        help_text=_("Percentage coupons: 8.5 means 85% of the price is paid."),
        widget=forms.TextInput(attrs=MONEY),
    )
    min_spend = _money(_("Minimum spend (¥)"), help_text=_("满减's threshold; 0 for none."))
    cap = _money(
        _("Discount cap (¥)"), help_text=_("Percentage coupons: the most taken off; 0 for none.")
    )
    gift_product = forms.CharField(
        label=_("Gift product (SKU or barcode)"), required=False, max_length=50
    )
    validity = forms.ChoiceField(
        label=_("Validity"), choices=CouponTemplate.Validity.choices, widget=forms.RadioSelect
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DATE)
    valid_days = forms.IntegerField(
        label=_("Days valid from issue"), required=False, min_value=1, max_value=3650
    )
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores (none: all)"),
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.CharField(
        label=_("Category codes (none: all products)"),
        required=False,
        max_length=300,
        help_text=_("Separated by commas, e.g. drinks,food."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Tiers (none: all)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays (none: every day)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    per_member_limit = forms.IntegerField(
        label=_("Per-member limit (0: none)"), min_value=0, max_value=1000, initial=1
    )
    stock = forms.IntegerField(
        label=_("Total stock (empty: none)"), required=False, min_value=0, max_value=10_000_000
    )
    budget = _money(_("Budget (¥, empty: none)"))
    stack_group = forms.CharField(
        label=_("Stacking group"),
        required=False,
        max_length=20,
        help_text=_(
            "Empty: exclusive (used alone). Coupons of different groups stack; one per group."
        ),
    )
    claimable = forms.BooleanField(label=_("Members may claim it"), required=False)
    issue_on = forms.MultipleChoiceField(
        label=_("Issue automatically on"),
        required=False,
        choices=[("member.registered", _("Registration")), ("wallet.recharged", _("Recharge"))],
        widget=forms.CheckboxSelectMultiple,
    )
    min_recharge = _money(_("Minimum recharge (¥)"), help_text=_("For issue on recharge."))
    restore_on_return = forms.BooleanField(
        label=_("Restore the coupon when its lines are all returned"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stores = self.fields["stores"]
        assert isinstance(stores, forms.ModelMultipleChoiceField)
        stores.queryset = Store.objects.order_by("code")
        tiers = self.fields["tiers"]
        assert isinstance(tiers, forms.MultipleChoiceField)
        tiers.choices = [(t.code, t.name) for t in Tier.objects.order_by("level")]
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(
                widget, forms.TextInput | forms.NumberInput | forms.Select
            ) and not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault(
                    "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
                )
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            widget.attrs.setdefault("data-testid", f"tpl-{name}")

    def clean_gift_product(self) -> int | None:
        code = (self.cleaned_data.get("gift_product") or "").strip()
        if not code:
            return None
        product = catalog.product_by_code(code)
        if product is None:
            raise forms.ValidationError(_("No product has this code."))
        return product.pk

    def to_input(self) -> TemplateInput:
        d = self.cleaned_data
        kind = d["kind"]
        value = (
            int(d["discount"] * 100)
            if kind == CouponTemplate.Kind.PERCENT and d.get("discount")
            else _fen(d.get("amount"))
        )
        return TemplateInput(
            name=d["name"],
            kind=kind,
            value=value,
            min_spend_fen=_fen(d.get("min_spend")),
            cap_fen=_fen(d.get("cap")),
            gift_product_id=d.get("gift_product") if kind == CouponTemplate.Kind.GIFT else None,
            validity=d["validity"],
            valid_from=d.get("valid_from"),
            valid_to=d.get("valid_to"),
            valid_days=d.get("valid_days"),
            store_ids=tuple(s.pk for s in d.get("stores") or ()),
            category_codes=tuple(
                c.strip()
                for c in (d.get("categories") or "").replace("，", ",").split(",")
                if c.strip()
            ),
            tier_codes=tuple(d.get("tiers") or ()),
            weekdays=tuple(d.get("weekdays") or ()),
            per_member_limit=d["per_member_limit"],
            stock=d.get("stock"),
            budget_fen=_fen(d["budget"]) if d.get("budget") is not None else None,
            stack_group=d.get("stack_group") or "",
            claimable=bool(d.get("claimable")),
            issue_on=tuple(d.get("issue_on") or ()),
            min_recharge_fen=_fen(d.get("min_recharge")),
            restore_on_return=bool(d.get("restore_on_return")),
        )

    def error_field(self, service_field: str | None) -> str | None:
        if service_field == "value":
            return (
                "discount"
                if self.cleaned_data.get("kind") == CouponTemplate.Kind.PERCENT
                else "amount"
            )
        if service_field in FIELD_OF:
            return FIELD_OF[service_field]
        return service_field if service_field in self.fields else None


def initial_of(template: CouponTemplate) -> dict[str, Any]:
    percent = template.kind == CouponTemplate.Kind.PERCENT
    return {
        "name": template.name,
        "kind": template.kind,
        "amount": None if percent else _yuan(template.value),
        "discount": Decimal(template.value) / 100 if percent else None,
        "min_spend": _yuan(template.min_spend_fen),
        "cap": _yuan(template.cap_fen),
        "gift_product": template.gift_product.sku if template.gift_product else "",
        "validity": template.validity,
        "valid_from": template.valid_from,
        "valid_to": template.valid_to,
        "valid_days": template.valid_days,
        "stores": list(template.store_ids or ()),
        "categories": ",".join(template.category_codes or ()),
        "tiers": list(template.tier_codes or ()),
        "weekdays": list(template.weekdays or ()),
        "per_member_limit": template.per_member_limit,
        "stock": template.stock,
        "budget": _yuan(template.budget_fen),
        "stack_group": template.stack_group,
        "claimable": template.claimable,
        "issue_on": list(template.issue_on or ()),
        "min_recharge": _yuan(template.min_recharge_fen),
        "restore_on_return": template.restore_on_return,
    }


class IssueForm(forms.Form):
    member = forms.CharField(
        label=_("Member (number, mobile or card number)"),
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control", "data-testid": "issue-member"}),
    )


class BatchForm(forms.Form):
    segment = forms.TypedChoiceField(
        label=_("Saved segment"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select", "data-testid": "batch-segment"}),
        help_text=_(
            "Its members when the batch runs, in your stores; the conditions below narrow it."
        ),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Tiers (none: all)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    stores = forms.ModelMultipleChoiceField(
        label=_("Home stores (none: all)"),
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    member_codes = forms.CharField(
        label=_("Or these member numbers"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(
            attrs={"class": "form-control", "rows": 3, "data-testid": "batch-codes"}
        ),
        help_text=_("One per line, or separated by commas."),
    )

    def __init__(
        self,
        *args: Any,
        segments: list[coupon_selectors.SegmentChoice] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        assert isinstance(segment, forms.TypedChoiceField)
        segment.choices = [("", _("— none: by the conditions below —"))] + [
            (c.segment.pk, _("%(name)s · %(n)s members") % {"name": c.segment.name, "n": c.members})
            for c in segments or ()
        ]
        stores = self.fields["stores"]
        assert isinstance(stores, forms.ModelMultipleChoiceField)
        stores.queryset = Store.objects.order_by("code")
        tiers = self.fields["tiers"]
        assert isinstance(tiers, forms.MultipleChoiceField)
        tiers.choices = [(t.code, t.name) for t in Tier.objects.order_by("level")]
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "form-check-input")


class GroupBuyForm(forms.Form):
    provider = forms.ChoiceField(
        label=_("Platform"),
        choices=[("meituan", "美团"), ("douyin", "抖音")],
        widget=forms.Select(attrs={"class": "form-select", "data-testid": "gb-provider"}),
    )
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"class": "form-control hy-mono", "data-testid": "gb-code", "autofocus": True}
        ),
    )
