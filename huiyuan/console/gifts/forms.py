"""Forms of the gift pages: they parse what staff type; the gift services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.counter.forms import CardNumberField, YuanField, new_key
from huiyuan.gifts.models import Gift, Prize


class IdempotentForm(TablerForm):
    """Tabler classes on every widget, and a hidden idempotency key (a fresh uuid4 when the
    form is rendered, sent back unchanged: a double click has one effect)."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())


CASH_METHODS = [
    ("", "—"),
    ("cash", _("Cash")),
    ("bank_card", _("Bank card")),
    ("wechat", _("WeChat Pay")),
    ("alipay", _("Alipay")),
]


class GiftSearchForm(TablerForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Gift.Status.choices]
    )


class GiftForm(IdempotentForm):
    code = forms.CharField(label=_("Gift code"), max_length=40)
    name = forms.CharField(label=_("Gift name"), max_length=100)
    points_price = forms.IntegerField(label=_("Points price"), min_value=1, max_value=10_000_000)
    cash = YuanField(label=_("Cash top-up (yuan)"), required=False, allow_zero=True)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=500, widget=forms.Textarea
    )


class GiftCreateForm(GiftForm):
    stock = forms.IntegerField(
        label=_("Opening stock"), min_value=0, max_value=10_000_000, initial=0
    )


class RestockForm(IdempotentForm):
    delta = forms.IntegerField(
        label=_("Quantity (+ in, − written off)"), min_value=-10_000_000, max_value=10_000_000
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_delta(self) -> int:
        delta: int = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a non-zero whole quantity."))
        return delta


class RedeemForm(IdempotentForm):
    card = CardNumberField()
    gift = forms.TypedChoiceField(label=_("Gift"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100, initial=1)
    cash_method = forms.ChoiceField(
        label=_("Cash top-up paid by"), choices=CASH_METHODS, required=False
    )

    def __init__(self, *args: Any, gifts: list[Gift] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gift"].choices = [  # type: ignore[attr-defined]
            (str(g.pk), g.name) for g in gifts or []
        ]


class CancelForm(IdempotentForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DistributionForm(IdempotentForm):
    gift = forms.TypedChoiceField(label=_("Gift"), coerce=int)
    members = forms.CharField(
        label=_("Members (member numbers or mobiles, one a line)"),
        widget=forms.Textarea,
        max_length=2_000_000,
    )
    reason = forms.CharField(label=_("Reason (campaign)"), max_length=200)

    def __init__(self, *args: Any, gifts: list[Gift] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gift"].choices = [  # type: ignore[attr-defined]
            (str(g.pk), f"{g.code} {g.name}") for g in gifts or []
        ]

    def clean_members(self) -> list[str]:
        text: str = self.cleaned_data["members"]
        keys = [k.strip() for k in text.replace(",", "\n").splitlines() if k.strip()]
        if not keys:
            raise forms.ValidationError(_("List at least one member."))
        return keys


PRIZE_ROWS = 6


class LotteryForm(IdempotentForm):
    """A lottery with up to six prize rows (kind, weight, gift or points, stock)."""

    name = forms.CharField(label=_("Lottery name"), max_length=100)
    cost_points = forms.IntegerField(label=_("Points per draw"), min_value=0, max_value=1_000_000)

    def __init__(self, *args: Any, gifts: list[Gift] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gift_choices = [("", "—"), *((str(g.pk), g.name) for g in gifts or [])]
        kinds = [("", "—"), *Prize.Kind.choices]
        for i in range(PRIZE_ROWS):
            self.fields[f"kind_{i}"] = forms.ChoiceField(
                label=_("Prize kind"), choices=kinds, required=False
            )
            self.fields[f"weight_{i}"] = forms.IntegerField(
                label=_("Weight"), min_value=0, max_value=1_000_000, required=False
            )
            self.fields[f"gift_{i}"] = forms.TypedChoiceField(
                label=_("Gift"), choices=gift_choices, coerce=int, required=False, empty_value=None
            )
            self.fields[f"points_{i}"] = forms.IntegerField(
                label=_("Points"), min_value=0, max_value=1_000_000, required=False
            )
            self.fields[f"stock_{i}"] = forms.IntegerField(
                label=_("Stock (empty: unlimited)"),
                min_value=0,
                max_value=10_000_000,
                required=False,
            )

        for name, field in self.fields.items():  # the prize fields get Tabler's classes too
            if name[-2:-1] == "_":
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = f"{css} form-control-sm"

    def prize_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"{name}_{i}"] for name in ("kind", "weight", "gift", "points", "stock")]
            for i in range(PRIZE_ROWS)
        ]

    def prizes(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rows = []
        for i in range(PRIZE_ROWS):
            kind = data.get(f"kind_{i}")
            if not kind:
                continue
            rows.append(
                {
                    "kind": kind,
                    "weight": data.get(f"weight_{i}") or 0,
                    "gift_id": data.get(f"gift_{i}"),
                    "points": data.get(f"points_{i}") or 0,
                    "stock": data.get(f"stock_{i}"),
                }
            )
        return rows


class DrawForm(IdempotentForm):
    card = CardNumberField()


class CheckinForm(IdempotentForm):
    card = CardNumberField()


class CheckinPolicyForm(IdempotentForm):
    enabled = forms.BooleanField(label=_("Check-in on"), required=False)
    rewards = forms.CharField(
        label=_("Rewards (day:points, one a line)"),
        widget=forms.Textarea,
        max_length=2000,
        help_text=_("From that streak day on, earn these points. Example: 1:5 then 7:30."),
    )
    cycle_days = forms.IntegerField(
        label=_("Cycle (days, empty: none)"), min_value=1, max_value=366, required=False
    )

    def clean_rewards(self) -> list[list[int]]:
        rows = []
        for line in self.cleaned_data["rewards"].splitlines():
            line = line.strip().replace("：", ":")
            if not line:
                continue
            day, _sep, points = line.partition(":")
            try:
                rows.append([int(day), int(points)])
            except ValueError:
                raise forms.ValidationError(
                    _("Write each line as day:points, e.g. 7:30.")
                ) from None
        return rows
