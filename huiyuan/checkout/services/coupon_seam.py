"""The sale's side of coupons: the codes chosen, their terms, and the quote's proposal.

Checkout does not import the coupons app: it asks the one ``hooks.CouponSource`` the
coupons app registers (see ``hooks.py``). While completing, the chosen coupons are read
under row locks (after the card's lock), so two sales cannot use one coupon; the coupons
app's participant marks them used in the same transaction. Without a source, a sale with
coupon codes is refused (``coupons_unavailable``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiyuan import pricing
from huiyuan.checkout import hooks, selectors
from huiyuan.core.errors import ValidationFailed

MAX_CODES = 5
MAX_CODE_LENGTH = 40


@dataclass(frozen=True)
class HeldCoupon:
    terms: pricing.CouponTerms
    why_not: str | None  # None: applies to this basket on its own


@dataclass(frozen=True)
class CouponQuote:
    """The member's coupons for the quote screen, and the best allowed combination."""

    held: tuple[HeldCoupon, ...]
    proposal: tuple[str, ...]  # codes
    proposal_fen: int
    chosen: tuple[str, ...]


def clean_codes(codes: Sequence[str]) -> tuple[str, ...]:
    """Codes as typed or scanned: trimmed, upper case, each once, at most ``MAX_CODES``."""
    cleaned: list[str] = []
    for raw in codes or ():
        if not isinstance(raw, str):
            raise ValidationFailed(_("Unknown coupon."), code="coupon_not_found")
        code = raw.strip().upper().replace(" ", "").replace("-", "")
        if not code or len(code) > MAX_CODE_LENGTH:
            raise ValidationFailed(_("Unknown coupon."), code="coupon_not_found")
        if code in cleaned:
            raise ValidationFailed(
                _("The same coupon was given twice."), code="coupon_duplicate", field="coupons"
            )
        cleaned.append(code)
    if len(cleaned) > MAX_CODES:
        raise ValidationFailed(
            _("At most %(n)s coupons on one sale.") % {"n": MAX_CODES},
            code="too_many_coupons",
            field="coupons",
        )
    return tuple(cleaned)


def chosen(
    codes: Sequence[str], *, member_id: int | None, now: dt.datetime, lock: bool
) -> tuple[pricing.CouponTerms, ...]:
    """The terms of the chosen codes (locked while completing a sale)."""
    if not codes:
        return ()
    source = hooks.coupon_source()
    if source is None:
        raise ValidationFailed(
            _("Coupons are not available."), code="coupons_unavailable", field="coupons"
        )
    return tuple(source.coupons_by_code(codes=codes, member_id=member_id, now=now, lock=lock))


def quote(
    lines: tuple[pricing.Line, ...],
    *,
    store_id: int,
    now: dt.datetime,
    member: pricing.MemberSnapshot | None,
    member_id: int | None,
    chosen_terms: Sequence[pricing.CouponTerms],
    has_promotions: bool,
) -> CouponQuote:
    """The member's coupons with whether each applies, and the proposed combination."""
    source = hooks.coupon_source()
    held: list[pricing.CouponTerms] = []
    if source is not None and member_id is not None:
        held = list(source.coupons_held(member_id=member_id, now=now))
    known = {c.id for c in held}
    every = [*held, *(c for c in chosen_terms if c.id not in known)]
    if not every:
        return CouponQuote((), (), 0, tuple(c.code for c in chosen_terms))
    promotions = selectors.promotions_in_force(now) if has_promotions else ()
    local = timezone.localtime(now)
    holidays = (
        selectors.holidays_around(local.date())
        if any(p.on_holidays for p in promotions)
        else frozenset()
    )
    try:
        verdicts, best, worth = pricing.propose_coupons(
            pricing.Basket(lines=lines),
            context=pricing.PricingContext(store_id=store_id, local_at=local, holidays=holidays),
            member=member,
            promotions=promotions,
            coupons=every,
        )
    except pricing.PricingError:
        return CouponQuote((), (), 0, tuple(c.code for c in chosen_terms))
    return CouponQuote(
        held=tuple(HeldCoupon(c, verdicts[c.id]) for c in every),
        proposal=tuple(c.code for c in best),
        proposal_fen=worth,
        chosen=tuple(c.code for c in chosen_terms),
    )
