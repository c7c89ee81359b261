"""Gift services: the warehouse, redemptions, distributions and the points lottery."""

from huiyuan.gifts.services.catalog import (
    GiftInput,
    gift_create,
    gift_restock,
    gift_set_status,
    gift_update,
)
from huiyuan.gifts.services.distribution import distribution_create, distribution_run
from huiyuan.gifts.services.lottery import (
    DrawCheck,
    PrizeInput,
    draw_verify,
    lottery_create,
    lottery_draw,
    lottery_set_status,
    prize_restock,
)
from huiyuan.gifts.services.redemption import gift_redeem, redemption_cancel, redemption_pick_up

__all__ = [
    "DrawCheck",
    "GiftInput",
    "PrizeInput",
    "distribution_create",
    "distribution_run",
    "draw_verify",
    "gift_create",
    "gift_redeem",
    "gift_restock",
    "gift_set_status",
    "gift_update",
    "lottery_create",
    "lottery_draw",
    "lottery_set_status",
    "prize_restock",
    "redemption_cancel",
    "redemption_pick_up",
]
