"""Quick consumption with its live quote, the receipt with its lines, returns (退货) and
the reversal of a sale, and the sales list with its Excel export."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.selectors import CardBalances
from huiyuan.checkout import selectors as sale_selectors
from huiyuan.checkout import services as checkout
from huiyuan.checkout.exports import sales_export
from huiyuan.checkout.models import Sale, SaleLine
from huiyuan.console.context import request_actor
from huiyuan.console.counter.basket import mask_card, mask_name
from huiyuan.console.counter.forms import (
    AUTHORISATION_CODES,
    CATEGORY_SUGGESTIONS,
    IdempotentForm,
    QuickSaleForm,
    ReverseSaleForm,
    show_domain_error,
)
from huiyuan.console.counter.pages import render_page, store_picker
from huiyuan.console.counter.panel import card_panel, card_state, find_card
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.points.explain import render_steps
from huiyuan.points.models import EarnRule
from huiyuan.wallet.models import PaymentMethod


def _quote_from(actor: Actor, params: Any) -> tuple[checkout.SaleQuote | None, CardBalances | None]:
    """A live quote from what the sale form holds so far, and the card it is for."""

    def fen(name: str) -> int:
        try:
            return max(0, yuan_to_fen(params.get(name) or "0"))
        except DomainError:
            return 0

    amount = fen("amount")
    try:
        points = max(0, int(params.get("points") or 0))
    except ValueError:
        points = 0
    found = find_card(actor, params.get("card", "")) if params.get("card") else None
    quote = checkout.sale_quote(
        actor=actor,
        amount_fen=amount,
        card_id=found.card.pk if found else None,
        points=points,
        balance_fen=fen("balance"),
    )
    return quote, found


def _method_choices(form: QuickSaleForm) -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in form.fields["external_method"].choices]  # type: ignore[attr-defined]


@staff_view
def quick_sale(request: HttpRequest) -> HttpResponse:
    """快速消费: scan the card, type the amount, pick how it is paid, Enter.

    Nothing is collected outside the card until a method is chosen: Enter on the amount
    alone asks which method takes the rest (``confirm_method``) instead of completing."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    query = request.GET.get("q", "").strip()
    form = QuickSaleForm(request.POST or None)
    found = None
    quote = None
    confirm_method = False
    if request.method == "POST":
        quote, found = _quote_from(actor, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["card"] and found is None:
                form.add_error("card", _("No card with this number."))
            elif quote is not None and quote.external_fen and not data["external_method"]:
                confirm_method = True
            else:
                try:
                    sale = checkout.sale_quick(
                        actor=actor,
                        data=checkout.QuickSaleInput(
                            amount_fen=data["amount"],
                            card_id=found.card.pk if found else None,
                            category=data["category"],
                            balance_fen=data["balance"] or 0,
                            points=data["points"] or 0,
                            external_method=data["external_method"],
                            pin=data["pin"],
                        ),
                        idempotency_key=data["idempotency_key"],
                    )
                except DomainError as exc:
                    if exc.code == "external_method_required":
                        confirm_method = True
                    else:
                        show_domain_error(form, exc)
                else:
                    return redirect("console:sale_receipt", sale_id=sale.pk)
    elif query:
        found = find_card(actor, query)
        if found is None:
            messages.warning(request, _("No card or member found for “%(q)s”.") % {"q": query})
        else:
            form = QuickSaleForm(initial={"card": found.card.number})
    panel = card_panel(found)
    return render_page(
        request,
        "sale.html",
        {
            "form": form,
            "panel": panel,
            "blocks": panel.state.blocks if panel else {},
            "query": query if found is None else "",
            "quote": quote,
            "confirm_method": confirm_method,
            "method_choices": _method_choices(form),
            "categories": CATEGORY_SUGGESTIONS,
            "methods": PaymentMethod.choices,
        },
    )


@staff_view
@require_GET
def sale_quote(request: HttpRequest) -> HttpResponse:
    """The sale form's live summary (an htmx partial); the sale itself decides again."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    quote, found = _quote_from(actor, request.GET)
    return render(
        request,
        "console/counter/sale.html#quote",
        {
            "quote": quote,
            "has_card": bool(request.GET.get("card")),
            "blocks": card_state(found.card, found.card.member).blocks if found else {},
        },
    )


# ---------------------------------------------------------------------------- receipts


def _sale_or_404(actor: Actor, sale_id: int) -> Sale:
    sale = sale_selectors.sale_get(actor=actor, sale_id=sale_id)
    if sale is None:
        raise Http404(_("Sale not found."))
    return sale


def _rule_name(explanation: dict[str, Any]) -> str:
    """The earn rule by the name the merchant gave it ("每消费1元积1分"), not its code."""
    rule_id = explanation.get("rule_id")
    if not isinstance(rule_id, int):
        return ""
    return EarnRule.objects.filter(pk=rule_id).values_list("name", flat=True).first() or ""


def _receipt(
    request: HttpRequest,
    actor: Actor,
    sale: Sale,
    form: ReverseSaleForm | None = None,
    return_form: SaleReturnForm | None = None,
) -> HttpResponse:
    explanation = sale.earn_explanation or {}
    detailed = sale_selectors.sale_detail(actor=actor, sale_id=sale.pk) or sale
    lines = getattr(detailed, "line_rows", [])
    return_form = return_form or SaleReturnForm(lines=lines)
    now = (
        card_selectors.card_get(actor=actor, card_id=sale.card_id)
        if sale.card_id is not None
        else None
    )
    return render_page(
        request,
        "receipt.html",
        {
            "sale": sale,
            "masked_card": mask_card(sale.card.number) if sale.card is not None else "",
            "masked_name": mask_name(sale.member.name) if sale.member is not None else "",
            "method_label": dict(PaymentMethod.choices).get(
                sale.external_method, sale.external_method
            ),
            "after": sale_selectors.sale_balances_after(sale),
            "now": now,
            "steps": render_steps(explanation.get("steps")),
            "rule": _rule_name(explanation),
            "reverse_form": form or ReverseSaleForm(),
            "items": [
                {
                    "line": line,
                    "reasons": [
                        sale_selectors.render_reason(a["reason"]) for a in line.adjustments or ()
                    ]
                    + [sale_selectors.render_reason(n) for n in line.notes or ()],
                    "field": return_form[f"qty_{line.pk}"]
                    if f"qty_{line.pk}" in return_form.fields
                    else None,
                }
                for line in lines
            ],
            "notes": [sale_selectors.render_reason(n) for n in sale.notes or ()],
            "payments": [
                {
                    "label": dict(PaymentMethod.choices).get(p["method"], p["method"]),
                    "amount_fen": p["amount_fen"],
                }
                for p in sale.payments or ()
            ],
            "returns": getattr(detailed, "return_rows", []),
            "return_form": return_form,
            "needs_manager": not actor.has(Perm.SALE_REVERSE),
            "can_return": sale.status == Sale.Status.COMPLETED and bool(return_form.lines),
        },
    )


@staff_view
@require_GET
def sale_receipt(request: HttpRequest, sale_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    return _receipt(request, actor, _sale_or_404(actor, sale_id))


@staff_view
@require_POST
def sale_reverse(request: HttpRequest, sale_id: int) -> HttpResponse:
    """撤销消费: by a manager, or by a cashier with a manager's authorisation on the spot."""
    actor = request_actor(request)
    if not actor.has(Perm.SALE_REVERSE):
        require(actor, Perm.SALE_CREATE)
    sale = _sale_or_404(actor, sale_id)
    form = ReverseSaleForm(request.POST)
    if (
        form.is_valid()
        and not actor.has(Perm.SALE_REVERSE)
        and not (form.cleaned_data["manager_username"] and form.cleaned_data["manager_password"])
    ):
        form.add_error(
            "manager_username",
            _("A reversal needs a manager's authorisation: enter their username and password."),
        )
    if form.is_valid():
        data = form.cleaned_data
        auth = (
            checkout.ManagerAuthorisation(
                data["manager_username"], data["manager_password"], request
            )
            if data["manager_username"]
            else None
        )
        try:
            checkout.sale_reverse(
                actor=actor,
                sale_id=sale.pk,
                reason=data["reason"],
                idempotency_key=data["idempotency_key"],
                authorised_by=auth,
            )
        except DomainError as exc:
            if exc.code in AUTHORISATION_CODES:
                form.add_error("manager_username", str(exc.message))
            else:
                show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Sale %(number)s reversed; balances and points are restored.")
                % {"number": sale.number},
            )
            return redirect("console:sale_receipt", sale_id=sale.pk)
    return _receipt(request, actor, sale, form)


# -------------------------------------------------------------------- sales and returns


class SaleReturnForm(IdempotentForm):
    """退货: a quantity per line (in the line's unit; blank for none), a reason, and a
    manager's username and password when the cashier may not return on their own."""

    reason = forms.CharField(label=_l("Reason for the return"), max_length=200)
    manager_username = forms.CharField(label=_l("Manager username"), required=False)
    manager_password = forms.CharField(
        label=_l("Manager password"), required=False, widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, lines: list[SaleLine] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.returnable_milli > 0]
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=line.name,
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=3 if line.quantity_milli % 1000 else 0,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )

    def quantities(self) -> list[checkout.ReturnLineInput]:
        wanted = []
        for line in self.lines:
            value = self.cleaned_data.get(f"qty_{line.pk}")
            if value:
                wanted.append(checkout.ReturnLineInput(line.pk, int(value * 1000)))
        return wanted


class SaleFilterForm(forms.Form):
    number = forms.CharField(label=_l("Receipt number"), required=False, max_length=34)
    date_from = forms.DateField(label=_l("From"), required=False)
    date_to = forms.DateField(label=_l("To"), required=False)
    status = forms.ChoiceField(
        label=_l("Status"),
        required=False,
        choices=[
            ("", _l("All")),
            ("completed", _l("Completed")),
            ("partly_returned", _l("Partly returned")),
            ("returned", _l("Returned")),
            ("reversed", _l("Reversed")),
        ],
    )
    store = forms.IntegerField(required=False, widget=forms.HiddenInput)
    cashier = forms.IntegerField(required=False, widget=forms.HiddenInput)
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def to_filters(self) -> sale_selectors.SaleFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return sale_selectors.SaleFilters(
            store_id=data.get("store"),
            cashier_id=data.get("cashier"),
            member_id=data.get("member"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            number=data.get("number") or "",
            status=data.get("status") or "",
        )


PAGE_SIZE = 50


@staff_view
@require_GET
def sale_list(request: HttpRequest) -> HttpResponse:
    """消费记录: the sales of the staff member's stores, newest first, with filters."""
    actor = request_actor(request)
    form = SaleFilterForm(request.GET or None)
    sales = sale_selectors.sale_list(actor=actor, filters=form.to_filters())
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows = list(sales[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "sales_list.html",
        {
            "form": form,
            "sales": [(s, sale_selectors.sale_status(s)) for s in rows[:PAGE_SIZE]],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "query": query.urlencode(),
            "can_export": actor.has(Perm.REPORT_VIEW),
        },
    )


@staff_view
@require_GET
def sale_export(request: HttpRequest) -> HttpResponseBase:
    actor = request_actor(request)
    require(actor, Perm.REPORT_VIEW)
    form = SaleFilterForm(request.GET or None)
    stream = sales_export(actor=actor, filters=form.to_filters())
    filename = f"sales-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(stream, as_attachment=True, filename=filename)


@staff_view
@require_POST
def sale_return(request: HttpRequest, sale_id: int) -> HttpResponse:
    """退货 from the receipt page: the quantities per line, then the receipt again with
    what to hand back over the counter."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    sale = _sale_or_404(actor, sale_id)
    lines = list(SaleLine.objects.filter(sale=sale).order_by("position"))
    form = SaleReturnForm(request.POST, lines=lines)
    if form.is_valid():
        wanted = form.quantities()
        data = form.cleaned_data
        if not wanted:
            form.add_error(None, _("Enter the quantity to return on at least one line."))
        else:
            auth = (
                checkout.ManagerAuthorisation(
                    data["manager_username"], data["manager_password"], request
                )
                if data["manager_username"]
                else None
            )
            try:
                done = checkout.sale_return(
                    actor=actor,
                    sale_id=sale.pk,
                    lines=wanted,
                    reason=data["reason"],
                    idempotency_key=data["idempotency_key"],
                    authorised_by=auth,
                )
            except DomainError as exc:
                if exc.code in AUTHORISATION_CODES:
                    form.add_error("manager_username", str(exc.message))
                else:
                    show_domain_error(form, exc)
            else:
                labels = dict(PaymentMethod.choices)
                hand_back = "、".join(
                    f"{labels.get(p['method'], p['method'])} {fen_to_yuan_str(p['amount_fen'])}"
                    for p in done.refund_payments
                )
                messages.success(
                    request,
                    _("Return %(number)s recorded. Hand back: %(what)s.")
                    % {"number": done.number, "what": hand_back or _("nothing over the counter")},
                )
                return redirect("console:sale_receipt", sale_id=sale.pk)
    return _receipt(request, actor, sale, return_form=form)
