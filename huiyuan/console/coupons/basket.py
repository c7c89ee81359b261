"""The coupon part of the counter's basket (收银): the member's coupons with whether each
applies, the proposed best combination, the ones chosen, and a box to type or scan a code.

The chosen codes travel in the basket form (``coupon`` fields) like its lines; the
operations come through the basket's ``op`` field: ``coupon_add`` (the typed code),
``coupon_toggle:<code>``, ``coupon_use:<code,code>`` (take the proposal), ``coupon_clear``.
"""

from __future__ import annotations

from typing import Any

from huiyuan.coupons.codes import grouped, normalise
from huiyuan.pricing.reasons import COUPON_WHY_ZH

MAX_CHOSEN = 5


def chosen_from(params: Any) -> list[str]:
    codes: list[str] = []
    for raw in params.getlist("coupon")[:MAX_CHOSEN]:
        code = normalise(str(raw))[:40]
        if code and code not in codes:
            codes.append(code)
    return codes


def coupon_op(chosen: list[str], op: str, params: Any) -> bool:
    """Apply a coupon operation to ``chosen``; False when ``op`` is not one."""
    if op == "coupon_add":
        code = normalise(str(params.get("coupon_typed", "")))[:40]
        if code and code not in chosen and len(chosen) < MAX_CHOSEN:
            chosen.append(code)
        return True
    if op.startswith("coupon_toggle:"):
        code = normalise(op.removeprefix("coupon_toggle:"))
        if code in chosen:
            chosen.remove(code)
        elif code and len(chosen) < MAX_CHOSEN:
            chosen.append(code)
        return True
    if op.startswith("coupon_use:"):
        codes = [normalise(c) for c in op.removeprefix("coupon_use:").split(",") if c]
        chosen[:] = codes[:MAX_CHOSEN]
        return True
    if op == "coupon_clear":
        chosen.clear()
        return True
    return False


def coupon_panel(quote: Any, chosen: list[str]) -> dict[str, Any]:
    """What the basket page shows of coupons."""
    offer = quote.coupons if quote is not None else None
    held = []
    if offer is not None:
        for item in offer.held:
            terms = item.terms
            held.append(
                {
                    "code": terms.code,
                    "shown": grouped(terms.code),
                    "name": terms.name,
                    "valid_to": terms.valid_to,
                    "group": terms.group,
                    "applies": item.why_not is None,
                    "why_not": COUPON_WHY_ZH.get(item.why_not or "", item.why_not or ""),
                    "chosen": terms.code in chosen,
                }
            )
    known = {h["code"] for h in held}
    proposal = list(offer.proposal) if offer is not None else []
    return {
        "held": held,
        "others": [{"code": c, "shown": grouped(c)} for c in chosen if c not in known],
        "chosen": chosen,
        "proposal": proposal,
        "proposal_op": "coupon_use:" + ",".join(proposal),
        "proposal_fen": offer.proposal_fen if offer is not None else 0,
        "proposal_taken": sorted(proposal) == sorted(chosen),
        "proposal_names": [h["name"] for h in held if h["code"] in proposal],
    }
