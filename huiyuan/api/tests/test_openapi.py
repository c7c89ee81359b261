"""The OpenAPI document and the docs page: complete, valid JSON, nothing from a CDN."""

from __future__ import annotations

import json
import re

import pytest

from huiyuan.api.tests.conftest import error_of
from huiyuan.api.tests.test_activities import ACTIVITY_PATHS
from huiyuan.api.tests.test_analytics import ANALYTICS_PATHS
from huiyuan.api.tests.test_benefits import BENEFIT_PATHS
from huiyuan.api.tests.test_card_batches import CARD_BATCH_PATHS
from huiyuan.api.tests.test_care import CARE_PATHS
from huiyuan.api.tests.test_catalog_permissions import CATALOG_PATHS
from huiyuan.api.tests.test_config import CONFIG_PATHS
from huiyuan.api.tests.test_coupons import COUPON_PATHS
from huiyuan.api.tests.test_followups import FOLLOWUP_PATHS
from huiyuan.api.tests.test_gifts import GIFT_PATHS
from huiyuan.api.tests.test_imports import IMPORT_PATHS
from huiyuan.api.tests.test_money_openapi import MONEY_PATHS
from huiyuan.api.tests.test_offline import OFFLINE_PATHS
from huiyuan.api.tests.test_packages import PACKAGE_PATHS
from huiyuan.api.tests.test_payments import PAYMENT_PATHS
from huiyuan.api.tests.test_promotions import PROMOTION_PATHS
from huiyuan.api.tests.test_referrals import REFERRAL_PATHS
from huiyuan.api.tests.test_segments import SEGMENT_PATHS
from huiyuan.api.tests.test_stock import STOCK_PATHS
from huiyuan.api.tests.test_storeops import STOREOPS_PATHS
from huiyuan.api.tests.test_webhooks import WEBHOOK_PATHS

EXPECTED = {
    "/api/v1/members": {"get", "post"},
    "/api/v1/members/search": {"post"},
    "/api/v1/members/by-code/{code}": {"get"},
    "/api/v1/members/{member_id}": {"get", "patch"},
    "/api/v1/members/{member_id}/history": {"get"},
    "/api/v1/members/{member_id}/freeze": {"post"},
    "/api/v1/members/{member_id}/unfreeze": {"post"},
    "/api/v1/members/{member_id}/cancel": {"post"},
    "/api/v1/members/{member_id}/restore": {"post"},
    "/api/v1/members/{member_id}/terminate": {"post"},
    "/api/v1/members/{member_id}/merge": {"post"},
    "/api/v1/members/{member_id}/reveal": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/stores": {"get", "post"},
    "/api/v1/events": {"get"},
}
EXPECTED.update(MONEY_PATHS)
EXPECTED.update(CATALOG_PATHS)
EXPECTED.update(CARD_BATCH_PATHS)
EXPECTED.update(GIFT_PATHS)
EXPECTED.update(CARE_PATHS)
EXPECTED.update(ACTIVITY_PATHS)
EXPECTED.update(PAYMENT_PATHS)
EXPECTED.update(FOLLOWUP_PATHS)
EXPECTED.update(ANALYTICS_PATHS)
EXPECTED.update(CONFIG_PATHS)
EXPECTED.update(OFFLINE_PATHS)
EXPECTED.update(PACKAGE_PATHS)
EXPECTED.update(BENEFIT_PATHS)
EXPECTED.update(REFERRAL_PATHS)
EXPECTED.update(STOREOPS_PATHS)
EXPECTED.update(COUPON_PATHS)
EXPECTED.update(PROMOTION_PATHS)
EXPECTED.update(STOCK_PATHS)
EXPECTED.update(IMPORT_PATHS)
EXPECTED.update(WEBHOOK_PATHS)
EXPECTED.update(SEGMENT_PATHS)


@pytest.fixture
def document(db, anon):
    response = anon.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_every_path_and_method_is_listed(document):
    assert document["openapi"].startswith("3.")
    assert {p: set(ops) for p, ops in document["paths"].items()} == EXPECTED


def test_every_operation_documents_its_schemas_and_errors(document):
    schemas = document["components"]["schemas"]
    assert {"ErrorOut", "ErrorBody", "MemberOut", "MemberCreateIn", "MemberPatchIn"} <= set(schemas)
    assert schemas["ErrorBody"]["required"] == ["code", "message"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [s for s in responses if s.startswith("2")]
            assert success, (method, path)
            if not path.endswith((".svg", ".xlsx")):  # files: documented by their type
                assert "$ref" in json.dumps(responses[success[0]]), (method, path)
            for status in ("401", "403", "422"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", (method, path, status)
            assert operation.get("security"), (method, path)
            if method in ("post", "patch") and not path.endswith("/reveal"):
                assert "requestBody" in operation, (method, path)


def test_security_schemes(document):
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"apiKey"}
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "X-API-Key"),
        ("cookie", "sessionid"),
    }


def test_input_limits_are_published(document):
    create = document["components"]["schemas"]["MemberCreateIn"]
    assert create["properties"]["name"]["maxLength"] == 50
    assert create["properties"]["tags"]["maxItems"] == 50
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {"name", "mobile"}


def test_docs_page_uses_only_local_assets(db, anon):
    response = anon.client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 5
    for url in assets:
        asset = anon.client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content)
        assert len(body) > 100
        assert b"cdn.jsdelivr" not in body
    assert '"validatorUrl": null' in html


def test_only_packaged_docs_assets_are_served(db, anon):
    for name in ["../../../settings.py", "swagger-ui-bundle.js.map", "redoc.standalone.js"]:
        response = anon.client.get(f"/api/v1/docs/assets/{name}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_no_two_schemas_share_a_name():
    """The OpenAPI document keys schemas by class name: a second class of the same name
    silently replaces the first, and an operation is then documented with another one's
    shape. Two classes may share a name only if they are the same shape."""
    from ninja import Schema

    from huiyuan.api.urls import api

    api.get_openapi_schema()  # imports every router's schemas
    found: dict[str, list[type]] = {}
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("huiyuan.api"):
            found.setdefault(cls.__name__, []).append(cls)
    clashes = {
        name: sorted(f"{c.__module__}" for c in classes)
        for name, classes in found.items()
        if len({json.dumps(c.model_json_schema(), sort_keys=True) for c in classes}) > 1
    }
    assert clashes == {}
