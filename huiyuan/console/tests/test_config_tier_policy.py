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


def test_the_tiers_page_counts_members_never_moved_in_the_lowest_tier(owner_client, owner, cashier):
    from huiyuan.members.services import MemberInput, member_register
    from huiyuan.tiers.services import tier_create, tier_move

    base = tier_create(actor=owner, code="base", name="普通会员", level=1)
    gold = tier_create(actor=owner, code="gold", name="金卡会员", level=2, threshold=100_000)
    members = [
        member_register(
            actor=cashier,
            data=MemberInput(name=f"会员{i}", mobile=f"1370000000{i}"),
            channel="store",
        )
        for i in range(3)
    ]
    tier_move(actor=owner, member_id=members[0].pk, tier_id=gold.pk, reason="升级")
    page = owner_client.get("/config/tiers/").content.decode()

    def count(tier) -> str:
        row = page[page.index(tier.name) :].split("</tr>")[0]
        return row.split('class="text-end hy-stat">')[1].split("<")[0]

    assert count(base) == "2" and count(gold) == "1"
