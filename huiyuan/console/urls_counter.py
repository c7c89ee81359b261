"""Counter pages: cards, recharge, refund, quick consumption, receipts, points, tiers.

Included by ``console/urls.py`` into the same "console" namespace.
"""

from django.urls import path

from huiyuan.console import counter_views as views

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("counter/sale/", views.quick_sale, name="counter_sale"),
    path("counter/sale/quote/", views.sale_quote, name="counter_sale_quote"),
    path("counter/recharge/", views.recharge, name="counter_recharge"),
    path("counter/refund/", views.refund, name="counter_refund"),
    path("counter/points/", views.points_adjust, name="counter_points"),
    path("counter/supplement/", views.supplement_points, name="counter_supplement"),
    path("sales/<int:sale_id>/", views.sale_receipt, name="sale_receipt"),
    path("sales/<int:sale_id>/reverse/", views.sale_reverse, name="sale_reverse"),
    path("cards/<int:card_id>/qr.svg", views.card_qr, name="card_qr"),
    path("cards/<int:card_id>/barcode.svg", views.card_barcode, name="card_barcode"),
    path("cards/<int:card_id>/lost/", views.card_report_lost, name="card_lost"),
    path("cards/<int:card_id>/found/", views.card_found, name="card_found"),
    path("cards/<int:card_id>/reissue/", views.card_reissue, name="card_reissue"),
    path("cards/<int:card_id>/renew/", views.card_renew, name="card_renew"),
    path("cards/<int:card_id>/cancel/", views.card_cancel, name="card_cancel"),
    path("cards/<int:card_id>/holders/new/", views.card_add_holder, name="card_add_holder"),
    path("members/<int:member_id>/cards/new/", views.card_issue, name="card_issue"),
    path("members/<int:member_id>/tier/", views.tier_move, name="member_tier_move"),
    path("members/<int:member_id>/ledger/", views.member_ledger, name="member_ledger"),
]
