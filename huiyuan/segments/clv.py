"""BG/NBD and Gamma-Gamma, fitted by maximum likelihood (An3: churn risk and lifetime value).

The likelihoods are the published ones, written out here:

- BG/NBD: P. S. Fader, B. G. S. Hardie and K. L. Lee, "'Counting Your Customers' the Easy
  Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005 — equation
  (6) for the log-likelihood of one customer with ``x`` repeat purchases, the last at
  ``t_x``, observed for ``T``; equation (10) for E[Y(t) | x, t_x, T]; P(alive) from the
  same paper (Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model", 2008).
- Gamma-Gamma: P. S. Fader and B. G. S. Hardie, "The Gamma-Gamma Model of Monetary Value"
  (2013), equation (1) for the marginal likelihood of a mean spend ``m_x`` over ``x``
  purchases, and E[M | p, q, γ, m_x, x] = p(γ + x m_x) / (p x + q − 1).

Customers are fitted grouped by identical ``(x, t_x, T)`` (weights), on log-parameters so
the optimiser stays in the positive orthant. Time is in weeks, as in the paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

Array = NDArray[np.float64]
Values = Sequence[float] | NDArray[Any]


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float
    log_likelihood: float


def _grouped(*columns: Values) -> tuple[list[Array], Array]:
    stacked = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: Array, t_x: Array, T: Array
) -> Array:
    """Each customer's log-likelihood, FHL (2005) equation (6)."""
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_fit(x: Values, t_x: Values, T: Values, *, penalizer: float = 0.0) -> BgNbd:
    """Maximum-likelihood r, α, a, b for the customers ``(x, t_x, T)``. A ``penalizer``
    adds ``penalizer · Σ θ²`` to the mean negative log-likelihood (an L2 shrinkage that
    keeps a and b finite on small or degenerate data; 0 gives the published fit)."""
    (gx, gt, gT), weights = _grouped(x, t_x, T)
    total = weights.sum()

    def negative(log_params: Array) -> float:
        r, alpha, a, b = np.exp(log_params)
        ll = bgnbd_log_likelihood(r, alpha, a, b, gx, gt, gT)
        value = -(weights * ll).sum() / total + penalizer * float(np.sum(np.exp(log_params) ** 2))
        return float(value) if np.isfinite(value) else 1e100

    scale = max(float(np.mean(np.asarray(T, dtype=np.float64))), 1.0)
    start = np.log(np.array([1.0, scale, 1.0, 1.0]))
    result = optimize.minimize(
        negative,
        start,
        method="Nelder-Mead",
        options={
            "xatol": 1e-7,
            "fatol": 1e-10,
            "maxiter": 4000,
        },
    )
    result = optimize.minimize(negative, result.x, method="BFGS")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    ll = float((weights * bgnbd_log_likelihood(r, alpha, a, b, gx, gt, gT)).sum())
    return BgNbd(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll)


def p_alive(model: BgNbd, x: Array, t_x: Array, T: Array) -> Array:
    """P(still a customer | x, t_x, T): 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.exp(
            np.log(model.a)
            - np.log(np.maximum(model.b + x - 1, 1e-300))
            + (model.r + x) * (np.log(model.alpha + T) - np.log(model.alpha + t_x))
        )
    return np.where(x > 0, 1.0 / (1.0 + ratio), 1.0)


def expected_purchases(model: BgNbd, t: float, x: Array, t_x: Array, T: Array) -> Array:
    """E[Y(t) | x, t_x, T]: purchases expected in the next ``t`` weeks (FHL 2005, eq. 10)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    x = np.asarray(x, dtype=np.float64)
    if a <= 1:  # the closed form needs a > 1; fall back on a just above it
        a = 1.0 + 1e-6
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        denominator = 1 + np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return np.maximum(first * second / denominator, 0.0)


def gamma_gamma_log_likelihood(p: float, q: float, v: float, x: Array, m: Array) -> Array:
    """Each customer's log-likelihood of the mean spend ``m`` over ``x`` purchases (Fader &
    Hardie 2013, eq. 1, up to the Jacobian term that does not depend on p, q, γ)."""
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )


def gamma_gamma_fit(x: Values, m: Values, *, penalizer: float = 0.0) -> GammaGamma:
    """Maximum-likelihood p, q, γ for customers with ``x ≥ 1`` repeat purchases of mean
    value ``m > 0``."""
    (gx, gm), weights = _grouped(x, m)
    keep = (gx > 0) & (gm > 0)
    gx, gm, weights = gx[keep], gm[keep], weights[keep]
    total = weights.sum()

    def negative(log_params: Array) -> float:
        p, q, v = np.exp(log_params)
        value = -(weights * gamma_gamma_log_likelihood(p, q, v, gx, gm)).sum() / total
        value += penalizer * float(np.sum(np.exp(log_params) ** 2))
        return float(value) if np.isfinite(value) else 1e100

    start = np.log(np.array([1.0, 2.0, max(float(np.mean(gm)), 1.0)]))
    result = optimize.minimize(
        negative,
        start,
        method="Nelder-Mead",
        options={
            "xatol": 1e-7,
            "fatol": 1e-10,
            "maxiter": 4000,
        },
    )
    result = optimize.minimize(negative, result.x, method="BFGS")
    p, q, v = (float(val) for val in np.exp(result.x))
    ll = float((weights * gamma_gamma_log_likelihood(p, q, v, gx, gm)).sum())
    return GammaGamma(p=p, q=q, v=v, log_likelihood=ll)


def expected_spend(model: GammaGamma, x: Array, m: Array) -> Array:
    """E[M | x, m_x]: the expected value of a future purchase (the population mean
    ``pγ/(q−1)`` for a customer with no repeat purchase)."""
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    p, q, v = model.p, model.q, model.v
    population = p * v / (q - 1) if q > 1 else float(np.mean(m[x > 0])) if (x > 0).any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = p * (v + x * m) / (p * x + q - 1)
    return np.where(x > 0, conditional, population)
