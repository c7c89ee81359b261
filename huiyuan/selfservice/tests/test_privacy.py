"""PIPL self-service: export, marketing consent, account deletion (anonymisation)."""

from __future__ import annotations

import pytest

from huiyuan.audit.models import AuditEvent
from huiyuan.cards.models import Card
from huiyuan.core.errors import Conflict, ValidationFailed
from huiyuan.ledger.models import Account, Entry
from huiyuan.ledger.tests.factories import balances, card, key
from huiyuan.members.models import Member
from huiyuan.points.services import points_adjust
from huiyuan.selfservice import privacy, services
from huiyuan.selfservice.actor import MemberActor
from huiyuan.selfservice.models import DataRequest, MemberCredential
from huiyuan.selfservice.selectors import marketing_allowed
from huiyuan.selfservice.tests.conftest import MOBILE, PASSWORD
from huiyuan.wallet.services import wallet_recharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_card(joined, cashier, owner) -> Card:
    c = card(cashier, owner, holder=joined)
    wallet_recharge(
        actor=cashier, card_id=c.pk, amount_fen=5000, method="cash", idempotency_key=key()
    )
    points_adjust(actor=owner, card_id=c.pk, delta=120, reason="开卡赠送", idempotency_key=key())
    return c


def test_export_holds_profile_cards_balances_history(joined, member_card):
    data = privacy.data_export(MemberActor(joined.pk))
    assert data["profile"]["mobile"] == MOBILE
    assert data["profile"]["name"] == "张三"
    assert [c["number"] for c in data["cards"]] == [member_card.number]
    assert data["cards"][0]["balances"] == {"principal_fen": 5000, "bonus_fen": 0, "points": 120}
    assert {(h["account"], h["delta"], h["balance_after"]) for h in data["history"]} == {
        ("principal", 5000, 5000),
        ("points", 120, 120),
    }
    assert {c["document"] for c in data["consents"]} == {"charter", "privacy"}
    assert DataRequest.objects.get(member=joined).kind == "export"
    assert AuditEvent.objects.filter(
        action="selfservice.data_exported", member_id=joined.pk
    ).exists()


def test_withdraw_and_give_marketing_consent(joined):
    actor = MemberActor(joined.pk)
    assert marketing_allowed(joined.pk) is False  # not ticked when joining
    privacy.marketing_set(actor, allowed=True)
    assert marketing_allowed(joined.pk) is True
    privacy.marketing_set(actor, allowed=False)
    assert marketing_allowed(joined.pk) is False
    assert AuditEvent.objects.filter(action="selfservice.marketing_consent").count() == 2


def test_deletion_refused_while_principal_remains(joined, member_card):
    before_entries = Entry.objects.count()
    with pytest.raises(Conflict) as exc:
        privacy.deletion_request(MemberActor(joined.pk))
    assert exc.value.code == "principal_remaining"
    assert exc.value.details == {"principal_fen": 5000}
    joined.refresh_from_db()
    assert joined.status == Member.Status.ACTIVE and joined.name == "张三"
    assert Entry.objects.count() == before_entries
    assert DataRequest.objects.get(member=joined).status == "refused"
    assert AuditEvent.objects.filter(action="selfservice.deletion_refused").exists()


def test_deletion_anonymises_and_keeps_the_ledger(joined, member_card, actors):
    from huiyuan.core.permissions import Role
    from huiyuan.wallet.services import wallet_refund

    wallet_refund(
        actor=actors[Role.STORE_MANAGER],
        method="cash",
        card_id=member_card.pk,
        amount_fen=5000,
        reason="会员申请注销",
        idempotency_key=key(),
    )
    entries = Entry.objects.count()
    kept = balances(member_card)
    assert kept[Account.Kind.PRINCIPAL] == 0
    privacy.deletion_request(MemberActor(joined.pk))
    joined.refresh_from_db()
    assert joined.status == Member.Status.TERMINATED
    assert joined.name == privacy.ERASED_NAME
    assert joined.mobile_hash is None and joined.mobile == "" and joined.mobile_masked == ""
    assert Entry.objects.count() == entries  # nothing moved, nothing deleted
    assert balances(member_card) == kept  # points stay on the ledger and expire as usual
    member_card.refresh_from_db()
    assert member_card.status == Card.Status.LOST
    assert not MemberCredential.objects.filter(member=joined).exists()
    assert marketing_allowed(joined.pk) is False
    assert DataRequest.objects.get(member=joined, kind="deletion").status == "done"
    assert services.member_by_mobile(MOBILE) is None
    with pytest.raises(ValidationFailed) as exc:
        services.signin_password(mobile=MOBILE, password=PASSWORD)
    assert exc.value.code == "signin_failed"


def test_deletion_erases_personal_data_from_the_members_audit_events(joined, owner):
    from huiyuan.members.services import member_update

    member_update(
        actor=owner,
        member_id=joined.pk,
        changes={"name": "张三丰", "email": "zs@example.com", "occupation": "教师"},
    )
    other = AuditEvent.objects.exclude(member_id=joined.pk).order_by("pk")
    others_before = [(e.pk, e.before, e.after) for e in other]
    events = list(AuditEvent.objects.filter(member_id=joined.pk).order_by("pk"))
    kept = [(e.pk, e.action, e.actor_id, e.created_at, e.store_id) for e in events]
    edited = next(e for e in events if e.action == "member.updated")
    assert edited.after["name"] == "张三丰"

    privacy.deletion_request(MemberActor(joined.pk))

    events = list(AuditEvent.objects.filter(member_id=joined.pk).order_by("pk"))
    assert [(e.pk, e.action, e.actor_id, e.created_at, e.store_id) for e in events[:-1]] == kept
    assert events[-1].action == "selfservice.account_deleted"
    edited = next(e for e in events if e.action == "member.updated")
    assert edited.before["name"] == "已删除"
    assert edited.after == {"name": "已删除", "email": "已删除", "occupation": "已删除"}
    registered = next(e for e in events if e.action == "member.registered")
    assert registered.after["name"] == "已删除"
    assert registered.after["mobile"] == "已删除"
    assert registered.after["status"] == "active"  # not personal: kept
    text = " ".join(f"{e.before} {e.after} {e.note}" for e in events)
    assert "张三" not in text and "zs@example.com" not in text and MOBILE[-4:] not in text
    # other members' events are untouched
    assert [(e.pk, e.before, e.after) for e in other] == others_before
