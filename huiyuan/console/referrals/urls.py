"""Referral pages (推荐有礼), same "console" namespace."""

from django.urls import path

from huiyuan.console.referrals import (
    payouts,
    sections,  # noqa: F401 (importing it registers the member page's referral block)
    views,
)

urlpatterns = [
    path("referrals/", views.referral_home, name="referrals"),
    path("referrals/payouts/", payouts.payout_list, name="referral_payouts"),
    path("referrals/payouts/<int:member_id>/", payouts.payout_confirm, name="referral_payout"),
]
