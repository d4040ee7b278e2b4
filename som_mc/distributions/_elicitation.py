"""What an expert judged: quantile keys (``p10``, ``p97_5``) and the elicitation record.

This module holds plain values only (no fitting), so that the distribution families can
carry an :class:`Elicitation` without depending on the fitting code in ``_fit.py``.
"""

from __future__ import annotations

import math
import numbers
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from som_mc.errors import DistributionError

__all__ = [
    "NOT_IN_TOML",
    "Elicitation",
    "check_elicited",
    "elicitation_record",
    "is_quantile_key",
    "parse_quantile_key",
    "quantile_key",
]

# Canonical key: percent 0..99 without leading zeros, '_' for the decimal point, no
# trailing zeros in the decimals; so each probability has exactly one key.
_CANONICAL = re.compile(r"p(0|[1-9][0-9]?)(?:_([0-9]*[1-9]))?")
# Anything that is meant as a quantile key (checked against _CANONICAL with a message).
_LOOKS_LIKE = re.compile(r"p[0-9][0-9_.]*")

NOT_IN_TOML: Mapping[str, Any] = types.MappingProxyType({"toml": False})
"""Dataclass field metadata of fields that are not TOML parameters (``elicited``)."""

_KEY_RULE = (
    "write p<percent> with the percent strictly between 0 and 100, '_' as its decimal point "
    "and no leading or trailing zeros, e.g. p5, p50, p97_5"
)


def is_quantile_key(key: object) -> bool:
    """Whether `key` is meant as a quantile key: ``p`` followed by a digit (``p10``, ``p2_5``).

    Malformed keys such as ``p05`` or ``p100`` count too, so that they get a precise message
    from :func:`parse_quantile_key` rather than "unknown key".

    Examples
    --------
    >>> is_quantile_key("p97_5"), is_quantile_key("p05"), is_quantile_key("shape")
    (True, True, False)
    """
    return isinstance(key, str) and _LOOKS_LIKE.fullmatch(key) is not None


def parse_quantile_key(kind: str, key: str) -> float:
    """Return the probability of a quantile key: ``p10`` -> 0.1, ``p97_5`` -> 0.975.

    Parameters
    ----------
    kind : str
        TOML name of the family, used as the message prefix.
    key : str
        The key as written in the case file.

    Returns
    -------
    float
        The probability, strictly between 0 and 1.

    Raises
    ------
    DistributionError
        If `key` is not a canonical key for a percent in (0, 100) (``param`` is `key`).

    Examples
    --------
    >>> parse_quantile_key("beta", "p2_5")
    0.025
    """
    match = _CANONICAL.fullmatch(key)
    if match is None or (match[1] == "0" and match[2] is None):
        raise DistributionError(
            f"{kind}: quantile key {key!r} is not a percentile in (0, 100); {_KEY_RULE}",
            param=key,
        )
    percent = Decimal(match[1] + ("." + match[2] if match[2] else ""))
    return float(percent / 100)


def quantile_key(p: float) -> str:
    """Return the canonical key of probability `p`: 0.1 -> ``p10``, 0.975 -> ``p97_5``.

    Parameters
    ----------
    p : float
        A probability strictly between 0 and 1.

    Returns
    -------
    str
        The key; ``parse_quantile_key(kind, quantile_key(p)) == p`` for every `p` whose
        percent has a short decimal form.

    Raises
    ------
    DistributionError
        If `p` is not a number strictly between 0 and 1.

    Examples
    --------
    >>> quantile_key(0.05), quantile_key(0.5), quantile_key(0.975)
    ('p5', 'p50', 'p97_5')
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 < float(p) < 1.0:
        raise DistributionError(
            f"a quantile's probability must be a number strictly between 0 and 1, got {p!r}",
            param="quantiles",
        )
    percent = format((Decimal(repr(float(p))) * 100).normalize(), "f")
    return "p" + percent.replace(".", "_")


@dataclass(frozen=True, slots=True, kw_only=True)
class Elicitation:
    """Record of how a distribution was elicited from an expert's quantiles.

    Attached to a fitted distribution as its ``elicited`` attribute (``None`` for a
    distribution given by its parameters). It does not take part in equality or hashing:
    a fitted distribution equals the same family with the same parameters.

    Parameters
    ----------
    family : str
        TOML name of the family that was fitted, e.g. ``"beta"``.
    judged : tuple of (float, float)
        The expert's ``(probability, value)`` pairs, probability increasing.
    achieved : tuple of (float, float)
        ``(probability, fitted quantile)`` at the same probabilities.
    fixed : tuple of (str, float)
        Parameters given alongside the quantiles and not fitted (TOML names), e.g.
        ``(("low", 0.0), ("high", 1.0))``; empty when none were given.
    max_abs_error : float
        ``max |F(x_i) - p_i|`` over the judged pairs, F the fitted cdf: the largest
        error *in probability* (0 for a perfect fit).

    Examples
    --------
    >>> from som_mc.distributions import from_toml
    >>> d = from_toml({"dist": "normal", "p10": 8.0, "p50": 10.0, "p90": 12.0})
    >>> d.elicited.judged_quantiles()
    {'p10': 8.0, 'p50': 10.0, 'p90': 12.0}
    """

    family: str
    judged: tuple[tuple[float, float], ...]
    achieved: tuple[tuple[float, float], ...]
    fixed: tuple[tuple[str, float], ...] = ()
    max_abs_error: float

    def judged_quantiles(self) -> dict[str, float]:
        """Return the expert's quantiles by key, e.g. ``{"p10": 0.15, "p50": 0.25}``."""
        return {quantile_key(p): v for p, v in self.judged}

    def achieved_quantiles(self) -> dict[str, float]:
        """Return the fitted distribution's quantiles at the judged probabilities, by key."""
        return {quantile_key(p): v for p, v in self.achieved}

    def to_toml(self) -> dict[str, Any]:
        """Return the quantile form of the TOML table (the judgements, not the fit).

        ``from_toml(d.elicited.to_toml()) == d`` for a distribution `d` fitted from TOML:
        the fit is deterministic.
        """
        return {"dist": self.family, **dict(self.fixed), **self.judged_quantiles()}

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary.

        Keys ``family``, ``judged``, ``quantiles`` (the achieved ones), ``fixed`` and
        ``max_abs_error``; quantiles keyed ``p10`` etc.
        """
        return {
            "family": self.family,
            "judged": self.judged_quantiles(),
            "quantiles": self.achieved_quantiles(),
            "fixed": dict(self.fixed),
            "max_abs_error": self.max_abs_error,
        }


def check_elicited(kind: str, value: Any) -> None:
    """Raise unless `value` is ``None`` or an :class:`Elicitation` of family `kind`."""
    if value is None:
        return
    if not isinstance(value, Elicitation) or value.family != kind:
        raise DistributionError(
            f"{kind}: elicited must be None or an Elicitation of family {kind!r}, got {value!r}",
            param="elicited",
        )
    if not math.isfinite(value.max_abs_error):
        raise DistributionError(
            f"{kind}: elicited.max_abs_error must be finite, got {value.max_abs_error}",
            param="elicited",
        )


def elicitation_record(dist: Any) -> Any:
    """Return how `dist` was elicited, JSON-ready, or ``None`` when it was not.

    A fitted distribution gives its :meth:`Elicitation.as_dict` plus the fitted
    ``parameters`` (its TOML table); a mixture gives ``{"components": [...]}`` with one
    record (or ``None``) per expert, and a binomial posterior the record of its ``prior``.
    ``None`` when nothing in `dist` was given by quantiles.
    """
    elicited = getattr(dist, "elicited", None)
    if isinstance(elicited, Elicitation):
        return {**elicited.as_dict(), "parameters": dist.to_toml()}
    components = getattr(dist, "components", None)
    if components is not None:
        parts = [elicitation_record(c) for c in components]
        return {"components": parts} if any(p is not None for p in parts) else None
    prior = getattr(dist, "prior", None)
    if prior is not None:
        inner = elicitation_record(prior)
        return None if inner is None else {"prior": inner}
    return None
