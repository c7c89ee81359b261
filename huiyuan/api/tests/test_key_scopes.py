"""API key scopes (403 ``scope_missing``) and per-key rate limits (429 with Retry-After)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from huiyuan.api.tests.conftest import ApiClient, error_of, new_client, snapshot, translated
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Perm, Role
from huiyuan.stores.api_rate import rate_check
from huiyuan.stores.api_scopes import Scope, scope_perms, scopes_granting
from huiyuan.stores.models import ApiKey
from huiyuan.stores.services import api_key_create, api_key_update

NEW_MEMBER = {"name": "李四", "mobile": "13900001111"}


def keyed(key: str) -> ApiClient:
    return ApiClient(new_client(), {"Authorization": f"Bearer {key}"})


@pytest.fixture
def make_key(owner, terminal):
    def make(role: Role = Role.CASHIER, **options) -> tuple[ApiKey, str]:
        return api_key_create(
            actor=owner, terminal_id=terminal.pk, name="POS", role=role, **options
        )

    return make


def test_every_permission_has_a_scope():
    for perm in Perm:
        assert scopes_granting(perm) - {Scope.ALL}, perm
    assert scope_perms(["all"]) is None
    assert Perm.SALE_CREATE in scope_perms(["sell"])
    assert Perm.MEMBER_CREATE not in scope_perms(["sell", "members:read"])


def test_a_key_without_the_scope_is_refused_and_nothing_changes(make_key, make_member):
    _, key = make_key(scopes=["members:read"])
    client = keyed(key)
    member = make_member()
    assert client.get(f"/members/{member.pk}").status_code == 200
    before = snapshot()
    response = client.post("/members", NEW_MEMBER)
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "scope_missing",
        "message": translated("This API key's scopes do not allow this."),
        "details": {"permission": "member.create"},
    }
    assert snapshot() == before


def test_scopes_never_go_beyond_the_role(make_key):
    # A cashier key with "configure" still cannot do what a cashier may not.
    _, key = make_key(scopes=["configure", "members:read"])
    response = keyed(key).post(
        "/catalog/categories", {"code": "tea", "name": "茶"}, **{"Idempotency-Key": "c-1"}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_existing_keys_keep_full_access(make_key):
    api_key, key = make_key()
    assert api_key.scopes == ["all"]
    assert keyed(key).post("/members", NEW_MEMBER).status_code == 201


def test_changing_scopes_takes_effect_at_once_and_is_audited(owner, make_key):
    from huiyuan.audit.models import AuditEvent

    api_key, key = make_key()
    api_key_update(actor=owner, api_key_id=api_key.pk, scopes=["members:read", "sell"])
    assert error_of(keyed(key).post("/members", NEW_MEMBER))["code"] == "scope_missing"
    audit = AuditEvent.objects.get(action="api_key.updated")
    assert (audit.before["scopes"], audit.after["scopes"]) == (["all"], ["members:read", "sell"])
    with pytest.raises(ValidationFailed) as refused:
        api_key_update(actor=owner, api_key_id=api_key.pk, scopes=["nope"])
    assert refused.value.code == "invalid_scope"
    with pytest.raises(ValidationFailed) as refused:
        api_key_update(actor=owner, api_key_id=api_key.pk, rate_limit_per_minute=0)
    assert refused.value.code == "invalid_rate_limit"
    api_key.refresh_from_db()
    assert (api_key.scopes, api_key.rate_limit_per_minute) == (["members:read", "sell"], 600)


def test_over_the_limit_answers_429_with_retry_after(make_key, make_member):
    _api_key, key = make_key(rate_limit_per_minute=3)
    client = keyed(key)
    member = make_member()
    for _ in range(3):
        assert client.get(f"/members/{member.pk}").status_code == 200
    response = client.get(f"/members/{member.pk}")
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    body = error_of(response)
    assert body["code"] == "rate_limited"
    assert body["details"] == {"limit_per_minute": 3, "retry_after": retry_after}
    # Another key has its own budget.
    _, other = make_key()
    assert keyed(other).get(f"/members/{member.pk}").status_code == 200


def test_the_window_is_one_minute(settings):
    cache.clear()
    start = 1_800_000_000.0  # a minute boundary (divisible by 60)
    decisions = [rate_check(key="t", limit=2, now=start + s) for s in (0, 10, 59)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[2].retry_after == 1
    assert decisions[1].retry_after == 50
    assert rate_check(key="t", limit=2, now=start + 60).allowed  # a new minute
