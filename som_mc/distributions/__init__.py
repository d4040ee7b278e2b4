"""Probability distributions for uncertain model inputs.

Each family is a small immutable value object, checked at construction, with ``ppf``,
``cdf``, moments and inverse-transform ``sample``, and a TOML table form that round-trips
through :func:`from_toml`.

Examples
--------
>>> from som_mc.distributions import PERT, from_toml
>>> d = PERT(low=0.15, most_likely=0.25, high=0.4)
>>> d.to_toml()
{'dist': 'pert', 'low': 0.15, 'mode': 0.25, 'high': 0.4, 'shape': 4.0}
>>> from_toml(d.to_toml()) == d
True
"""

from som_mc.distributions._base import Distribution, PointValueMethod, point_value
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
from som_mc.distributions._discrete import Binomial, DiscreteUniform, Poisson
from som_mc.distributions._empirical import Empirical
from som_mc.distributions._fixed import Fixed
from som_mc.distributions._toml import FAMILIES, as_distribution, from_toml

__all__ = [
    "FAMILIES",
    "PERT",
    "Beta",
    "Binomial",
    "DiscreteUniform",
    "Distribution",
    "Empirical",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "PointValueMethod",
    "Poisson",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "as_distribution",
    "from_toml",
    "point_value",
]
