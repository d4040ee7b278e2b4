"""Quantile and distribution functions of the parametric families, without scipy.stats.

scipy.stats takes ≈ 0,5–1 s to import, and every call through a frozen distribution builds
one (≈ 1 ms: argument parsing, docstrings). The families' ``ppf``, ``cdf`` and moments are
computed here from the same :mod:`scipy.special` functions, with the same arithmetic in the
same order as scipy.stats, so the numbers are bit for bit those of scipy.stats (tested in
``tests/test_distributions_special.py``). Where scipy.stats uses a private
``scipy.special._ufuncs`` function (the beta quantile and the binomial cdf, both from
Boost) it is used too; should a scipy release drop it, the frozen scipy.stats distribution
is used instead.

The wrappers follow scipy.stats' conventions: ``ppf`` is NaN outside [0, 1] and for NaN,
the support's ends at 0 and 1; ``cdf`` is 0 below and at the lower end of the support, 1
from the upper end on, NaN for NaN. The inner functions always see a contiguous 1-d array
of the valid points, as in scipy.stats (NumPy's vector loops then compute each element the
same way).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import lazy_module

special = lazy_module("scipy.special")

__all__ = [
    "binom_cdf_table",
    "discrete_cdf",
    "loc_scale_cdf",
    "loc_scale_ppf",
    "poisson_ppf",
    "private_ufunc",
    "randint_ppf",
    "special",
]

Standard = Callable[[np.ndarray], np.ndarray]


def private_ufunc(name: str) -> Any:
    """Return ``scipy.special._ufuncs.NAME`` (what scipy.stats calls), or None if absent."""
    try:
        module = importlib.import_module("scipy.special._ufuncs")
    except ImportError:  # pragma: no cover - scipy without its ufunc module
        return None
    return getattr(module, name, None)


def _shaped(out: np.ndarray, shape: tuple[int, ...]) -> NDArray[np.float64]:
    return out.reshape(shape)


def loc_scale_ppf(
    q: ArrayLike, standard: Standard, lower: float, upper: float, loc: float, scale: float
) -> NDArray[np.float64]:
    """Quantiles ``standard(q) * scale + loc`` as scipy.stats' ``rv_continuous.ppf``.

    Parameters
    ----------
    q : array_like
        Probabilities.
    standard : callable
        Quantile function of the standardised family on a contiguous 1-d array in (0, 1).
    lower, upper : float
        Support of the standardised family (its ppf at 0 and 1).
    loc, scale : float
        Location and scale.

    Returns
    -------
    ndarray
        Same shape as `q` (0-d for a scalar).
    """
    q = np.asarray(q, dtype=np.float64)
    flat = q.ravel()
    inside = (flat > 0) & (flat < 1)
    if inside.all():
        return _shaped(standard(np.ascontiguousarray(flat)) * scale + loc, q.shape)
    out = np.full(flat.shape, np.nan)
    out[flat == 0] = lower * scale + loc
    out[flat == 1] = upper * scale + loc
    if inside.any():
        out[inside] = standard(flat[inside]) * scale + loc
    return _shaped(out, q.shape)


def loc_scale_cdf(
    x: ArrayLike, standard: Standard, lower: float, upper: float, loc: float, scale: float
) -> NDArray[np.float64]:
    """``standard((x - loc) / scale)`` as scipy.stats' ``rv_continuous.cdf``.

    Parameters
    ----------
    x : array_like
        Points.
    standard : callable
        Distribution function of the standardised family on a contiguous 1-d array strictly
        inside (`lower`, `upper`).
    lower, upper : float
        Support of the standardised family.
    loc, scale : float
        Location and scale.

    Returns
    -------
    ndarray
        Same shape as `x` (0-d for a scalar).
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.ravel((x - loc) / scale)
    with np.errstate(invalid="ignore"):
        inside = (lower < z) & (z < upper)
    if inside.all():
        return _shaped(standard(np.ascontiguousarray(z)), x.shape)
    out = np.zeros(z.shape)
    out[np.isnan(z)] = np.nan
    out[z >= upper] = 1.0
    if inside.any():
        out[inside] = standard(z[inside])
    return _shaped(out, x.shape)


def discrete_cdf(
    k: ArrayLike, standard: Standard, lower: float, upper: float
) -> NDArray[np.float64]:
    """``standard(k)`` clipped to [0, 1] as scipy.stats' ``rv_discrete.cdf`` (no loc).

    `standard` gets the points in [`lower`, `upper`) (finite ones only).
    """
    k = np.asarray(k, dtype=np.float64)
    flat = k.ravel()
    inside = (flat >= lower) & (flat < upper) & np.isfinite(flat)
    out = np.zeros(flat.shape)
    out[flat >= upper] = 1.0
    out[np.isnan(flat)] = np.nan
    if inside.any():
        out[inside] = np.clip(standard(flat[inside]), 0, 1)
    return _shaped(out, k.shape)


def _discrete_ppf(q: ArrayLike, standard: Standard, upper: float) -> NDArray[np.float64]:
    """As scipy.stats' ``rv_discrete.ppf`` (no loc), but ``ppf(0)`` = ``ppf(tiny)``.

    som_mc's discrete families return the smallest value with positive probability at 0
    (see :meth:`Distribution.ppf`), which is ``standard`` at the smallest positive double.
    """
    q = np.asarray(q, dtype=np.float64)
    flat = q.ravel()
    inside = (flat > 0) & (flat < 1)
    out = np.full(flat.shape, np.nan)
    out[flat == 1] = upper
    if inside.any():
        out[inside] = standard(np.ascontiguousarray(flat[inside]))
    zero = flat == 0
    if zero.any():
        out[zero] = standard(np.array([5e-324]))[0]
    return _shaped(out, q.shape)


def poisson_ppf(q: ArrayLike, mu: float) -> NDArray[np.float64]:
    """Quantiles of the Poisson distribution, as ``scipy.stats.poisson(mu).ppf``.

    The smallest ``k`` with ``cdf(k) >= q``; 0 at ``q = 0`` (see :func:`_discrete_ppf`).
    """

    def standard(u: np.ndarray) -> np.ndarray:
        vals = np.ceil(special.pdtrik(u, mu))
        vals1 = np.maximum(vals - 1, 0)
        temp = special.pdtr(vals1, mu)
        return np.where(temp >= u, vals1, vals) + 0

    return _discrete_ppf(q, standard, np.inf)


def randint_ppf(q: ArrayLike, low: int, high: int) -> NDArray[np.float64]:
    """Quantiles of the integers ``low..high``, as ``scipy.stats.randint(low, high + 1).ppf``."""
    lo, hi = np.asarray(low), np.asarray(high + 1)

    def standard(u: np.ndarray) -> np.ndarray:
        vals = np.ceil(u * (hi - lo) + lo) - 1
        vals1 = (vals - 1).clip(lo, hi)
        temp = (np.floor(vals1) - lo + 1.0) / (hi - lo)
        return np.where(temp >= u, vals1, vals) + 0

    return _discrete_ppf(q, standard, float(high))


def binom_cdf_table(n: int, p: float) -> NDArray[np.float64] | None:
    """``cdf(0..n)`` of the binomial, as ``scipy.stats.binom(n, p).cdf(np.arange(n + 1))``.

    None when scipy has no ``_binom_cdf`` ufunc (the caller then uses scipy.stats).
    """
    ufunc = private_ufunc("_binom_cdf")
    if ufunc is None:
        return None
    k = np.arange(n + 1, dtype=np.float64)
    return np.asarray(np.clip(ufunc(np.floor(k), n, p), 0, 1), dtype=np.float64)
