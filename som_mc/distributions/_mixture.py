"""Finite mixtures of continuous distributions: the linear opinion pool of experts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import Distribution, check_positive, lazy_module, set_fields
from som_mc.errors import DistributionError

optimize = lazy_module("scipy.optimize")
elementwise = lazy_module("scipy.optimize.elementwise")

__all__ = ["WEIGHT_TOLERANCE", "Mixture"]

WEIGHT_TOLERANCE = 1e-9
"""How far the sum of a mixture's weights may be from 1."""


def has_density(dist: Distribution) -> bool:
    """Whether `dist` is continuous with a density (a parametric family or a mixture)."""
    if isinstance(dist, Mixture):
        return True
    return not dist.discrete and type(dist)._scipy is not Distribution._scipy


def _pdf(dist: Distribution, x: NDArray[np.float64]) -> NDArray[np.float64]:
    if isinstance(dist, Mixture):
        return dist.pdf(x)
    return np.asarray(dist._scipy().pdf(x), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mixture(Distribution):
    """Weighted mixture of continuous distributions (a linear opinion pool).

    With components ``F_i`` and weights ``w_i`` the cdf is ``sum_i w_i F_i(x)``: a draw
    comes from component i with probability ``w_i``. Used to pool experts who each gave a
    distribution (e.g. fitted to their quantiles, see :func:`fit_quantiles`).

    TOML: ``{dist = "mixture", components = [{dist = "beta", ...}, {dist = "pert", ...}],
    weights = [0.6, 0.4]}``; the components are ordinary distribution tables, including the
    quantile form and nested mixtures.

    Parameters
    ----------
    components : sequence of Distribution
        One or more continuous distributions with a density: a parametric family
        (uniform, triangular, pert, normal, truncnormal, lognormal, beta, gamma) or a
        mixture. Discrete families, ``fixed`` and ``empirical`` are refused. Stored as a
        tuple.
    weights : sequence of float
        One per component, each > 0, summing to 1 within :data:`WEIGHT_TOLERANCE`.
        Stored as a tuple of floats as given; computations use ``w / sum(w)``.

    Notes
    -----
    :meth:`cdf`, :meth:`pdf`, :meth:`mean` and :meth:`std` are exact (the variance by the
    law of total variance). :meth:`ppf` inverts the cdf numerically, elementwise, by
    Chandrupatla's bracketing method (:func:`scipy.optimize.elementwise.find_root`) within
    the bracket ``[min_i F_i^-1(q), max_i F_i^-1(q)]``, which always holds the root; the
    result is accurate to a few ulps. :meth:`mode` is the highest peak of the density,
    found numerically.

    Examples
    --------
    >>> from som_mc.distributions import Normal
    >>> d = Mixture(components=[Normal(mu=0.0, sigma=1.0), Normal(mu=4.0, sigma=1.0)],
    ...             weights=[0.5, 0.5])
    >>> d.mean(), round(float(d.ppf(0.5)), 12)
    (2.0, 2.0)
    """

    kind: ClassVar[str] = "mixture"
    discrete: ClassVar[bool] = False

    components: tuple[Distribution, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        comps = self.components
        if isinstance(comps, str | bytes | Mapping | Distribution) or not hasattr(
            comps, "__iter__"
        ):
            raise DistributionError(
                f"mixture: components must be a list of distributions, got {comps!r} "
                f"({type(comps).__name__})",
                param="components",
            )
        comps = tuple(comps)
        if not comps:
            raise DistributionError(
                "mixture: components must not be empty; give one table per expert",
                param="components",
            )
        for i, comp in enumerate(comps):
            if not isinstance(comp, Distribution):
                raise DistributionError(
                    f"mixture: components[{i}] must be a distribution, got {comp!r} "
                    f"({type(comp).__name__})",
                    param=f"components[{i}]",
                )
            if not has_density(comp):
                what = "discrete" if comp.discrete else "without a density"
                raise DistributionError(
                    f"mixture: components[{i}] is a {comp.kind} distribution ({what}); a "
                    "mixture pools continuous distributions only (uniform, triangular, pert, "
                    "normal, truncnormal, lognormal, beta, gamma or a mixture)",
                    param=f"components[{i}]",
                )
        raw = self.weights
        if isinstance(raw, str | bytes | Mapping) or not hasattr(raw, "__iter__"):
            raise DistributionError(
                f"mixture: weights must be a list of numbers > 0, got {raw!r} "
                f"({type(raw).__name__})",
                param="weights",
            )
        weights = tuple(check_positive(self.kind, f"weights[{i}]", w) for i, w in enumerate(raw))
        if len(weights) != len(comps):
            raise DistributionError(
                f"mixture: weights has {len(weights)} entries but there are {len(comps)} "
                "components; give one weight per component",
                param="weights",
            )
        total = math.fsum(weights)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise DistributionError(
                f"mixture: weights must sum to 1 (within {WEIGHT_TOLERANCE:g}), got {total:.12g}",
                param="weights",
            )
        set_fields(self, components=comps, weights=weights)

    def _w(self) -> NDArray[np.float64]:
        w = np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function, ``sum_i w_i F_i(x)``."""
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(x.shape)
        for w, comp in zip(self._w(), self.components, strict=True):
            out = out + w * comp.cdf(x)
        return np.asarray(out, dtype=np.float64)

    def pdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Probability density, ``sum_i w_i f_i(x)``.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate.

        Returns
        -------
        numpy.ndarray
            Density as float64, same shape as `x` (0-d for a scalar).
        """
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(x.shape)
        for w, comp in zip(self._w(), self.components, strict=True):
            out = out + w * _pdf(comp, x)
        return np.asarray(out, dtype=np.float64)

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function by numerical inversion of :meth:`cdf`.

        ``ppf(0)`` and ``ppf(1)`` are the ends of the support; NaN outside [0, 1]. Where
        the components' supports leave a gap, the cdf is flat there and the gap's own level
        maps to some point of the gap (a set of probability zero for sampling).
        """
        q = np.asarray(q, dtype=np.float64)
        flat = q.ravel()
        out = np.full(flat.shape, np.nan)
        comp_q = np.array([np.asarray(c.ppf(flat), dtype=np.float64) for c in self.components])
        with np.errstate(invalid="ignore"):
            lo = np.min(comp_q, axis=0)
            hi = np.max(comp_q, axis=0)
        inside = (flat > 0.0) & (flat < 1.0)
        out[flat == 0.0] = lo[flat == 0.0]
        out[flat == 1.0] = hi[flat == 1.0]
        idx = np.flatnonzero(inside)
        if idx.size:
            qq, a, b = flat[idx], lo[idx], hi[idx]
            fa = self.cdf(a) - qq
            fb = self.cdf(b) - qq
            res = np.where(fa >= 0.0, a, b)  # root at an end (or a == b)
            solve = (fa < 0.0) & (fb > 0.0) & (a < b)
            if solve.any():
                qs = qq[solve]
                root = elementwise.find_root(
                    lambda x, q: self.cdf(x) - q, (a[solve], b[solve]), args=(qs,)
                )
                res[solve] = root.x
            out[idx] = res
        return out.reshape(q.shape)

    def mean(self) -> float:
        """Return ``sum_i w_i mean_i``."""
        return float(sum(w * c.mean() for w, c in zip(self._w(), self.components, strict=True)))

    def std(self) -> float:
        """Return the standard deviation by the law of total variance.

        ``var = sum_i w_i (sd_i**2 + mean_i**2) - mean**2``, computed as
        ``sum_i w_i (sd_i**2 + (mean_i - mean)**2)`` to avoid cancellation.
        """
        m = self.mean()
        var = sum(
            w * (c.std() ** 2 + (c.mean() - m) ** 2)
            for w, c in zip(self._w(), self.components, strict=True)
        )
        return math.sqrt(var)

    def median(self) -> float:
        """Return ``ppf(0.5)``."""
        return float(self.ppf(0.5))

    def mode(self) -> float:
        """Return the location of the highest peak of the density (numerical).

        The density is evaluated at the components' modes and at the mixture's
        percentiles 0.5 %, 1.5 %, ..., 99.5 %; the best point is refined by bounded
        Brent minimisation between its neighbours.
        """
        points = [float(v) for v in self.ppf(np.linspace(0.005, 0.995, 100))]
        for comp in self.components:
            try:
                points.append(comp.mode())
            except DistributionError:  # U-shaped beta component: no unique mode
                continue
        lo, hi = self.support()
        grid = np.unique(np.clip(np.asarray(points, dtype=np.float64), lo, hi))
        dens = self.pdf(grid)
        i = int(np.argmax(np.where(np.isfinite(dens), dens, -np.inf)))
        if not np.isfinite(dens[i]):
            return float(grid[i])  # an infinite density peak (e.g. beta with alpha < 1)
        left = grid[max(i - 1, 0)]
        right = grid[min(i + 1, grid.size - 1)]
        if left == right:
            return float(grid[i])
        res = optimize.minimize_scalar(
            lambda v: -float(self.pdf(v)),
            bounds=(float(left), float(right)),
            method="bounded",
            options={"xatol": 1e-12 * max(1.0, abs(float(grid[i])))},
        )
        best = float(res.x)
        return best if float(self.pdf(best)) >= float(dens[i]) else float(grid[i])

    def support(self) -> tuple[float, float]:
        """Return the union of the components' supports."""
        ends = [c.support() for c in self.components]
        return min(lo for lo, _ in ends), max(hi for _, hi in ends)

    def to_toml(self) -> dict[str, Any]:
        """Return the TOML table form, with each component in its own table form."""
        return {
            "dist": self.kind,
            "components": [c.to_toml() for c in self.components],
            "weights": list(self.weights),
        }
