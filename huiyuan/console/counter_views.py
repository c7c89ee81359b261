"""Counter pages: cards, recharge and refund, quick consumption and its receipt, points.

Thin views in the console's way: parse the form, check the permission with ``require``,
call one service, render. A service's ``DomainError`` is shown on the form and nothing is
written. Every money form carries an idempotency key (see ``counter_forms``).

The member page's money sections (cards, balances, lots, ledger, sales, tier) are
registered here with ``register_member_section``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huiyuan.audit.selectors import action_label
from huiyuan.cards import images as card_images
from huiyuan.cards import selectors as card_selectors
from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card, CardType
from huiyuan.cards.selectors import CardBalances
from huiyuan.checkout import selectors as sale_selectors
from huiyuan.checkout import services as checkout
from huiyuan.checkout.models import Sale
from huiyuan.console.context import request_actor
from huiyuan.console.counter_forms import (
    CATEGORY_SUGGESTIONS,
    AddHolderForm,
    CardFoundForm,
    CardReasonForm,
    IssueCardForm,
    PointsAdjustForm,
    QuickSaleForm,
    RechargeForm,
    RefundForm,
    ReissueForm,
    RenewForm,
    ReverseSaleForm,
    SupplementForm,
    TierMoveForm,
    show_domain_error,
)
from huiyuan.console.views import (
    ACTION_LABELS,
    MEMBER_SECTIONS,
    MemberSection,
    register_member_section,
    staff_view,
)
from huiyuan.core.errors import DomainError, PermissionDenied
from huiyuan.core.money import fen_to_yuan_str, yuan_to_fen
from huiyuan.core.permissions import Actor, Perm, require
from huiyuan.ledger.models import Account, Entry, Lot
from huiyuan.members import selectors as member_selectors
from huiyuan.members.models import Member
from huiyuan.points import services as points_services
from huiyuan.points.models import PointsPolicy
from huiyuan.stores.selectors import store_names
from huiyuan.tiers import selectors as tier_selectors
from huiyuan.tiers import services as tier_services
from huiyuan.wallet import selectors as wallet_selectors
from huiyuan.wallet import services as wallet_services
from huiyuan.wallet.models import PaymentMethod

# ----------------------------------------------------------------------------- labels

OPERATION_LABELS: dict[str, Any] = {
    "recharge": pgettext_lazy("ledger", "Recharge"),
    "refund": pgettext_lazy("ledger", "Refund"),
    "sale": pgettext_lazy("ledger", "Consumption"),
    "sale_reversal": pgettext_lazy("ledger", "Consumption reversed"),
    "card_reissue": pgettext_lazy("ledger", "Card reissued"),
    "points_adjust": pgettext_lazy("ledger", "Points adjusted"),
    "points_supplement": pgettext_lazy("ledger", "Supplementary points"),
    "points_expire": pgettext_lazy("ledger", "Points expired"),
    "bonus_expire": pgettext_lazy("ledger", "Bonus expired"),
}
TRANSFER_LABELS: dict[str, Any] = {
    "recharge": pgettext_lazy("ledger", "Recharge"),
    "recharge_bonus": pgettext_lazy("ledger", "Recharge bonus"),
    "spend": pgettext_lazy("ledger", "Paid from principal"),
    "spend_bonus": pgettext_lazy("ledger", "Paid from bonus"),
    "redeem": pgettext_lazy("ledger", "Points offset"),
    "earn": pgettext_lazy("ledger", "Points earned"),
    "reissue": pgettext_lazy("ledger", "Moved by reissue"),
    "points_adjust": pgettext_lazy("ledger", "Adjusted by hand"),
    "expire": pgettext_lazy("ledger", "Expired"),
    "refund": pgettext_lazy("ledger", "Refund"),
    "bonus_clawback": pgettext_lazy("ledger", "Bonus taken back"),
}
ACCOUNT_LABELS: dict[str, Any] = {
    Account.Kind.PRINCIPAL: pgettext_lazy("ledger", "Principal"),
    Account.Kind.BONUS: pgettext_lazy("ledger", "Bonus"),
    Account.Kind.POINTS: pgettext_lazy("ledger", "Points"),
}
TIER_CHANGE_LABELS: dict[str, Any] = {
    "upgrade": pgettext_lazy("tier", "Upgrade"),
    "downgrade": pgettext_lazy("tier", "Downgrade"),
    "manual": pgettext_lazy("tier", "Manual move"),
    "initial": pgettext_lazy("tier", "Initial tier"),
}
HOLDING_LABELS: dict[str, Any] = {
    CardType.Holding.PERSONAL: pgettext_lazy("holding", "Personal card"),
    CardType.Holding.LINKED: pgettext_lazy("holding", "Linked card"),
    CardType.Holding.GROUP: pgettext_lazy("holding", "Group card"),
    CardType.Holding.FAMILY: pgettext_lazy("holding", "Family card"),
}
CARD_STATUS_COLORS = {
    Card.Status.ACTIVE: "green",
    Card.Status.LOST: "red",
    Card.Status.VOID: "secondary",
    Card.Status.CANCELLED: "secondary",
}


def transfer_label(kind: str) -> str:
    if kind.startswith("reverse_"):
        base = TRANSFER_LABELS.get(kind.removeprefix("reverse_"), kind)
        return _("Reversal: %(what)s") % {"what": base}
    return str(TRANSFER_LABELS.get(kind, kind))


# The rules engine explains its points in plain, fixed English; staff read it in Chinese.
_STEP_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            r"^(?P<rule>\S+ v\d+): (?P<amount>\d+) fen / (?P<unit>\d+) = (?P<units>\d+) units "
            r"\((?P<rounding>\w+)\) x (?P<per>\d+) = (?P<base>\d+) points$"
        ),
        gettext_lazy(
            "%(rule)s: paid %(amount)s, per %(unit)s = %(units)s units (%(rounding)s) "
            "× %(per)s = %(base)s points"
        ),
    ),
    (
        re.compile(r"^tier (?P<tier>\S*): x(?P<pct>\d+)%$"),
        gettext_lazy("tier %(tier)s: × %(pct)s%%"),
    ),
    (re.compile(r"^birthday: x(?P<pct>\d+)%$"), gettext_lazy("birthday: × %(pct)s%%")),
    (
        re.compile(r"^special day (?P<label>.+): x(?P<pct>\d+)%$"),
        gettext_lazy("special day %(label)s: × %(pct)s%%"),
    ),
    (
        re.compile(r"^(?P<base>\d+) x (?P<pct>\d+)% = (?P<points>\d+) points \(rounded down\)$"),
        gettext_lazy("%(base)s × %(pct)s%% = %(points)s points (rounded down)"),
    ),
    (
        re.compile(r"^capped at (?P<cap>\d+) per sale$"),
        gettext_lazy("capped at %(cap)s points per sale"),
    ),
    (
        re.compile(r"^daily cap (?P<cap>\d+): (?P<earned>\d+) earned today, (?P<room>\d+) left$"),
        gettext_lazy("daily cap %(cap)s: %(earned)s earned today, %(room)s left"),
    ),
    (re.compile(r"^(?P<rule>\S+ v\d+): not in effect$"), gettext_lazy("%(rule)s: not in effect")),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other stores only$"),
        gettext_lazy("%(rule)s: for other stores only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other tiers only$"),
        gettext_lazy("%(rule)s: for other tiers only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): other categories only$"),
        gettext_lazy("%(rule)s: for other categories only"),
    ),
    (
        re.compile(r"^(?P<rule>\S+ v\d+): category (?P<category>.+) excluded$"),
        gettext_lazy("%(rule)s: category %(category)s is excluded"),
    ),
    (re.compile(r"^nothing paid: no points$"), gettext_lazy("nothing paid: no points")),
    (re.compile(r"^no rule applies: no points$"), gettext_lazy("no rule applies: no points")),
    (
        re.compile(r"^earning is frozen for this member$"),
        gettext_lazy("earning is frozen for this member"),
    ),
    (
        re.compile(r"^no member card: no points.*$"),
        gettext_lazy("no member card: no points (supplementary points possible)"),
    ),
]
ROUNDING_LABELS: dict[str, Any] = {
    "floor": pgettext_lazy("rounding", "part below a unit dropped"),
    "half_up": pgettext_lazy("rounding", "rounded half up"),
}


def explain_step(step: str) -> str:
    """One step of a points explanation in the reader's language (raw if unknown)."""
    for pattern, template in _STEP_PATTERNS:
        match = pattern.match(step)
        if match is None:
            continue
        values = match.groupdict()
        if "amount" in values:
            values["amount"] = fen_to_yuan_str(int(values["amount"]))
            values["unit"] = fen_to_yuan_str(int(values["unit"]))
        if "rounding" in values:
            values["rounding"] = str(ROUNDING_LABELS.get(values["rounding"], values["rounding"]))
        return str(template) % values
    return step


# ---------------------------------------------------------------------------- helpers


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _card_or_404(actor: Actor, card_id: int) -> CardBalances:
    found = card_selectors.card_get(actor=actor, card_id=card_id)
    if found is None:
        raise Http404(_("Card not found."))
    return found


def find_card(actor: Actor, text: str) -> CardBalances | None:
    """A card by its number, or the newest usable card of the one member a mobile, member
    number or name finds."""
    text = "".join((text or "").split())[:50]
    if not text:
        return None
    found = card_selectors.card_get(actor=actor, number=text)
    if found is not None:
        return found
    members = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    exact = [m for m in members if m.code == text]
    if len(exact) == 1:
        members = exact
    if len(members) != 1:
        return None
    cards = card_selectors.member_cards(actor=actor, member=members[0], include_closed=False)
    usable = [c for c in cards if c.card.status == Card.Status.ACTIVE] or cards
    return usable[0] if usable else None


@dataclass(frozen=True)
class CardPanel:
    """What the counter shows about a card: its member (the primary holder), tier, balances
    and, for a shared card, the further holders who share its wallet."""

    balances: CardBalances
    member: Member | None
    tier_name: str
    tier_discount: int
    points_value_fen: int
    holders: tuple[Member, ...] | None = None  # the further holders; None: not looked up
    viewer: Member | None = None

    @property
    def card(self) -> Card:
        return self.balances.card

    @property
    def status_color(self) -> str:
        return CARD_STATUS_COLORS.get(Card.Status(self.card.status), "secondary")

    @property
    def is_shared(self) -> bool:
        """The card's type lets more than one member hold it (family, linked, group)."""
        return self.card.card_type.max_holders > 1

    @property
    def holding_label(self) -> str:
        holding = self.card.card_type.holding
        return str(HOLDING_LABELS.get(holding, holding))

    @property
    def holder_count(self) -> int:
        return (1 if self.member is not None else 0) + len(self.holders or ())

    @property
    def max_holders(self) -> int:
        return self.card.card_type.max_holders

    @property
    def has_room(self) -> bool:
        return self.is_shared and self.holder_count < self.max_holders

    @property
    def viewer_is_secondary(self) -> bool:
        """Shown on the page of a member who shares the card but is not its primary holder."""
        return (
            self.viewer is not None and self.member is not None and self.viewer.pk != self.member.pk
        )


def card_panel(
    balances: CardBalances | None,
    *,
    holders: list[Member] | None = None,
    viewer: Member | None = None,
) -> CardPanel | None:
    if balances is None:
        return None
    member = balances.card.member
    tier = tier_services.current_tier(member) if member is not None else None
    policy = PointsPolicy.current()
    return CardPanel(
        balances=balances,
        member=member,
        tier_name=tier.name if tier else "",
        tier_discount=tier.discount_permille if tier else 1000,
        points_value_fen=balances.points_available * 100 // policy.points_per_yuan,
        holders=tuple(holders) if holders is not None else None,
        viewer=viewer,
    )


def _perms(actor: Actor) -> dict[str, bool]:
    return {
        "card_issue": actor.has(Perm.CARD_ISSUE),
        "card_manage": actor.has(Perm.CARD_MANAGE),
        "recharge": actor.has(Perm.WALLET_RECHARGE),
        "refund": actor.has(Perm.WALLET_REFUND),
        "sale": actor.has(Perm.SALE_CREATE),
        "reverse": actor.has(Perm.SALE_REVERSE),
        "points_adjust": actor.has(Perm.POINTS_ADJUST),
        "tier_move": actor.has(Perm.TIER_MOVE),
    }


def _after_card_action(request: HttpRequest, card: Card) -> HttpResponse:
    target = _safe_next(request)
    if target:
        return HttpResponseRedirect(target)
    if card.member_id:
        return redirect("console:member_detail", member_id=card.member_id)
    return HttpResponseRedirect(f"{reverse('console:counter')}?q={card.number}")


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        f"console/counter/{template}",
        {"may": _perms(actor), "next": _safe_next(request), **context},
    )


def _card_text(request: HttpRequest) -> str:
    """The card the page is about: posted with the form, or scanned into ``?card=``."""
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get("card", "")).strip()[:50]


def _scan_error(text: str, panel: CardPanel | None, form: Any = None) -> str:
    if form is not None and form.is_bound and form.errors.get("card"):
        return str(form.errors["card"][0])
    if not text or panel is not None:
        return ""
    return _("No card or member found for “%(q)s”.") % {"q": text}


def balances_line(balances: CardBalances) -> str:
    return _("principal %(principal)s, bonus %(bonus)s, points %(points)s") % {
        "principal": fen_to_yuan_str(balances.principal),
        "bonus": fen_to_yuan_str(balances.bonus),
        "points": f"{balances.points:,}",
    }


# ------------------------------------------------------------------------ counter hub


@staff_view
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """收银台: scan a card (or type a mobile) and pick what to do with it."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    query = request.GET.get("q", "").strip()
    panel = card_panel(find_card(actor, query)) if query else None
    return _render(
        request,
        "hub.html",
        {"query": query, "panel": panel, "scan_error": _scan_error(query, panel)},
    )


# -------------------------------------------------------------------------- card images


@staff_view
@require_GET
def card_qr(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    card = _card_or_404(actor, card_id).card
    response = HttpResponse(card_images.qr_svg(card.number), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@staff_view
@require_GET
def card_barcode(request: HttpRequest, card_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    card = _card_or_404(actor, card_id).card
    response = HttpResponse(card_images.barcode_svg(card.number), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# ---------------------------------------------------------------------------- card issue


@staff_view
def card_issue(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_ISSUE)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    types = list(card_selectors.card_types())
    form = IssueCardForm(request.POST or None, card_types=types)
    if request.method == "POST" and form.is_valid():
        try:
            card = card_services.card_issue(
                actor=actor,
                card_type_id=form.cleaned_data["card_type"],
                member_id=member.pk,
                number=form.cleaned_data["number"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Card %(number)s (%(type)s) issued.")
                % {"number": card.number, "type": card.card_type.name},
            )
            return redirect("console:member_detail", member_id=member.pk)
    return _render(request, "issue.html", {"form": form, "member": member, "card_types": types})


# ------------------------------------------------------------------------ card lifecycle


def _card_action(
    request: HttpRequest,
    card_id: int,
    *,
    form_class: type[Any],
    perform: Any,
    done: Any,
    page: dict[str, Any],
) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.CARD_MANAGE)
    balances = _card_or_404(actor, card_id)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(actor, balances.card, form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, done(result))
            return _after_card_action(request, result)
    return _render(
        request, "card_action.html", {"form": form, "panel": card_panel(balances), "page": page}
    )


@staff_view
def card_report_lost(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Report a card lost"),
            "intro": _("The card is blocked at once for every use, until it is found or reissued."),
            "button": _("Report lost"),
            "style": "danger",
            "icon": "ti-lock",
        },
        form_class=CardReasonForm,
        perform=lambda actor, card, data: card_services.card_report_lost(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: (
            _("Card %(number)s is reported lost and blocked.") % {"number": card.number}
        ),
    )


@staff_view
def card_found(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Card found"),
            "intro": _("The card can be used again at once."),
            "button": _("Unblock the card"),
            "style": "success",
            "icon": "ti-lock-open",
        },
        form_class=CardFoundForm,
        perform=lambda actor, card, data: card_services.card_unreport_lost(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: _("Card %(number)s is unblocked.") % {"number": card.number},
    )


@staff_view
def card_renew(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Renew a card"),
            "intro": _("Validity is extended from today, or from the current expiry if later."),
            "button": _("Renew"),
            "style": "primary",
            "icon": "ti-calendar-plus",
        },
        form_class=RenewForm,
        perform=lambda actor, card, data: card_services.card_renew(
            actor=actor, card_id=card.pk, months=data["months"]
        ),
        done=lambda card: (
            _("Card %(number)s is valid until %(date)s.")
            % {"number": card.number, "date": f"{card.expires_at:%Y-%m-%d}"}
        ),
    )


@staff_view
def card_cancel(request: HttpRequest, card_id: int) -> HttpResponse:
    return _card_action(
        request,
        card_id,
        page={
            "title": _("Cancel a card"),
            "intro": _(
                "A card that still holds stored value, bonus or points cannot be cancelled: "
                "refund or use them first."
            ),
            "button": _("Cancel the card"),
            "style": "danger",
            "icon": "ti-credit-card-off",
        },
        form_class=CardReasonForm,
        perform=lambda actor, card, data: card_services.card_cancel(
            actor=actor, card_id=card.pk, reason=data["reason"]
        ),
        done=lambda card: _("Card %(number)s is cancelled.") % {"number": card.number},
    )


@staff_view
def card_reissue(request: HttpRequest, card_id: int) -> HttpResponse:
    """补卡: a new card takes over balance, bonus and points; the old one is void."""
    actor = request_actor(request)
    require(actor, Perm.CARD_MANAGE)
    balances = _card_or_404(actor, card_id)
    form = ReissueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = card_services.card_reissue(
                actor=actor,
                card_id=balances.card.pk,
                idempotency_key=form.cleaned_data["idempotency_key"],
                number=form.cleaned_data["number"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            moved = _card_or_404(actor, new.pk)
            messages.success(
                request,
                _("Card %(old)s reissued as %(new)s; moved to the new card: %(moved)s.")
                % {"old": balances.card.number, "new": new.number, "moved": balances_line(moved)},
            )
            return _after_card_action(request, new)
    return _render(request, "card_reissue.html", {"form": form, "panel": card_panel(balances)})


# ------------------------------------------------------------------------- card holders


def _holder_lookup(actor: Actor, form: AddHolderForm) -> Member | None:
    """The one member a member number or mobile finds; otherwise an error on the form."""
    text = form.cleaned_data["member"]
    found = member_selectors.member_lookup(actor=actor, query=text, limit=2)
    exact = [m for m in found if m.code == text]
    if len(exact) == 1:
        found = exact
    if not found:
        form.add_error(
            "member", _("No member with the member number or mobile “%(q)s”.") % {"q": text}
        )
        return None
    if len(found) > 1:
        form.add_error(
            "member",
            _("More than one member matches “%(q)s”: enter the full member number or mobile.")
            % {"q": text},
        )
        return None
    return found[0]


@staff_view
def card_add_holder(request: HttpRequest, card_id: int) -> HttpResponse:
    """添加持卡人: a further member shares a family, linked or group card's wallet."""
    actor = request_actor(request)
    require(actor, Perm.CARD_ISSUE)
    balances = _card_or_404(actor, card_id)
    card = balances.card
    form = AddHolderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = _holder_lookup(actor, form)
        if member is not None:
            try:
                card_services.card_add_holder(actor=actor, card_id=card.pk, member_id=member.pk)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s (%(code)s) now shares card %(number)s.")
                    % {"name": member.name, "code": member.code, "number": card.number},
                )
                return _after_card_action(request, card)
    holders = card_selectors.card_holders(actor=actor, cards=[card]).get(card.pk, [])
    page = {
        "title": _("Add a card holder"),
        "intro": _(
            "The new holder shares this card's principal, bonus and points; the card stays "
            "with its primary holder."
        ),
        "button": _("Add holder"),
        "style": "primary",
        "icon": "ti-user-plus",
    }
    return _render(
        request,
        "card_action.html",
        {"form": form, "panel": card_panel(balances, holders=holders), "page": page},
    )


# ----------------------------------------------------------------------- wallet: recharge


@staff_view
def recharge(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.WALLET_RECHARGE)
    packages = wallet_selectors.recharge_packages()
    initial = {"card": request.GET.get("card", "")}
    form = RechargeForm(request.POST or None, packages=packages, initial=initial)
    card_text = _card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                done = wallet_services.wallet_recharge(
                    actor=actor,
                    card_id=found.card.pk,
                    amount_fen=data["amount"],
                    method=data["method"],
                    package_id=data["package"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                after = _card_or_404(actor, found.card.pk)
                values = {
                    "amount": fen_to_yuan_str(done.principal_fen),
                    "bonus": fen_to_yuan_str(done.bonus_fen),
                    "number": found.card.number,
                    "now": balances_line(after),
                }
                if done.bonus_fen:
                    text = _(
                        "Recharged %(amount)s to card %(number)s with %(bonus)s bonus. "
                        "Now: %(now)s."
                    )
                else:
                    text = _("Recharged %(amount)s to card %(number)s. Now: %(now)s.")
                messages.success(request, text % values)
                target = _safe_next(request)
                if target:
                    return HttpResponseRedirect(target)
                return HttpResponseRedirect(
                    f"{reverse('console:counter_recharge')}?card={found.card.number}"
                )
    return _render(
        request,
        "recharge.html",
        {
            "form": form,
            "panel": panel,
            "packages": packages,
            "scan_error": _scan_error(card_text, panel, form),
        },
    )


@staff_view
def refund(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.WALLET_REFUND)
    initial = {"card": request.GET.get("card", "")}
    form = RefundForm(request.POST or None, initial=initial)
    card_text = _card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                done = wallet_services.wallet_refund(
                    actor=actor,
                    card_id=found.card.pk,
                    amount_fen=data["amount"],
                    method=data["method"],
                    reason=data["reason"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                after = _card_or_404(actor, found.card.pk)
                messages.success(
                    request,
                    _(
                        "Refunded %(amount)s from card %(number)s (bonus taken back %(bonus)s). "
                        "Now: %(now)s."
                    )
                    % {
                        "amount": fen_to_yuan_str(done.principal_fen),
                        "number": found.card.number,
                        "bonus": fen_to_yuan_str(done.bonus_clawback_fen),
                        "now": balances_line(after),
                    },
                )
                return _after_card_action(request, found.card)
    return _render(
        request,
        "refund.html",
        {"form": form, "panel": panel, "scan_error": _scan_error(card_text, panel, form)},
    )


# ------------------------------------------------------------------------ points adjust


@staff_view
def points_adjust(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.POINTS_ADJUST)
    initial = {"card": request.GET.get("card", "")}
    form = PointsAdjustForm(request.POST or None, initial=initial)
    card_text = _card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                points_services.points_adjust(
                    actor=actor,
                    card_id=found.card.pk,
                    delta=data["delta"],
                    reason=data["reason"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                after = _card_or_404(actor, found.card.pk)
                messages.success(
                    request,
                    _("Points of card %(number)s adjusted by %(delta)s; now %(points)s.")
                    % {
                        "number": found.card.number,
                        "delta": f"{data['delta']:+,}",
                        "points": f"{after.points:,}",
                    },
                )
                return _after_card_action(request, found.card)
    return _render(
        request,
        "points_adjust.html",
        {"form": form, "panel": panel, "scan_error": _scan_error(card_text, panel, form)},
    )


# --------------------------------------------------------------------- quick consumption


def _quote_from(actor: Actor, params: Any) -> checkout.SaleQuote | None:
    """A live quote from what the sale form holds so far (None while the amount is unusable)."""

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
    return checkout.sale_quote(
        actor=actor,
        amount_fen=amount,
        card_id=found.card.pk if found else None,
        points=points,
        balance_fen=fen("balance"),
    )


@staff_view
def quick_sale(request: HttpRequest) -> HttpResponse:
    """快速消费: scan the card, type the amount, pick how it is paid, Enter."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    query = request.GET.get("q", "").strip()
    form = QuickSaleForm(request.POST or None)
    found = None
    if request.method == "POST":
        card_text = request.POST.get("card", "")
        found = find_card(actor, card_text) if card_text.strip() else None
        if form.is_valid():
            data = form.cleaned_data
            if data["card"] and found is None:
                form.add_error("card", _("No card with this number."))
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
                        ),
                        idempotency_key=data["idempotency_key"],
                    )
                except DomainError as exc:
                    show_domain_error(form, exc)
                else:
                    return redirect("console:sale_receipt", sale_id=sale.pk)
    elif query:
        found = find_card(actor, query)
        if found is None:
            messages.warning(request, _("No card or member found for “%(q)s”.") % {"q": query})
        else:
            form = QuickSaleForm(initial={"card": found.card.number})
    quote = _quote_from(actor, request.POST) if request.method == "POST" else None
    return _render(
        request,
        "sale.html",
        {
            "form": form,
            "panel": card_panel(found),
            "query": query if found is None else "",
            "quote": quote,
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
    quote = _quote_from(actor, request.GET)
    return render(
        request,
        "console/counter/sale.html#quote",
        {"quote": quote, "has_card": bool(request.GET.get("card"))},
    )


# ---------------------------------------------------------------------------- receipts


def _sale_or_404(actor: Actor, sale_id: int) -> Sale:
    sale = sale_selectors.sale_get(actor=actor, sale_id=sale_id)
    if sale is None:
        raise Http404(_("Sale not found."))
    return sale


def _receipt(
    request: HttpRequest, actor: Actor, sale: Sale, form: ReverseSaleForm | None = None
) -> HttpResponse:
    explanation = sale.earn_explanation or {}
    now = (
        card_selectors.card_get(actor=actor, card_id=sale.card_id)
        if sale.card_id is not None
        else None
    )
    return _render(
        request,
        "receipt.html",
        {
            "sale": sale,
            "method_label": dict(PaymentMethod.choices).get(
                sale.external_method, sale.external_method
            ),
            "after": sale_selectors.sale_balances_after(sale),
            "now": now,
            "steps": [explain_step(str(s)) for s in explanation.get("steps", [])],
            "rule": explanation.get("rule"),
            "reverse_form": form or ReverseSaleForm(),
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
    actor = request_actor(request)
    require(actor, Perm.SALE_REVERSE)
    sale = _sale_or_404(actor, sale_id)
    form = ReverseSaleForm(request.POST)
    if form.is_valid():
        try:
            checkout.sale_reverse(
                actor=actor,
                sale_id=sale.pk,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Sale %(number)s reversed; balances and points are restored.")
                % {"number": sale.number},
            )
            return redirect("console:sale_receipt", sale_id=sale.pk)
    return _receipt(request, actor, sale, form)


@staff_view
def supplement_points(request: HttpRequest) -> HttpResponse:
    """补积分: credit a walk-in sale to a member's card."""
    actor = request_actor(request)
    require(actor, Perm.SALE_CREATE)
    initial = {"card": request.GET.get("card", ""), "receipt": request.GET.get("receipt", "")}
    form = SupplementForm(request.POST or None, initial=initial)
    card_text = _card_text(request)
    found = find_card(actor, card_text) if card_text else None
    panel = card_panel(found)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if found is None:
            form.add_error("card", _("No card with this number."))
        else:
            try:
                sale = checkout.sale_supplement_points(
                    actor=actor,
                    sale_number=data["receipt"],
                    card_id=found.card.pk,
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(points)s points added to card %(number)s.")
                    % {"points": f"{sale.points_earned:,}", "number": found.card.number},
                )
                return redirect("console:sale_receipt", sale_id=sale.pk)
    return _render(
        request,
        "supplement.html",
        {"form": form, "panel": panel, "scan_error": _scan_error(card_text, panel, form)},
    )


# ------------------------------------------------------------------ member: tier and ledger


@staff_view
@require_POST
def tier_move(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.TIER_MOVE)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    form = TierMoveForm(request.POST, tiers=tier_selectors.tier_list())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            tier = tier_services.tier_move(
                actor=actor,
                member_id=member.pk,
                tier_id=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                protected_until=form.cleaned_data["protected_until"],
            )
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Moved to tier %(tier)s.") % {"tier": tier.name})
    return redirect("console:member_detail", member_id=member.pk)


@dataclass(frozen=True)
class LedgerRow:
    entry: Entry
    card_number: str
    account: str
    is_points: bool
    operation: str
    movement: str
    operator: str
    store: str
    memo: str


def ledger_rows(
    entries: list[Entry], numbers: dict[int, str], stores: dict[int, str]
) -> list[LedgerRow]:
    rows = []
    for entry in entries:
        operation = entry.transfer.operation
        operator = operation.operator
        rows.append(
            LedgerRow(
                entry=entry,
                card_number=numbers.get(entry.account.card_id or 0, ""),
                account=str(ACCOUNT_LABELS.get(entry.account.kind, entry.account.kind)),
                is_points=entry.account.kind == Account.Kind.POINTS,
                operation=str(OPERATION_LABELS.get(operation.kind, operation.kind)),
                movement=transfer_label(entry.transfer.kind),
                operator=getattr(operator, "display_name", "") or str(operator or ""),
                store=stores.get(operation.store_id or 0, ""),
                memo=operation.memo,
            )
        )
    return rows


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    card_number: str
    account: str
    is_points: bool
    source: str
    store: str
    expired: bool


def _lot_rows(actor: Actor, cards: list[CardBalances], stores: dict[int, str]) -> list[LotRow]:
    now = timezone.now()
    rows = []
    for balances in cards:
        for lot in card_selectors.card_lots(actor=actor, card=balances.card):
            rows.append(
                LotRow(
                    lot=lot,
                    card_number=balances.card.number,
                    account=str(ACCOUNT_LABELS.get(lot.account.kind, lot.account.kind)),
                    is_points=lot.account.kind == Account.Kind.POINTS,
                    source=transfer_label(lot.source_kind),
                    store=stores.get(lot.store_id or 0, ""),
                    expired=lot.expires_at is not None and lot.expires_at <= now,
                )
            )
    return rows


HISTORY_ON_PAGE = 15


def member_money_section(request: HttpRequest, actor: Actor, member: Member) -> dict[str, Any]:
    """The member page's cards, balances, lots, ledger, sales and tier."""
    cards = card_selectors.member_cards(actor=actor, member=member)
    holders = card_selectors.card_holders(actor=actor, cards=[c.card for c in cards])
    stores = store_names()
    numbers = {c.card.pk: c.card.number for c in cards}
    entries = list(card_selectors.member_entries(actor=actor, member=member)[: HISTORY_ON_PAGE + 1])
    tiers = tier_selectors.tier_list()
    policy = PointsPolicy.current()
    return {
        "cards": [card_panel(c, holders=holders.get(c.card.pk), viewer=member) for c in cards],
        "lots": _lot_rows(actor, cards, stores),
        "ledger": ledger_rows(entries[:HISTORY_ON_PAGE], numbers, stores),
        "ledger_more": len(entries) > HISTORY_ON_PAGE,
        "sales": sale_selectors.member_sales(actor=actor, member=member, limit=10),
        "tier": tier_services.current_tier(member),
        "tier_history": [
            (change, str(TIER_CHANGE_LABELS.get(change.kind, change.kind)))
            for change in tier_selectors.tier_history(actor=actor, member=member, limit=10)
        ],
        "tier_form": TierMoveForm(tiers=tiers) if actor.has(Perm.TIER_MOVE) and tiers else None,
        "may": _perms(actor),
        "points_per_yuan": policy.points_per_yuan,
        "member_active": member.status == Member.Status.ACTIVE,
    }


# The member page's history reads these actions; give them their audit-log labels.
HISTORY_ACTIONS: dict[str, tuple[str, str]] = {
    "card.issued": ("ti-credit-card", "blue"),
    "card.reported_lost": ("ti-lock", "red"),
    "card.found": ("ti-lock-open", "green"),
    "card.reissued": ("ti-replace", "orange"),
    "card.renewed": ("ti-calendar-plus", "blue"),
    "card.cancelled": ("ti-credit-card-off", "secondary"),
    "card.holder_added": ("ti-users-plus", "blue"),
    "wallet.recharged": ("ti-wallet", "green"),
    "wallet.refunded": ("ti-arrow-back-up", "orange"),
    "sale.completed": ("ti-cash-register", "blue"),
    "sale.reversed": ("ti-arrow-back-up", "red"),
    "points.adjusted": ("ti-coins", "yellow"),
    "points.supplemented": ("ti-receipt-2", "yellow"),
    "tier.initial": ("ti-crown", "yellow"),
    "tier.upgrade": ("ti-trending-up", "green"),
    "tier.downgrade": ("ti-trending-down", "orange"),
    "tier.manual": ("ti-crown", "purple"),
}
_lazy_label = lazy(action_label, str)
for _action, (_icon, _color) in HISTORY_ACTIONS.items():
    ACTION_LABELS.setdefault(_action, (_lazy_label(_action), _icon, _color))

MONEY_SECTION = "console/counter/member_money.html"
if not any(s.template == MONEY_SECTION for s in MEMBER_SECTIONS):
    register_member_section(MemberSection(template=MONEY_SECTION, context=member_money_section))


@staff_view
@require_GET
def member_ledger(request: HttpRequest, member_id: int) -> HttpResponse:
    """Every ledger entry of the member's cards, newest first, a page at a time."""
    actor = request_actor(request)
    require(actor, Perm.MEMBER_VIEW)
    member = member_selectors.member_get(actor=actor, member_id=member_id)
    if member is None:
        raise Http404(_("Member not found."))
    cards = card_selectors.member_cards(actor=actor, member=member)
    page = Paginator(card_selectors.member_entries(actor=actor, member=member), 50).get_page(
        request.GET.get("page")
    )
    rows = ledger_rows(
        list(page.object_list), {c.card.pk: c.card.number for c in cards}, store_names()
    )
    return _render(request, "ledger.html", {"member": member, "page": page, "rows": rows})
