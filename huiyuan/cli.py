"""The ``huiyuan`` command: ``serve``, ``demo``, ``manage …`` and Django's other commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiyuan.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    from django.core.management import execute_from_command_line

    if not args or args[0] in ("-h", "--help", "help"):
        print(
            "usage: huiyuan <command> [options]\n\n"
            "  serve           migrate and serve the app (PORT, DATABASE_URL honoured)\n"
            "  demo            load the demo chain (idempotent)\n"
            "  verify-ledger   re-derive every balance from the ledger\n"
            "  manage …        any Django management command\n"
        )
        return
    if args[0] == "manage":
        args = args[1:]
    # Dashed aliases for our own commands (``huiyuan verify-ledger``).
    if args:
        args[0] = {"verify-ledger": "verify_ledger"}.get(args[0], args[0])
    execute_from_command_line(["huiyuan", *args])


if __name__ == "__main__":
    main()
