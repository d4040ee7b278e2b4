"""Discrete parametric families, backed by frozen ``scipy.stats`` distributions.

``ppf`` and ``sample`` return float arrays holding integer values. ``ppf``, ``cdf`` and the
moments are computed without scipy.stats, with the same numbers (see
:mod:`som_mc.distributions._special`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import (
    _TINY,
    Distribution,
    check_integer,
    check_positive,
    check_real,
    lazy_module,
    set_fields,
)
from som_mc.distributions._special import (
    binom_cdf_table,
    discrete_cdf,
    poisson_ppf,
    private_ufunc,
    randint_ppf,
    special,
)
from som_mc.errors import DistributionError

stats = lazy_module("scipy.stats")

__all__ = ["Binomial", "DiscreteUniform", "Poisson"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Poisson(Distribution):
    """Poisson distribution with mean `mu`.

    TOML: ``{dist = "poisson", mean = 3.5}`` (the TOML key and error messages call `mu`
    ``mean``).

    Parameters
    ----------
    mu : float
        Mean (and variance), > 0.

    Examples
    --------
    >>> Poisson(mu=3.5).mode()
    3.0
    """

    kind: ClassVar[str] = "poisson"
    discrete: ClassVar[bool] = True
    _toml_names: ClassVar[dict[str, str]] = {"mu": "mean"}

    mu: float

    def __post_init__(self) -> None:
        set_fields(self, mu=check_positive(self.kind, "mean", self.mu))

    def _scipy(self) -> Any:
        return stats.poisson(self.mu)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        return poisson_ppf(q, self.mu)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        mu = self.mu
        return discrete_cdf(x, lambda k: special.pdtr(np.floor(k), mu), 0.0, np.inf)

    def std(self) -> float:
        """Return ``sqrt(mu)``."""
        return float(np.sqrt(self.mu))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def mean(self) -> float:
        """Return the mean (without scipy)."""
        return float(self.mu)

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return 0.0, math.inf

    def mode(self) -> float:
        """Return ``floor(mu)`` (for integer `mu`, ``mu - 1`` is a mode too)."""
        return float(math.floor(self.mu))


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscreteUniform(Distribution):
    """Uniform distribution on the integers `low`, `low` + 1, ..., `high` (inclusive).

    TOML: ``{dist = "discrete_uniform", low = 1, high = 6}``.

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low <= high``. Integral floats such as ``3.0`` are accepted.

    Examples
    --------
    >>> DiscreteUniform(low=1, high=6).mean()
    3.5
    """

    kind: ClassVar[str] = "discrete_uniform"
    discrete: ClassVar[bool] = True

    low: int
    high: int

    def __post_init__(self) -> None:
        low = check_integer(self.kind, "low", self.low)
        high = check_integer(self.kind, "high", self.high)
        if not low <= high:
            raise DistributionError(
                f"discrete_uniform: low ({low}) must be <= high ({high})", param="low"
            )
        set_fields(self, low=low, high=high)

    def _scipy(self) -> Any:
        return stats.randint(self.low, self.high + 1)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        return randint_ppf(q, self.low, self.high)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        low, high = np.asarray(self.low), np.asarray(self.high + 1)

        def standard(k: np.ndarray) -> np.ndarray:
            return (np.floor(k) - low + 1.0) / (high - low)

        return discrete_cdf(x, standard, float(self.low), float(self.high))

    def std(self) -> float:
        """Return the standard deviation."""
        d = np.asarray(self.high + 1) - np.asarray(self.low)
        return float(np.sqrt((d * d - 1) / 12.0))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def mean(self) -> float:
        """Return the mean (without scipy)."""
        return (float(self.low) + float(self.high)) / 2.0

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return float(self.low), float(self.high)

    def mode(self) -> float:
        """Return the median (every value of the support is a mode)."""
        return self.median()


@dataclass(frozen=True, slots=True, kw_only=True)
class Binomial(Distribution):
    """Binomial distribution: number of successes in `n` trials of probability `p`.

    TOML: ``{dist = "binomial", n = 10, p = 0.3}``.

    Parameters
    ----------
    n : int
        Number of trials, >= 0. Integral floats such as ``10.0`` are accepted.
    p : float
        Success probability, 0 <= p <= 1.

    Examples
    --------
    >>> Binomial(n=10, p=0.3).mean()
    3.0
    """

    kind: ClassVar[str] = "binomial"
    discrete: ClassVar[bool] = True

    n: int
    p: float

    def __post_init__(self) -> None:
        n = check_integer(self.kind, "n", self.n)
        if n < 0:
            raise DistributionError(f"binomial: n must be >= 0, got {n}", param="n")
        p = check_real(self.kind, "p", self.p)
        if not 0.0 <= p <= 1.0:
            raise DistributionError(f"binomial: p must be in [0, 1], got {p}", param="p")
        set_fields(self, n=n, p=p)

    def _scipy(self) -> Any:
        return stats.binom(self.n, self.p)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function: the smallest k with ``cdf(k) >= q``.

        Searched in the table of the cdf over the support 0..n, which stays exact where
        scipy's iterative inversion warns and fails (p very close to 0 or 1).
        """
        q = np.asarray(q, dtype=np.float64)
        cdf = binom_cdf_table(self.n, self.p)
        if cdf is None:  # a scipy without the ufunc scipy.stats uses: through scipy.stats
            cdf = stats.binom(self.n, self.p).cdf(np.arange(self.n + 1))
        k = np.searchsorted(cdf, np.where(q == 0.0, _TINY, q), side="left")
        out = np.minimum(k, self.n).astype(np.float64)
        return np.where((q >= 0.0) & (q <= 1.0), out, np.nan)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        ufunc = private_ufunc("_binom_cdf")
        if ufunc is None:  # a scipy without the ufunc scipy.stats uses: through scipy.stats
            return Distribution.cdf(self, x)
        n, p = self.n, self.p
        return discrete_cdf(x, lambda k: ufunc(np.floor(k), n, p), 0.0, float(n))

    def mean(self) -> float:
        """Return the mean (without scipy)."""
        return float(self.n * self.p)

    def std(self) -> float:
        """Return the standard deviation."""
        mu = np.asarray(self.n) * self.p
        return float(np.sqrt(mu - self.n * np.square(self.p)))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return 0.0, float(self.n)

    def mode(self) -> float:
        """Return ``floor((n + 1) * p)``, capped at `n`."""
        return float(min(math.floor((self.n + 1) * self.p), self.n))
