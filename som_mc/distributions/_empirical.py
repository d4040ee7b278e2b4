"""Empirical distribution: resampling a given set of values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import Distribution, check_real, set_fields
from som_mc.errors import DistributionError

__all__ = ["Empirical"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Empirical(Distribution):
    """Equal-probability distribution over a given set of values (e.g. earlier draws).

    This is a step distribution: its CDF jumps by ``1/len(values)`` at each value (by
    ``k/len(values)`` for a value repeated k times). ``ppf`` is the inverse of that step
    CDF (numpy's ``method="inverted_cdf"`` quantile), so ``ppf(U)`` with U uniform is
    exactly resampling with replacement. `discrete` is False because the values need not
    be integers.

    TOML: ``{dist = "empirical", values = [1.0, 2.5, 2.5, 4.0]}``.

    Parameters
    ----------
    values : sequence of float
        Non-empty, finite; stored as a tuple of floats in the given order.

    Examples
    --------
    >>> d = Empirical(values=[1.0, 2.0, 2.0, 7.0])
    >>> d.mean(), d.mode()
    (3.0, 2.0)
    """

    kind: ClassVar[str] = "empirical"
    discrete: ClassVar[bool] = False

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        raw = self.values
        if isinstance(raw, str | bytes | Mapping) or not hasattr(raw, "__iter__"):
            raise DistributionError(
                f"empirical: values must be a list of finite numbers, got {raw!r} "
                f"({type(raw).__name__})",
                param="values",
            )
        values = tuple(check_real(self.kind, f"values[{i}]", v) for i, v in enumerate(raw))
        if not values:
            raise DistributionError("empirical: values must not be empty", param="values")
        set_fields(self, values=values)

    def _sorted(self) -> NDArray[np.float64]:
        return np.sort(np.asarray(self.values, dtype=np.float64))

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Inverse of the empirical step CDF; NaN for q outside [0, 1]."""
        q = np.asarray(q, dtype=np.float64)
        valid = (q >= 0.0) & (q <= 1.0)
        out = np.full(q.shape, np.nan)
        out[valid] = np.quantile(self._sorted(), q[valid], method="inverted_cdf")
        return out

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Return the fraction of values <= x (NaN for NaN)."""
        x = np.asarray(x, dtype=np.float64)
        frac = np.searchsorted(self._sorted(), x, side="right") / len(self.values)
        return np.where(np.isnan(x), np.nan, frac)

    def mean(self) -> float:
        """Return the mean of the values."""
        return float(np.mean(self.values))

    def std(self) -> float:
        """Return the population (ddof=0) standard deviation of the values."""
        return float(np.std(self.values))

    def median(self) -> float:
        """Return ``numpy.median`` of the values (mid-point of the median interval)."""
        return float(np.median(self.values))

    def mode(self) -> float:
        """Return the most frequent value (the smallest one on ties)."""
        uniq, counts = np.unique(self.values, return_counts=True)
        return float(uniq[np.argmax(counts)])

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest value."""
        return float(min(self.values)), float(max(self.values))

    def to_toml(self) -> dict[str, Any]:
        """Return the TOML table form, with `values` as a list."""
        return {"dist": self.kind, "values": list(self.values)}
