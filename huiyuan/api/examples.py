"""Examples for every operation of the OpenAPI document, built from the schemas.

Three layers, the first that speaks wins (before them, ``example_catalog.SCHEMA_EXAMPLES``
puts hand-written examples on the core schemas that state none themselves):

1. an operation's own example (``openapi_extra`` with a media type ``example``) — for the
   few bodies whose values depend on each other beyond what a schema says;
2. a schema's ``examples`` — on the shared field types (``Id``, ``Fen``, ``BusinessDate``,
   ``Mobile``…, see ``schemas/common.py`` and ``schemas/money.py``), on fields, and on whole
   schemas (``model_config = ConfigDict(json_schema_extra={"examples": [...]})``);
3. otherwise a value derived from the field's type, bounds, format, pattern and name
   (``amount_fen`` → 10000, ``mobile`` → a mobile number, an enum's first value…).

``document_add_examples`` puts the result on each request body's and each JSON success
response's media type (``example``) and fills in nothing that is already there, so a router
never has to repeat what its schemas say. ``test_openapi`` checks that every operation has
both, and that each example is valid against its own schema. A media type whose example
holds a value of layer 3 is marked ``x-example-derived`` (the names of those values):
``test_openapi`` requires none in the core routers.
"""

from __future__ import annotations

import copy
import re
from contextvars import ContextVar
from typing import Any

from django.utils import translation

from huiyuan.api.example_catalog import SCHEMA_EXAMPLES
from huiyuan.api.example_catalog_more import MORE_SCHEMA_EXAMPLES

JSON = "application/json"

# A value for a text field, by the end of its name (first match wins).
_TEXT_BY_NAME: tuple[tuple[str, str], ...] = (
    ("mobile_masked", "138****5678"),
    ("id_number_masked", "310***********1234"),
    ("_masked", "****"),
    ("mobile", "13812345678"),
    ("status", "active"),
    ("channel", "store"),
    ("method", "cash"),
    ("unit", "件"),
    ("cashier", "王店长"),
    ("phone", "021-61234567"),
    ("email", "member@example.com"),
    ("url", "https://pos.example.com/hooks/huiyuan"),
    ("base64", "aGVsbG8="),
    ("number", "6200000000000001"),
    ("barcode", "6901234567892"),
    ("ean", "6901234567892"),
    ("sku", "SKU-001"),
    ("code", "S01"),
    ("key", "plate_number"),
    ("username", "cashier01"),
    ("password", "Correct-Horse-9"),
    ("display_name", "王店长"),
    ("name", "示例"),
    ("label", "示例"),
    ("title", "示例"),
    ("reason", "顾客要求"),
    ("note", "备注"),
    ("remark", "备注"),
    ("comment", "备注"),
    ("message", "您好"),
    ("address", "上海市黄浦区南京东路 1 号"),
    ("region", "上海市"),
    ("currency", "CNY"),
    ("color", "blue"),
    ("q", "张三"),
    ("query", "张三"),
)
# Candidates tried, in order, against a pattern no name rule satisfies.
_TEXT_CANDIDATES = (
    "示例",
    "S01",
    "A1",
    "a",
    "abc",
    "1",
    "123456",
    "6",
    "2026-05-01",
    "member@example.com",
    "hy_3f9a1c2e",
)
_INT_BY_NAME: tuple[tuple[str, int], ...] = (
    ("_fen", 10000),
    ("points", 100),
    ("percent", 10),
    ("permille", 100),
    ("year", 2026),
    ("month", 5),
    ("day", 1),
    ("days", 30),
    ("months", 12),
    ("minutes", 30),
    ("quantity", 1),
    ("qty", 1),
    ("count", 1),
    ("limit", 50),
    ("offset", 0),
    ("page", 1),
    ("_id", 1),
    ("id", 1),
)


# Set while one media type's example is built: a value made by layer 3 (from a type, a
# name, an enum or a default rather than stated by hand) is counted in it.
_derived: ContextVar[list[str] | None] = ContextVar("_derived", default=None)
# On a media type whose example holds a derived value: the names of those values.
DERIVED_MARK = "x-example-derived"


def _derive(name: str, value: Any) -> Any:
    seen = _derived.get()
    if seen is not None:
        seen.append(name or "(value)")
    return value


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return components.get(ref.rsplit("/", 1)[1], {})
    return schema


def _stated(schema: dict[str, Any]) -> tuple[bool, Any]:
    """An example the schema states itself: ``example``, ``examples``, ``const``."""
    if "example" in schema:
        return True, copy.deepcopy(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return True, copy.deepcopy(examples[0])
    if isinstance(examples, dict) and examples:  # OpenAPI "examples" map
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return True, copy.deepcopy(first["value"])
    if "const" in schema:
        return True, schema["const"]
    return False, None


def _fits(text: str, schema: dict[str, Any]) -> bool:
    if len(text) < schema.get("minLength", 0) or len(text) > schema.get("maxLength", 10**9):
        return False
    pattern = schema.get("pattern")
    if pattern:
        try:
            return re.search(pattern, text) is not None
        except re.error:
            return True
    return True


def _text(schema: dict[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-05-01"
    if fmt == "date-time":
        return "2026-05-01T09:30:00+08:00"
    if fmt == "time":
        return "09:30:00"
    if fmt == "uuid":
        return "3f2c6a1e-5b7d-4c1a-9e2f-0a1b2c3d4e5f"
    if fmt == "email":
        return "member@example.com"
    if fmt in ("uri", "url"):
        return "https://pos.example.com/hooks/huiyuan"
    lowered = name.lower()
    candidates = [v for suffix, v in _TEXT_BY_NAME if lowered.endswith(suffix)]
    for text in [*candidates, *_TEXT_CANDIDATES]:
        if _fits(text, schema):
            return text
    minimum = max(1, int(schema.get("minLength", 1)))
    return "a" * minimum


def _integer(schema: dict[str, Any], name: str) -> int:
    lowered = name.lower()
    value = next((v for suffix, v in _INT_BY_NAME if lowered.endswith(suffix)), 1)
    low = schema.get("minimum", schema.get("exclusiveMinimum", -(10**18)) + 1)
    high = schema.get("maximum", schema.get("exclusiveMaximum", 10**18) - 1)
    return int(min(max(value, low), high))


def example_of(
    schema: dict[str, Any],
    components: dict[str, Any],
    *,
    name: str = "",
    full: bool = True,
    depth: int = 0,
) -> Any:
    """An example value for ``schema``. ``full``: every property of an object (a response),
    else the required ones only (a request: the smallest body the operation accepts; an
    operation or a schema states a fuller one where it helps)."""
    stated, value = _stated(schema)
    if stated:
        return value
    target = _resolve(schema, components)
    if target is not schema:
        return example_of(target, components, name=name, full=full, depth=depth)
    if depth > 12:
        return None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            chosen = options[0] if options else schema[key][0]
            return example_of(chosen, components, name=name, full=full, depth=depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part_value = example_of(part, components, name=name, full=full, depth=depth + 1)
            if isinstance(part_value, dict):
                merged.update(part_value)
            else:
                return part_value
        return merged
    if schema.get("enum"):
        return _derive(name, schema["enum"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return _object(schema, components, full=full, depth=depth)
    if kind == "array" and "prefixItems" in schema:  # a tuple
        return [
            example_of(part, components, name=name, full=full, depth=depth + 1)
            for part in schema["prefixItems"]
        ]
    if kind == "array":
        item = example_of(
            schema.get("items", {}), components, name=name, full=full, depth=depth + 1
        )
        return [item] * max(1, int(schema.get("minItems", 1)))
    if "default" in schema and schema["default"] is not None:
        return _derive(name, copy.deepcopy(schema["default"]))
    if kind == "string":
        return _derive(name, _text(schema, name))
    if kind == "integer":
        return _derive(name, _integer(schema, name))
    if kind == "number":
        return _derive(name, float(_integer(schema, name)))
    if kind == "boolean":
        return _derive(name, True)
    if kind == "null":
        return None
    return {} if not schema else None


def _object(schema: dict[str, Any], components: dict[str, Any], *, full: bool, depth: int) -> Any:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    out: dict[str, Any] = {}
    for key, prop in properties.items():
        if not (full or key in required):
            continue
        out[key] = example_of(prop, components, name=key, full=full, depth=depth + 1)
    extra = schema.get("additionalProperties")
    minimum = int(schema.get("minProperties", 0))
    if isinstance(extra, dict) and len(out) < max(minimum, 1) and not properties:
        names = schema.get("propertyNames", {})
        key = names["enum"][0] if names.get("enum") else _text(names, "key")
        out[key] = example_of(extra, components, name=key, full=full, depth=depth + 1)
    return out


def _media_example(media: dict[str, Any], components: dict[str, Any], *, full: bool) -> None:
    if "example" in media or "examples" in media or "schema" not in media:
        return
    seen: list[str] = []
    token = _derived.set(seen)
    try:
        media["example"] = example_of(media["schema"], components, full=full)
    finally:
        _derived.reset(token)
    if seen:
        media[DERIVED_MARK] = sorted(set(seen))


# An error response's example, by status: the code a caller meets most often there.
_ERROR_EXAMPLES: dict[str, tuple[str, str]] = {
    "400": ("invalid_request", "The request is malformed."),
    "401": ("unauthenticated", "Sign in or send a valid API key."),
    "403": ("scope_missing", "This API key's scopes do not allow this."),
    "404": ("not_found", "Not found."),
    "409": (
        "idempotency_key_reused",
        "This idempotency key was already used for a different request.",
    ),
    "413": ("request_too_large", "The request is too large."),
    "415": (
        "unsupported_media_type",
        "Send the request body as JSON (Content-Type: application/json).",
    ),
    "422": ("idempotency_key_required", "Send an Idempotency-Key header (1–100 characters)."),
    "429": ("rate_limited", "Too many requests for this API key. Retry after 12 seconds."),
}


def _error_example(status: str) -> dict[str, Any] | None:
    found = _ERROR_EXAMPLES.get(status)
    if found is None:
        return None
    code, message = found
    with translation.override("zh-hans"):
        return {"error": {"code": code, "message": translation.gettext(message)}}


def document_add_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give every JSON request body and JSON success response an example (in place), and
    the shared error responses one of their codes."""
    components = document.get("components", {}).get("schemas", {})
    hand_written = {**SCHEMA_EXAMPLES, **MORE_SCHEMA_EXAMPLES}
    for name, value in hand_written.items():  # hand-written (example_catalog*.py)
        schema = components.get(name)
        if schema is not None and not _stated(schema)[0]:
            schema["examples"] = [copy.deepcopy(value)]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if body is not None:
                _media_example(body, components, full=False)
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get(JSON)
                if str(status).startswith("2") and media is not None:
                    _media_example(media, components, full=True)
                elif media is not None and "example" not in media:
                    example = _error_example(str(status))
                    if example is not None and media.get("schema", {}).get("$ref", "").endswith(
                        "/ErrorOut"
                    ):
                        media["example"] = example
    return document
