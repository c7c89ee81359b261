"""``huiyuan demo``: load the demo chain (idempotent) and print how to sign in."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiyuan.core.china import pinyin_initials
from huiyuan.core.permissions import ROLE_LABELS
from huiyuan.demo import loader, money


class Command(BaseCommand):
    help = (
        "Load the demo chain: stores, staff in every role, tags, custom fields, members, "
        "cards, recharges and sales."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--members",
            type=int,
            default=loader.DEFAULT_MEMBERS,
            help=f"how many demo members (default {loader.DEFAULT_MEMBERS})",
        )
        parser.add_argument("--seed", type=int, default=loader.DEFAULT_SEED)
        parser.add_argument(
            "--cardholders",
            type=int,
            default=money.DEFAULT_CARDHOLDERS,
            help="members who get a card with recharges and sales",
        )
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = loader.load_demo(
            members=options["members"], seed=options["seed"], cardholders=options["cardholders"]
        )
        elapsed = time.monotonic() - started
        out = self.stdout
        if result.members_created:
            out.write(
                f"Demo chain loaded: {result.members_created} new members "
                f"({result.members_planned} planned) in {elapsed:.1f} s."
            )
        else:
            out.write(f"Demo chain already loaded ({result.members_planned} members); unchanged.")
        if result.cards_issued:
            out.write(
                f"Issued {result.cards_issued} cards with recharges and sales at the counters."
            )
        out.write("")
        out.write(self.style.SUCCESS(f"Open http://127.0.0.1:{options['port']}/ and sign in:"))
        stores = {s.code: s.name for s in loader.STORES}
        rows = [("user name", "password", "role", "store")]
        for spec in loader.STAFF:
            where = "、".join(stores[c] for c in spec.store_codes) or "全部门店 (all stores)"
            rows.append(
                (
                    spec.username,
                    loader.DEMO_PASSWORD,
                    f"{ROLE_LABELS[spec.role]} ({spec.display_name})",
                    where,
                )
            )
        widths = [max(_width(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
            out.write("  " + "  ".join([*cells, row[3]]))
        secret = " ".join(
            loader.DEMO_TOTP_SECRET[i : i + 4] for i in range(0, len(loader.DEMO_TOTP_SECRET), 4)
        )
        out.write("")
        out.write(
            f"{' and '.join(loader.DEMO_SECOND_FACTOR_USERS)} also enter a code after the "
            "password (two-factor sign-in, required for owner and HQ admin):"
        )
        out.write(f"  authenticator app key (time-based, 6 digits): {secret}")
        out.write(
            f"  or a backup code, each once (every `huiyuan demo` puts them back): "
            f"{', '.join(loader.DEMO_BACKUP_CODES)}"
        )
        if result.api_key:
            terminal = result.org.terminals[loader.STORES[0].code]
            out.write("")
            out.write(
                self.style.WARNING(
                    f"API key for terminal {terminal.code} (shown once, keep it):\n  {result.api_key}"
                )
            )
            out.write(
                f"  curl -H 'Authorization: Bearer {result.api_key}' "
                f"'http://127.0.0.1:{options['port']}/api/v1/members?q=...'"
            )
        if result.sample is not None:
            sample = result.sample.data
            out.write("")
            out.write(
                f"Try the member search: mobile {sample.mobile}, member number "
                f"{result.sample_code}, or initials '{pinyin_initials(sample.name)}' ({sample.name})."
            )
            out.write(
                f"Member portal (on a phone): http://127.0.0.1:{options['port']}/m/ — "
                f"{sample.name} signs in with mobile {sample.mobile} and password "
                f"{loader.DEMO_PORTAL_PASSWORD}."
            )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
