"""What a retry of each write does: the rule of docs/api.md ("Retries"), per operation.

1. A write that moves money, points, coupons, stock or card uses **requires** an
   ``Idempotency-Key``; so does every write added since the rule (tags, custom fields, API
   keys, configuration creates and edits…).
2. A write that **creates a record** (answers 201) takes an ``Idempotency-Key``. Where the
   operation is older than the rule the key is optional — requiring it inside ``/api/v1/``
   would break existing callers — and so are a few older writes whose repeat would do more
   than once (renew a card, move a question, a manual tier move, the policy PUTs).
   Same key and body: the first result, nothing recorded twice; same key, another body:
   ``409 idempotency_key_reused``, nothing changed.
3. Every other write takes no key and is listed here, by why a retry is harmless:
   ``READS_WITH_A_BODY`` change nothing; ``ITEMS_KEYED`` carry a key per item;
   ``TRANSITIONS`` move from one state to the next, and a repeat is refused with a stable
   409 code naming the state already reached (``already_frozen``…) and changes nothing;
   ``SETTERS`` set values, and the same request again leaves the same state.

``document_add_retry_notes`` appends the matching sentence to each listed operation's
description; ``tests/test_idempotency_rule.py`` checks that every write without a key is in
exactly one of these sets, and that every create has a key.
"""

from __future__ import annotations

from typing import Any

READS_WITH_A_BODY = frozenset(
    {
        ("post", "/members/search"),
        ("post", "/members/{member_id}/reveal"),  # each reveal is audited as an access
        ("post", "/sales/quote"),
        ("post", "/points/dry-run"),
        ("post", "/segments/count"),
        ("post", "/care/templates/preview"),
        ("post", "/coupons/group-buy/verify"),  # asks the provider; redeeming is keyed
    }
)
ITEMS_KEYED = frozenset(
    {
        ("post", "/offline/batches"),  # every item carries its own idempotency_key
    }
)
TRANSITIONS = frozenset(
    {
        ("post", "/members/{member_id}/freeze"),
        ("post", "/members/{member_id}/unfreeze"),
        ("post", "/members/{member_id}/cancel"),
        ("post", "/members/{member_id}/restore"),
        ("post", "/members/{member_id}/terminate"),
        ("post", "/members/{member_id}/merge"),
        ("post", "/catalog/products/{product_id}/delist"),
        ("post", "/catalog/products/{product_id}/relist"),
        ("post", "/catalog/price-changes/{change_id}/cancel"),
        ("delete", "/catalog/products/{product_id}/store-prices/{store_id}"),
        ("post", "/cards/{card_id}/report-lost"),
        ("post", "/cards/{card_id}/found"),
        ("post", "/cards/{card_id}/cancel"),
        ("delete", "/webhooks/subscriptions/{subscription_id}"),
        ("post", "/activities/{activity_id}/end"),
        ("post", "/activities/{activity_id}/cancel"),
        ("post", "/promotions/{promotion_id}/end"),
        ("delete", "/holidays/{day}"),
        ("post", "/followups/{followup_id}/take"),
        ("post", "/followups/{followup_id}/cancel"),
        ("delete", "/surveys/{survey_id}/questions/{question_id}"),
        ("post", "/surveys/{survey_id}/publish"),
        ("post", "/surveys/{survey_id}/close"),
        ("delete", "/segments/{segment_id}"),
        ("post", "/care/campaigns/{campaign_id}/start"),
    }
)
SETTERS = frozenset(
    {
        ("patch", "/members/{member_id}"),
        ("patch", "/catalog/categories/{category_id}"),
        ("patch", "/catalog/products/{product_id}"),
        ("put", "/catalog/products/{product_id}/bundle-items"),
        ("put", "/stock/stocktakes/{stocktake_id}/counts"),
        ("put", "/stock/policy"),
        ("put", "/stock/items/{product_id}"),
        ("put", "/stock/levels/{store_id}/{product_id}/reorder-point"),
        ("put", "/holidays/{day}"),
        ("put", "/joining-policy"),
        ("put", "/followups/policy"),
        ("post", "/followups/{followup_id}/assign"),
        ("post", "/feedback/{feedback_id}/status"),
        ("post", "/feedback/{feedback_id}/owner"),
        ("put", "/surveys/{survey_id}"),
        ("put", "/surveys/{survey_id}/questions/{question_id}"),
        ("patch", "/segments/{segment_id}"),
        ("put", "/segments/rfm/settings"),
        ("post", "/segments/refresh"),  # recomputes the same profiles
        ("post", "/care/templates"),  # saves the one template of (code, channel)
        ("post", "/care/members/{member_id}/opt-out"),
        ("put", "/care/dates/{care_date_id}"),
    }
)

NOTES = {
    "read": "Retries: changes nothing; send it again freely (no `Idempotency-Key`).",
    "items-keyed": "Retries: each item carries its own `idempotency_key`; sending the batch "
    "again answers the items already taken as `duplicate`.",
    "transition": "Retries: a state change. Sent again once done it changes nothing: it is "
    "refused with a stable code naming the state already reached (409, or 404 when the thing "
    "is gone), or answers the state as it is. No `Idempotency-Key`.",
    "setter": "Retries: idempotent — it sets what is sent, so the same request again leaves "
    "the same state and creates nothing. No `Idempotency-Key`.",
}
RETRY_MARK = "x-retry"


CLASSES: dict[str, frozenset[tuple[str, str]]] = {
    "read": READS_WITH_A_BODY,
    "items-keyed": ITEMS_KEYED,
    "transition": TRANSITIONS,
    "setter": SETTERS,
}


def document_add_retry_notes(document: dict[str, Any], prefix: str = "/api/v1") -> None:
    """Append each listed operation's retry sentence to its description (in place)."""
    for path, operations in document.get("paths", {}).items():
        short = path.removeprefix(prefix)
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for kind, members in CLASSES.items():
                if (method, short) in members:
                    text = operation.get("description", "")
                    operation["description"] = f"{text}\n\n{NOTES[kind]}".strip()
                    operation[RETRY_MARK] = kind
