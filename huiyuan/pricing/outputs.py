"""What the engine returns: priced lines, their adjustments and payments, and the totals.

Every reason is structured (``code`` + ``params``) so each interface renders it in its own
language; ``reasons.render_reason_zh`` gives the Chinese sentence. Per line, the amounts
obey::

    list_fen - discount_fen == payable_fen
    payable_fen == points_offset_fen + principal_fen + bonus_fen + external_fen
    discount_fen == sum(adjustment.amount_fen for adjustment in adjustments)

and every basket total is the sum of its lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

Param = int | str


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleRef:
    """Which rule produced an adjustment, with its version, for re-explanation."""

    kind: str  # "promotion" | "tier" | "benefit" | "coupon"
    id: int | None
    version: int
    code: str


@dataclass(frozen=True)
class Adjustment:
    rule: RuleRef
    amount_fen: int  # the discount this rule gave this line, > 0
    reason: Reason


@dataclass(frozen=True)
class BundleComponent:
    """A bundle's item on the receipt, with its share of the bundle line."""

    product_id: int
    sku: str
    name: str
    quantity_milli: int  # for the whole line (per bundle × bundles)
    item_list_fen: int  # what the items would cost on their own
    list_fen: int  # share of the line's list amount (the bundle price)
    payable_fen: int  # share of the line's payable


@dataclass(frozen=True)
class LineAmounts:
    """What one line carries, as the sale stores it: the input of a partial return."""

    quantity_milli: int
    list_fen: int
    discount_fen: int
    points_offset_fen: int
    points_used: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    points_eligible_fen: int
    points_earned: int = 0  # filled in by the service (``allocate_earned_points``)

    @property
    def payable_fen(self) -> int:
        return self.points_offset_fen + self.principal_fen + self.bonus_fen + self.external_fen


@dataclass(frozen=True)
class PricedLine:
    line_id: int
    product_id: int
    sku: str
    name: str
    category_path: tuple[str, ...]
    unit: str
    unit_price_fen: int
    quantity_milli: int
    list_fen: int
    adjustments: tuple[Adjustment, ...]
    discount_fen: int
    payable_fen: int
    points_offset_fen: int
    points_used: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    points_eligible_fen: int
    no_points: bool
    components: tuple[BundleComponent, ...] = ()
    notes: tuple[Reason, ...] = ()

    def amounts(self) -> LineAmounts:
        return LineAmounts(
            quantity_milli=self.quantity_milli,
            list_fen=self.list_fen,
            discount_fen=self.discount_fen,
            points_offset_fen=self.points_offset_fen,
            points_used=self.points_used,
            principal_fen=self.principal_fen,
            bonus_fen=self.bonus_fen,
            external_fen=self.external_fen,
            points_eligible_fen=self.points_eligible_fen,
        )


@dataclass(frozen=True)
class EligibleAmount:
    """Money that may earn points, per category: the service calls ``compute_earn`` on it."""

    category_path: tuple[str, ...]
    amount_fen: int
    line_ids: tuple[int, ...]

    @property
    def category(self) -> str:
        """The most specific category code ('' when the lines have none)."""
        return self.category_path[-1] if self.category_path else ""


@dataclass(frozen=True)
class PricedBasket:
    lines: tuple[PricedLine, ...]
    list_fen: int
    discount_fen: int
    payable_fen: int
    points_used: int
    points_offset_fen: int
    principal_fen: int
    bonus_fen: int
    external_fen: int
    points_max: int  # the most points this basket may take (cap, balance, whole fen)
    points_eligible: tuple[EligibleAmount, ...]
    notes: tuple[Reason, ...] = ()

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.bonus_fen

    def line(self, line_id: int) -> PricedLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the result (tuples become lists when dumped)."""
        return asdict(self)
