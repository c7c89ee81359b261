"""Compile every django.po under huiyuan/ into django.mo (pure Python, via polib).

With --check, compile into memory and fail if a committed .mo is missing or stale.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "huiyuan"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for po_path in sorted(ROOT.rglob("locale/*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        po = polib.pofile(str(po_path))
        with tempfile.NamedTemporaryFile(suffix=".mo") as tmp:
            po.save_as_mofile(tmp.name)
            fresh = Path(tmp.name).read_bytes()
        if check:
            if not mo_path.exists() or mo_path.read_bytes() != fresh:
                stale.append(str(mo_path.relative_to(ROOT.parent)))
        else:
            mo_path.write_bytes(fresh)
            print(
                f"compiled {mo_path.relative_to(ROOT.parent)} ({po.percent_translated()}% translated)"
            )
    if stale:
        print("stale or missing compiled catalogues (run: make messages):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
