"""``huiyuan analytics-rebuild --from 2026-11-01 --to 2026-11-30``: recompute the daily
roll-ups of a date range from the sales, recharges, refunds, members and the ledger, and the
per-member purchase figures of the members with a sale (made, reversed or returned) in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiyuan.analytics.rollups import member_stats_rebuild, rollup_rebuild
from huiyuan.core.clock import local_today


class Command(BaseCommand):
    help = "Rebuild the analytics daily roll-ups of a range of business dates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="last", default="", help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            first = dt.date.fromisoformat(options["first"])
            last = dt.date.fromisoformat(options["last"]) if options["last"] else local_today()
        except ValueError as exc:
            raise CommandError(f"give dates as YYYY-MM-DD: {exc}") from exc
        if last < first:
            raise CommandError("--to is before --from")
        day = first
        totals = {"sources": 0, "figures": 0}
        while day <= last:  # one month per transaction
            end = min(
                last,
                (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1),
            )
            result = rollup_rebuild(day, end, members=False)
            totals["sources"] += result["sources"]
            totals["figures"] += result["figures"]
            self.stdout.write(
                f"{day} – {end}: {result['sources']} sources, {result['figures']} figures"
            )
            day = end + dt.timedelta(days=1)
        # The members' rows once for the whole range, not once per month (a member who
        # bought in every month would be recounted every month).
        members = member_stats_rebuild(first, last)
        self.stdout.write(
            self.style.SUCCESS(
                f"rebuilt {first} – {last}: {totals['sources']} sources, {totals['figures']} "
                f"figures, {members} members' purchase figures"
            )
        )
