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

A family can also be given by an expert's quantiles (fitted by :func:`fit_quantiles`), and
experts can be pooled in a :class:`Mixture`:

>>> e = from_toml({"dist": "beta", "p10": 0.15, "p50": 0.25, "p90": 0.40})
>>> e.elicited.judged_quantiles()
{'p10': 0.15, 'p50': 0.25, 'p90': 0.4}
>>> pool = from_toml({"dist": "mixture", "components": [d.to_toml(), e.to_toml()],
...                   "weights": [0.5, 0.5]})
>>> from_toml(pool.to_toml()) == pool
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
from som_mc.distributions._elicitation import (
    Elicitation,
    elicitation_record,
    parse_quantile_key,
    quantile_key,
)
from som_mc.distributions._empirical import Empirical
from som_mc.distributions._fit import ELICITABLE, FitResult, fit_quantiles
from som_mc.distributions._fixed import Fixed
from som_mc.distributions._mixture import WEIGHT_TOLERANCE, Mixture
from som_mc.distributions._posterior import (
    BinomialPosterior,
    binomial_posterior,
    prior_predictive,
)
from som_mc.distributions._toml import FAMILIES, KINDS, as_distribution, from_toml

__all__ = [
    "ELICITABLE",
    "FAMILIES",
    "KINDS",
    "PERT",
    "WEIGHT_TOLERANCE",
    "Beta",
    "Binomial",
    "BinomialPosterior",
    "DiscreteUniform",
    "Distribution",
    "Elicitation",
    "Empirical",
    "FitResult",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Mixture",
    "Normal",
    "PointValueMethod",
    "Poisson",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "as_distribution",
    "binomial_posterior",
    "elicitation_record",
    "fit_quantiles",
    "from_toml",
    "parse_quantile_key",
    "point_value",
    "prior_predictive",
    "quantile_key",
]
