"""扫码入会: a store's (or one staff member's) joining QR code, ready to print.

The code opens /m/join/ with a signed link naming the store, optionally the staff member
credited with the sign-up and a referring member (huiyuan.selfservice.joinlink).
"""

from __future__ import annotations

import base64

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huiyuan.cards.images import qr_svg
from huiyuan.console.admin_forms import TablerForm
from huiyuan.console.context import request_actor
from huiyuan.console.views import staff_view
from huiyuan.core.permissions import Perm, require
from huiyuan.members.models import Member
from huiyuan.selfservice.joinlink import JoinLink, join_link_make
from huiyuan.stores.models import Staff, Store
from huiyuan.stores.scope import stores_in_view


class QrForm(TablerForm):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    staff = forms.TypedChoiceField(
        label=_("Staff member (credited with the sign-up)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    referrer = forms.CharField(
        label=_("Referring member number (optional)"), max_length=20, required=False
    )

    def __init__(
        self, *args: object, stores: list[Store], staff: list[Staff], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"].choices = [(s.pk, f"{s.code} {s.name}") for s in stores]  # type: ignore[attr-defined]
        self.fields["staff"].choices = [("", _("— the store only —"))] + [  # type: ignore[attr-defined]
            (s.pk, s.display_name) for s in staff
        ]

    def clean_referrer(self) -> str:
        code = (self.cleaned_data.get("referrer") or "").strip()
        if code and not Member.objects.filter(code=code, status=Member.Status.ACTIVE).exists():
            raise forms.ValidationError(_("No active member has this number."))
        return code


@staff_view
def portal_qr(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, Perm.MEMBER_CREATE)
    scope = stores_in_view(actor)
    stores = list(Store.objects.filter(is_active=True).order_by("code"))
    if scope is not None:
        stores = [s for s in stores if s.pk in scope]
    staff = list(
        Staff.objects.filter(is_active=True)
        .filter(**({} if scope is None else {"stores__in": scope}))
        .distinct()
        .order_by("display_name")
    )
    data = request.GET if "store" in request.GET else None
    initial = {"store": actor.store_id} if actor.store_id else {}
    form = QrForm(data, stores=stores, staff=staff, initial=initial)
    poster = None
    if data is not None and form.is_valid():
        store = next(s for s in stores if s.pk == form.cleaned_data["store"])
        person = next((s for s in staff if s.pk == form.cleaned_data["staff"]), None)
        token = join_link_make(
            JoinLink(
                store_id=store.pk,
                staff_id=person.pk if person else None,
                referrer_code=form.cleaned_data["referrer"],
            )
        )
        url = request.build_absolute_uri(reverse("portal:join") + "?t=" + token)
        poster = {
            "store": store,
            "staff": person,
            "referrer": form.cleaned_data["referrer"],
            "url": url,
            "image": "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url)).decode(),
        }
    return render(request, "console/portalqr/portal_qr.html", {"form": form, "poster": poster})
