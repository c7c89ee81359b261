"""Strict input (issue 7, points 5 and 6): ids are integers, enums and booleans are what they
say, bodies are JSON, dates are dates in business years; what used to be a 500 is a 4xx in
the error format, and a refused request changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiyuan.api.tests import money
from huiyuan.api.tests.conftest import API, error_of, snapshot, translated
from huiyuan.cards import services as card_services
from huiyuan.cards.models import Card
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.members.models import Member
from huiyuan.points.models import EarnRule
from huiyuan.points.services import earn_rule_publish


@pytest.fixture
def owner_api(as_staff):
    return as_staff(Role.OWNER)


@pytest.fixture
def pair(make_member):
    return make_member(name="张三", mobile="13800000001"), make_member(
        name="张三", mobile="13800000002"
    )


# ------------------------------------------------------------------------------- ids


@pytest.mark.django_db(transaction=True, reset_sequences=True)  # ids from 1 on PostgreSQL too
@pytest.mark.parametrize("duplicate_id", [True, "1", 1.0, "true", None, 0, -1, 2**63])
def test_merge_takes_a_strict_integer_id(owner_api, pair, duplicate_id):
    survivor, _duplicate = pair
    # Row 1 exists: `true` and `1.0` would have named it.
    assert Member.objects.filter(pk=1).exists()
    before = snapshot()
    response = owner_api.post(
        f"/members/{survivor.pk}/merge", {"duplicate_id": duplicate_id, "reason": "重复建档"}
    )
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid_request", "duplicate_id")
    assert snapshot() == before
    assert not Member.objects.filter(status=Member.Status.MERGED).exists()


@pytest.mark.parametrize(
    "path,body",
    [
        ("/cards/{card}/holders", {"member_id": True}),
        ("/cards/{card}/holders", {"member_id": "2"}),
        ("/cards/{card}/recharge", {"amount_fen": 100, "method": "cash", "package_id": 1.0}),
        ("/sales/quick", {"amount_fen": 100, "card_id": True}),
        ("/members/{member}/tier", {"tier_id": "1", "reason": "x"}),
        ("/cards/{card}/points/revoke", {"operation_id": True, "reason": "x"}),
        ("/cards/{card}/renew", {"months": 12.0}),
        ("/cards/{card}/renew", {"months": True}),
    ],
)
def test_ids_and_counts_in_bodies_are_strict_integers(owner_api, make_member, owner, path, body):
    holder = make_member()
    card = money.card(owner, owner, holder, holder.home_store)
    before = money.money_snapshot()
    response = owner_api.post(
        path.format(card=card.pk, member=holder.pk), body, **{"Idempotency-Key": money.key()}
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert money.money_snapshot() == before


@pytest.mark.parametrize(
    "query", ["store_id=true", "store_id=1.0", "store_id=+1", "store_id=%201", "limit=1e1"]
)
def test_query_integers_are_digits(owner_api, make_member, query):
    make_member()
    response = owner_api.get(f"/members?{query}")
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")


def test_query_integers_in_digits_work(owner_api, make_member, stores):
    make_member()
    response = owner_api.get(f"/members?store_id={stores[0].pk}&limit=5")
    assert (response.status_code, response.json()["count"]) == (200, 1)


@pytest.mark.parametrize("segment", ["1.0", "true", "%2B1", "-1", "1e0"])
def test_path_ids_are_digits_by_route(owner_api, make_member, segment):
    make_member()
    response = owner_api.get(f"/members/{segment}")
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")


@pytest.mark.parametrize("current", ["1", "yes", "on", "True"])
def test_query_booleans_are_true_or_false(owner_api, current):
    response = owner_api.get(f"/points/rules?current={current}")
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert owner_api.get("/points/rules?current=true").status_code == 200


# ---------------------------------------------------------------- enums, booleans, dates


@pytest.mark.parametrize(
    "body",
    [
        {"earning": "true", "reason": "风控"},
        {"earning": 1, "reason": "风控"},
        {"spending": "no", "reason": "风控"},
    ],
)
def test_booleans_in_bodies_are_json_booleans(owner_api, make_member, body):
    member = make_member()
    before = snapshot()
    response = owner_api.post(f"/members/{member.pk}/freeze", body)
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"gender": "m"},
        {"gender": 1},
        {"birthday": 0},
        {"birthday": "2000-01-01T00:00:00"},
        {"lunar_birthday": {"year": 1990.0, "month": 1, "day": 1}},
        {"consent": 1},
        {"consent": "true"},
    ],
)
def test_enums_dates_and_flags_are_strict(owner_api, body):
    before = snapshot()
    response = owner_api.post("/members", {"name": "李四", "mobile": "13900001111", **body})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")
    assert snapshot() == before


def test_external_method_error_names_the_field(owner_api):
    response = owner_api.post(
        "/sales/quick", {"amount_fen": 100, "external_method": "cheque"}, **{"Idempotency-Key": "k"}
    )
    error = error_of(response)
    assert (response.status_code, error["code"], error["field"]) == (
        422,
        "invalid_request",
        "external_method",
    )


# --------------------------------------------------------------------- JSON bodies only


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"],
)
@pytest.mark.parametrize("caller", ["session", "key"])
def test_json_bodies_only(request, as_staff, pos, caller, content_type):
    client = as_staff(Role.CASHIER) if caller == "session" else pos
    before = snapshot()
    response = client.client.post(
        f"{API}/members",
        data='{"name": "李四", "mobile": "13900001111"}',
        content_type=content_type,
        headers=client.headers,
    )
    assert response.status_code == 415, response.content
    assert error_of(response) == {
        "code": "unsupported_media_type",
        "message": translated("Send the request body as JSON (Content-Type: application/json)."),
    }
    assert snapshot() == before


def test_json_with_a_charset_is_json(pos, stores):
    response = pos.client.post(
        f"{API}/members",
        data='{"name": "李四", "mobile": "13900001111"}',
        content_type="application/json; charset=utf-8",
        headers=pos.headers,
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", ["/members", "/members/search", "/points/dry-run"])
def test_multipart_without_boundary_under_a_session_is_not_a_500(as_staff, path):
    """The CSRF check of the session auth reads the form body: an unreadable one is a 415."""
    client = as_staff(Role.OWNER)
    before = snapshot()
    response = client.client.post(
        f"{API}{path}", data=b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 415, response.content
    assert error_of(response)["code"] == "unsupported_media_type"
    assert snapshot() == before


# ------------------------------------------------------- the edges of the calendar (6)


EDGES = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1999-12-31T23:59:59Z"]
DATE_ERROR = "Choose a date in the years %(first)s–%(last)s."


def _out_of_range(response, field: str) -> None:
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == ("date_out_of_range", field)
    assert error["message"] == translated(DATE_ERROR) % {"first": 2000, "last": 2100}


@pytest.mark.parametrize("until", EDGES)
def test_report_until_at_the_calendar_edges(owner_api, until):
    response = owner_api.client.get(f"{API}/reports/outstanding", {"until": until})
    _out_of_range(response, "until")


@pytest.mark.parametrize("at", EDGES)
def test_dry_run_at_the_calendar_edges(owner_api, at):
    _out_of_range(owner_api.post("/points/dry-run", {"amount_fen": 100, "at": at}), "at")


@pytest.mark.parametrize("start", EDGES)
def test_rule_effective_from_year_one_is_refused(owner_api, start):
    body = {"code": "base", "name": "基础", "effective_from": start, "unit_fen": 100}
    _out_of_range(owner_api.post("/points/rules", body), "effective_from")
    assert not EarnRule.objects.exists()


@pytest.mark.parametrize("year", [1, 9999])
def test_rule_publishing_service_refuses_the_calendar_edges(owner, year):
    """The console publishes through the same service: the bound is there too."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with pytest.raises(ValidationFailed) as refused:
        earn_rule_publish(actor=owner, code="base", effective_from=start, name="基础")
    assert (refused.value.code, refused.value.field) == ("date_out_of_range", "effective_from")
    assert not EarnRule.objects.exists()


def test_dates_in_business_years_are_taken(owner_api):
    response = owner_api.client.get(
        f"{API}/reports/outstanding", {"until": "2100-12-31T23:59:59-08:00"}
    )
    assert response.status_code == 200, response.content
    response = owner_api.post("/points/dry-run", {"amount_fen": 100, "at": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("text", ["2026-05-01T09:30:00", "2026-05-01", "1767225600", "now"])
def test_moments_need_an_offset(owner_api, text):
    response = owner_api.post("/points/dry-run", {"amount_fen": 100, "at": text})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_request")


def test_protected_until_in_business_years(owner_api, make_member):
    member = make_member()
    response = owner_api.post(
        f"/members/{member.pk}/tier",
        {"tier_id": 1, "reason": "补录", "protected_until": "0001-01-01"},
    )
    _out_of_range(response, "protected_until")


# ------------------------------------------------------------------- renewal is bounded


def test_renewal_repeated_stops_before_the_years_run_out(owner_api, owner, make_member):
    holder = make_member()
    card = money.card(owner, owner, holder, holder.home_store)
    for _ in range(8):  # 8 × 120 months
        response = owner_api.post(f"/cards/{card.pk}/renew", {"months": 120})
        assert response.status_code == 200, response.content
    expires = Card.objects.get(pk=card.pk).expires_at
    response = owner_api.post(f"/cards/{card.pk}/renew", {"months": 1200})
    error = error_of(response)
    assert (response.status_code, error["code"], error["field"]) == (
        422,
        "validity_too_long",
        "months",
    )
    assert Card.objects.get(pk=card.pk).expires_at == expires
    assert expires < timezone.now() + dt.timedelta(days=366 * 101)


def test_renewal_months_are_bounded_in_the_service(owner, make_member):
    holder = make_member()
    card = money.card(owner, owner, holder, holder.home_store)
    before = Card.objects.get(pk=card.pk).expires_at
    for months in (-1, 1201, 10**9):
        with pytest.raises(ValidationFailed) as refused:
            card_services.card_renew(actor=owner, card_id=card.pk, months=months)
        assert refused.value.code == "invalid_renewal"
    assert Card.objects.get(pk=card.pk).expires_at == before
