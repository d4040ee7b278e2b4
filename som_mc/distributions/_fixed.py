"""The degenerate distribution: a fixed, known value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.distributions._base import Distribution, check_real, set_fields

__all__ = ["Fixed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixed(Distribution):
    """A known value with no uncertainty (all probability at `value`).

    TOML: ``{dist = "fixed", value = 3.0}``; a plain number in a case file means the same
    (see :func:`as_distribution`).

    Parameters
    ----------
    value : float
        The value, finite.

    Examples
    --------
    >>> Fixed(value=3.0).sample(2, rng=0)
    array([3., 3.])
    """

    kind: ClassVar[str] = "fixed"
    discrete: ClassVar[bool] = False

    value: float

    def __post_init__(self) -> None:
        set_fields(self, value=check_real(self.kind, "value", self.value))

    @property
    def is_fixed(self) -> bool:
        """Return True: this distribution is a fixed value."""
        return True

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Return `value` for every q in [0, 1] (NaN outside)."""
        q = np.asarray(q, dtype=np.float64)
        return np.where((q >= 0.0) & (q <= 1.0), self.value, np.nan)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Return 1 where ``x >= value``, else 0 (NaN for NaN)."""
        x = np.asarray(x, dtype=np.float64)
        return np.where(np.isnan(x), np.nan, np.where(x >= self.value, 1.0, 0.0))

    def mean(self) -> float:
        """Return `value`."""
        return self.value

    def std(self) -> float:
        """Return 0."""
        return 0.0

    def median(self) -> float:
        """Return `value`."""
        return self.value

    def mode(self) -> float:
        """Return `value`."""
        return self.value

    def support(self) -> tuple[float, float]:
        """Return ``(value, value)``."""
        return self.value, self.value
