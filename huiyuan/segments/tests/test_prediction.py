"""BG/NBD + Gamma-Gamma: the published CDNOW fit, recovery of known parameters, cross-sell."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from huiyuan.segments import clv
from huiyuan.segments.services import pairs_count

DATA = Path(__file__).resolve().parent.parent / "data" / "cdnow_summary.csv"


def test_cdnow_fit_matches_the_published_parameters():
    """Fader, Hardie & Lee (2005): r=0.243, α=4.414, a=0.793, b=2.426, LL=−9582.4;
    Fader & Hardie (2013): p=6.25, q=3.74, γ=15.44."""
    with DATA.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2357
    x = np.array([float(r["x"]) for r in rows])
    t_x = np.array([float(r["t_x"]) for r in rows])
    T = np.array([float(r["T"]) for r in rows])
    m = np.array([float(r["zbar"]) for r in rows])
    fit = clv.bgnbd_fit(x, t_x, T)
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    gg = clv.gamma_gamma_fit(x[x > 0], m[x > 0])
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.v, 2)) == (6.25, 3.74, 15.45)
    alive = clv.p_alive(fit, x, t_x, T)
    assert alive[x == 0].tolist() == [1.0] * int((x == 0).sum())
    assert 0 < alive.min() < alive.max() <= 1


def simulate(r, alpha, a, b, n, weeks, rng):
    """Customers of a BG/NBD world observed for ``weeks`` after their first purchase."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    xs, txs = np.zeros(n), np.zeros(n)
    for i in range(n):
        t, x, tx = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > weeks:
                break
            x, tx = x + 1, t
            if rng.random() < p[i]:
                break
        xs[i], txs[i] = x, tx
    return xs, txs, np.full(n, float(weeks))


def test_fit_recovers_known_parameters():
    rng = np.random.default_rng(7)
    x, t_x, T = simulate(0.5, 6.0, 0.7, 2.5, 4000, 52, rng)
    fit = clv.bgnbd_fit(x, t_x, T)
    assert fit.r == pytest.approx(0.5, rel=0.2)
    assert fit.alpha == pytest.approx(6.0, rel=0.3)
    assert fit.a == pytest.approx(0.7, rel=0.35)
    assert fit.b == pytest.approx(2.5, rel=0.4)
    # Gamma-Gamma: spend per purchase z ~ Gamma(p, ν), ν ~ Gamma(q, γ).
    nu = rng.gamma(4.0, 1 / 20.0, 3000)
    counts = rng.integers(1, 8, 3000)
    means = np.array([rng.gamma(6.0, 1 / v, c).mean() for v, c in zip(nu, counts, strict=True)])
    gg = clv.gamma_gamma_fit(counts, means)
    assert gg.p == pytest.approx(6.0, rel=0.2)
    assert gg.p * gg.v / (gg.q - 1) == pytest.approx(6.0 * 20.0 / 3.0, rel=0.1)


def test_expected_purchases_grow_with_frequency():
    model = clv.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0)
    x = np.array([0.0, 2.0, 7.0])
    t_x = np.array([0.0, 30.43, 35.0])
    T = np.array([38.86, 38.86, 38.86])
    e = clv.expected_purchases(model, 39, x, t_x, T)
    assert e[0] < e[1] < e[2]
    assert clv.expected_purchases(model, 0, x, t_x, T).tolist() == [0.0, 0.0, 0.0]


def test_cross_sell_support_confidence_lift():
    baskets = [{"奶茶", "蛋糕"}, {"奶茶", "蛋糕"}, {"奶茶"}, {"咖啡"}]
    rules = {(a, b): (n, s, c, lift) for a, b, n, s, c, lift in pairs_count(baskets)}
    assert rules[("蛋糕", "奶茶")] == (2, 0.5, 1.0, pytest.approx(4 / 3))
    assert rules[("奶茶", "蛋糕")] == (2, 0.5, pytest.approx(2 / 3), pytest.approx(4 / 3))
    assert len(rules) == 2
