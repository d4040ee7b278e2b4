"""The families' ppf, cdf and moments computed without scipy.stats equal scipy.stats' bit for bit.

Each family is checked against a frozen ``scipy.stats`` distribution built independently
from its parameters, on random parameters (fixed seed) and on the edge points: 0, 1, values
outside [0, 1], NaN, the smallest doubles, infinities, points at and beyond the support, in
scalar, strided and 2-d arrays. "Bit for bit" includes the sign of zero and NaN positions.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from scipy import stats

from som_mc.distributions import (
    PERT,
    Beta,
    Binomial,
    DiscreteUniform,
    Distribution,
    Gamma,
    LogNormal,
    Normal,
    Poisson,
    Triangular,
    Uniform,
    _special,
)

_TINY = 5e-324
_RNG_SEED = 20260


def _reference(d: Distribution) -> Any:
    """The scipy.stats distribution of `d`, written out here from its parameters."""
    if isinstance(d, Uniform):
        return stats.uniform(loc=d.low, scale=d.high - d.low)
    if isinstance(d, Triangular):
        width = d.high - d.low
        return stats.triang((d.most_likely - d.low) / width, loc=d.low, scale=width)
    if isinstance(d, PERT):
        width = d.high - d.low
        a = 1.0 + d.shape * (d.most_likely - d.low) / width
        b = 1.0 + d.shape * (d.high - d.most_likely) / width
        return stats.beta(a, b, loc=d.low, scale=width)
    if isinstance(d, Beta):
        return stats.beta(d.alpha, d.beta, loc=d.low, scale=d.high - d.low)
    if isinstance(d, Normal):
        return stats.norm(loc=d.mu, scale=d.sigma)
    if isinstance(d, LogNormal):
        return stats.lognorm(s=d.sigma, scale=math.exp(d.mu))
    if isinstance(d, Gamma):
        return stats.gamma(d.shape, scale=d.scale)
    if isinstance(d, Poisson):
        return stats.poisson(d.mu)
    if isinstance(d, DiscreteUniform):
        return stats.randint(d.low, d.high + 1)
    if isinstance(d, Binomial):
        return stats.binom(d.n, d.p)
    raise AssertionError(type(d))


def _reference_ppf(d: Distribution, q: np.ndarray) -> np.ndarray:
    ref = _reference(d)
    q = np.asarray(q, dtype=np.float64)
    if isinstance(d, Binomial):  # the smallest k with cdf(k) >= q, from scipy's cdf table
        cdf = ref.cdf(np.arange(d.n + 1))
        k = np.searchsorted(cdf, np.where(q == 0.0, _TINY, q), side="left")
        out = np.minimum(k, d.n).astype(np.float64)
        return np.where((q >= 0.0) & (q <= 1.0), out, np.nan)
    out = np.asarray(ref.ppf(q), dtype=np.float64)
    if d.discrete:  # som_mc's ppf(0) is the smallest value with positive probability
        out = np.where(q == 0, ref.ppf(_TINY), out)
    return out


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.shape == b.shape
        and np.array_equal(a, b, equal_nan=True)
        and np.array_equal(np.signbit(a), np.signbit(b))
    )


def _families(rng: np.random.Generator, i: int) -> list[Distribution]:
    low, high = sorted(float(v) for v in rng.normal(0.0, 10.0, 2))
    mode = float(rng.uniform(low, high)) if i % 5 else (low if i % 10 else high)
    p = float(rng.random()) if i % 7 else float(i % 2)  # p = 0 and 1 included
    return [
        Uniform(low=low, high=high),
        Triangular(low=low, most_likely=mode, high=high),
        PERT(low=low, most_likely=mode, high=high, shape=float(rng.uniform(0.5, 8.0))),
        Beta(
            alpha=float(np.exp(rng.normal(0, 1.5))),
            beta=float(np.exp(rng.normal(0, 1.5))),
            low=low,
            high=high,
        ),
        Normal(mu=float(rng.normal(0, 100)), sigma=float(np.exp(rng.normal(0, 2)))),
        LogNormal(mu=float(rng.normal(0, 2)), sigma=float(np.exp(rng.normal(-1, 1)))),
        Gamma(shape=float(np.exp(rng.normal(0, 1.5))), scale=float(np.exp(rng.normal(0, 2)))),
        Poisson(mu=float(np.exp(rng.normal(1, 2)))),
        DiscreteUniform(low=int(low), high=int(low) + int(rng.integers(0, 30))),
        Binomial(n=int(rng.integers(0, 200)), p=p),
    ]


CASES = [d for i in range(40) for d in _families(np.random.default_rng([_RNG_SEED, i]), i)]


def _points(d: Distribution, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    q = np.r_[
        rng.random(301),
        [0.0, 1.0, -0.1, 1.1, np.nan, _TINY, 1e-300, 1e-12, 1 - 1e-12, 1 - 1e-16, 0.5],
        [np.inf, -np.inf, -0.0],
    ]
    lo, hi = d.support()
    span = _reference(d).ppf([0.001, 0.999])
    x = np.r_[
        rng.uniform(span[0] - 1.0, span[1] + 1.0, 301),
        [lo, hi, np.nan, np.inf, -np.inf, np.floor(span[0]), np.ceil(span[1]), 0.0, -0.0],
    ]
    return q, x


@pytest.mark.parametrize("dist", CASES, ids=lambda d: d.kind)
def test_ppf_and_cdf_equal_scipy_stats_bit_for_bit(dist: Distribution) -> None:
    rng = np.random.default_rng(_RNG_SEED)
    q, x = _points(dist, rng)
    ref = _reference(dist)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # both warn alike where Boost's beta inversion gives up (q ~ 1e-300)
        warnings.simplefilter("ignore", RuntimeWarning)
        assert _same(dist.ppf(q), _reference_ppf(dist, q))
        assert _same(dist.ppf(0.3), _reference_ppf(dist, np.asarray(0.3)))
        assert np.asarray(dist.ppf(0.3)).shape == ()
        grid = q[:300].reshape(3, 100)
        assert _same(dist.ppf(grid), _reference_ppf(dist, grid))
        strided = rng.random((200, 3))[:, 1]  # a column of a sample: not contiguous
        assert _same(dist.ppf(strided), _reference_ppf(dist, strided))
        assert _same(dist.cdf(x), np.asarray(ref.cdf(x), dtype=np.float64))
        assert _same(dist.cdf(float(x[0])), np.asarray(ref.cdf(x[0]), dtype=np.float64))


@pytest.mark.parametrize("dist", CASES, ids=lambda d: d.kind)
def test_moments_equal_scipy_stats_bit_for_bit(dist: Distribution) -> None:
    ref = _reference(dist)
    with np.errstate(all="ignore"):
        assert dist.mean() == float(ref.mean())
        assert dist.std() == float(ref.std())
        assert dist.median() == float(ref.median())


def test_without_the_private_ufuncs_scipy_stats_gives_the_same_numbers(monkeypatch) -> None:
    q = np.linspace(0.0, 1.0, 101)
    x = np.linspace(-1.0, 14.0, 61)
    dists = [PERT(low=0.1, most_likely=0.3, high=0.9), Binomial(n=12, p=0.3)]
    before = [(d.ppf(q), d.cdf(x)) for d in dists]
    monkeypatch.setattr(_special, "private_ufunc", lambda name: None)
    import som_mc.distributions._continuous as continuous
    import som_mc.distributions._discrete as discrete

    monkeypatch.setattr(continuous, "private_ufunc", lambda name: None)
    monkeypatch.setattr(discrete, "private_ufunc", lambda name: None)
    for d, (ppf, cdf) in zip(dists, before, strict=True):
        assert _same(d.ppf(q), ppf)
        assert _same(d.cdf(x), cdf)
