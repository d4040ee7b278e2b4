"""Continuous parametric families, backed by frozen ``scipy.stats`` distributions.

``ppf``, ``cdf``, ``mean``, ``std`` and ``median`` of every family but the truncated normal
are computed without scipy.stats, from the same :mod:`scipy.special` functions and
arithmetic (the same numbers; see :mod:`som_mc.distributions._special`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import (
    Distribution,
    check_positive,
    check_real,
    lazy_module,
    set_fields,
)
from som_mc.distributions._elicitation import NOT_IN_TOML, Elicitation, check_elicited
from som_mc.distributions._special import loc_scale_cdf, loc_scale_ppf, private_ufunc, special
from som_mc.errors import DistributionError

stats = lazy_module("scipy.stats")

__all__ = [
    "PERT",
    "Beta",
    "Gamma",
    "LogNormal",
    "Normal",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
]

# Standard normal 95th percentile, for LogNormal.from_median_p95.
_Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95)


def _identity(u: np.ndarray) -> np.ndarray:
    return u


def _beta_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Return standard beta quantiles as scipy.stats computes them (Boost, private ufunc)."""
    ufunc = private_ufunc("_beta_ppf")
    if ufunc is None:  # a scipy without it: the same through scipy.stats
        return np.asarray(stats.beta.ppf(u, a, b), dtype=np.float64)
    return np.asarray(ufunc(u, a, b), dtype=np.float64)


class _ScaledBeta:
    """ppf, cdf and moments of a beta with shapes `a`, `b` scaled to [`low`, `high`]."""

    __slots__ = ()

    def _shapes(self) -> tuple[float, float, float, float]:
        raise NotImplementedError

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        a, b, low, width = self._shapes()
        return loc_scale_ppf(q, lambda u: _beta_ppf(u, a, b), 0.0, 1.0, low, width)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        a, b, low, width = self._shapes()
        return loc_scale_cdf(x, lambda z: special.betainc(a, b, z), 0.0, 1.0, low, width)

    def mean(self) -> float:
        """Return the expected value."""
        a, b, low, width = self._shapes()
        return float(a / (a + b) * width + low)

    def std(self) -> float:
        """Return the standard deviation."""
        a, b, _low, width = self._shapes()
        # as scipy.stats: on arrays (an array's ** 2 squares; a float's calls pow)
        sa, sb = np.asarray([a]), np.asarray([b])
        var = sa * sb / ((sa + sb) ** 2 * (sa + sb + 1))
        return float(np.sqrt(var * width * width)[0])

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))


def _check_low_mode_high(kind: str, low: float, mode: float, high: float) -> None:
    if not low <= mode:
        raise DistributionError(f"{kind}: low ({low}) must be <= mode ({mode})", param="low")
    if not mode <= high:
        raise DistributionError(f"{kind}: mode ({mode}) must be <= high ({high})", param="mode")
    if not low < high:
        raise DistributionError(f"{kind}: low ({low}) must be < high ({high})", param="low")


@dataclass(frozen=True, slots=True, kw_only=True)
class Uniform(Distribution):
    """Continuous uniform distribution on [`low`, `high`].

    TOML: ``{dist = "uniform", low = 0.0, high = 1.0}``.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> Uniform(low=2.0, high=4.0).mean()
    3.0
    """

    kind: ClassVar[str] = "uniform"
    discrete: ClassVar[bool] = False

    low: float
    high: float
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        low = check_real(self.kind, "low", self.low)
        high = check_real(self.kind, "high", self.high)
        if not low < high:
            raise DistributionError(f"uniform: low ({low}) must be < high ({high})", param="low")
        set_fields(self, low=low, high=high)

    def _scipy(self) -> Any:
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        return loc_scale_ppf(q, _identity, 0.0, 1.0, self.low, self.high - self.low)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        return loc_scale_cdf(x, _identity, 0.0, 1.0, self.low, self.high - self.low)

    def mean(self) -> float:
        """Return the expected value."""
        return float(0.5 * (self.high - self.low) + self.low)

    def std(self) -> float:
        """Return the standard deviation."""
        width = self.high - self.low
        return float(np.sqrt(1.0 / 12 * width * width))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return float(self.low), float(self.high)

    def mode(self) -> float:
        """Return the midpoint (every point of the support is a mode)."""
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Triangular(Distribution):
    """Triangular distribution on [`low`, `high`] with its peak at `most_likely`.

    TOML: ``{dist = "triangular", low = 1.0, mode = 2.0, high = 4.0}`` (the TOML key and
    error messages call `most_likely` ``mode``).

    Parameters
    ----------
    low, most_likely, high : float
        ``low <= most_likely <= high`` and ``low < high``.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> Triangular(low=0.0, most_likely=3.0, high=3.0).mean()
    2.0
    """

    kind: ClassVar[str] = "triangular"
    discrete: ClassVar[bool] = False
    _toml_names: ClassVar[dict[str, str]] = {"most_likely": "mode"}

    low: float
    most_likely: float
    high: float
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        low = check_real(self.kind, "low", self.low)
        mode = check_real(self.kind, "mode", self.most_likely)
        high = check_real(self.kind, "high", self.high)
        _check_low_mode_high(self.kind, low, mode, high)
        set_fields(self, low=low, most_likely=mode, high=high)

    def _scipy(self) -> Any:
        width = self.high - self.low
        return stats.triang((self.most_likely - self.low) / width, loc=self.low, scale=width)

    def _c(self) -> tuple[float, float]:
        width = self.high - self.low
        return (self.most_likely - self.low) / width, width

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        c, width = self._c()

        def standard(u: np.ndarray) -> np.ndarray:
            return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u)))

        return loc_scale_ppf(q, standard, 0.0, 1.0, self.low, width)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        c, width = self._c()

        def standard(z: np.ndarray) -> np.ndarray:
            if c == 0:
                return 2 * z - z * z
            left = z < c
            out = np.empty_like(z)
            out[left] = z[left] * z[left] / c
            right = z[~left]  # c < 1 here: z >= c never holds inside (0, 1) for c = 1
            out[~left] = (right * right - 2 * right + c) / (c - 1)
            return out

        return loc_scale_cdf(x, standard, 0.0, 1.0, self.low, width)

    def mean(self) -> float:
        """Return the expected value."""
        c, width = self._c()
        return float((c + 1.0) / 3.0 * width + self.low)

    def std(self) -> float:
        """Return the standard deviation."""
        c, width = self._c()
        return float(np.sqrt((1.0 - c + c * c) / 18 * width * width))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return float(self.low), float(self.high)

    def mode(self) -> float:
        """Return `most_likely`."""
        return self.most_likely


@dataclass(frozen=True, slots=True, kw_only=True)
class PERT(_ScaledBeta, Distribution):
    """Modified PERT distribution: a beta distribution scaled to [`low`, `high`].

    The shape parameters are ``a = 1 + shape * (most_likely - low) / (high - low)`` and
    ``b = 1 + shape * (high - most_likely) / (high - low)``; ``shape = 4`` is the classic PERT.

    TOML: ``{dist = "pert", low = 0.15, mode = 0.25, high = 0.4, shape = 4.0}`` (`shape`
    optional; the TOML key and error messages call `most_likely` ``mode``).

    Parameters
    ----------
    low, most_likely, high : float
        ``low <= most_likely <= high`` and ``low < high``.
    shape : float, default 4.0
        Concentration around the mode, > 0.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> round(PERT(low=0.0, most_likely=1.0, high=5.0).mean(), 10)
    1.5
    """

    kind: ClassVar[str] = "pert"
    discrete: ClassVar[bool] = False
    _toml_names: ClassVar[dict[str, str]] = {"most_likely": "mode"}

    low: float
    most_likely: float
    high: float
    shape: float = 4.0
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        low = check_real(self.kind, "low", self.low)
        mode = check_real(self.kind, "mode", self.most_likely)
        high = check_real(self.kind, "high", self.high)
        shape = check_positive(self.kind, "shape", self.shape)
        _check_low_mode_high(self.kind, low, mode, high)
        set_fields(self, low=low, most_likely=mode, high=high, shape=shape)

    def _scipy(self) -> Any:
        width = self.high - self.low
        a = 1.0 + self.shape * (self.most_likely - self.low) / width
        b = 1.0 + self.shape * (self.high - self.most_likely) / width
        return stats.beta(a, b, loc=self.low, scale=width)

    def _shapes(self) -> tuple[float, float, float, float]:
        width = self.high - self.low
        a = 1.0 + self.shape * (self.most_likely - self.low) / width
        b = 1.0 + self.shape * (self.high - self.most_likely) / width
        return a, b, self.low, width

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return float(self.low), float(self.high)

    def mode(self) -> float:
        """Return `most_likely`."""
        return self.most_likely


@dataclass(frozen=True, slots=True, kw_only=True)
class Normal(Distribution):
    """Normal distribution with mean `mu` and standard deviation `sigma`.

    TOML: ``{dist = "normal", mean = 10.0, sd = 2.0}`` (the TOML keys and error messages
    call `mu` ``mean`` and `sigma` ``sd``).

    Parameters
    ----------
    mu : float
        Mean.
    sigma : float
        Standard deviation, > 0.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> Normal(mu=10.0, sigma=2.0).std()
    2.0
    """

    kind: ClassVar[str] = "normal"
    discrete: ClassVar[bool] = False
    _toml_names: ClassVar[dict[str, str]] = {"mu": "mean", "sigma": "sd"}

    mu: float
    sigma: float
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        mu = check_real(self.kind, "mean", self.mu)
        sigma = check_positive(self.kind, "sd", self.sigma)
        set_fields(self, mu=mu, sigma=sigma)

    def _scipy(self) -> Any:
        return stats.norm(loc=self.mu, scale=self.sigma)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        return loc_scale_ppf(q, special.ndtri, -np.inf, np.inf, self.mu, self.sigma)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        return loc_scale_cdf(x, special.ndtr, -np.inf, np.inf, self.mu, self.sigma)

    def mean(self) -> float:
        """Return `mu`."""
        return float(0.0 * self.sigma + self.mu)

    def std(self) -> float:
        """Return `sigma`."""
        return float(np.sqrt(1.0 * self.sigma * self.sigma))

    def median(self) -> float:
        """Return the median (`mu`)."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return -math.inf, math.inf

    def mode(self) -> float:
        """Return `mu`."""
        return self.mu


@dataclass(frozen=True, slots=True, kw_only=True)
class TruncatedNormal(Distribution):
    """Normal distribution N(`mu`, `sigma`) truncated to [`low`, `high`].

    `mu` and `sigma` are the parameters of the parent (untruncated) normal;
    :meth:`mean` and :meth:`std` are those of the truncated distribution. One bound may
    be infinite (the default), but not both: use :class:`Normal` for no truncation.

    TOML: ``{dist = "truncnormal", mean = 0.0, sd = 1.0, low = 0.0}`` (`low` and `high`
    optional, at least one given; the TOML keys and error messages call `mu` ``mean`` and
    `sigma` ``sd``).

    Parameters
    ----------
    mu : float
        Mean of the parent normal.
    sigma : float
        Standard deviation of the parent normal, > 0.
    low : float, default -inf
        Lower bound.
    high : float, default +inf
        Upper bound, > `low`.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> TruncatedNormal(mu=0.0, sigma=1.0, low=0.0).median() > 0
    True
    """

    kind: ClassVar[str] = "truncnormal"
    discrete: ClassVar[bool] = False
    _toml_names: ClassVar[dict[str, str]] = {"mu": "mean", "sigma": "sd"}

    mu: float
    sigma: float
    low: float = -math.inf
    high: float = math.inf
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        mu = check_real(self.kind, "mean", self.mu)
        sigma = check_positive(self.kind, "sd", self.sigma)
        low = check_real(self.kind, "low", self.low, allow_inf=True)
        high = check_real(self.kind, "high", self.high, allow_inf=True)
        if not low < high:
            raise DistributionError(
                f"truncnormal: low ({low}) must be < high ({high})", param="low"
            )
        if math.isinf(low) and math.isinf(high):
            raise DistributionError(
                "truncnormal: give at least one finite bound (low or high); "
                "use dist = 'normal' for an untruncated normal",
                param="low",
            )
        set_fields(self, mu=mu, sigma=sigma, low=low, high=high)

    def _scipy(self) -> Any:
        a = (self.low - self.mu) / self.sigma
        b = (self.high - self.mu) / self.sigma
        return stats.truncnorm(a, b, loc=self.mu, scale=self.sigma)

    def mode(self) -> float:
        """Return `mu` clipped to [`low`, `high`]."""
        return min(max(self.mu, self.low), self.high)

    def to_toml(self) -> dict[str, Any]:
        """Return the TOML table form; infinite bounds are omitted."""
        table: dict[str, Any] = {"dist": self.kind, "mean": self.mu, "sd": self.sigma}
        if not math.isinf(self.low):
            table["low"] = self.low
        if not math.isinf(self.high):
            table["high"] = self.high
        return table


@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormal(Distribution):
    """Log-normal distribution: ``exp(N(mu, sigma))``.

    TOML, exactly one of: ``{dist = "lognormal", mu = 0.0, sigma = 0.5}``,
    ``{dist = "lognormal", mean = 1.0, sd = 0.3}`` (see :meth:`from_mean_sd`) or
    ``{dist = "lognormal", median = 1.0, p95 = 2.5}`` (see :meth:`from_median_p95`).
    :meth:`to_toml` writes the ``mu``/``sigma`` form.

    Parameters
    ----------
    mu : float
        Mean of the underlying normal (log scale); ``exp(mu)`` is the median.
    sigma : float
        Standard deviation of the underlying normal, > 0.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> d = LogNormal.from_median_p95(median=1.0, p95=2.0)
    >>> round(float(d.ppf(0.95)), 12)
    2.0
    """

    kind: ClassVar[str] = "lognormal"
    discrete: ClassVar[bool] = False

    mu: float
    sigma: float
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        mu = check_real(self.kind, "mu", self.mu)
        sigma = check_positive(self.kind, "sigma", self.sigma)
        set_fields(self, mu=mu, sigma=sigma)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        """Build the log-normal with the given mean and standard deviation.

        Parameters
        ----------
        mean : float
            Mean, > 0.
        sd : float
            Standard deviation, > 0.

        Returns
        -------
        LogNormal
            With ``sigma**2 = log(1 + (sd/mean)**2)`` and ``mu = log(mean) - sigma**2/2``.
        """
        mean = check_positive(cls.kind, "mean", mean)
        sd = check_positive(cls.kind, "sd", sd)
        var_log = math.log1p((sd / mean) ** 2)
        return cls(mu=math.log(mean) - 0.5 * var_log, sigma=math.sqrt(var_log))

    @classmethod
    def from_median_p95(cls, median: float, p95: float) -> LogNormal:
        """Build the log-normal with the given median and 95th percentile.

        Parameters
        ----------
        median : float
            Median, > 0.
        p95 : float
            95th percentile, > `median`.

        Returns
        -------
        LogNormal
            With ``mu = log(median)`` and ``sigma = log(p95 / median) / z_0.95``.
        """
        median = check_positive(cls.kind, "median", median)
        p95 = check_real(cls.kind, "p95", p95)
        if not p95 > median:
            raise DistributionError(
                f"lognormal: p95 ({p95}) must be > median ({median})", param="p95"
            )
        return cls(mu=math.log(median), sigma=math.log(p95 / median) / _Z95)

    def _scipy(self) -> Any:
        return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        s = self.sigma

        def standard(u: np.ndarray) -> np.ndarray:
            return np.exp(s * special.ndtri(u))

        return loc_scale_ppf(q, standard, 0.0, np.inf, 0.0, math.exp(self.mu))

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        s = self.sigma

        def standard(z: np.ndarray) -> np.ndarray:
            return special.ndtr(np.log(z) / s)

        return loc_scale_cdf(x, standard, 0.0, np.inf, 0.0, math.exp(self.mu))

    def mean(self) -> float:
        """Return the expected value, ``exp(mu + sigma**2 / 2)``."""
        p = np.exp(np.asarray([self.sigma]) * self.sigma)
        return float((np.sqrt(p) * math.exp(self.mu) + 0.0)[0])

    def std(self) -> float:
        """Return the standard deviation."""
        p = np.exp(np.asarray([self.sigma]) * self.sigma)
        scale = math.exp(self.mu)
        return float(np.sqrt(p * (p - 1) * scale * scale)[0])

    def median(self) -> float:
        """Return the median, ``exp(mu)``."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return 0.0, math.inf

    def mode(self) -> float:
        """Return ``exp(mu - sigma**2)``."""
        return math.exp(self.mu - self.sigma**2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Beta(_ScaledBeta, Distribution):
    """Beta distribution with shapes `alpha`, `beta`, scaled to [`low`, `high`].

    TOML: ``{dist = "beta", alpha = 2.0, beta = 5.0}`` or ``{dist = "beta", mean = 0.3,
    sd = 0.1}`` (see :meth:`from_mean_sd`), each with optional ``low``/``high``.
    :meth:`to_toml` writes `alpha`/`beta`, and `low`/`high` only when not 0/1.

    Parameters
    ----------
    alpha, beta : float
        Shape parameters, > 0.
    low : float, default 0.0
        Lower bound.
    high : float, default 1.0
        Upper bound, > `low`.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> d = Beta.from_mean_sd(mean=0.3, sd=0.1)
    >>> round(d.mean(), 12), round(d.std(), 12)
    (0.3, 0.1)
    """

    kind: ClassVar[str] = "beta"
    discrete: ClassVar[bool] = False

    alpha: float
    beta: float
    low: float = 0.0
    high: float = 1.0
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        alpha = check_positive(self.kind, "alpha", self.alpha)
        beta = check_positive(self.kind, "beta", self.beta)
        low = check_real(self.kind, "low", self.low)
        high = check_real(self.kind, "high", self.high)
        if not low < high:
            raise DistributionError(f"beta: low ({low}) must be < high ({high})", param="low")
        set_fields(self, alpha=alpha, beta=beta, low=low, high=high)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float, low: float = 0.0, high: float = 1.0) -> Beta:
        """Build the beta on [`low`, `high`] with the given mean and standard deviation.

        Parameters
        ----------
        mean : float
            Mean, strictly between `low` and `high`.
        sd : float
            Standard deviation, > 0. On the unit scale (``m = (mean - low) / (high - low)``,
            ``s = sd / (high - low)``) it must satisfy ``s**2 < m * (1 - m)``.
        low : float, default 0.0
            Lower bound.
        high : float, default 1.0
            Upper bound, > `low`.

        Returns
        -------
        Beta
            With ``alpha = m * nu`` and ``beta = (1 - m) * nu``, ``nu = m(1-m)/s**2 - 1``.

        Raises
        ------
        DistributionError
            If `sd` is too large for a beta with this mean.
        """
        mean = check_real(cls.kind, "mean", mean)
        sd = check_positive(cls.kind, "sd", sd)
        low = check_real(cls.kind, "low", low)
        high = check_real(cls.kind, "high", high)
        if not low < high:
            raise DistributionError(f"beta: low ({low}) must be < high ({high})", param="low")
        if not low < mean < high:
            raise DistributionError(
                f"beta: mean ({mean}) must be strictly between low ({low}) and high ({high})",
                param="mean",
            )
        width = high - low
        m = (mean - low) / width
        s = sd / width
        if not s**2 < m * (1.0 - m):
            limit = math.sqrt(m * (1.0 - m)) * width
            raise DistributionError(
                f"beta: sd ({sd}) is too large for a beta with mean {mean} on [{low}, {high}]; "
                f"sd must be < {limit:.6g}",
                param="sd",
            )
        nu = m * (1.0 - m) / s**2 - 1.0
        return cls(alpha=m * nu, beta=(1.0 - m) * nu, low=low, high=high)

    def _scipy(self) -> Any:
        return stats.beta(self.alpha, self.beta, loc=self.low, scale=self.high - self.low)

    def _shapes(self) -> tuple[float, float, float, float]:
        return self.alpha, self.beta, self.low, self.high - self.low

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return float(self.low), float(self.high)

    def mode(self) -> float:
        """Return the peak of the density.

        For ``alpha = beta = 1`` (uniform) this is the midpoint; when the density is
        monotone it is the bound it increases towards.

        Raises
        ------
        DistributionError
            If ``alpha < 1`` and ``beta < 1`` (U-shaped density, two modes).
        """
        a, b = self.alpha, self.beta
        if a == 1.0 and b == 1.0:
            return 0.5 * (self.low + self.high)
        if a > 1.0 and b > 1.0:
            return self.low + (a - 1.0) / (a + b - 2.0) * (self.high - self.low)
        if a < 1.0 and b < 1.0:
            raise DistributionError(
                f"beta: mode is not unique for alpha ({a}) < 1 and beta ({b}) < 1 "
                "(U-shaped density); use the mean or median instead",
                param="alpha",
            )
        return self.low if a <= 1.0 <= b else self.high

    def to_toml(self) -> dict[str, Any]:
        """Return the TOML table form; `low`/`high` only when not 0/1."""
        table: dict[str, Any] = {"dist": self.kind, "alpha": self.alpha, "beta": self.beta}
        if self.low != 0.0:
            table["low"] = self.low
        if self.high != 1.0:
            table["high"] = self.high
        return table


@dataclass(frozen=True, slots=True, kw_only=True)
class Gamma(Distribution):
    """Gamma distribution with `shape` k and `scale` theta (mean ``k * theta``).

    TOML: ``{dist = "gamma", shape = 2.0, scale = 1.5}`` or ``{dist = "gamma", mean = 3.0,
    sd = 2.0}`` (see :meth:`from_mean_sd`). :meth:`to_toml` writes `shape`/`scale`.

    Parameters
    ----------
    shape : float
        Shape k, > 0.
    scale : float
        Scale theta, > 0.

    elicited : Elicitation or None, default None
        Set by :func:`~som_mc.distributions.fit_quantiles` (and the ``pNN`` TOML form): the
        expert's quantiles and the fit. Not compared, hashed or written by :meth:`to_toml`.

    Examples
    --------
    >>> Gamma(shape=2.0, scale=1.5).mean()
    3.0
    """

    kind: ClassVar[str] = "gamma"
    discrete: ClassVar[bool] = False

    shape: float
    scale: float
    elicited: Elicitation | None = field(
        default=None, compare=False, repr=False, metadata=NOT_IN_TOML
    )

    def __post_init__(self) -> None:
        check_elicited(self.kind, self.elicited)
        shape = check_positive(self.kind, "shape", self.shape)
        scale = check_positive(self.kind, "scale", self.scale)
        set_fields(self, shape=shape, scale=scale)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Gamma:
        """Build the gamma with the given mean and standard deviation.

        Parameters
        ----------
        mean : float
            Mean, > 0.
        sd : float
            Standard deviation, > 0.

        Returns
        -------
        Gamma
            With ``shape = (mean / sd)**2`` and ``scale = sd**2 / mean``.
        """
        mean = check_positive(cls.kind, "mean", mean)
        sd = check_positive(cls.kind, "sd", sd)
        return cls(shape=(mean / sd) ** 2, scale=sd**2 / mean)

    def _scipy(self) -> Any:
        return stats.gamma(self.shape, scale=self.scale)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (see :meth:`Distribution.ppf`)."""
        a = self.shape
        return loc_scale_ppf(
            q, lambda u: special.gammaincinv(a, u), 0.0, np.inf, 0.0, self.scale
        )

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function (see :meth:`Distribution.cdf`)."""
        a = self.shape
        return loc_scale_cdf(x, lambda z: special.gammainc(a, z), 0.0, np.inf, 0.0, self.scale)

    def mean(self) -> float:
        """Return ``shape * scale``."""
        return float(self.shape * self.scale + 0.0)

    def std(self) -> float:
        """Return ``sqrt(shape) * scale``."""
        return float(np.sqrt(self.shape * self.scale * self.scale))

    def median(self) -> float:
        """Return the median."""
        return float(self.ppf(0.5))

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (without scipy)."""
        return 0.0, math.inf

    def mode(self) -> float:
        """Return ``(shape - 1) * scale`` for ``shape >= 1``, else 0."""
        return (self.shape - 1.0) * self.scale if self.shape >= 1.0 else 0.0
