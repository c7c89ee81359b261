"""Stock as a participant of every sale (``checkout.hooks``): see ``services.sales``."""

from __future__ import annotations

from collections.abc import Sequence

from huiyuan.checkout import hooks
from huiyuan.stock.services import sales


class StockParticipant(hooks.Participant):
    name = "stock"

    def quote_notes(self, context: hooks.QuoteContext) -> Sequence[hooks.Note]:
        return sales.sale_stock_notes(context)

    def sale_completed(self, done: hooks.SaleDone) -> None:
        sales.stock_sale_out(done)

    def sale_returned(self, done: hooks.ReturnDone) -> None:
        sales.stock_return_in(done)

    def sale_reversed(self, done: hooks.ReversalDone) -> None:
        sales.stock_reversal_in(done)
