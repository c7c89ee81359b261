"""Run by ``test_replica.py`` in a subprocess, against a primary and its streaming replica
(``DATABASE_URL``, ``DATABASE_REPLICA_URL``): prints one JSON line of what was read where.

With the replica's replay paused, a recharge on the primary is invisible to the report
(served from the replica) and visible to the counter's own read (served from ``default``);
after replay resumes the report catches up.
"""

from __future__ import annotations

import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from huiyuan.cards import services as card_services  # noqa: E402
from huiyuan.core.permissions import Role  # noqa: E402
from huiyuan.ledger.models import Account  # noqa: E402
from huiyuan.members.services import MemberInput, member_register  # noqa: E402
from huiyuan.stores.models import Staff, Store  # noqa: E402
from huiyuan.wallet.selectors import outstanding_total  # noqa: E402
from huiyuan.wallet.services import wallet_recharge  # noqa: E402


def caught_up(timeout: float = 30.0) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.1)
    raise SystemExit("the replica did not catch up")


def replay(paused: bool) -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    store = Store.objects.create(code="S1", name="一号店")
    owner = Staff.objects.create_user(username="owner", password="x", role=Role.OWNER)
    cashier = Staff.objects.create_user(username="cashier", password="x", role=Role.CASHIER)
    cashier.stores.set([store])
    boss, clerk = owner.as_actor(), cashier.as_actor(store.pk)
    ctype = card_services.card_type_create(actor=boss, code="std", name="普通卡", category="tier")
    member = member_register(
        actor=clerk, data=MemberInput(name="张三", mobile="13800000001"), channel="store"
    )
    card = card_services.card_issue(actor=clerk, card_type_id=ctype.pk, member_id=member.pk)
    wallet_recharge(
        actor=clerk, card_id=card.pk, amount_fen=10_000, method="cash", idempotency_key="r1"
    )
    caught_up()
    replay(paused=True)
    wallet_recharge(
        actor=clerk, card_id=card.pk, amount_fen=5_000, method="cash", idempotency_key="r2"
    )
    during = outstanding_total(actor=boss)
    counter = Account.objects.get(card_id=card.pk, kind=Account.Kind.PRINCIPAL).balance
    replay(paused=False)
    caught_up()
    after = outstanding_total(actor=boss)
    print(
        json.dumps(
            {
                "report_during_pause": during["principal"],
                "counter_during_pause": counter,
                "report_after": after["principal"],
                "replica_alias": "replica" in connections.databases,
            }
        )
    )


if __name__ == "__main__":
    main()
