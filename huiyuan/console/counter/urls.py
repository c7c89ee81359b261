"""Counter pages: cards, recharge, refund, quick consumption, receipts, points, tiers.

Included by ``console/urls.py`` into the same "console" namespace.
"""

from django.urls import path

from huiyuan.console.counter import (
    basket,
    cards,
    holders,
    images,
    ledger,
    member_sections,  # noqa: F401 (importing it registers the member page's money sections)
    points,
    sales,
    scan,
    slips,
    tiers,
    wallet,
)

urlpatterns = [
    path("counter/", scan.counter, name="counter"),
    path("counter/sale/", sales.quick_sale, name="counter_sale"),
    path("counter/basket/", basket.basket_checkout, name="counter_basket"),
    path("counter/basket/quote/", basket.basket_quote, name="counter_basket_quote"),
    path("counter/sale/quote/", sales.sale_quote, name="counter_sale_quote"),
    path("counter/recharge/", wallet.recharge, name="counter_recharge"),
    path("recharges/<int:recharge_id>/slip/", slips.recharge_slip, name="recharge_slip"),
    path("counter/refund/", wallet.refund, name="counter_refund"),
    path("counter/points/", points.points_adjust, name="counter_points"),
    path("counter/supplement/", points.supplement_points, name="counter_supplement"),
    path("sales/<int:sale_id>/", sales.sale_receipt, name="sale_receipt"),
    path("sales/<int:sale_id>/reverse/", sales.sale_reverse, name="sale_reverse"),
    path("sales/<int:sale_id>/return/", sales.sale_return, name="sale_return"),
    path("sales/", sales.sale_list, name="sale_list"),
    path("sales/export.xlsx", sales.sale_export, name="sale_export"),
    path("cards/<int:card_id>/qr.svg", images.card_qr, name="card_qr"),
    path("cards/<int:card_id>/barcode.svg", images.card_barcode, name="card_barcode"),
    path("cards/<int:card_id>/lost/", cards.card_report_lost, name="card_lost"),
    path("cards/<int:card_id>/found/", cards.card_found, name="card_found"),
    path("cards/<int:card_id>/reissue/", cards.card_reissue, name="card_reissue"),
    path("cards/<int:card_id>/renew/", cards.card_renew, name="card_renew"),
    path("cards/<int:card_id>/cancel/", cards.card_cancel, name="card_cancel"),
    path("cards/<int:card_id>/holders/new/", holders.card_add_holder, name="card_add_holder"),
    path("members/<int:member_id>/cards/new/", cards.card_issue, name="card_issue"),
    path("members/<int:member_id>/tier/", tiers.tier_move, name="member_tier_move"),
    path("members/<int:member_id>/ledger/", ledger.member_ledger, name="member_ledger"),
]
