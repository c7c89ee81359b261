"""The counter's 核销 page: find the member's card (or a package's code), see the active
packages, take one use of one of them.

The card is shown in the counter's one panel (``console/counter/_card_panel.html``: the
member, the status badge, balances); a state that blocks a use (a lost, expired or
cancelled card, an inactive member, spending frozen) disables the use buttons with its
reason, and a use posted anyway is refused with that reason, nothing taken."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huiyuan.cards import selectors as card_selectors
from huiyuan.cards.models import Card
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.counter.panel import CardPanel, card_panel
from huiyuan.console.packages.forms import FindForm, UseForm
from huiyuan.core.clock import local_date
from huiyuan.core.errors import DomainError
from huiyuan.core.permissions import Actor, Perm
from huiyuan.packages import selectors
from huiyuan.packages.models import MemberPackage
from huiyuan.packages.services import package_use, uses_in_period


def _find(actor: Actor, query: str) -> tuple[Card | None, list[MemberPackage]]:
    query = query.strip()
    if query.upper().startswith("P") and not Card.objects.filter(number=query).exists():
        package = selectors.package_by_code(actor=actor, code=query)
        return package.card, [package] if package.is_active else []
    return selectors.card_packages(actor=actor, card_number=query)


def package_rows(packages: list[MemberPackage], store_id: int | None) -> list[dict[str, Any]]:
    """Each package with what the counter needs: items left, today's uses, where usable."""
    today = local_date(timezone.now())
    rows = []
    for package in packages:
        items = [(item, uuid.uuid4().hex) for item in package.items.all()]
        used_in_period = uses_in_period(package, today) if package.limit_count else 0
        rows.append(
            {
                "package": package,
                "items": items,
                "used_in_period": used_in_period,
                "limit_reached": bool(
                    package.limit_count and used_in_period >= package.limit_count
                ),
                "here": package.all_stores or store_id in package.store_ids,
                "expired": package.valid_until is not None and package.valid_until < today,
            }
        )
    return rows


def card_panel_of(actor: Actor, card: Card | None) -> CardPanel | None:
    """The counter's panel for the card (its member, status badge, balances)."""
    return card_panel(card_selectors.card_get(actor=actor, card_id=card.pk)) if card else None


def use_block(panel: CardPanel | None) -> str:
    """Why no visit can be taken with this card now, or "": what blocks a sale (a lost,
    expired, cancelled or not activated card; a member no longer active) or paying from the
    card (spending frozen) — the state every counter page shows (``card_state``)."""
    if panel is None:
        return ""
    blocks = panel.state.blocks
    return blocks.get("sale") or blocks.get("pay_from_card") or ""


def _posted_block(actor: Actor, query: str) -> str:
    """The block of the card the page was showing, decided again on the posted use."""
    if not query:
        return ""
    try:
        card, _packages = _find(actor, query)
    except DomainError:
        return ""  # the service decides (an unknown package or card)
    return use_block(card_panel_of(actor, card))


@login_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    actor = acting_staff(request, Perm.SALE_CREATE)
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()[:40]
    if request.method == "POST":
        form = UseForm(request.POST)
        block = _posted_block(actor, query) if form.is_valid() else ""
        if block:
            messages.error(request, block)  # a lost or frozen card: nothing is taken
        elif form.is_valid():
            data = form.cleaned_data
            try:
                use = package_use(
                    actor=actor,
                    package_id=data["package"],
                    item_id=data.get("item"),
                    note=data.get("note") or "",
                    idempotency_key=data.get("idempotency_key") or "",
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                messages.error(request, str(exc.message))
            else:
                left = (
                    _("%(n)s left") % {"n": use.remaining_after}
                    if use.remaining_after is not None
                    else _("unlimited visits")
                )
                messages.success(
                    request,
                    _("Used one visit of %(item)s (%(left)s).")
                    % {"item": use.item.name, "left": left},
                )
        else:
            messages.error(request, _("The request is malformed."))
        return redirect(f"{reverse('console:package_counter')}?{urlencode({'q': query})}")
    find = FindForm({"q": query} if query else None)
    card: Card | None = None
    packages: list[MemberPackage] = []
    error = ""
    if query:
        try:
            card, packages = _find(actor, query)
        except DomainError as exc:
            refuse_if_forbidden(exc)
            error = str(exc.message)
    panel = card_panel_of(actor, card)
    return render(
        request,
        "console/packages/counter.html",
        {
            "find": find,
            "query": query,
            "card": card,
            "panel": panel,
            "use_block": use_block(panel),
            "rows": package_rows(packages, actor.store_id),
            "error": error,
        },
    )
