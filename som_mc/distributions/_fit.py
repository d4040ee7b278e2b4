"""Fitting a continuous family to an expert's quantiles (SHELF's least-squares approach).

The expert states values at a few probabilities (e.g. the 10th, 50th and 90th percentile).
:func:`fit_quantiles` finds the parameters of a family whose cdf passes closest to them,
minimising ``sum_i (F(x_i; theta) - p_i)**2`` as SHELF's ``fitdist`` does (Oakley &
O'Hagan). Parameters are transformed to be unconstrained (logs for scales and shapes;
for bounds that are fitted, ``low = x_1 - exp(u)``, ``high = x_n + exp(v)`` so that every
judged value stays inside the support and the cdf never goes flat there). The
minimisation is :func:`scipy.optimize.least_squares` (Levenberg–Marquardt) started from
the best few points of a coarse vectorised grid, or from closed-form starts where they
exist (normal and log-normal: regression of the values on normal scores).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from som_mc.distributions._base import Distribution, check_real, lazy_module
from som_mc.distributions._continuous import (
    PERT,
    Beta,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from som_mc.distributions._elicitation import Elicitation, quantile_key
from som_mc.errors import DistributionError

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = ["ELICITABLE", "FitResult", "fit_quantiles", "quantile_fixable"]

Array = NDArray[np.float64]
# params (TOML names -> arrays of shape (m, 1)), x of shape (n,) -> cdf of shape (m, n)
_Cdf = Callable[[Mapping[str, Array], Array], Array]


@dataclass(frozen=True, slots=True, kw_only=True)
class FitResult:
    """Outcome of :func:`fit_quantiles`.

    Parameters
    ----------
    family : str
        TOML name of the fitted family.
    distribution : Distribution
        The fitted distribution; its ``elicited`` attribute holds the :class:`Elicitation`.
    parameters : dict of str to float
        The fitted distribution's TOML parameters (``distribution.to_toml()`` without
        ``dist``), including any fixed ones.
    quantiles : dict of float to float
        Achieved quantiles: probability -> fitted quantile, at the judged probabilities.
    judged : dict of float to float
        The judgements: probability -> value.
    max_abs_error : float
        ``max |F(x_i) - p_i|``: the largest error *in probability* over the judgements.
    """

    family: str
    distribution: Distribution
    parameters: dict[str, float]
    quantiles: dict[float, float]
    judged: dict[float, float]
    max_abs_error: float

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form.

        ``{"family", "parameters", "quantiles": {"p10": ...}, "judged": {"p10": ...},
        "max_abs_error"}``, quantiles being the achieved ones.
        """
        return {
            "family": self.family,
            "parameters": dict(self.parameters),
            "quantiles": {quantile_key(p): v for p, v in self.quantiles.items()},
            "judged": {quantile_key(p): v for p, v in self.judged.items()},
            "max_abs_error": self.max_abs_error,
        }


class _Family(NamedTuple):
    cls: type[Distribution]
    params: tuple[str, ...]  # TOML names of the parameters that can be fitted
    fixable: tuple[str, ...]  # TOML keys allowed alongside quantiles (held fixed)
    defaults: Mapping[str, float]  # fixable keys not fitted when absent


_INF = math.inf
_SUGGEST = {1: "p50", 2: "p10, p90", 3: "p10, p50, p90"}

_FAMILIES: dict[str, _Family] = {
    "uniform": _Family(Uniform, ("low", "high"), ("low", "high"), {}),
    "triangular": _Family(Triangular, ("low", "mode", "high"), ("low", "high"), {}),
    "pert": _Family(PERT, ("low", "mode", "high"), ("low", "high", "shape"), {"shape": 4.0}),
    "normal": _Family(Normal, ("mean", "sd"), (), {}),
    "truncnormal": _Family(
        TruncatedNormal, ("mean", "sd"), ("low", "high"), {"low": -_INF, "high": _INF}
    ),
    "lognormal": _Family(LogNormal, ("mu", "sigma"), (), {}),
    "beta": _Family(Beta, ("alpha", "beta"), ("low", "high"), {"low": 0.0, "high": 1.0}),
    "gamma": _Family(Gamma, ("shape", "scale"), (), {}),
}

ELICITABLE: tuple[str, ...] = tuple(_FAMILIES)
"""Families that can be given by quantiles (every continuous parametric family)."""


def quantile_fixable(family: str) -> tuple[str, ...]:
    """Return the keys that may be given (fixed) alongside quantiles for `family`."""
    return _FAMILIES[family].fixable


# --------------------------------------------------------------------------------------
# Per-family cdfs on a batch of parameter vectors
# --------------------------------------------------------------------------------------


def _cdf_uniform(p: Mapping[str, Array], x: Array) -> Array:
    return np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)


def _cdf_triangular(p: Mapping[str, Array], x: Array) -> Array:
    low, mode, high = p["low"], p["mode"], p["high"]
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        left = (x - low) ** 2 / (width * (mode - low))
        right = 1.0 - (high - x) ** 2 / (width * (high - mode))
    out = np.where(x <= mode, left, right)
    out = np.where(x <= low, 0.0, np.where(x >= high, 1.0, out))
    return np.asarray(out, dtype=np.float64)


def _cdf_pert(p: Mapping[str, Array], x: Array) -> Array:
    low, mode, high, shape = p["low"], p["mode"], p["high"], p["shape"]
    width = high - low
    a = 1.0 + shape * (mode - low) / width
    b = 1.0 + shape * (high - mode) / width
    return np.asarray(special.betainc(a, b, np.clip((x - low) / width, 0.0, 1.0)))


def _cdf_normal(p: Mapping[str, Array], x: Array) -> Array:
    return np.asarray(special.ndtr((x - p["mean"]) / p["sd"]))


def _cdf_truncnormal(p: Mapping[str, Array], x: Array) -> Array:
    mu, sd = p["mean"], p["sd"]
    a, b = (p["low"] - mu) / sd, (p["high"] - mu) / sd
    return np.asarray(stats.truncnorm.cdf(x, a, b, loc=mu, scale=sd), dtype=np.float64)


def _cdf_lognormal(p: Mapping[str, Array], x: Array) -> Array:
    return np.asarray(special.ndtr((np.log(x) - p["mu"]) / p["sigma"]))


def _cdf_beta(p: Mapping[str, Array], x: Array) -> Array:
    u = np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)
    return np.asarray(special.betainc(p["alpha"], p["beta"], u))


def _cdf_gamma(p: Mapping[str, Array], x: Array) -> Array:
    return np.asarray(special.gammainc(p["shape"], x / p["scale"]))


_CDFS: dict[str, _Cdf] = {
    "uniform": _cdf_uniform,
    "triangular": _cdf_triangular,
    "pert": _cdf_pert,
    "normal": _cdf_normal,
    "truncnormal": _cdf_truncnormal,
    "lognormal": _cdf_lognormal,
    "beta": _cdf_beta,
    "gamma": _cdf_gamma,
}


# --------------------------------------------------------------------------------------
# Unconstrained coordinates theta <-> parameters, and starting points
# --------------------------------------------------------------------------------------


#: A sum of squared cdf residuals below this matches the quantiles (residuals below 1e-6).
_FITTED_COST = 1e-12


class _Problem:
    """One fit: judged (p, x), fixed values, and the map theta -> parameters."""

    def __init__(
        self, kind: str, p: Array, x: Array, fixed: Mapping[str, float], free: tuple[str, ...]
    ) -> None:
        self.kind = kind
        self.p = p
        self.x = x
        self.fixed = dict(fixed)
        self.free = free
        self.cdf = _CDFS[kind]
        self.spread = float(x[-1] - x[0]) if len(x) > 1 else 0.0

    def unpack(self, theta: Array) -> dict[str, Array]:
        """Parameters (arrays of shape (m, 1)) of a batch of unconstrained vectors (m, k)."""
        theta = np.atleast_2d(theta)
        col = {name: theta[:, [i]] for i, name in enumerate(self.free)}
        out: dict[str, Array] = {k: np.full((theta.shape[0], 1), v) for k, v in self.fixed.items()}
        kind = self.kind
        if kind in ("normal", "truncnormal"):
            out["mean"], out["sd"] = col["mean"], np.exp(col["sd"])
        elif kind == "lognormal":
            out["mu"], out["sigma"] = col["mu"], np.exp(col["sigma"])
        elif kind == "gamma":
            out["shape"], out["scale"] = np.exp(col["shape"]), np.exp(col["scale"])
        elif kind == "beta":
            out["alpha"], out["beta"] = np.exp(col["alpha"]), np.exp(col["beta"])
        else:  # uniform, triangular, pert: bounds outside the judged values
            if "low" in col:
                out["low"] = self.x[0] - np.exp(col["low"])
            if "high" in col:
                out["high"] = self.x[-1] + np.exp(col["high"])
            if "mode" in col:
                low, high = out["low"], out["high"]
                out["mode"] = np.clip(low + (high - low) * special.expit(col["mode"]), low, high)
        return out

    def cost(self, theta: Array) -> Array:
        """Sum of squared cdf errors for each row of `theta`."""
        with np.errstate(all="ignore"):
            r = self.cdf(self.unpack(theta), self.x) - self.p
        c = np.sum(r * r, axis=1)
        return np.where(np.isfinite(c), c, np.inf)

    def residuals(self, theta: Array) -> Array:
        with np.errstate(all="ignore"):
            r = self.cdf(self.unpack(theta), self.x)[0] - self.p
        return np.where(np.isfinite(r), r, 1.0)

    def starts(self) -> Array:
        """Return starting points (rows), best first."""
        kind, x, p = self.kind, self.x, self.p
        z = special.ndtri(p)
        if kind in ("normal", "lognormal"):
            y = x if kind == "normal" else np.log(x)
            if len(y) == 1:  # cannot happen: two free parameters need two quantiles
                raise AssertionError
            slope, intercept = np.polyfit(z, y, 1)
            return np.array([[intercept, math.log(max(slope, 1e-300))]])
        grid = self._grid(z)
        costs = self.cost(grid)
        # the best grid points first; solve() takes the best fit of the first three, and
        # the later ones only where those fail: where Levenberg–Marquardt ends on a plateau
        # (a tail quantile whose cdf is 0 to machine precision at the start's parameters)
        order = np.argsort(costs, kind="stable")[:12]
        return grid[order]

    def _grid(self, z: Array) -> Array:
        kind, x = self.kind, self.x
        if kind == "gamma":
            # profile over the shape: for shape k the log-scale matching the values in
            # log space is the mean of log(x / gammaincinv(k, p))
            k = np.logspace(-2.0, 3.0, 61)[:, None]
            g = special.gammaincinv(k, self.p[None, :])
            log_scale = np.mean(np.log(x)[None, :] - np.log(g), axis=1, keepdims=True)
            return np.hstack([np.log(k), log_scale])
        if kind == "beta":
            la = np.log(np.logspace(-1.3, 3.0, 30))
            a, b = np.meshgrid(la, la, indexing="ij")
            return np.column_stack([a.ravel(), b.ravel()])
        if kind == "truncnormal":
            spread = self.spread or 1.0
            mu = x[0] + spread * np.linspace(-4.0, 5.0, 37)
            log_sd = np.log(spread * np.logspace(-1.5, 1.5, 25))
            m, s = np.meshgrid(mu, log_sd, indexing="ij")
            return np.column_stack([m.ravel(), s.ravel()])
        # uniform, triangular, pert
        span = self.spread
        if span == 0.0:
            low = self.fixed.get("low", x[0] - 1.0)
            high = self.fixed.get("high", x[-1] + 1.0)
            span = float(high - low)
        axes: list[Array] = []
        for name in self.free:
            if name == "mode":
                axes.append(special.logit(np.linspace(0.04, 0.96, 13)))
            else:
                axes.append(np.log(span * np.logspace(-2.0, 1.0, 13)))
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.column_stack([m.ravel() for m in mesh])

    def solve(self) -> Array:
        """Return the best unconstrained parameter vector."""
        best: Array | None = None
        best_cost = math.inf
        for tried, start in enumerate(self.starts(), start=1):
            try:
                res = optimize.least_squares(
                    self.residuals,
                    start,
                    method="lm",
                    xtol=1e-15,
                    ftol=1e-15,
                    gtol=1e-15,
                    max_nfev=2000,
                )
                theta = np.asarray(res.x, dtype=np.float64)
            except (ValueError, FloatingPointError):  # pragma: no cover - defensive
                continue
            cost = float(self.cost(theta)[0])
            if cost < best_cost:
                best, best_cost = theta, cost
            if tried >= 3 and (len(self.p) > len(self.free) or best_cost < _FITTED_COST):
                # the best of the three best starts is the fit, unless as many quantiles as
                # free parameters (which a fit matches exactly) are not matched: then the
                # later starts are tried too
                break
        if best is None or not math.isfinite(best_cost):
            judged = ", ".join(
                f"{quantile_key(float(pi))} = {xi:g}" for pi, xi in zip(self.p, self.x, strict=True)
            )
            raise DistributionError(
                f"{self.kind}: could not fit the quantiles {judged}; check that they describe "
                "one peaked distribution",
                param=quantile_key(float(self.p[0])),
            )
        return best


# --------------------------------------------------------------------------------------
# Checks and the public function
# --------------------------------------------------------------------------------------


def _fmt(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(keys) if keys else "none"


def _check_quantiles(kind: str, quantiles: Mapping[float, float]) -> tuple[Array, Array]:
    if not isinstance(quantiles, Mapping):
        raise DistributionError(
            f"{kind}: quantiles must be a mapping of probability -> value, got "
            f"{quantiles!r} ({type(quantiles).__name__})",
            param="quantiles",
        )
    pairs: list[tuple[float, float]] = []
    for prob, value in quantiles.items():
        if (
            isinstance(prob, bool)
            or not isinstance(prob, numbers.Real)
            or not 0.0 < float(prob) < 1.0
        ):
            raise DistributionError(
                f"{kind}: quantile probabilities must be numbers strictly between 0 and 1 "
                f"(p10 is 0.1), got {prob!r}",
                param="quantiles",
            )
        key = quantile_key(float(prob))
        pairs.append((float(prob), check_real(kind, key, value)))
    pairs.sort()
    for (p0, x0), (p1, x1) in itertools.pairwise(pairs):
        if p0 == p1:
            raise DistributionError(
                f"{kind}: probability {p0} is given twice", param=quantile_key(p1)
            )
        if not x1 > x0:
            k0, k1 = quantile_key(p0), quantile_key(p1)
            raise DistributionError(
                f"{kind}: {k1} = {x1:g} must be > {k0} = {x0:g}; quantile values must "
                "increase with the probability",
                param=k1,
            )
    p = np.array([pp for pp, _ in pairs], dtype=np.float64)
    x = np.array([xx for _, xx in pairs], dtype=np.float64)
    return p, x


def _check_support(kind: str, p: Array, x: Array, fixed: Mapping[str, float]) -> None:
    low = fixed.get("low", -_INF)
    high = fixed.get("high", _INF)
    if kind in ("lognormal", "gamma"):
        low = 0.0
    if kind == "beta":
        low, high = fixed.get("low", 0.0), fixed.get("high", 1.0)
    for pi, xi in zip(p, x, strict=True):
        if not low < xi < high:
            key = quantile_key(float(pi))
            raise DistributionError(
                f"{kind}: {key} = {xi:g} is outside the support ({low:g}, {high:g}); "
                "every quantile must lie strictly inside it",
                param=key,
            )


def _check_fixed(kind: str, family: _Family, fixed: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in fixed.items():
        if key not in family.fixable:
            raise DistributionError(
                f"{kind}: {key!r} cannot be given together with quantiles (pNN keys); "
                f"with quantiles give only {_fmt(family.fixable)} (held fixed), or give the "
                "parameters without quantiles",
                param=key,
            )
        out[key] = (
            check_real(kind, key, value, allow_inf=True)
            if kind == "truncnormal"
            else check_real(kind, key, value)
        )
    if "shape" in out and not out["shape"] > 0:
        raise DistributionError(f"{kind}: shape must be > 0, got {out['shape']}", param="shape")
    if "low" in out and "high" in out and not out["low"] < out["high"]:
        raise DistributionError(
            f"{kind}: low ({out['low']}) must be < high ({out['high']})", param="low"
        )
    if kind == "truncnormal" and not (
        math.isfinite(out.get("low", _INF)) or math.isfinite(out.get("high", _INF))
    ):
        raise DistributionError(
            "truncnormal: give a finite low and/or high alongside the quantiles (the "
            "truncation bounds are not fitted); use dist = 'normal' for no truncation",
            param="low",
        )
    return out


def _build(family: _Family, params: Mapping[str, float]) -> Distribution:
    to_field = {key: name for name, key in family.cls._toml_names.items()}
    return family.cls(**{to_field.get(k, k): float(v) for k, v in params.items()})


def fit_quantiles(family: str, quantiles: Mapping[float, float], **fixed: float) -> FitResult:
    """Fit a continuous family to an expert's quantiles by least squares on the cdf.

    Minimises ``sum_i (F(x_i) - p_i)**2`` over the family's free parameters (SHELF's
    approach), from good starting values, with :func:`scipy.optimize.least_squares`. With
    as many quantiles as free parameters the fit is exact when such a member exists.

    Free parameters per family (TOML names) and the keys that may be `fixed`:

    - ``normal``: mean, sd
    - ``lognormal``: mu, sigma
    - ``gamma``: shape, scale
    - ``beta``: alpha, beta; fixed low, high (default 0, 1)
    - ``truncnormal``: mean, sd (of the parent normal); fixed low and/or high (at least
      one finite, required)
    - ``uniform``: low, high, each unless fixed
    - ``triangular``: low, mode, high; low and/or high may be fixed
    - ``pert``: low, mode, high; low and/or high may be fixed; fixed shape (default 4)

    Parameters
    ----------
    family : str
        TOML name of the family, one of :data:`ELICITABLE`.
    quantiles : Mapping[float, float]
        Probability (strictly between 0 and 1) -> judged value; at least as many as the
        family has free parameters, values increasing with the probability and inside
        the support.
    **fixed : float
        Parameters held fixed (not fitted), e.g. ``low=0.0, high=1.0``.

    Returns
    -------
    FitResult
        The fitted distribution (with ``elicited`` set), its parameters, the achieved
        quantiles and the largest error in probability.

    Raises
    ------
    DistributionError
        For an unknown or non-continuous family, a key that cannot be fixed, too few
        quantiles, non-increasing values, values outside the support or probabilities
        outside (0, 1). ``param`` names the offending key (``p10``, ``low``, ...).

    Examples
    --------
    >>> fit = fit_quantiles("normal", {0.1: 8.0, 0.5: 10.0, 0.9: 12.0})
    >>> round(fit.parameters["mean"], 9), round(fit.parameters["sd"], 6)
    (10.0, 1.560608)
    >>> fit.max_abs_error < 1e-12
    True
    """
    if family not in _FAMILIES:
        raise DistributionError(
            f"quantiles can be given for the continuous families {', '.join(ELICITABLE)} "
            f"only, got dist = {family!r}",
            param="dist",
        )
    fam = _FAMILIES[family]
    fixed_values = _check_fixed(family, fam, fixed)
    p, x = _check_quantiles(family, quantiles)
    free = tuple(name for name in fam.params if name not in fixed_values)
    if not free:
        raise DistributionError(
            f"{family}: nothing left to fit: {', '.join(fixed_values)} fix every parameter; "
            "give fewer fixed keys or write the parameters without quantiles",
            param=next(iter(fixed_values)),
        )
    given = [quantile_key(float(pi)) for pi in p]
    if len(p) < len(free):
        raise DistributionError(
            f"{family}: {len(free)} quantiles (pNN keys) are needed to fit "
            f"{', '.join(free)}, got {len(p)} ({_fmt(given)}); e.g. give "
            f"{_SUGGEST.get(len(free), 'p10, p50, p90')}",
            param=given[0] if given else "p50",
        )
    _check_support(family, p, x, fixed_values)
    constants = {**fam.defaults, **fixed_values}
    problem = _Problem(family, p, x, constants, free)
    theta = problem.solve()
    params = {k: float(v[0, 0]) for k, v in problem.unpack(theta).items()}
    dist = _build(fam, params)
    achieved = np.asarray(dist.ppf(p), dtype=np.float64)
    error = float(np.max(np.abs(np.asarray(dist.cdf(x)) - p)))
    record = Elicitation(
        family=family,
        judged=tuple(zip(p.tolist(), x.tolist(), strict=True)),
        achieved=tuple(zip(p.tolist(), achieved.tolist(), strict=True)),
        fixed=tuple(fixed_values.items()),
        max_abs_error=error,
    )
    dist = dataclasses.replace(dist, elicited=record)  # type: ignore[type-var]
    table = dist.to_toml()
    del table["dist"]
    return FitResult(
        family=family,
        distribution=dist,
        parameters=table,
        quantiles=dict(record.achieved),
        judged=dict(record.judged),
        max_abs_error=error,
    )
