"""Benchmark: ledger transfers per second on PostgreSQL, next to pgbench's TPC-B.

Three workloads run against one fresh database on the same server, in one run:

* ``uniform``  — each client posts one-transfer operations (card principal → store
  sales, 1 fen) on a card picked at random among ``--cards``: the row locks rarely meet;
* ``hot``      — every client spends from the same card: all operations queue on its lock;
* ``sale``     — the full quick-consumption service (idempotency key, tier, rules, sale
  row, audit) on random cards, the path a POS actually takes;

and, for scale, pgbench's built-in TPC-B (``pgbench -i -s 10``, then ``-c N -T S``) on
its own database of the same server. It prints each rate and its ratio to pgbench::

    .venv/bin/python bench/ledger.py --clients 4 --seconds 15

Client processes are separate (no GIL between them). Databases ``huiyuan_bench_ledger``
and ``huiyuan_bench_pgbench`` are dropped and created.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB = "huiyuan_bench_ledger"
PGBENCH_DB = "huiyuan_bench_pgbench"
PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"


def _url(admin: str, db: str) -> str:
    parsed = urlparse(admin)
    return parsed._replace(path=f"/{db}").geturl()


def _recreate(admin: str, db: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(url: str, cards: int) -> dict[str, int]:
    """Migrate, create a store, a cashier and ``cards`` cards holding ¥1,000 each."""
    _setup_django(url)
    from django.core.management import call_command
    from django.db import transaction

    from huiyuan.cards.services import card_issue, card_type_create
    from huiyuan.core.permissions import Actor, Role
    from huiyuan.ledger import services as ledger
    from huiyuan.ledger.models import Account
    from huiyuan.members.services import MemberInput, member_register
    from huiyuan.stores.services import staff_create, store_create

    call_command("migrate", verbosity=0)
    system = Actor(role=Role.OWNER)
    store = store_create(actor=system, code="B01", name="压测店")
    owner = staff_create(
        actor=system,
        username="bench-owner",
        display_name="压测",
        role="owner",
        password="Bench-pass-2026",
        store_ids=[],
    )
    staff_create(
        actor=owner.as_actor(store_id=store.pk),
        username="bench-cashier",
        display_name="收银",
        role="cashier",
        password="Bench-pass-2026",
        store_ids=[store.pk],
    )
    actor = owner.as_actor(store_id=store.pk)
    ctype = card_type_create(actor=actor, code="std", name="普通卡", category="tier")
    funding = ledger.store_account(Account.Kind.STORE_FUNDING, store.pk)
    for i in range(cards):
        with transaction.atomic():
            member = member_register(
                actor=actor,
                data=MemberInput(name=f"压测{i}", mobile=f"139{i:08d}"),
                channel="store",
                store_id=store.pk,
            )
            card = card_issue(
                actor=actor, card_type_id=ctype.pk, member_id=member.pk, store_id=store.pk
            )
            principal = ledger.card_accounts(card.pk)[Account.Kind.PRINCIPAL]
            ledger.operation_post(
                actor=actor,
                kind="recharge",
                moves=[
                    ledger.Move(kind="recharge", source=funding, target=principal, amount=100_000)
                ],
                member_id=member.pk,
                card_id=card.pk,
                store_id=store.pk,
            )
    return {"store": store.pk, "cards": cards}


def _client(args: tuple[str, str, int, float, int]) -> int:
    url, mode, store_id, seconds, seed = args
    _setup_django(url)
    import random

    from django.db import transaction

    from huiyuan.cards.models import Card
    from huiyuan.checkout.services import QuickSaleInput, sale_quick
    from huiyuan.ledger import services as ledger
    from huiyuan.ledger.models import Account
    from huiyuan.stores.models import Staff

    rng = random.Random(seed)
    cashier = Staff.objects.get(username="bench-cashier").as_actor(store_id=store_id)
    cards = list(Card.objects.order_by("pk").values_list("pk", "member_id"))
    accounts = {a.card_id: a for a in Account.objects.filter(kind=Account.Kind.PRINCIPAL)}
    sales = ledger.store_account(Account.Kind.STORE_SALES, store_id)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        card_id, member_id = cards[0] if mode == "hot" else rng.choice(cards)
        if mode == "sale":
            sale_quick(
                actor=cashier,
                data=QuickSaleInput(amount_fen=1, card_id=card_id, balance_fen=1),
                idempotency_key=uuid.uuid4().hex,
            )
        else:
            with transaction.atomic():
                ledger.operation_post(
                    actor=cashier,
                    kind="spend",
                    moves=[
                        ledger.Move(kind="spend", source=accounts[card_id], target=sales, amount=1)
                    ],
                    member_id=member_id,
                    card_id=card_id,
                    store_id=store_id,
                )
        done += 1
    return done


def run_mode(url: str, mode: str, store_id: int, clients: int, seconds: float) -> float:
    ctx = get_context("spawn")
    with ctx.Pool(clients) as pool:
        start = time.perf_counter()
        counts = pool.map(_client, [(url, mode, store_id, seconds, i) for i in range(clients)])
        elapsed = time.perf_counter() - start
    # Process start-up is outside the measured window of each client; use the window.
    del elapsed
    return sum(counts) / seconds


def run_pgbench(admin: str, clients: int, seconds: int) -> float:
    _recreate(admin, PGBENCH_DB)
    url = _url(admin, PGBENCH_DB)
    subprocess.run([PGBENCH, "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    out = subprocess.run(
        [PGBENCH, "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=ADMIN_URL)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()

    _recreate(args.pg_url, DB)
    url = _url(args.pg_url, DB)
    ctx = get_context("spawn")
    with ctx.Pool(1) as pool:
        info = pool.apply(prepare, (url, args.cards))
    rates = {
        mode: run_mode(url, mode, info["store"], args.clients, args.seconds)
        for mode in ("uniform", "hot", "sale")
    }
    with ctx.Pool(1) as pool:
        problems = pool.apply(_verify, (url,))
    tpcb = run_pgbench(args.pg_url, args.clients, args.seconds)

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"clients: {args.clients} processes, {args.seconds} s per workload, {args.cards} cards")
    print(f"{'workload':<34}{'per second':>12}{'vs pgbench':>12}")
    print(f"{'pgbench TPC-B (builtin, -s 10)':<34}{tpcb:>12.0f}{1:>12.2f}")
    labels = {
        "uniform": "ledger transfer, uniform cards",
        "hot": "ledger transfer, one hot card",
        "sale": "quick sale service, uniform",
    }
    for mode, rate in rates.items():
        print(f"{labels[mode]:<34}{rate:>12.0f}{rate / tpcb:>12.2f}")
    print(f"verify-ledger after the run: {'OK' if not problems else problems[:3]}")


def _verify(url: str) -> list[str]:
    _setup_django(url)
    from huiyuan.ledger.verify import verify_ledger

    return verify_ledger().problems


if __name__ == "__main__":
    main()
