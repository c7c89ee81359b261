"""Imports over the API: the paths, the writes that take an Idempotency-Key, who may call
them. Behaviour is tested in the app (huiyuan/imports/tests)."""

from __future__ import annotations

import pytest

from huiyuan.api.tests.conftest import error_of, staff_client
from huiyuan.core.permissions import Role

IMPORT_PATHS = {
    "/api/v1/imports": {"get"},
    "/api/v1/imports/members": {"post"},
    "/api/v1/imports/openings": {"post"},
    "/api/v1/imports/{job_id}": {"get"},
    "/api/v1/imports/{job_id}/parts": {"post"},
    "/api/v1/imports/{job_id}/mapping": {"put"},
    "/api/v1/imports/{job_id}/preview": {"get"},
    "/api/v1/imports/{job_id}/run": {"post"},
    "/api/v1/imports/{job_id}/errors.xlsx": {"get"},
    "/api/v1/imports/{job_id}/reconciliation": {"get"},
}
# Every import route, refused to the roles that may not import (``test_roles_…`` below).
IMPORT_ROUTES = {
    (method.upper(), path.removeprefix("/api/v1"))
    for path, methods in IMPORT_PATHS.items()
    for method in methods
}
IMPORT_KEYED = {
    ("post", "/api/v1/imports/members"),
    ("post", "/api/v1/imports/openings"),
    ("post", "/api/v1/imports/{job_id}/parts"),
    ("put", "/api/v1/imports/{job_id}/mapping"),
    ("post", "/api/v1/imports/{job_id}/run"),
}


@pytest.mark.parametrize(
    ("role", "members", "opening"),
    [
        (Role.OWNER, 201, 404),  # the opening upload names a card type that does not exist
        (Role.STORE_MANAGER, 201, 403),
        (Role.CASHIER, 403, 403),
        (Role.MARKETER, 403, 403),
    ],
)
def test_who_may_import(staff, stores, settings, tmp_path, role, members, opening):
    settings.IMPORTS_DIR = tmp_path
    api = staff_client(staff[role])
    body = {
        "filename": "a.csv",
        "content_base64": "5aeT5ZCNLOaJi+acuuWPtwo=",
        "store_id": stores[0].pk,
    }
    made = api.post("/imports/members", body, **{"Idempotency-Key": "k1"})
    assert made.status_code == members, made.content
    refused = api.post(
        "/imports/openings", {**body, "card_type_id": 999}, **{"Idempotency-Key": "k2"}
    )
    assert refused.status_code == opening
    if opening == 403:
        assert error_of(refused)["code"] == "permission_denied"


IMPORT_BODIES = {
    ("POST", "/imports/members"): {"filename": "a.csv", "content_base64": "YQ==", "store_id": 1},
    ("POST", "/imports/openings"): {
        "filename": "a.csv",
        "content_base64": "YQ==",
        "store_id": 1,
        "card_type_id": 1,
    },
    ("POST", "/imports/{job_id}/parts"): {"content_base64": "YQ=="},
    ("PUT", "/imports/{job_id}/mapping"): {"mapping": {"name": 0}},
    ("POST", "/imports/{job_id}/run"): {},
}


@pytest.mark.parametrize(("method", "route"), sorted(IMPORT_ROUTES))
@pytest.mark.parametrize("role", [Role.CASHIER, Role.MARKETER, Role.CALL_CENTER])
def test_roles_that_may_not_import_are_refused_everywhere(staff, role, method, route):
    api = staff_client(staff[role])
    body = IMPORT_BODIES.get((method, route))
    response = api.call(method, route.format(job_id=1), body, **{"Idempotency-Key": "k"})
    assert response.status_code == 403, (role, method, route, response.content)
