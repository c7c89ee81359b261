"""Benchmark: a DM campaign to N members (default 100,000), interrupted and resumed.

Creates a fresh database (SQLite in a temporary file unless ``DATABASE_URL`` is set),
bulk-loads ``--members`` active members, starts a campaign to all of them through the
development outbox, lets a first worker serve ``--stop-after`` chunks and "die", makes a
second worker crash in the middle of its chunk, then resumes to the end. Prints the time
per phase and checks that every member was served exactly once (one recipient row, one
delivery, one outbox message). Example::

    .venv/bin/python bench/care_campaign.py --members 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--stop-after", type=int, default=50, help="chunks before the 'crash'")
    args = parser.parse_args()

    db_file = Path(tempfile.gettempdir()) / "huiyuan-bench-care.sqlite3"
    if "DATABASE_URL" not in os.environ:
        db_file.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    os.environ["HUIYUAN_TASKS_IMMEDIATE"] = "1"  # the sending sweep runs inline
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from huiyuan.care import campaigns, sending
    from huiyuan.care.models import Campaign, CampaignRecipient, Delivery, OutboxMessage
    from huiyuan.core import pii
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.members.models import Member
    from huiyuan.stores.models import Store

    settings.HUIYUAN_CARE_QUIET_HOURS = (0, 0)
    settings.HUIYUAN_CARE_MARKETING_CAP = (0, 7)
    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    store = Store.objects.create(code="B01", name="基准门店")
    now = timezone.now()
    batch = []
    for i in range(args.members):
        mobile = f"139{i:08d}"
        batch.append(
            Member(
                code=f"B{i:08d}",
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
    print(f"setup: {args.members:,} members in {time.monotonic() - t0:.1f} s", flush=True)

    owner = Actor(role=Role.OWNER)
    campaign = campaigns.campaign_create(
        actor=owner,
        data=campaigns.CampaignInput(name="bench", template_code="promotion"),
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.RUNNING, total=args.members, started_at=now, heartbeat_at=now
    )
    t1 = time.monotonic()
    campaigns.campaign_run(campaign.pk, max_chunks=args.stop_after)
    campaign.refresh_from_db()
    print(f"first worker: {campaign.done:,} members, {time.monotonic() - t1:.1f} s (then dies)")

    real_queue = sending.delivery_queue
    calls = {"n": 0}

    def crash(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == campaigns.CHUNK // 2:
            raise RuntimeError("worker killed mid-chunk")
        return real_queue(**kwargs)

    sending.delivery_queue = crash  # type: ignore[assignment]
    try:
        campaigns.campaign_run(campaign.pk)
    except RuntimeError:
        pass
    sending.delivery_queue = real_queue  # type: ignore[assignment]
    campaign.refresh_from_db()
    print(f"second worker crashed mid-chunk; progress kept at {campaign.done:,}")

    t2 = time.monotonic()
    campaigns.campaign_start(actor=owner, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    took = time.monotonic() - t2
    print(f"resumed to {campaign.status} ({campaign.done:,}/{campaign.total:,}) in {took:.1f} s")

    recipients = CampaignRecipient.objects.filter(campaign=campaign).count()
    deliveries = Delivery.objects.filter(campaign=campaign).count()
    outbox = OutboxMessage.objects.count()
    doubles = Delivery.objects.filter(campaign=campaign).values("member_id").distinct().count()
    print(
        f"recipients {recipients:,}, deliveries {deliveries:,} (distinct members {doubles:,}), "
        f"outbox {outbox:,}"
    )
    ok = recipients == deliveries == doubles == outbox == args.members
    print("OK: every member served exactly once" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
