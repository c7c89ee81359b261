"""Benchmark: a DM campaign (营销群发) to N members (default 100,000) on the configured database.

Uses ``DATABASE_URL`` (a temporary SQLite file when it is not set), migrates it, loads
``--members`` active members of a bench store once (kept for the next run), then runs a
campaign to that store's members through the development outbox: the worker serves
``campaigns.CHUNK`` members per transaction and sends them (the sending sweep runs inline).
Half-way a worker is killed in the middle of a chunk (after that chunk's coupons and
deliveries were written); the campaign is resumed, and at the end every member must have
been served exactly once (one recipient row, one delivery, one outbox message, one coupon).
Prints the progress and members/s. The ``coupon.issued`` events are written with the
coupons but left to the event dispatcher (its own worker), as in production. Quiet hours are off (the bench may run at night); the
frequency cap stays on. Example::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4 .venv/bin/python bench/care.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STORE_CODE = "BCARE"


def _server_cpu(connection) -> float | None:  # type: ignore[no-untyped-def]
    """CPU seconds of this connection's PostgreSQL backend (same machine), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=0, help="members per chunk (default: CHUNK)")
    parser.add_argument("--no-coupon", action="store_true", help="send without a coupon")
    args = parser.parse_args()

    if "DATABASE_URL" not in os.environ:
        db_file = Path(tempfile.gettempdir()) / "huiyuan-bench-care.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    os.environ["HUIYUAN_TASKS_IMMEDIATE"] = "1"  # the sending sweep runs inline
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from huiyuan.care import campaigns, sending
    from huiyuan.care.models import Campaign, CampaignRecipient, Delivery, OutboxMessage
    from huiyuan.core import pii
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.coupons.models import Coupon
    from huiyuan.coupons.services import TemplateInput, template_create
    from huiyuan.events import services as event_services
    from huiyuan.events.models import OutboxEvent
    from huiyuan.members.models import Member
    from huiyuan.stores.models import Store

    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    settings.HUIYUAN_CARE_CHANNELS = {
        **settings.HUIYUAN_CARE_CHANNELS,
        "sms": {"BACKEND": "huiyuan.care.channels.outbox.OutboxChannel"},
    }
    if args.chunk:
        campaigns.CHUNK = args.chunk
    print(f"database: {connection.vendor}, chunk {campaigns.CHUNK}", flush=True)
    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    store, _ = Store.objects.get_or_create(code=STORE_CODE, defaults={"name": "关怀基准门店"})
    have = Member.objects.filter(home_store=store).count()
    now = timezone.now()
    batch = []
    for i in range(have, args.members):
        mobile = f"166{i:08d}"
        batch.append(
            Member(
                code=f"BC{i:08d}",
                name=f"会员{i}",
                name_pinyin="huiyuan",
                name_initials="hy",
                mobile_enc=pii.encrypt(mobile),
                mobile_hash=pii.keyed_hash(mobile),
                mobile_masked=pii.mask_mobile(mobile),
                channel="import",
                home_store=store,
                joined_at=now,
            )
        )
        if len(batch) == 5000:
            Member.objects.bulk_create(batch)
            batch = []
    Member.objects.bulk_create(batch)
    n = Member.objects.filter(home_store=store).count()
    print(f"setup: {n:,} members (migrate and load: {time.monotonic() - t0:.1f} s)", flush=True)

    owner = Actor(role=Role.OWNER)
    coupon_template = None
    if not args.no_coupon:
        coupon_template = template_create(
            actor=owner,
            data=TemplateInput(
                name="关怀基准券",
                kind="threshold",
                value=1000,
                min_spend_fen=5000,
                valid_from=dt.date(2020, 1, 1),
                valid_to=dt.date(2099, 12, 31),
            ),
        )
    campaign = campaigns.campaign_create(
        actor=owner,
        data=campaigns.CampaignInput(
            name="bench",
            template_code="promotion",
            member_filter={"home_store_ids": [store.pk]},
            coupon_template_id=coupon_template.pk if coupon_template else None,
        ),
    )
    campaigns._enqueue_run = lambda pk: None  # type: ignore[assignment] # the bench is the worker
    # The coupon.issued events go to their subscribers (analytics, webhooks) through the
    # event dispatcher, a worker of its own: left pending here, counted at the end.
    event_services._enqueue_dispatch = lambda: None  # type: ignore[assignment]
    campaigns.campaign_start(actor=owner, campaign_id=campaign.pk)

    real_queue = sending.deliveries_queue_bulk
    crashed = {"done": False}

    def queue_then_crash(**kwargs):  # type: ignore[no-untyped-def]
        real_queue(**kwargs)
        crashed["done"] = True
        raise RuntimeError("worker killed mid-chunk")

    started = time.monotonic()
    cpu_started = time.process_time()
    server_started = _server_cpu(connection)
    last_print = 0.0
    while True:
        campaign.refresh_from_db()
        if campaign.status == Campaign.Status.DONE:
            break
        if not crashed["done"] and campaign.done >= campaign.total // 2:
            sending.deliveries_queue_bulk = queue_then_crash  # type: ignore[assignment]
            try:
                campaigns.campaign_run(campaign.pk, max_chunks=1)
            except RuntimeError:
                pass
            sending.deliveries_queue_bulk = real_queue  # type: ignore[assignment]
            campaign.refresh_from_db()
            print(
                f"worker killed mid-chunk at {campaign.done:,} ({campaign.status}); resuming",
                flush=True,
            )
            campaigns.campaign_start(actor=owner, campaign_id=campaign.pk)
            continue
        campaigns.campaign_run(campaign.pk, max_chunks=1)
        elapsed = time.monotonic() - started
        if elapsed - last_print >= 5 or campaign.done + campaigns.CHUNK >= campaign.total:
            campaign.refresh_from_db()
            last_print = elapsed
            print(
                f"progress {campaign.done:,}/{campaign.total:,} ({campaign.percent} %), "
                f"{campaign.done / elapsed:,.0f} members/s",
                flush=True,
            )
    took = time.monotonic() - started
    print(
        f"done: {campaign.total:,} members in {took:.1f} s = {campaign.total / took:,.0f} "
        f"members/s (served, coupon issued, delivery queued and sent)",
        flush=True,
    )
    cpu = time.process_time() - cpu_started
    server = _server_cpu(connection)
    line = f"CPU: this process {cpu:.1f} s"
    if server is not None and server_started is not None:
        cpu += server - server_started
        line += f" + the PostgreSQL backend {server - server_started:.1f} s"
    print(f"{line} = {campaign.total / cpu:,.0f} members per CPU-second", flush=True)
    report = campaigns.campaign_report(campaign)
    print(
        f"report: sent {report.sent:,}, failed {report.failed:,}, opted out "
        f"{report.opted_out:,}, capped {report.capped:,}, coupons {report.coupons:,}"
    )
    recipients = CampaignRecipient.objects.filter(campaign=campaign).count()
    deliveries = Delivery.objects.filter(campaign=campaign)
    distinct = deliveries.values("member_id").distinct().count()
    outbox = OutboxMessage.objects.filter(delivery__campaign=campaign).count()
    coupons = Coupon.objects.filter(source=f"campaign:{campaign.pk}").count()
    print(
        f"recipients {recipients:,}, deliveries {deliveries.count():,} (distinct members "
        f"{distinct:,}), outbox {outbox:,}, coupons {coupons:,}"
    )
    pending = OutboxEvent.objects.filter(
        name="coupon.issued", status=OutboxEvent.Status.PENDING
    ).count()
    print(f"coupon.issued events left for the event dispatcher: {pending:,}")
    expected_coupons = n if coupon_template else 0
    ok = recipients == deliveries.count() == distinct == outbox == n and coupons == (
        expected_coupons
    )
    print("OK: every member served exactly once" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
