"""The ``huiyuan`` command: ``serve``, ``demo``, ``manage …`` and Django's other commands."""

from __future__ import annotations

import os
import sys

# Our commands spelled with dashes (``huiyuan verify-ledger``) → Django's names.
ALIASES = {
    "verify-ledger": "verify_ledger",
    "verify-stock": "verify_stock",
    "check-deploy": "check_deploy",
    "analytics-rebuild": "analytics_rebuild",
}
# Background processes that prove they are alive with a heartbeat (huiyuan.core.readiness).
HEARTBEAT_ROLES = ("worker", "scheduler")

USAGE = """\
usage: huiyuan <command> [options]

  serve           migrate and serve the app with a supervised worker and scheduler
                  (PORT, DATABASE_URL honoured)
  worker          run background tasks
  scheduler       enqueue periodic jobs
  demo            load the demo chain (idempotent)
  verify-ledger   re-derive every balance from the ledger
  verify-stock    re-derive every store's stock on hand from its movements
  backup          dump the database with a manifest (--output PATH, --prune)
  restore PATH    restore a dump into an empty database (--database-url URL, --force),
                  then verify the ledger and the manifest
  check-deploy    report what is missing or unsafe for production (exit 1 when unsafe)
  analytics-rebuild --from D [--to D]
                  recompute the analytics daily roll-ups of those dates
  manage …        any Django management command
"""


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    from django.core.management import execute_from_command_line

    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return
    if args[0] == "manage":
        args = args[1:]
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # metrics of several processes
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    if args and args[0] in HEARTBEAT_ROLES and "--help" not in args and "-h" not in args:
        import django

        django.setup()
        from huiyuan.core.readiness import heartbeat_start

        heartbeat_start(args[0])
    execute_from_command_line(["huiyuan", *args])


if __name__ == "__main__":
    main()
