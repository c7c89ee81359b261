"""The tier policy form on the tiers page."""

from __future__ import annotations

from huiyuan.audit.models import AuditEvent
from huiyuan.core.permissions import Role
from huiyuan.tiers.models import TierPolicy


def test_owner_saves_the_policy(owner_client):
    page = owner_client.get("/config/tiers/").content.decode()
    assert "等级策略" in page
    response = owner_client.post(
        "/config/tiers/policy/", {"evaluation_period": "year", "inactive_termination_days": "365"}
    )
    assert response.status_code == 302
    policy = TierPolicy.current()
    assert (policy.evaluation_period, policy.inactive_termination_days) == ("year", 365)


def test_bad_values_write_nothing(owner_client):
    before = AuditEvent.objects.count()
    response = owner_client.post(
        "/config/tiers/policy/", {"evaluation_period": "year", "inactive_termination_days": "3"}
    )
    assert response.status_code == 200
    assert TierPolicy.current().evaluation_period == "quarter"
    assert AuditEvent.objects.count() == before


def test_cashier_is_refused(client_for):
    response = client_for(Role.CASHIER).post(
        "/config/tiers/policy/", {"evaluation_period": "year", "inactive_termination_days": ""}
    )
    assert response.status_code == 403
    assert TierPolicy.current().evaluation_period == "quarter"
