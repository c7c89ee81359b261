"""Sections of 我的 that show what the member holds: coupons, count cards, gifts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from huiyuan.portal.auth import member_required
from huiyuan.selfservice import selectors


@member_required
def coupons(request: HttpRequest) -> HttpResponse:
    groups = selectors.my_coupons(request.member_actor)  # type: ignore[attr-defined]
    return render(request, "portal/sections/coupons.html", {"groups": groups})


@member_required
def coupon(request: HttpRequest, coupon_id: int) -> HttpResponse:
    item = selectors.my_coupon(request.member_actor, coupon_id)  # type: ignore[attr-defined]
    return render(request, "portal/sections/coupon.html", {"coupon": item})


@member_required
def packages(request: HttpRequest) -> HttpResponse:
    rows = selectors.my_packages(request.member_actor)  # type: ignore[attr-defined]
    return render(request, "portal/sections/packages.html", {"packages": rows})


@member_required
def gifts(request: HttpRequest) -> HttpResponse:
    points, rows = selectors.gifts_for_me(request.member_actor)  # type: ignore[attr-defined]
    return render(request, "portal/sections/gifts.html", {"points": points, "gifts": rows})
