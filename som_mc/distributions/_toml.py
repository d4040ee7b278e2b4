"""Reading distributions from case-file TOML tables."""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from som_mc.distributions._base import Distribution, toml_fields
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
from som_mc.errors import DistributionError

__all__ = ["FAMILIES", "as_distribution", "from_toml"]

FAMILIES: Mapping[str, type[Distribution]] = types.MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            Fixed,
            Uniform,
            Triangular,
            PERT,
            Normal,
            TruncatedNormal,
            LogNormal,
            Beta,
            Gamma,
            Poisson,
            DiscreteUniform,
            Binomial,
            Empirical,
        )
    }
)
"""Distribution families by their TOML ``dist`` name."""


class _Form(NamedTuple):
    """One parameterisation: the TOML keys it requires and how to build from them."""

    keys: tuple[str, ...]
    build: Callable[..., Distribution]


class _Spec(NamedTuple):
    forms: tuple[_Form, ...]  # canonical form first
    optional: tuple[str, ...]  # keys allowed with every form


# Alternate parameterisations; the canonical one is derived from the dataclass fields.
_ALTERNATES: dict[str, tuple[_Form, ...]] = {
    "lognormal": (
        _Form(("mean", "sd"), LogNormal.from_mean_sd),
        _Form(("median", "p95"), LogNormal.from_median_p95),
    ),
    "beta": (_Form(("mean", "sd"), Beta.from_mean_sd),),
    "gamma": (_Form(("mean", "sd"), Gamma.from_mean_sd),),
}


def _spec(cls: type[Distribution]) -> _Spec:
    to_key = cls._toml_names
    to_field = {key: name for name, key in to_key.items()}
    fields = toml_fields(cls)
    required = tuple(to_key.get(f.name, f.name) for f in fields if f.default is dataclasses.MISSING)
    optional = tuple(
        to_key.get(f.name, f.name) for f in fields if f.default is not dataclasses.MISSING
    )

    def build(**table: Any) -> Distribution:
        return cls(**{to_field.get(key, key): value for key, value in table.items()})

    return _Spec((_Form(required, build), *_ALTERNATES.get(cls.kind, ())), optional)


_SPECS: dict[str, _Spec] = {kind: _spec(cls) for kind, cls in FAMILIES.items()}


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_of(forms: tuple[_Form, ...]) -> str:
    sets = ["{" + ", ".join(form.keys) + "}" for form in forms]
    return sets[0] if len(sets) == 1 else ", ".join(sets[:-1]) + " or " + sets[-1]


def from_toml(table: Mapping[str, Any]) -> Distribution:
    """Build a distribution from its case-file TOML table.

    The ``dist`` key names the family; the other keys are its parameters. Accepted forms
    (keys in brackets are optional):

    - ``fixed``: value
    - ``uniform``: low, high
    - ``triangular``: low, mode, high
    - ``pert``: low, mode, high, [shape]
    - ``normal``: mean, sd
    - ``truncnormal``: mean, sd, [low], [high] -- mean/sd of the parent normal; at least
      one bound
    - ``lognormal``: exactly one of {mu, sigma}, {mean, sd}, {median, p95}
    - ``beta``: {alpha, beta} or {mean, sd}, with [low], [high]
    - ``gamma``: {shape, scale} or {mean, sd}
    - ``poisson``: mean
    - ``discrete_uniform``: low, high
    - ``binomial``: n, p
    - ``empirical``: values (a non-empty list of numbers)

    Parameters
    ----------
    table : Mapping[str, Any]
        The table, e.g. parsed by :mod:`tomllib`.

    Returns
    -------
    Distribution
        The distribution; ``from_toml(d.to_toml()) == d`` for every distribution `d`.

    Raises
    ------
    DistributionError
        For an unknown ``dist`` name, unknown, missing or mixed keys, or invalid values.
        ``param`` names the offending key.

    Examples
    --------
    >>> from_toml({"dist": "pert", "low": 0.15, "mode": 0.25, "high": 0.4})
    PERT(low=0.15, most_likely=0.25, high=0.4, shape=4.0)
    """
    if not isinstance(table, Mapping):
        raise DistributionError(
            f"a distribution must be a table with a 'dist' key, got {table!r} "
            f"({type(table).__name__})"
        )
    known = list(FAMILIES)
    if "dist" not in table:
        raise DistributionError(
            f"distribution table has no 'dist' key (got keys: {', '.join(map(str, table))}); "
            f"known distributions: {', '.join(known)}",
            param="dist",
        )
    kind = table["dist"]
    if not isinstance(kind, str) or kind not in _SPECS:
        hint = _did_you_mean(kind, known) if isinstance(kind, str) else ""
        raise DistributionError(
            f"unknown distribution dist = {kind!r}{hint}; known distributions: {', '.join(known)}",
            param="dist",
        )
    spec = _SPECS[kind]
    allowed = ["dist", *dict.fromkeys(k for form in spec.forms for k in form.keys), *spec.optional]
    unknown = [key for key in table if key not in allowed]
    if unknown:
        first = str(unknown[0])
        plural = "s" if len(unknown) > 1 else ""
        raise DistributionError(
            f"{kind}: unknown key{plural} {', '.join(repr(k) for k in unknown)}"
            f"{_did_you_mean(first, allowed)}; allowed keys: {', '.join(allowed)}",
            param=first,
        )
    present = [form for form in spec.forms if any(key in table for key in form.keys)]
    if len(present) > 1:
        given = [key for form in present for key in form.keys if key in table]
        raise DistributionError(
            f"{kind}: keys {', '.join(given)} mix different parameterisations; "
            f"give exactly one of {_one_of(spec.forms)}",
            param=next(key for key in present[1].keys if key in table),
        )
    if not present:
        raise DistributionError(
            f"{kind}: missing parameters; give {_one_of(spec.forms)}",
            param=spec.forms[0].keys[0],
        )
    form = present[0]
    missing = [key for key in form.keys if key not in table]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise DistributionError(
            f"{kind}: missing key{plural} {', '.join(repr(k) for k in missing)}; "
            f"this form needs {_one_of((form,))}",
            param=missing[0],
        )
    return form.build(**{key: table[key] for key in (*form.keys, *spec.optional) if key in table})


def as_distribution(x: float | Distribution | Mapping[str, Any]) -> Distribution:
    """Interpret a case-file value as a distribution.

    Parameters
    ----------
    x : float, int, Distribution or Mapping
        A plain finite number (becomes :class:`Fixed`), a distribution (returned as is) or
        a TOML table (passed to :func:`from_toml`).

    Returns
    -------
    Distribution
        The distribution.

    Raises
    ------
    DistributionError
        If `x` is none of the above or is invalid.

    Examples
    --------
    >>> as_distribution(3)
    Fixed(value=3.0)
    """
    if isinstance(x, Distribution):
        return x
    if isinstance(x, Mapping):
        return from_toml(x)
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_):
        return Fixed(value=x)
    raise DistributionError(
        f"expected a number or a distribution table with a 'dist' key, got {x!r} "
        f"({type(x).__name__})"
    )
