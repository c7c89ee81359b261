"""Every app has its own translation catalogue, and Django merges them: for a msgid that two
catalogues translate differently, the app listed first in INSTALLED_APPS wins everywhere —
one app's wording silently replaces another's on its pages. A word that means different
things in two apps needs a context (``pgettext`` / ``{% translate … context … %}``)."""

from __future__ import annotations

import collections
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]

# Ambiguous words still translated differently by two catalogues without a context: each
# needs a context in the app that means something else by it. New entries are refused.
KNOWN = {
    "Active", "Card issued", "Category", "Channel", "Close", "Delivery log", "Discount",
    "Expired", "Issued", "Kind", "Me", "Members", "Name", "Points earned", "Reason",
    "Redeemed", "Remaining", "Required", "Resume", "Running", "Sales", "Save as draft",
    "Sent", "Staff", "Stored value", "Unknown channel.", "Webhook", "When", "kind", "name",
    "required", "sent",
}  # fmt: skip


def test_no_new_msgid_is_translated_two_ways():
    seen: dict[tuple[str | None, str], dict[str, str]] = collections.defaultdict(dict)
    for path in sorted(ROOT.rglob("locale/zh_Hans/LC_MESSAGES/django.po")):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and not entry.obsolete:
                seen[(entry.msgctxt, entry.msgid)][str(path.relative_to(ROOT))] = entry.msgstr
    clashes = {
        key: where
        for key, where in seen.items()
        if len(set(where.values())) > 1 and not (key[0] is None and key[1] in KNOWN)
    }
    assert clashes == {}
