"""One error format for everything that can go wrong before or inside an endpoint."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from huiyuan.api.tests.conftest import error_of, snapshot, translated
from huiyuan.members import selectors

NEW_MEMBER = {"name": "李四", "mobile": "13900001111"}


@pytest.mark.parametrize("caller", ["pos", "session"])
def test_oversized_body_is_refused(request, as_staff, caller):
    from huiyuan.core.permissions import Role

    client = request.getfixturevalue("pos") if caller == "pos" else as_staff(Role.CASHIER)
    body = json.dumps({**NEW_MEMBER, "preferences": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    before = snapshot()
    response = client.post("/members", body)
    assert response.status_code == 413
    assert error_of(response) == {
        "code": "request_too_large",
        "message": translated("The request is too large."),
    }
    assert snapshot() == before


def test_too_many_query_fields(pos):
    query = "&".join(f"q={i}" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = pos.get(f"/members?{query}")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"name": "\xff\xfe"}', b'{"name": "x",}', b"\x00"],
    ids=["syntax", "not-utf8", "trailing-comma", "nul"],
)
def test_malformed_json(pos, raw):
    before = snapshot()
    response = pos.post("/members", raw)
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid_request",
        "message": translated("The request is malformed."),
    }
    assert snapshot() == before


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object(pos, raw):
    before = snapshot()
    response = pos.post("/members", raw)
    assert response.status_code in (400, 422)
    assert error_of(response)["code"] == "invalid_request"
    assert snapshot() == before


def test_empty_body(pos):
    response = pos.post("/members", b"")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


def test_lone_surrogate_is_refused(pos):
    before = snapshot()
    response = pos.post("/members", b'{"name": "\\ud800", "mobile": "13900001111"}')
    assert response.status_code == 422
    assert error_of(response)["field"] == "name"
    assert snapshot() == before


def test_validation_error_details(pos):
    response = pos.post("/members", {"name": "x" * 51, "mobile": "1", "gender": "Q"})
    error = error_of(response)
    assert error["field"] == "name"
    assert [d["loc"] for d in error["details"]] == [
        ["body", "payload", "name"],
        ["body", "payload", "gender"],
    ]


@pytest.mark.parametrize("path", ["/nope", "/members/1/frobnicate", "/v2/members"])
def test_unknown_paths_answer_in_the_error_format(db, anon, path):
    response = anon.get(path)
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": translated("Not found.")}


def test_wrong_method(pos):
    response = pos.call("DELETE", "/members")
    assert response.status_code == 405


def test_unexpected_failure_is_a_json_500(pos, make_member, monkeypatch):
    member = make_member()

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "member_get", broken)
    response = pos.get(f"/members/{member.pk}")
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "internal_error",
        "message": translated("An internal error occurred."),
    }
    assert "on fire" not in response.content.decode()


@pytest.mark.parametrize(
    "accept,language", [("", "zh-hans"), ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9", "zh-hans")]
)
def test_messages_follow_accept_language(pos, make_member, accept, language):
    make_member(mobile="13900001111")
    headers = {"Accept-Language": accept} if accept else {}
    response = pos.post("/members", NEW_MEMBER, **headers)
    assert response.status_code == 409
    assert response["Content-Language"] == language
    assert error_of(response)["message"] == translated(
        "This mobile number already belongs to a member.", language
    )


def test_english_caller_reads_english(pos, make_member):
    make_member(mobile="13900001111")
    response = pos.post("/members", NEW_MEMBER, **{"Accept-Language": "en"})
    assert error_of(response)["message"] == "This mobile number already belongs to a member."


def test_wrong_method_answers_in_the_error_format(db, staff):
    from huiyuan.api.tests.conftest import new_client
    from huiyuan.core.permissions import Role

    client = new_client()
    client.force_login(staff[Role.OWNER])
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    body = response.json()
    assert body["error"]["code"] == "method_not_allowed"
    assert "GET" in body["error"]["details"]["allowed"]
