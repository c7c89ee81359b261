from django.utils.translation import gettext_lazy as _

from huiyuan.core.errors import Conflict


class InsufficientBalance(Conflict):
    code = "insufficient_balance"

    def __init__(self, account_kind: str, needed: int, available: int) -> None:
        messages = {
            "principal": _("Insufficient stored value."),
            "balance": _("Insufficient stored value."),  # principal and bonus together
            "bonus": _("Insufficient bonus."),
            "points": _("Insufficient points."),
        }
        super().__init__(
            messages.get(account_kind, _("Insufficient balance.")),
            code=f"insufficient_{account_kind}" if account_kind in messages else self.code,
            details={"needed": needed, "available": available},
        )


class AlreadyReversed(Conflict):
    code = "already_reversed"

    def __init__(self) -> None:
        super().__init__(_("This operation has already been reversed."))


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(_("This idempotency key was already used for a different request."))
