"""DM campaigns: a segment, a coupon, consent, progress, and resuming without repeats."""

from __future__ import annotations

import pytest

from huiyuan.care import campaigns, sending
from huiyuan.care.campaigns import CampaignInput, campaign_create, campaign_report, campaign_start
from huiyuan.care.models import Campaign, CampaignRecipient, Delivery, OptOut
from huiyuan.care.testing import outbox
from huiyuan.core import pii
from huiyuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from huiyuan.coupons.models import Coupon
from huiyuan.segments.services import segment_create

pytestmark = pytest.mark.usefixtures("no_quiet_hours")


@pytest.fixture
def audience(make_member, owner, stores):
    """Five members of the first store, one of whom opted out, in a saved segment."""
    members = [make_member(name=f"会员{i}") for i in range(5)]
    segment = segment_create(actor=owner, name="旗舰店会员", definition={"stores": [stores[0].pk]})
    sending.opt_out(member_id=members[1].pk, source=OptOut.Source.LINK)
    return segment, members


def _mobile(member) -> str:
    return pii.decrypt(member.mobile_enc)


def test_campaign_to_a_segment_with_a_coupon_and_its_report(actors, audience, coupon_template):
    from huiyuan.core.permissions import Role

    segment, members = audience
    marketer = actors[Role.MARKETER]
    campaign = campaign_create(
        actor=marketer,
        data=CampaignInput(
            name="周年庆",
            template_code="promotion",
            segment_id=segment.pk,
            coupon_template_id=coupon_template.pk,
        ),
    )
    assert campaign.status == Campaign.Status.DRAFT
    campaign = campaign_start(actor=marketer, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.total, campaign.done, campaign.percent) == (
        Campaign.Status.DONE,
        5,
        5,
        100,
    )
    report = campaign_report(campaign)
    assert (report.sent, report.failed, report.opted_out, report.coupons, report.redeemed) == (
        4,
        0,
        1,
        4,
        0,
    )
    assert outbox(_mobile(members[1])) == []
    body = outbox(_mobile(members[0]))
    assert len(body) == 1
    coupon = Coupon.objects.get(member=members[0], source=f"campaign:{campaign.pk}")
    assert f"会员0您好，旗舰店会员专享活动进行中。送您一张“生日券”，券码{coupon.code}。" in body[0]
    assert "回TD退订" in body[0]
    # A coupon used later counts as redeemed in the report.
    Coupon.objects.filter(pk=coupon.pk).update(status=Coupon.Status.USED)
    assert campaign_report(campaign).redeemed == 1
    with pytest.raises(Conflict) as exc:
        campaign_start(actor=marketer, campaign_id=campaign.pk)
    assert exc.value.code == "campaign_done"


def test_campaign_resumed_after_interruptions_sends_nobody_twice(
    owner, audience, coupon_template, monkeypatch
):
    segment, members = audience
    monkeypatch.setattr(campaigns, "CHUNK", 2)
    monkeypatch.setattr(campaigns, "_enqueue_run", lambda pk: None)  # the worker is "down"
    campaign = campaign_create(
        actor=owner,
        data=CampaignInput(
            name="春季",
            template_code="promotion",
            segment_id=segment.pk,
            coupon_template_id=coupon_template.pk,
        ),
    )
    campaign_start(actor=owner, campaign_id=campaign.pk)
    # The first worker serves one chunk, then dies.
    campaigns.campaign_run(campaign.pk, max_chunks=1)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.done) == (Campaign.Status.RUNNING, 2)
    # The next worker crashes in the middle of its chunk, after its coupons and deliveries
    # were written: that chunk leaves nothing behind.
    real_queue = sending.deliveries_queue_bulk

    def queue_then_crash(**kwargs):
        real_queue(**kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sending, "deliveries_queue_bulk", queue_then_crash)
    with pytest.raises(RuntimeError):
        campaigns.campaign_run(campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.done) == (Campaign.Status.FAILED, 2)
    assert Delivery.objects.filter(campaign=campaign).count() == 1
    assert Coupon.objects.filter(source=f"campaign:{campaign.pk}").count() == 1
    monkeypatch.setattr(sending, "deliveries_queue_bulk", real_queue)
    # Even a run that lost its place (last member reset) skips whoever was served.
    Campaign.objects.filter(pk=campaign.pk).update(last_member_id=0, done=0)
    campaign_start(actor=owner, campaign_id=campaign.pk)
    campaigns.campaign_run(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    for member in members:
        assert CampaignRecipient.objects.filter(campaign=campaign, member=member).count() == 1
        expected = 0 if member == members[1] else 1
        assert Delivery.objects.filter(campaign=campaign, member=member).count() == expected
        assert (
            Coupon.objects.filter(member=member, source=f"campaign:{campaign.pk}").count()
            == expected
        )
        assert len(outbox(_mobile(member))) == expected


def test_campaign_refusals_change_nothing(actors, owner, audience):
    from huiyuan.core.permissions import Role

    segment, _ = audience
    with pytest.raises(PermissionDenied):
        campaign_create(
            actor=actors[Role.CASHIER],
            data=CampaignInput(name="x", template_code="promotion", segment_id=segment.pk),
        )
    with pytest.raises(ValidationFailed) as exc:
        campaign_create(actor=owner, data=CampaignInput(name="x", template_code="verify_code"))
    assert exc.value.code == "campaign_template_not_marketing"
    with pytest.raises(ValidationFailed) as exc:
        campaign_create(actor=owner, data=CampaignInput(name=" ", template_code="promotion"))
    assert exc.value.code == "campaign_name_required"
    assert Campaign.objects.count() == 0


def test_stalled_campaigns_are_found_for_the_scheduler(owner, audience):
    import datetime as dt

    from django.utils import timezone

    segment, _ = audience
    campaign = campaign_create(
        actor=owner, data=CampaignInput(name="x", template_code="promotion", segment_id=segment.pk)
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=30)
    )
    assert campaigns.campaigns_stalled() == [campaign.pk]
    assert campaigns.campaigns_resume_stalled() == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE  # tasks run inline in tests
    assert Delivery.objects.filter(campaign=campaign).count() == 4


def test_statements_per_chunk_do_not_grow_with_the_chunk_size(
    owner, make_member, coupon_template, monkeypatch
):
    """Serving a chunk and sending it are set-based: 6 members or 24, the same statements
    (consent, the cap, addresses, coupons, template variables, the inserts)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    members = [make_member(name=f"会员{i}") for i in range(30)]
    sending.opt_out(member_id=members[0].pk, source=OptOut.Source.LINK)
    sending.opt_out(member_id=members[10].pk, source=OptOut.Source.LINK)
    monkeypatch.setattr(campaigns, "_enqueue_run", lambda pk: None)
    monkeypatch.setattr(campaigns, "CHUNK", 30)

    def statements(group) -> tuple[int, int, int]:
        campaign = campaign_create(
            actor=owner,
            data=CampaignInput(
                name=f"x{len(group)}",
                template_code="promotion",
                member_filter={"member_ids": [m.pk for m in group]},
                coupon_template_id=coupon_template.pk,
            ),
        )
        campaign_start(actor=owner, campaign_id=campaign.pk)
        with CaptureQueriesContext(connection) as serve, transaction.atomic():
            campaigns._chunk(campaign.pk)
        ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as send:
            outcomes = sending.deliveries_send_batch(ids)
        assert set(outcomes.values()) == {"delivered"}
        return len(serve.captured_queries), len(send.captured_queries), len(ids)

    small_serve, small_send, small = statements(members[:6])
    large_serve, large_send, large = statements(members[6:30])
    assert (small, large) == (5, 23)  # one of each group opted out
    assert (large_serve, large_send) == (small_serve, small_send)
    assert small_send == 9  # claim, read, opt-outs, consent, cap, outbox insert (3), outcomes
    for member in members[1:10] + members[11:]:
        assert len(outbox(_mobile(member))) == 1
    assert outbox(_mobile(members[0])) == outbox(_mobile(members[10])) == []
    assert CampaignRecipient.objects.filter(status=CampaignRecipient.Status.OPTED_OUT).count() == 2


def test_a_store_scoped_creator_reaches_only_their_stores_members(
    actors, make_member, owner, stores
):
    """A store's API key (or any actor held to some stores) sends a campaign with a member
    filter or a segment: only that store's members get it; another store's segment is
    answered as a missing one and creates nothing."""
    from dataclasses import replace

    from huiyuan.core.errors import NotFound
    from huiyuan.core.permissions import Role

    here = [make_member(name=f"本店{i}") for i in range(2)]
    there = make_member(name="别店会员")
    type(there).objects.filter(pk=there.pk).update(home_store=stores[1])
    held = replace(actors[Role.MARKETER], store_ids=frozenset({stores[0].pk}))
    campaign = campaign_create(
        actor=held,
        data=CampaignInput(
            name="本店群发",
            template_code="promotion",
            member_filter={"member_ids": [m.pk for m in [*here, there]]},
        ),
    )
    assert sorted(campaigns.campaign_audience(campaign)) == sorted(m.pk for m in here)
    campaign = campaign_start(actor=held, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.total, campaign.done) == (2, 2)
    assert outbox(_mobile(there)) == []
    assert len(outbox(_mobile(here[0]))) == 1

    other = segment_create(actor=owner, name="别店", definition={"stores": [stores[1].pk]})
    type(other).objects.filter(pk=other.pk).update(store=stores[1])
    before = Campaign.objects.count()
    with pytest.raises(NotFound) as exc:
        campaign_create(
            actor=held,
            data=CampaignInput(name="越权", template_code="promotion", segment_id=other.pk),
        )
    assert (exc.value.code, Campaign.objects.count()) == ("segment_not_found", before)
