"""Base class, parameter checks and helpers shared by all distribution families."""

from __future__ import annotations

import abc
import dataclasses
import math
import numbers
import operator
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from som_mc.errors import DistributionError

__all__ = [
    "Distribution",
    "PointValueMethod",
    "check_integer",
    "check_positive",
    "check_real",
    "lazy_module",
    "point_value",
    "set_fields",
    "toml_fields",
]


class _LazyModule:
    """A module imported on first attribute access (keeps ``import som_mc`` and the CLI fast)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


def lazy_module(name: str) -> Any:
    """Return a stand-in for module `name` that imports it when first used.

    scipy.stats and scipy.optimize take ≈ 0,5–1 s to import; commands that only read and
    check a case never need them.
    """
    return _LazyModule(name)

PointValueMethod = Literal["mean", "median", "mode"]
"""How :func:`point_value` reduces a distribution to one number."""

# Smallest positive double: ppf of a discrete family at this level is the smallest value
# that has positive probability.
_TINY = 5e-324


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_real(kind: str, name: str, value: Any, *, allow_inf: bool = False) -> float:
    """Return `value` as a float, or raise if it is not a finite real number.

    Parameters
    ----------
    kind : str
        TOML name of the family, used as the message prefix.
    name : str
        Name of the parameter as the user writes it in a case file.
    value : Any
        The value received.
    allow_inf : bool, default False
        Accept ``-inf`` and ``+inf`` (never NaN).

    Returns
    -------
    float
        The value as a Python float.

    Raises
    ------
    DistributionError
        If `value` is a bool, not a real number, NaN, or infinite (unless allowed).
    """
    allowed = "a real number (not NaN)" if allow_inf else "a finite real number"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise DistributionError(
            f"{kind}: {name} must be {allowed}, got {_describe(value)}", param=name
        )
    x = float(value)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise DistributionError(f"{kind}: {name} must be {allowed}, got {x}", param=name)
    return x


def check_positive(kind: str, name: str, value: Any) -> float:
    """Return `value` as a float, or raise if it is not a finite number > 0.

    Parameters
    ----------
    kind : str
        TOML name of the family, used as the message prefix.
    name : str
        Name of the parameter as the user writes it in a case file.
    value : Any
        The value received.

    Returns
    -------
    float
        The value as a Python float.

    Raises
    ------
    DistributionError
        If `value` is not a finite real number or is not strictly positive.
    """
    x = check_real(kind, name, value)
    if not x > 0:
        raise DistributionError(f"{kind}: {name} must be > 0, got {x}", param=name)
    return x


def check_integer(kind: str, name: str, value: Any) -> int:
    """Return `value` as an int, or raise if it is not an integer.

    Integral floats such as ``3.0`` are accepted (TOML users write them); ``3.5``, bools,
    NaN and infinities are not.

    Parameters
    ----------
    kind : str
        TOML name of the family, used as the message prefix.
    name : str
        Name of the parameter as the user writes it in a case file.
    value : Any
        The value received.

    Returns
    -------
    int
        The value as a Python int.

    Raises
    ------
    DistributionError
        If `value` is not an integer.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        return int(value)
    x = check_real(kind, name, value)
    if not x.is_integer():
        raise DistributionError(f"{kind}: {name} must be an integer, got {x}", param=name)
    return int(x)


def set_fields(obj: object, **values: Any) -> None:
    """Store normalised values on a frozen dataclass instance (for ``__post_init__``)."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)


def toml_fields(cls: type[Any]) -> tuple[dataclasses.Field[Any], ...]:
    """Return the dataclass fields of `cls` that are TOML parameters.

    Fields with ``metadata={"toml": False}`` (such as ``elicited``) are left out.
    """
    return tuple(f for f in dataclasses.fields(cls) if f.metadata.get("toml", True))


class Distribution(abc.ABC):
    """Base class of all distribution families.

    Subclasses are frozen, slotted, keyword-only dataclasses whose parameters are checked
    at construction. Parametric families only implement ``_scipy()`` (a frozen
    ``scipy.stats`` distribution) and :meth:`mode`; the other methods are derived from it.

    Attributes
    ----------
    kind : str
        Name of the family in the ``dist`` key of a case file's TOML table.
    discrete : bool
        Whether the family takes integer values only.
    """

    __slots__ = ()

    kind: ClassVar[str]
    discrete: ClassVar[bool]
    # Field name -> TOML key, for fields whose TOML key differs from the field name.
    _toml_names: ClassVar[Mapping[str, str]] = {}

    def _scipy(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no scipy.stats equivalent")

    @property
    def is_fixed(self) -> bool:
        """Whether this is a :class:`Fixed` (degenerate, non-random) value."""
        return False

    def ppf(self, q: ArrayLike) -> NDArray[np.float64]:
        """Percent point function (inverse of :meth:`cdf`).

        Parameters
        ----------
        q : array_like
            Probabilities in [0, 1]; values outside give NaN.

        Returns
        -------
        numpy.ndarray
            Quantiles as float64, same shape as `q` (0-d for a scalar). For discrete
            families the values are integers stored as floats, and ``ppf(0)`` is the
            smallest value with positive probability.
        """
        q = np.asarray(q, dtype=np.float64)
        frozen = self._scipy()
        out = np.asarray(frozen.ppf(q), dtype=np.float64)
        if self.discrete:
            # scipy returns one below the support at q == 0; inverse-transform sampling
            # (rng.random can return exactly 0) needs a value that can actually occur.
            out = np.where(q == 0, frozen.ppf(_TINY), out)
        return out

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Cumulative distribution function.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate.

        Returns
        -------
        numpy.ndarray
            ``P(X <= x)`` as float64, same shape as `x` (0-d for a scalar).
        """
        return np.asarray(self._scipy().cdf(np.asarray(x, dtype=np.float64)), dtype=np.float64)

    def mean(self) -> float:
        """Return the expected value."""
        return float(self._scipy().mean())

    def std(self) -> float:
        """Return the standard deviation."""
        return float(self._scipy().std())

    def median(self) -> float:
        """Return the median."""
        return float(self._scipy().median())

    @abc.abstractmethod
    def mode(self) -> float:
        """Return the most likely value (the peak of the density or probability mass)."""

    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (may be infinite)."""
        low, high = self._scipy().support()
        return float(low), float(high)

    def sample(self, n: int, rng: int | np.random.Generator | None = None) -> NDArray[np.float64]:
        """Draw `n` values by inverse transform, ``ppf(rng.random(n))``.

        Parameters
        ----------
        n : int
            Number of draws (>= 0).
        rng : None, int or numpy.random.Generator, optional
            Seed or generator; ``None`` uses fresh OS entropy. ``0`` is a valid seed.

        Returns
        -------
        numpy.ndarray
            Float64 array of shape ``(n,)``.

        Examples
        --------
        >>> from som_mc.distributions import Uniform
        >>> Uniform(low=0.0, high=1.0).sample(3, rng=0).shape
        (3,)
        """
        if isinstance(n, bool | np.bool_):
            raise DistributionError(
                f"{self.kind}: sample size n must be a non-negative integer, got {n!r}"
            )
        try:
            size = operator.index(n)
        except TypeError:
            raise DistributionError(
                f"{self.kind}: sample size n must be a non-negative integer, got {_describe(n)}"
            ) from None
        if size < 0:
            raise DistributionError(
                f"{self.kind}: sample size n must be a non-negative integer, got {size}"
            )
        gen = np.random.default_rng(rng)
        return self.ppf(gen.random(size))

    def to_toml(self) -> dict[str, Any]:
        """Return the TOML table form, e.g. ``{"dist": "uniform", "low": 0.0, "high": 1.0}``.

        The result round-trips: ``from_toml(d.to_toml()) == d``.
        """
        table: dict[str, Any] = {"dist": self.kind}
        for field in toml_fields(type(self)):
            table[self._toml_names.get(field.name, field.name)] = getattr(self, field.name)
        return table


def point_value(dist: Distribution, how: PointValueMethod = "mean") -> float:
    """Reduce a distribution to one number, e.g. for a deterministic base case.

    Parameters
    ----------
    dist : Distribution
        The distribution.
    how : {"mean", "median", "mode"}, default "mean"
        Which summary to return.

    Returns
    -------
    float
        The requested summary.

    Raises
    ------
    DistributionError
        If `how` is not one of the allowed names.

    Examples
    --------
    >>> from som_mc.distributions import Triangular, point_value
    >>> point_value(Triangular(low=0.0, most_likely=1.0, high=2.0), "mode")
    1.0
    """
    if how == "mean":
        return dist.mean()
    if how == "median":
        return dist.median()
    if how == "mode":
        return dist.mode()
    raise DistributionError(
        f"point value: how must be one of 'mean', 'median', 'mode', got {how!r}", param="how"
    )
