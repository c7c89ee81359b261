"""Paying released referral commission out (佣金发放): what each referrer is owed, a
confirmation page per referrer, and the payouts made. The policy: into the referrer's
stored value as bonus (赠送金), see ``huiyuan.referrals.payouts``."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from huiyuan.cards.models import Card
from huiyuan.console.config.common import acting_staff, refuse_if_forbidden
from huiyuan.console.exports import wants_xlsx, xlsx_download
from huiyuan.core.errors import DomainError
from huiyuan.core.money import fen_to_yuan_str
from huiyuan.core.permissions import Perm
from huiyuan.core.xlsx import Column
from huiyuan.members.models import Member
from huiyuan.referrals import payouts, selectors


class PayoutForm(forms.Form):
    expected_fen = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


# One row of the owed list: (the referrer, what they are owed).
OWED_COLUMNS: tuple[Column[tuple[Member | None, payouts.Owed]], ...] = (
    Column(gettext_lazy("Referrer"), lambda r: r[0].name if r[0] else None, width=14),
    Column(gettext_lazy("Member number"), lambda r: r[0].code if r[0] else None, width=14),
    Column(gettext_lazy("Commission rows"), lambda r: r[1].rows, "number", 10),
    Column(pgettext_lazy("referral", "Owed"), lambda r: r[1].amount_fen, "money", 12),
)


@login_required
def payout_list(request: HttpRequest) -> HttpResponseBase:
    actor = acting_staff(request, Perm.MEMBER_VIEW)
    owed = payouts.owed_by_member(actor=actor)
    members = Member.objects.in_bulk([o.member_id for o in owed])
    rows = [(members.get(o.member_id), o) for o in owed]
    if wants_xlsx(request):
        return xlsx_download(
            name="referral-payouts",
            title=_("Commission payouts"),
            columns=OWED_COLUMNS,
            rows=rows,
        )
    return render(
        request,
        "console/referrals/payouts.html",
        {
            "rows": rows,
            "total_fen": sum(o.amount_fen for o in owed if o.amount_fen > 0),
            "may_pay": actor.has(Perm.REFERRAL_PAYOUT),
            "paid": list(selectors.payouts(actor=actor)[:20]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def payout_confirm(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = acting_staff(request, Perm.REFERRAL_PAYOUT)
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Http404
    form = PayoutForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                payout = payouts.commission_payout(
                    actor=actor,
                    member_id=member.pk,
                    expected_fen=form.cleaned_data["expected_fen"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                refuse_if_forbidden(exc)
                messages.error(request, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Paid %(amount)s of commission into the stored value of card %(card)s.")
                    % {"amount": fen_to_yuan_str(payout.amount_fen), "card": payout.card.number},
                )
                return redirect("console:referral_payouts")
        else:
            messages.error(request, _("The confirmation is incomplete: open the page again."))
        return redirect("console:referral_payout", member_id=member.pk)
    rows = list(
        payouts.owed_rows(store_ids=actor.store_ids)
        .filter(beneficiary_id=member.pk)
        .select_related("referee")
        .order_by("created_at", "pk")
    )
    amount = sum(row.amount_fen for row in rows)
    card = (
        Card.objects.filter(member_id=member.pk, status=Card.Status.ACTIVE).order_by("id").first()
    )
    return render(
        request,
        "console/referrals/payout_confirm.html",
        {
            "member": member,
            "rows": rows,
            "amount_fen": amount,
            "card": card,
            "form": PayoutForm(
                initial={"expected_fen": amount, "idempotency_key": uuid.uuid4().hex}
            ),
        },
    )
