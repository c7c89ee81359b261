"""Schemathesis over the whole OpenAPI document: the document says exactly what the server
accepts, and nothing the document allows or forbids makes the server fail.

Every operation gets schema-valid (positive) and schema-violating (negative) requests,
including schemathesis's coverage phase (boundaries, missing parameters, wrong types, wrong
media types, wrong methods), signed in as the owner (every permission, every store) over a
staff session with its CSRF token, against a small chain with real rows.

Checks, and how they are configured:

- ``not_a_server_error``: no 5xx, ever.
- ``negative_data_rejection``: a request the document forbids is refused (4xx).
- ``positive_data_acceptance``: a request the document allows is not refused as malformed.
  The built-in check counts every 400/415/422 as a finding; here a 422 whose code is in
  ``RULES_BEYOND_SCHEMA`` is a business refusal JSON Schema cannot state (a checksum, "not
  after today", a row that must exist with a given state), not a document that lies. Our
  variant (``valid_data_passes_validation``) replaces the built-in one; everything else —
  ``invalid_request``, ``unsupported_media_type``, a 400 — is a finding.
- ``status_code_conformance``, ``content_type_conformance``, ``response_schema_conformance``,
  ``response_headers_conformance``, ``missing_required_header``, ``unsupported_method``.
- Left out: ``ignored_auth``. The owner's session cookie is sent with every request (the
  owner is the only caller holding every permission; terminal keys cannot be owners), so a
  request in which schemathesis spoils the API-key scheme still carries a valid session and
  is rightly accepted. Authentication is tested in ``test_auth.py``. The stateful checks
  (``use_after_free``, ``ensure_resource_availability``) need links the document does not
  declare.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from huiyuan.api.urls import api
from huiyuan.core.permissions import Role
from huiyuan.wsgi import application

# Examples per operation and generation mode, on top of the coverage phase's boundaries.
MAX_EXAMPLES = 5
CSRF_TOKEN = "schemathesis-csrf-token-32-chars"  # a bare 32-character secret is accepted

# Business refusals (422) that JSON Schema cannot state, by the rule behind each:
RULES_BEYOND_SCHEMA = {
    # a GB 11643 checksum, and a real birth date inside the ID number
    "invalid_id_number",
    "invalid_id_checksum",
    # "not after today", and a lunar date that exists in that lunar year
    "invalid_birthday",
    "invalid_lunar_date",
    # names of tags and custom fields that must exist, with values of the field's kind
    "unknown_tag",
    "unknown_custom_field",
    "invalid_custom_field",
    "custom_field_required",
    # a card number or a second member must differ, a rule version must start later…
    "invalid_effective_from",
    "rule_name_required",
    "card_never_expires",
    "validity_too_long",
    # the catalog: an EAN-13 check digit, a price change not in the past, the category
    # tree (no cycle, at most five levels), what a bundle may hold
    "invalid_ean13",
    "effective_from_in_past",
    "category_cycle",
    "category_too_deep",
    "bundle_not_divisible",
    "not_a_bundle",
    "nested_bundle",
    "duplicate_item",
    "fractional_quantity",
    "product_delisted",
    # pre-made card batches: a secret code that must match the card, a last day to
    # activate not in the past, card numbers that must belong to the batch
    "invalid_card_or_code",
    "activate_by_in_past",
    "card_not_in_batch",
    # webhooks: a target URL on a private, loopback or link-local address (SSRF guard)
    "invalid_webhook_url",
    # count, period and course cards: how many items a kind of card has, what each item
    # needs, a validity within the unit's bound, a product that sells whole units and no
    # other plan, stores that exist, the item a course card's use names
    "invalid_items",
    "item_name_duplicate",
    "invalid_uses",
    "validity_required",
    "invalid_validity",
    "stores_required",
    "store_not_found",
    "product_not_a_unit",
    "product_has_plan",
    "item_required",
    # imports: a file's content must be a workbook or CSV with a header, and a mapping
    # must name the columns that file has
    "file_unreadable",
    "file_empty",
    "invalid_mapping",
    # gifts and check-in: a lottery needs some weight above zero in all; a gift with a cash
    # top-up needs its payment method; check-in rewards start at day 1, each day once
    "invalid_weights",
    "cash_method_required",
    "rewards_need_day_one",
    "duplicate_reward_day",
    # coupons: a template's rules across fields (a threshold at least the amount off, dates
    # of a fixed validity, a cap with a budget…), a batch that finds members, a coupon code
    # given once, a group-buy code that is not blank
    "invalid_template",
    "batch_no_members",
    "coupon_duplicate",
    "groupbuy_code",
    # stock: a product once per document, a transfer between two different stores
    "duplicate_product",
    "same_store",
    # promotions: a value in range for its kind (‰ for a percentage, fen otherwise), a
    # date range that ends after it starts, an end after the start and not in the past;
    # the joining policy: a threshold for spend_threshold, a card type that exists
    "invalid_value",
    "invalid_dates",
    "invalid_effective_to",
    "effective_to_in_past",
    "threshold_required",
    "unknown_card_type",
    # analytics: a date range that starts before it ends and spans at most two years
    "invalid_range",
    "range_too_long",
    # settlement: a period whose end is not before its start
    "invalid_period",
}

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = application
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
)
# Every operation now carries examples; test_openapi.py sends each request example once, so
# schemathesis keeps to its generated cases (the examples phase would run them again).
schema.config.phases.examples.enabled = False


@schema.hook
def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    """A whole number in a query string is written in digits: JSON Schema counts ``5.0`` as
    an integer, but as URL text "5.0" is not one, and every id and count in our query
    strings is read as digits only (``QueryId``, ``QueryInt``). Generated whole floats are
    sent as the digits they stand for."""
    if not query:
        return query
    return {
        key: int(value) if isinstance(value, float) and value.is_integer() else value
        for key, value in query.items()
    }


def _error_code(body: str) -> str:
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def valid_data_passes_validation(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, with a business rule's 422 counted as acceptance."""
    if response.status_code == 422 and _error_code(response.text) in RULES_BEYOND_SCHEMA:
        meta = case.meta
        if meta is not None and meta.generation.mode.is_positive:
            return None
    return openapi_checks.positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    openapi_checks.negative_data_rejection,
    valid_data_passes_validation,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the WSGI application directly, so Django's request signals close
    the database connection after each call — the test's own transaction with it (harmless
    on SQLite's in-memory test database, fatal on PostgreSQL). Django's test client
    disconnects them the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def chain(staff, stores, make_member):
    """A member with a card type on file, so that small ids name real rows."""
    make_member()
    return stores


@pytest.fixture
def owner_cookies(staff, client, chain) -> dict[str, str]:
    client.force_login(staff[Role.OWNER])
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_document_says_what_the_server_accepts(case, owner_cookies):
    case.call_and_validate(
        headers={"X-CSRFToken": CSRF_TOKEN}, cookies=owner_cookies, checks=CHECKS
    )
