"""Generated requests against every operation of the OpenAPI document.

Bodies, path and query values come from the published schemas, valid or mutated (wrong
types, oversized strings, odd characters). Whatever arrives, the API must answer with a
documented status, never a 500, and every refusal in the one error format. Bounded: a few
dozen examples per operation, well under a minute in all.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiyuan.api.tests.conftest import ApiClient, new_client
from huiyuan.api.urls import api
from huiyuan.members import services
from huiyuan.members.services import MemberInput
from huiyuan.stores.services import api_key_create

DOCUMENT = api.get_openapi_schema()
COMPONENTS = DOCUMENT["components"]["schemas"]
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=60),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("\x00张"),
    max_size=80,
)


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for a JSON schema, mostly valid, sometimes not (the API must refuse those)."""
    if "$ref" in schema:
        return from_schema(COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]], depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, depth) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        limit = schema.get("maxLength", 60)
        if schema.get("format") == "date":
            return st.dates().map(str) | TEXT
        # One past the limit; a limit beyond what Hypothesis draws (a file sent as base64)
        # is passed by one fixed over-long string.
        too_long = (
            st.text(min_size=limit + 1, max_size=limit + 3)
            if limit < 10_000
            else st.just("A" * (limit + 1))
        )
        return st.text(max_size=min(limit, 60)) | too_long
    if kind == "integer":
        return st.integers(
            min_value=schema.get("minimum", -(2**64)), max_value=schema.get("maximum", 2**64)
        ) | st.integers(min_value=-(2**70), max_value=2**70)
    if kind == "boolean":
        return st.booleans()
    if kind == "array" and depth < 3:
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=4)
    if kind == "object" and depth < 3:
        properties = schema.get("properties", {})
        if not properties:
            return st.dictionaries(TEXT, JUNK, max_size=3)
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v, depth + 1) for k, v in properties.items() if k not in required
            },
        )
    return JUNK


def request_for(path: str, operation: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    params = operation.get("parameters", [])
    path_values = {p["name"]: from_schema(p["schema"]) for p in params if p["in"] == "path"}
    query_values = {p["name"]: from_schema(p["schema"]) for p in params if p["in"] == "query"}
    body: st.SearchStrategy[Any] = st.none()
    if "requestBody" in operation:
        content = operation["requestBody"]["content"]
        if "application/json" in content:
            body = from_schema(content["application/json"]["schema"]) | JUNK
        else:  # a file upload sent JSON: refused in the one error format all the same
            body = JUNK
    return st.fixed_dictionaries(
        {"path": st.fixed_dictionaries(path_values), "body": body},
        optional={"query": st.fixed_dictionaries({}, optional=query_values)},
    )


@pytest.fixture
def callers(owner, terminal, staff, stores) -> list[ApiClient]:
    services.member_register(
        actor=owner,
        data=MemberInput(name="张三丰", mobile="13812345678"),
        channel="store",
        store_id=stores[0].pk,
    )
    _, key = api_key_create(actor=owner, terminal_id=terminal.pk, name="POS")
    session = new_client()
    session.force_login(staff["owner"])
    return [ApiClient(new_client(), {"X-API-Key": key}), ApiClient(session)]


def _check(response: Any, operation: dict[str, Any]) -> None:
    documented = {int(s) for s in operation["responses"]}
    assert response.status_code < 500, response.content
    if getattr(response, "streaming", False):  # a file (Excel export): no JSON to check
        assert response.status_code in documented, response.status_code
        return
    assert response.status_code in documented, (response.status_code, response.content)
    body = json.loads(response.content)
    if response.status_code >= 400:
        assert set(body) == {"error"}
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.parametrize(
    "method,path,operation", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_generated_requests(callers, method, path, operation):
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request=request_for(path, operation), who=st.integers(0, 1))
    def run(request: dict[str, Any], who: int) -> None:
        url = path.removeprefix("/api/v1")
        for name, value in request["path"].items():
            # Quoted as a client would: a "#" or "?" in a value must not cut the path short.
            url = url.replace("{" + name + "}", quote(str(value), safe=""))
        query = {k: v for k, v in (request.get("query") or {}).items() if v is not None}
        client = callers[who]
        kwargs: dict[str, Any] = {"headers": client.headers}
        if method == "GET":
            response = client.client.get(f"/api/v1{url}", query, **kwargs)
        else:
            response = client.client.generic(
                method,
                f"/api/v1{url}",
                json.dumps(request["body"]) if request["body"] is not None else "",
                content_type="application/json",
                **kwargs,
            )
        if response.status_code == 404 and any("/" in str(v) for v in request["path"].values()):
            return  # a slash in a path value leaves the route: the catch-all answers
        _check(response, operation)

    run()
