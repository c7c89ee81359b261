"""Commission takes part in every sale, return and reversal (``checkout.hooks``)."""

from __future__ import annotations

from huiyuan.checkout import hooks
from huiyuan.commission import services


class CommissionParticipant(hooks.Participant):
    name = "commission"

    def sale_completed(self, done: hooks.SaleDone) -> None:
        associate = done.sale.associate
        if associate is None:
            return
        services.entries_for_sale(
            sale_id=done.sale.pk,
            store_id=done.sale.store_id,
            associate=associate,
            lines=[
                services.LineSold(
                    line_id=line.pk,
                    category_path=line.category_path
                    or ([done.sale.category] if done.sale.category else []),
                    quantity_milli=line.quantity_milli,
                    paid_fen=line.list_fen - line.discount_fen,
                )
                for line in done.lines
            ],
            now=done.now,
        )

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        services.entries_for_return(
            return_id=done.sale_return.pk,
            returned=[(line.pk, row.quantity_milli) for line, row in done.lines],
            now=done.now,
        )

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        services.entries_for_reversal(sale_id=done.sale.pk, now=done.now)
