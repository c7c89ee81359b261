"""Re-derive stock on hand from the movements (``huiyuan verify-stock``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Sum

from huiyuan.stock.models import Movement, StockLevel


@dataclass
class StockReport:
    levels_checked: int = 0
    movements_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_stock(*, chunk: int = 5000) -> StockReport:
    """Every level equals the sum of its movements; every movement's balance-after is the
    running sum of its (store, product) timeline in id order."""
    report = StockReport()
    sums = {
        (row["store_id"], row["product_id"]): row["total"]
        for row in Movement.objects.values("store_id", "product_id").annotate(
            total=Sum("quantity_milli")
        )
    }
    levels = dict(
        ((s, p), on_hand)
        for s, p, on_hand in StockLevel.objects.values_list(
            "store_id", "product_id", "on_hand_milli"
        )
    )
    report.levels_checked = len(levels)
    for pair in sorted(set(sums) | set(levels)):
        derived, cached = sums.get(pair, 0), levels.get(pair)
        if cached is None:
            report.problems.append(f"store {pair[0]} product {pair[1]}: movements but no level")
        elif cached != derived:
            report.problems.append(
                f"store {pair[0]} product {pair[1]}: on hand {cached}, movements say {derived}"
            )
    running: dict[tuple[int, int], int] = {}
    last_id = 0
    while True:
        rows = list(
            Movement.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "store_id", "product_id", "quantity_milli", "balance_after_milli")[
                :chunk
            ]
        )
        if not rows:
            break
        for pk, store_id, product_id, quantity, after in rows:
            key = (store_id, product_id)
            running[key] = running.get(key, 0) + quantity
            if running[key] != after:
                report.problems.append(
                    f"movement {pk}: balance after {after}, running sum {running[key]}"
                )
        report.movements_checked += len(rows)
        last_id = rows[-1][0]
    return report
