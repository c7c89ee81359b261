"""The money endpoints in the OpenAPI document: listed, keyed, integer fen only."""

from __future__ import annotations

import json

import pytest

from huiyuan.api.tests.test_activities import ACTIVITY_KEYED
from huiyuan.api.tests.test_analytics import ANALYTICS_KEYED
from huiyuan.api.tests.test_benefits import BENEFIT_KEYED
from huiyuan.api.tests.test_card_batches import CARD_BATCH_KEYED
from huiyuan.api.tests.test_care import CARE_KEYED
from huiyuan.api.tests.test_config import CONFIG_KEYED
from huiyuan.api.tests.test_coupons import COUPON_KEYED
from huiyuan.api.tests.test_followups import FOLLOWUP_KEYED
from huiyuan.api.tests.test_gifts import GIFT_KEYED
from huiyuan.api.tests.test_imports import IMPORT_KEYED
from huiyuan.api.tests.test_packages import PACKAGE_KEYED
from huiyuan.api.tests.test_payments import PAYMENT_KEYED
from huiyuan.api.tests.test_referrals import REFERRAL_KEYED
from huiyuan.api.tests.test_stock import STOCK_KEYED
from huiyuan.api.tests.test_storeops import STOREOPS_KEYED
from huiyuan.api.tests.test_webhooks import WEBHOOK_KEYED

MONEY_PATHS = {
    "/api/v1/cards": {"post"},
    "/api/v1/card-types": {"get", "post"},
    "/api/v1/cards/by-number/{number}": {"get"},
    "/api/v1/cards/{card_id}": {"get"},
    "/api/v1/members/{member_id}/cards": {"get"},
    "/api/v1/cards/{card_id}/lots": {"get"},
    "/api/v1/cards/{card_id}/entries": {"get"},
    "/api/v1/cards/{card_id}/qr.svg": {"get"},
    "/api/v1/cards/{card_id}/barcode.svg": {"get"},
    "/api/v1/cards/{card_id}/holders": {"post"},
    "/api/v1/cards/{card_id}/report-lost": {"post"},
    "/api/v1/cards/{card_id}/found": {"post"},
    "/api/v1/cards/{card_id}/reissue": {"post"},
    "/api/v1/cards/{card_id}/renew": {"post"},
    "/api/v1/cards/{card_id}/cancel": {"post"},
    "/api/v1/cards/{card_id}/recharge": {"post"},
    "/api/v1/cards/{card_id}/refund": {"post"},
    "/api/v1/recharge-packages": {"get", "post"},
    "/api/v1/sales/quick": {"post"},
    "/api/v1/sales": {"get", "post"},
    "/api/v1/sales/quote": {"post"},
    "/api/v1/sales/export.xlsx": {"get"},
    "/api/v1/sales/{sale_id}/returns": {"post"},
    "/api/v1/sales/{sale_id}": {"get"},
    "/api/v1/sales/by-number/{number}": {"get"},
    "/api/v1/sales/{sale_id}/reverse": {"post"},
    "/api/v1/sales/{number}/supplement-points": {"post"},
    "/api/v1/cards/{card_id}/points/adjust": {"post"},
    "/api/v1/cards/{card_id}/points/revoke": {"post"},
    "/api/v1/points/rules": {"get", "post"},
    "/api/v1/points/dry-run": {"post"},
    "/api/v1/tiers": {"get", "post"},
    "/api/v1/members/{member_id}/tier": {"get", "post"},
    "/api/v1/reports/outstanding": {"get"},
    "/api/v1/reports/points-liability": {"get"},
}

# Operations that move money, points or a card's balances: each takes an Idempotency-Key.
KEYED = {
    ("post", "/api/v1/cards"),  # optional: a retried issue returns the same card
    ("post", "/api/v1/cards/{card_id}/reissue"),
    ("post", "/api/v1/cards/{card_id}/recharge"),
    ("post", "/api/v1/cards/{card_id}/refund"),
    ("post", "/api/v1/sales/quick"),
    ("post", "/api/v1/sales"),
    ("post", "/api/v1/sales/{sale_id}/returns"),
    ("post", "/api/v1/sales/{sale_id}/reverse"),
    ("post", "/api/v1/sales/{number}/supplement-points"),
    ("post", "/api/v1/cards/{card_id}/points/adjust"),
    ("post", "/api/v1/cards/{card_id}/points/revoke"),
    *CARD_BATCH_KEYED,  # pre-made card batches: generate, sell, void, activate
    *GIFT_KEYED,  # gifts, lotteries, check-in: every write (docs/gifts.md)
    *CARE_KEYED,  # care: templates, campaigns, opt-out: none (not money; docs/care.md)
    *ACTIVITY_KEYED,  # activities: every write but end/cancel (docs/activities.md)
    *PAYMENT_KEYED,  # online recharge: opening an order (docs/payments.md)
    *FOLLOWUP_KEYED,  # follow-ups, feedback, surveys: none (not money; docs/followups.md)
    *ANALYTICS_KEYED,  # analytics: read-only, none (docs/analytics.md)
    *CONFIG_KEYED,
    *COUPON_KEYED,  # coupon templates, issue, claim, batches, group-buy redemption
    (
        "post",
        "/api/v1/promotions",
    ),  # publishing a promotion (version) once per key  # configuration creates (card types, packages, tiers, stores, staff…)
    *PACKAGE_KEYED,  # count cards: plans, a use, its undo, a refund (docs/packages.md)
    *BENEFIT_KEYED,  # benefit cards: plans, an upgrade, a refund (docs/benefits.md)
    *REFERRAL_KEYED,  # referrals: the policy (docs/referrals.md)
    *STOREOPS_KEYED,  # shifts open/close/handover, commission rules (docs/shifts.md)
    *STOCK_KEYED,  # stock: purchase-in, adjust, stocktake, transfer (docs/stock.md)
    *IMPORT_KEYED,  # imports: uploads, parts, mapping, run (docs/import.md)
    *WEBHOOK_KEYED,  # webhooks: every POST and PATCH (docs/webhooks.md)
    # Catalog writes that create something take a key too (a retried create makes one row).
    ("post", "/api/v1/catalog/categories"),
    ("post", "/api/v1/catalog/products"),
    ("post", "/api/v1/catalog/products/{product_id}/price-changes"),
    ("put", "/api/v1/catalog/products/{product_id}/store-prices/{store_id}"),
    # Member settings, keys and the store-scope policy (docs/api-changelog.md, 2026-11-30).
    ("post", "/api/v1/tags"),
    ("put", "/api/v1/tags/{tag_id}"),
    ("delete", "/api/v1/tags/{tag_id}"),
    ("post", "/api/v1/tags/{tag_id}/members"),
    ("post", "/api/v1/tags/{tag_id}/members/remove"),
    ("post", "/api/v1/custom-fields"),
    ("put", "/api/v1/custom-fields/{field_id}"),
    ("post", "/api/v1/custom-fields/{field_id}/active"),
    ("put", "/api/v1/members/{member_id}/custom-fields"),
    ("post", "/api/v1/api-keys"),
    ("patch", "/api/v1/api-keys/{api_key_id}"),
    ("post", "/api/v1/api-keys/{api_key_id}/revoke"),
    ("put", "/api/v1/store-scope-policy"),
    # A sales-history upload runs once per key (docs/segments.md).
    ("post", "/api/v1/segments/history-imports"),
    # Optional: older creates, and older writes whose repeat would act or record twice
    # (docs/api.md, "Retries"; huiyuan/api/tests/test_idempotency_rule.py).
    ("post", "/api/v1/members"),
    ("post", "/api/v1/cards/{card_id}/holders"),
    ("post", "/api/v1/cards/{card_id}/renew"),
    ("post", "/api/v1/points/rules"),
    ("post", "/api/v1/members/{member_id}/tier"),
    ("post", "/api/v1/segments"),
    ("post", "/api/v1/followups"),
    ("post", "/api/v1/followups/{followup_id}/attempts"),
    ("post", "/api/v1/feedback"),
    ("post", "/api/v1/feedback/{feedback_id}/replies"),
    ("post", "/api/v1/surveys"),
    ("post", "/api/v1/surveys/{survey_id}/questions"),
    ("post", "/api/v1/surveys/{survey_id}/questions/{question_id}/move"),
    ("post", "/api/v1/surveys/{survey_id}/distributions"),
    ("post", "/api/v1/care/campaigns"),
    ("post", "/api/v1/care/dates"),
    ("post", "/api/v1/recharge-packages/{package_id}/active"),
    ("post", "/api/v1/staff/{staff_id}/active"),
    ("put", "/api/v1/wallet-policy"),
    ("put", "/api/v1/points-policy"),
    ("put", "/api/v1/tier-policy"),
}


@pytest.fixture
def document(db, anon):
    response = anon.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_every_money_path_is_listed(document):
    listed = {p: set(ops) for p, ops in document["paths"].items() if p in MONEY_PATHS}
    assert listed == MONEY_PATHS


def test_money_operations_document_the_idempotency_key(document):
    keyed = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(
            p["in"] == "header" and p["name"] == "Idempotency-Key"
            for p in operation.get("parameters", [])
        )
    }
    assert keyed == KEYED


def _properties(document, name):
    return document["components"]["schemas"][name]["properties"]


def test_money_fields_are_bounded_integers(document):
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        for field, spec in schema.get("properties", {}).items():
            if field.endswith("_fen") or field in ("points", "delta"):
                types = {s.get("type") for s in spec.get("anyOf", [spec])} - {"null"}
                assert types == {"integer"}, (name, field, spec)
    assert '"type": "number"' not in json.dumps(schemas)  # no float anywhere
    recharge = _properties(document, "RechargeIn")["amount_fen"]
    assert (recharge["minimum"], recharge["maximum"]) == (1, 10_000_000)
    sale = _properties(document, "QuickSaleIn")
    assert (sale["amount_fen"]["minimum"], sale["amount_fen"]["maximum"]) == (1, 100_000_000)
    assert sale["balance_fen"]["minimum"] == 0 and sale["points"]["minimum"] == 0


def test_images_are_svg(document):
    for image in ("qr.svg", "barcode.svg"):
        ok = document["paths"][f"/api/v1/cards/{{card_id}}/{image}"]["get"]["responses"]["200"]
        assert set(ok["content"]) == {"image/svg+xml"}
