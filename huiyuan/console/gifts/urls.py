"""Gift, lottery and check-in pages (same "console" namespace)."""

from django.urls import path

from huiyuan.console.gifts import catalog, checkin, distributions, lotteries, records, redeem

urlpatterns = [
    path("gifts/", catalog.gift_list, name="gift_list"),
    path("gifts/new/", catalog.gift_create, name="gift_create"),
    path("gifts/<int:gift_id>/", catalog.gift_detail, name="gift_detail"),
    path("gifts/<int:gift_id>/edit/", catalog.gift_edit, name="gift_edit"),
    path("gifts/<int:gift_id>/status/", catalog.gift_status, name="gift_status"),
    path("gifts/redeem/", redeem.counter_redeem, name="gift_redeem"),
    path("gifts/redemptions/", records.redemption_list, name="gift_redemptions"),
    path(
        "gifts/redemptions/<int:redemption_id>/pick-up/",
        records.redemption_pick_up,
        name="gift_pick_up",
    ),
    path(
        "gifts/redemptions/<int:redemption_id>/cancel/",
        records.redemption_cancel,
        name="gift_redemption_cancel",
    ),
    path("gifts/distributions/", distributions.distribution_list, name="gift_distributions"),
    path(
        "gifts/distributions/<int:distribution_id>/",
        distributions.distribution_detail,
        name="gift_distribution",
    ),
    path(
        "gifts/distributions/<int:distribution_id>/run/",
        distributions.distribution_run,
        name="gift_distribution_run",
    ),
    path("lotteries/", lotteries.lottery_list, name="lottery_list"),
    path("lotteries/new/", lotteries.lottery_create, name="lottery_create"),
    path("lotteries/<int:lottery_id>/", lotteries.lottery_detail, name="lottery_detail"),
    path("lotteries/<int:lottery_id>/status/", lotteries.lottery_status, name="lottery_status"),
    path("lotteries/draws/<int:draw_id>/", lotteries.draw_verify, name="lottery_draw_verify"),
    path("checkin/", checkin.counter_checkin, name="counter_checkin"),
    path("checkin/settings/", checkin.checkin_settings, name="checkin_settings"),
]
