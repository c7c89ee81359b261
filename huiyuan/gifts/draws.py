"""The arithmetic of a lottery draw: pure functions, so anyone can recompute a draw.

- the lottery's ``commitment`` is SHA-256 of its ``secret`` (hex), published from the start;
- a draw's seed is HMAC-SHA256(secret, "<lottery id>:<draw id>") in hex;
- the roll is the seed read as a 256-bit integer modulo the sum of the weights; walking the
  prizes in declared order, the prize whose cumulative weight first exceeds the roll is
  *picked*;
- if the picked prize was out of stock at the draw, the next prize in declared order that
  was in stock is *awarded*; past the last one, nothing ("thanks for playing").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Sequence
from dataclasses import dataclass


def commitment_of(secret: str) -> str:
    """What is published before any draw: SHA-256 of the secret, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def draw_seed(secret: str, lottery_id: int, draw_id: int) -> str:
    """The seed of one draw, hex."""
    message = f"{lottery_id}:{draw_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def pick(seed: str, weights: Sequence[tuple[int, int]]) -> tuple[int | None, int]:
    """The prize id the seed picks among ``(prize id, weight)`` in declared order, and the
    roll. No weight at all: nothing is picked."""
    total = sum(w for _pid, w in weights)
    if total <= 0:
        return None, 0
    roll = int(seed, 16) % total
    running = 0
    for prize_id, weight in weights:
        running += weight
        if roll < running:
            return prize_id, roll
    raise AssertionError("unreachable: the roll is below the total")


def award(picked: int | None, order: Sequence[int], out_of_stock: Collection[int]) -> int | None:
    """The prize actually given: the picked one, or the next in declared order in stock."""
    if picked is None:
        return None
    start = order.index(picked)
    for prize_id in order[start:]:
        if prize_id not in out_of_stock:
            return prize_id
    return None


@dataclass(frozen=True)
class Recomputed:
    seed: str
    roll: int
    picked: int | None
    awarded: int | None


def recompute(
    *,
    secret: str,
    lottery_id: int,
    draw_id: int,
    weights: Sequence[tuple[int, int]],
    out_of_stock: Collection[int],
) -> Recomputed:
    """A whole draw again from its inputs."""
    seed = draw_seed(secret, lottery_id, draw_id)
    picked, roll = pick(seed, weights)
    return Recomputed(
        seed=seed,
        roll=roll,
        picked=picked,
        awarded=award(picked, [pid for pid, _w in weights], out_of_stock),
    )
