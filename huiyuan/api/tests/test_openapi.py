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
from huiyuan.api.tests.test_settings_api import SETTINGS_PATHS
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
EXPECTED.update(SETTINGS_PATHS)


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


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _examples_of(operation):
    """(where, media type object) of the request body and the success response in JSON."""
    body = operation.get("requestBody", {}).get("content", {})
    if body and set(body) != {"multipart/form-data"}:  # a file upload: documented by its type
        yield "request body", body["application/json"]
    for status, response in operation["responses"].items():
        if str(status).startswith("2"):
            media = response.get("content", {}).get("application/json")
            if media is not None:  # files (.svg, .xlsx) are documented by their type
                yield f"response {status}", media
            break


def test_every_operation_has_examples_that_fit_its_schemas(document):
    """Each request body and each JSON success response carries an example, and the example
    is valid against the schema it illustrates (huiyuan/api/examples.py builds them)."""
    import jsonschema_rs

    missing, invalid, seen = [], [], 0
    for path, method, operation in _operations(document):
        for where, media in _examples_of(operation):
            seen += 1
            if "example" not in media and "examples" not in media:
                missing.append((method, path, where))
                continue
            example = media.get("example", next(iter(media.get("examples", {}).values()), {}))
            if "examples" in media and "example" not in media:
                example = example.get("value")
            root = {**media["schema"], "components": document["components"]}
            validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
            errors = [e.message for e in validator.iter_errors(example)]
            if errors:
                invalid.append((method, path, where, errors[0]))
    assert seen > 400
    assert missing == []
    assert invalid == []


def test_a_missing_example_is_noticed(document):
    """The check above can fail: an operation stripped of its examples is reported."""
    path = "/api/v1/tags"
    operation = json.loads(json.dumps(document["paths"][path]["post"]))
    for _where, media in _examples_of(operation):
        media.pop("example")
    assert [where for where, media in _examples_of(operation) if "example" not in media] == [
        "request body",
        "response 201",
    ]
    tag_example = document["paths"][path]["post"]["responses"]["201"]["content"][
        "application/json"
    ]["example"]
    assert tag_example == {
        "id": 3,
        "name": "高净值",
        "color": "blue",
        "member_count": 12,
        "created_at": "2026-05-01T09:30:00+08:00",
    }


def test_shared_field_types_carry_their_examples(document):
    schemas = document["components"]["schemas"]
    member = document["paths"]["/api/v1/members"]["post"]["requestBody"]["content"][
        "application/json"
    ]["example"]
    assert member["mobile"] == "13812345678"
    assert set(member) >= set(schemas["MemberCreateIn"]["required"])
    errors = document["paths"]["/api/v1/tags"]["post"]["responses"]
    assert errors["429"]["content"]["application/json"]["example"]["error"]["code"] == (
        "rate_limited"
    )


def test_required_headers_are_marked_required_and_errors_listed(document):
    """``Idempotency-Key`` is a required header wherever it is not documented as optional;
    every authenticated operation lists the shared error responses, 429 included."""
    keyed = 0
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                optional = parameter["schema"].get("description", "").startswith("Optional")
                assert parameter.get("required", False) is not optional, (method, path)
                keyed += not optional
        if operation.get("security"):
            for status in ("400", "401", "403", "404", "409", "422", "429"):
                assert status in operation["responses"], (method, path, status)
                media = operation["responses"][status]["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, (
                    method,
                    path,
                    status,
                )
                assert media["example"]["error"]["code"], (method, path, status)
    assert keyed > 100
    for path, methods in SETTINGS_PATHS.items():
        for method in methods - {"get"}:
            names = {
                (p["in"], p["name"], p.get("required"))
                for p in document["paths"][path][method].get("parameters", [])
            }
            assert ("header", "Idempotency-Key", True) in names, (method, path)


def _fill(path: str, operation, document) -> tuple[str, dict[str, str], dict[str, str]]:
    """The path with its parameters filled in, the query and the headers, from examples."""
    from huiyuan.api.examples import example_of

    components = document["components"]["schemas"]
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        value = example_of(parameter["schema"], components, name=parameter["name"])
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = str(value).lower() if isinstance(value, bool) else value
        elif parameter["in"] == "header":
            headers[parameter["name"]] = f"example-{operation['operationId']}"[:100]
    return path, query, headers


@pytest.mark.django_db(transaction=False)
def test_request_examples_are_accepted_as_well_formed(document, staff, stores, make_member):
    """Each request body's example, sent as the owner against a small chain, is never a
    server error and never refused as malformed (400, 415, 422 ``invalid_request``). A
    business refusal is fine: the example names rows (id 1…) this chain may not hold."""
    from huiyuan.api.tests.conftest import staff_client
    from huiyuan.core.permissions import Role

    make_member()
    owner = staff_client(staff[Role.OWNER])
    refused, sent = [], 0
    for path, method, operation in _operations(document):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is None:
            continue
        url, query, headers = _fill(path.removeprefix("/api/v1"), operation, document)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        response = owner.call(method.upper(), url, media["example"], **headers)
        sent += 1
        code = error_of(response)["code"] if response.status_code >= 400 else ""
        if response.status_code >= 500 or response.status_code in (400, 415):
            refused.append((method, path, response.status_code, code))
        elif response.status_code == 422 and code in ("invalid_request", "date_out_of_range"):
            refused.append((method, path, 422, code, error_of(response).get("field")))
    assert sent > 150
    assert refused == [], "\n".join(map(str, refused))


def test_no_example_is_a_derived_placeholder(document):
    """examples.py marks a media type whose example it had to make up from a type or a
    name (``x-example-derived``: "示例", 1, "S01"…); every operation's examples are
    written by hand (``example_catalog*.py``), a new router's too."""
    from huiyuan.api.examples import DERIVED_MARK

    derived, seen = [], 0
    for path, method, operation in _operations(document):
        for where, media in _examples_of(operation):
            seen += 1
            if DERIVED_MARK in media:
                derived.append((method, path, where, media[DERIVED_MARK][:5]))
    assert seen > 500
    assert derived == [], "\n".join(map(str, derived))


def test_a_derived_example_is_marked():
    """The mark above is reliable: a made-up value is named, a stated one is not."""
    from huiyuan.api.examples import DERIVED_MARK, _media_example

    made_up = {
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "id": {"type": "integer", "examples": [7]}},
        }
    }
    _media_example(made_up, {}, full=True)
    assert made_up["example"] == {"name": "示例", "id": 7}
    assert made_up[DERIVED_MARK] == ["name"]
    stated = {"schema": {"$ref": "#/components/schemas/X"}}
    _media_example(stated, {"X": {"type": "object", "examples": [{"name": "张伟"}]}}, full=True)
    assert stated["example"] == {"name": "张伟"}
    assert DERIVED_MARK not in stated
