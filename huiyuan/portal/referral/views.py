"""Member portal: my referral code, the joining link and its QR code to share, and what my
referrals have brought (friends who joined, points, commission held and released)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from huiyuan.portal.auth import member_required
from huiyuan.portal.codeimages import qr_inline
from huiyuan.referrals.models import ReferralPolicy
from huiyuan.referrals.services import member_summary, referral_token


@member_required
def index(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    token = referral_token(member)
    link = request.build_absolute_uri(reverse("portal:join") + "?t=" + token) if token else ""
    return render(
        request,
        "portal/referral/index.html",
        {
            "summary": member_summary(member),
            "link": link,
            "qr": qr_inline(link) if link else "",
            "policy": ReferralPolicy.current(),
        },
    )
