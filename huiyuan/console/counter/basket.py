"""收银 (basket checkout) at the counter: find the member, scan products, see the live quote
with its reasons, split the payment and complete once per idempotency key.

The basket lives in the form itself (product id, quantity or amount per line), re-rendered
by htmx on every change: the server keeps no session state, and the sale decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huiyuan.catalog import selectors as catalog
from huiyuan.checkout import selectors as sale_selectors
from huiyuan.checkout import services as checkout
from huiyuan.console.context import request_actor
from huiyuan.console.counter.forms import new_key
from huiyuan.console.counter.pages import render_page, scan_error, store_picker
from huiyuan.console.counter.panel import card_panel, card_state, find_card
from huiyuan.console.coupons import basket as coupon_basket
from huiyuan.console.views import staff_view
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.money import yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.wallet.models import PaymentMethod

# The external methods a cashier takes at the counter.
METHODS = ("cash", "bank_card", "wechat", "alipay")
MAX_LINES = 200


@dataclass
class BasketLine:
    """One line of the basket as the form carries it."""

    product_id: int
    name: str = ""
    quantity: str = ""  # as typed, in the product's unit ("" for an amount-only line)
    amount: str = ""  # yuan, for an amount-only line


@dataclass
class Basket:
    """What the basket form holds: lines, the card, and how the bill is paid."""

    lines: list[BasketLine] = field(default_factory=list)
    card: str = ""
    points: str = ""
    balance: str = ""
    paid: dict[str, str] = field(default_factory=dict)  # method → yuan typed
    rest_method: str = "cash"
    errors: list[str] = field(default_factory=list)
    scanned: bool = False  # the last scan added a line (the page clears the scan box)
    enrol_mobile: str = ""  # a walk-in customer's mobile (joining by policy, M2)
    enrol_name: str = ""
    enrol_now: bool = False  # 登记为会员: enrol on the spot whatever the policy
    coupons: list[str] = field(default_factory=list)  # coupon codes chosen (console/coupons)


def _int(text: str) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _basket_from(params: Any) -> Basket:
    ids = params.getlist("line_product")[:MAX_LINES]
    names = params.getlist("line_name")
    quantities = params.getlist("line_qty")
    amounts = params.getlist("line_amount")
    lines = []
    for i, raw in enumerate(ids):
        product_id = _int(raw)
        if product_id is None or product_id < 1:
            continue
        lines.append(
            BasketLine(
                product_id=product_id,
                name=(names[i] if i < len(names) else "")[:80],
                quantity=(quantities[i] if i < len(quantities) else "").strip()[:12],
                amount=(amounts[i] if i < len(amounts) else "").strip()[:20],
            )
        )
    method = params.get("rest_method") or "cash"
    return Basket(
        lines=lines,
        card="".join(str(params.get("card", "")).split())[:50],
        points=str(params.get("points", "")).strip()[:12],
        balance=str(params.get("balance", "")).strip()[:20],
        paid={m: str(params.get(f"pay_{m}", "")).strip()[:20] for m in METHODS},
        rest_method=method if method in METHODS else "cash",
        enrol_mobile=str(params.get("enrol_mobile", "")).strip()[:20],
        enrol_name=str(params.get("enrol_name", "")).strip()[:50],
        enrol_now=params.get("enrol_now") == "1",
        coupons=coupon_basket.chosen_from(params),
    )


def _apply(basket: Basket, params: Any) -> None:
    """The change the cashier asked for: scan a code, add an amount-only line, remove one."""
    op = str(params.get("op", ""))
    if coupon_basket.coupon_op(basket.coupons, op, params):
        return
    if op == "scan":
        code = str(params.get("code", "")).strip()[:50]
        if not code:
            return
        product = catalog.product_by_code(code)
        if product is None:
            basket.errors.append(str(catalog.unknown_code(code).message))
            return
        for line in basket.lines:
            if line.product_id == product.pk and not line.amount:
                milli = _milli(line.quantity) or 0
                line.quantity = _units(milli + 1000)
                break
        else:
            basket.lines.append(BasketLine(product_id=product.pk, name=product.name, quantity="1"))
        basket.scanned = True
    elif op == "amount":
        code = str(params.get("amount_code", "")).strip()[:50]
        product = catalog.product_by_code(code) if code else None
        if product is None:
            basket.errors.append(
                str(catalog.unknown_code(code).message) if code else _("Scan or type the product.")
            )
            return
        basket.lines.append(
            BasketLine(
                product_id=product.pk,
                name=product.name,
                amount=str(params.get("amount_yuan", "")).strip()[:20],
            )
        )
        basket.scanned = True
    elif op.startswith("remove:"):
        index = _int(op.removeprefix("remove:"))
        if index is not None and 0 <= index < len(basket.lines):
            del basket.lines[index]


def _milli(text: str) -> int | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    milli = value * 1000
    return int(milli) if milli == milli.to_integral_value() else None


def _units(milli: int) -> str:
    return (
        str(Decimal(milli) / 1000).rstrip("0").rstrip(".") if milli % 1000 else str(milli // 1000)
    )


def _fen(text: str, label: str, errors: list[str]) -> int:
    if not text:
        return 0
    try:
        fen = yuan_to_fen(text)
    except DomainError as exc:
        errors.append(f"{label}: {exc.message}")
        return 0
    if fen < 0:
        errors.append(f"{label}: {_('Enter an amount above zero.')}")
        return 0
    return fen


@dataclass(frozen=True)
class Parsed:
    """The basket as the services take it, with what could not be read."""

    data: checkout.BasketSaleInput
    errors: list[str]
    card_found: bool
    blocks: dict[str, str] = field(default_factory=dict)  # what the card's state blocks
    tendered_fen: int = 0  # typed for the methods outside the card
    change_fen: int = 0  # typed beyond what is due: change in cash, or overpaid
    change_is_cash: bool = False  # the cash typed covers it: hand it back, record the due


def _lines(basket: Basket, errors: list[str]) -> tuple[checkout.SaleLineInput, ...]:
    lines = []
    for line in basket.lines:
        if line.amount or not line.quantity:
            fen = _fen(line.amount, line.name, errors)
            lines.append(checkout.SaleLineInput(product_id=line.product_id, amount_fen=fen))
            continue
        milli = _milli(line.quantity)
        if milli is None:
            errors.append(f"{line.name}: {_('Enter a quantity above zero.')}")
            milli = 0
        lines.append(checkout.SaleLineInput(product_id=line.product_id, quantity_milli=milli))
    return tuple(lines)


def _parse(actor: Actor, basket: Basket, *, due_fen: int | None) -> Parsed:
    """The sale input; the external payments are what was typed per method, and the rest of
    ``due_fen`` (what the stored value and points leave) goes to the chosen method."""
    errors: list[str] = []
    found = find_card(actor, basket.card) if basket.card else None
    if basket.card and found is None:
        errors.append(_("No card or member found for “%(q)s”.") % {"q": basket.card})
    points = _int(basket.points) if basket.points else 0
    if points is None or points < 0:
        errors.append(_("Points must be a whole number."))
        points = 0
    balance = _fen(basket.balance, _("From balance"), errors)
    labels = dict(PaymentMethod.choices)
    paid = {m: _fen(basket.paid.get(m, ""), str(labels[m]), errors) for m in METHODS}
    tendered = sum(paid.values())
    change, change_is_cash = 0, False
    if due_fen is not None:
        rest = due_fen - tendered
        if rest > 0:
            paid[basket.rest_method] += rest
        elif rest < 0:
            # Cash handed over beyond the due is change (找零): the sale records the due.
            # Any other method typed beyond it is overpaid (多收): shown, and refused.
            change = -rest
            change_is_cash = paid["cash"] >= change
            if change_is_cash:
                paid["cash"] -= change
    payments = tuple(checkout.ExternalPayment(m, fen) for m, fen in paid.items() if fen)
    return Parsed(
        data=checkout.BasketSaleInput(
            lines=_lines(basket, errors),
            card_id=found.card.pk if found else None,
            points=points,
            balance_fen=balance,
            payments=payments,
            enrol=(
                checkout.EnrolRequest(
                    mobile=basket.enrol_mobile, name=basket.enrol_name, explicit=basket.enrol_now
                )
                if basket.enrol_mobile and not basket.card
                else None
            ),
            coupon_codes=tuple(basket.coupons),
        ),
        errors=errors,
        card_found=found is not None,
        blocks=card_state(found.card, found.card.member).blocks if found else {},
        tendered_fen=tendered,
        change_fen=change,
        change_is_cash=change_is_cash,
    )


def _external_due(quote: checkout.BasketQuote) -> int:
    return quote.priced.external_fen


# Refusals of the points typed: the quote then counts only what the bill allows.
POINTS_OVER_CAP = {"points_offset_too_high", "insufficient_points", "invalid_points"}


@dataclass(frozen=True)
class Quoted:
    """The basket's quote (None when empty or refused), its parse, and the most points the
    bill allows when more were typed (``points_cap``: counted up to it, with a warning)."""

    quote: checkout.BasketQuote | None
    parsed: Parsed
    points_cap: int | None = None


def _quote(actor: Actor, basket: Basket) -> Quoted:
    """Price the basket (None when it is empty or refused; the reason goes to the errors)."""
    parsed = _parse(actor, basket, due_fen=None)
    if not basket.lines or parsed.errors:
        return Quoted(None, parsed)
    cap = None
    try:
        quote = checkout.sale_quote_basket(actor=actor, data=parsed.data)
    except PermissionDenied:
        raise
    except DomainError as exc:
        if exc.code not in POINTS_OVER_CAP or not parsed.data.points:
            parsed.errors.append(str(exc.message))
            return Quoted(None, parsed)
        try:  # price without the points, then with as many as the bill allows
            bare = checkout.sale_quote_basket(actor=actor, data=replace(parsed.data, points=0))
            cap = min(parsed.data.points, bare.priced.points_max)
            quote = (
                checkout.sale_quote_basket(actor=actor, data=replace(parsed.data, points=cap))
                if cap
                else bare
            )
        except DomainError as again:
            parsed.errors.append(str(again.message))
            return Quoted(None, parsed)
    return Quoted(quote, _parse(actor, basket, due_fen=_external_due(quote)), cap)


def _context(actor: Actor, basket: Basket) -> dict[str, Any]:
    quoted = _quote(actor, basket)
    quote, parsed = quoted.quote, quoted.parsed
    errors = basket.errors + parsed.errors
    rows = []
    if quote is not None:
        for line in quote.priced.lines:
            notes = [
                sale_selectors.render_reason({"code": a.reason.code, "params": a.reason.params})
                for a in line.adjustments
            ]
            notes += [
                sale_selectors.render_reason({"code": n.code, "params": n.params})
                for n in line.notes
            ]
            notes += [
                sale_selectors.render_reason(n) for n in quote.price_changes.get(line.line_id, ())
            ]
            i = line.line_id - 1
            rows.append({"line": basket.lines[i], "priced": line, "index": i, "notes": notes})
    else:
        rows = [
            {"line": line, "priced": None, "index": i, "notes": []}
            for i, line in enumerate(basket.lines)
        ]
    labels = dict(PaymentMethod.choices)
    return {
        "basket": basket,
        "rows": rows,
        "quote": quote,
        "notes": [
            *(
                sale_selectors.render_reason({"code": n.code, "params": n.params})
                for n in (quote.priced.notes if quote else ())
            ),
            *(str(n.message) for n in (quote.participant_notes if quote else ())),
        ],
        "joining": _JOINING.get(quote.joining, "") if quote else "",
        "coupons": coupon_basket.coupon_panel(quote, basket.coupons),
        "payments": [
            {"label": labels[p.method], "method": p.method, "amount_fen": p.amount_fen}
            for p in parsed.data.payments
        ],
        "methods": [(m, labels[m], basket.paid.get(m, "")) for m in METHODS],
        "errors": errors,
        "has_card": parsed.card_found,
        "blocks": parsed.blocks,
        "points_cap": quoted.points_cap,
        "tendered_fen": parsed.tendered_fen,
        "change_fen": parsed.change_fen,
        "change_is_cash": parsed.change_is_cash,
    }


_JOINING = {
    "new": _("The customer becomes a member with this sale."),
    "existing": _("This mobile belongs to a member: the sale goes on their card."),
    "new_card": _("This mobile belongs to a member without a card: the sale issues one."),
}


@staff_view
@require_http_methods(["GET", "POST"])
def basket_checkout(request: HttpRequest) -> HttpResponse:
    """收银: the page, and its completion (POST)."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    picker = store_picker(request, actor)
    if picker is not None:
        return picker
    if request.method == "POST":
        basket = _basket_from(request.POST)
        key = str(request.POST.get("idempotency_key", ""))[:100]
        quoted = _quote(actor, basket)
        # A quote that counts fewer points than typed is no quote to complete: the sale
        # decides with what the screen showed (and refuses the points beyond the cap).
        quote = quoted.quote if quoted.points_cap is None else None
        parsed = quoted.parsed
        shown_due = _int(str(request.POST.get("due_fen", "")))
        if quote is None and shown_due is not None and shown_due >= 0 and basket.lines:
            # The quote is refused now, but the screen showed one: a retry of a sale that
            # went through (its key gives the first receipt back) or a change since; the
            # sale decides with what the screen showed.
            retry = _parse(actor, basket, due_fen=shown_due)
            if not retry.errors:
                quote, parsed = None, retry
                basket.errors.clear()
        if not basket.lines:
            basket.errors.append(_("Scan at least one product."))
        elif not parsed.errors and (quote is not None or shown_due is not None):
            try:
                data = replace(parsed.data, pin=str(request.POST.get("pin", ""))[:6])  # W2
                sale = checkout.sale_complete(actor=actor, data=data, idempotency_key=key)
            except PermissionDenied:
                raise
            except DomainError as exc:
                basket.errors.append(str(exc.message))
            else:
                return redirect("console:sale_receipt", sale_id=sale.pk)
        found = find_card(actor, basket.card) if basket.card else None
        return render_page(
            request,
            "basket.html",
            {
                **_context(actor, basket),
                "panel": card_panel(found),
                "idempotency_key": key or new_key(),
                "query": "",
                "scan_error": "",
            },
        )
    query = str(request.GET.get("q", "")).strip()[:50]
    found = find_card(actor, query) if query else None
    basket = Basket(card=found.card.number if found else "")
    panel = card_panel(found)
    return render_page(
        request,
        "basket.html",
        {
            **_context(actor, basket),
            "panel": panel,
            "idempotency_key": new_key(),
            "query": query if found is None else "",
            "scan_error": scan_error(query, panel),
        },
    )


@staff_view
@require_POST
def basket_quote(request: HttpRequest) -> HttpResponse:
    """The basket and its live quote (an htmx partial): lines, reasons, totals, payments."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    basket = _basket_from(request.POST)
    _apply(basket, request.POST)
    return render(request, "console/counter/basket.html#basket", _context(actor, basket))


# ------------------------------------------------------------------------- receipts


def mask_card(number: str) -> str:
    """6**********1234: the first digit and the last four."""
    number = number or ""
    if len(number) <= 5:
        return "*" * max(0, len(number) - 4) + number[-4:]
    return number[0] + "*" * (len(number) - 5) + number[-4:]


def mask_name(name: str) -> str:
    """张*丰, 张*, 欧**锋: the first and (for three or more characters) the last."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
