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
from som_mc.distributions._elicitation import is_quantile_key, parse_quantile_key
from som_mc.distributions._empirical import Empirical
from som_mc.distributions._fit import ELICITABLE, fit_quantiles, quantile_fixable
from som_mc.distributions._fixed import Fixed
from som_mc.distributions._mixture import Mixture
from som_mc.distributions._posterior import BinomialPosterior
from som_mc.errors import DistributionError

__all__ = ["FAMILIES", "KINDS", "as_distribution", "from_toml"]

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
"""Distribution families by their TOML ``dist`` name (single families; a ``mixture`` of
them is listed in :data:`KINDS`)."""

KINDS: tuple[str, ...] = (*FAMILIES, Mixture.kind, BinomialPosterior.kind)
"""Every accepted ``dist`` name: the families, ``mixture`` and ``binomial_posterior``."""


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
    - ``mixture``: components (a list of distribution tables), weights (one per
      component, > 0, summing to 1)
    - ``binomial_posterior``: prior (a distribution table within [0, 1]), successes,
      trials -- the posterior of a rate after binomial evidence (written by
      ``som-mc update``)

    Every continuous parametric family (uniform, triangular, pert, normal, truncnormal,
    lognormal, beta, gamma) may instead be given by an expert's quantiles, keys ``pNN``
    (``p10`` is the 10th percentile, ``p97_5`` the 97.5th), fitted by
    :func:`~som_mc.distributions.fit_quantiles`; only bounds (``low``/``high``, and
    ``shape`` for pert) may be given alongside, held fixed. For lognormal the existing
    ``{median, p95}`` form keeps its meaning.

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
    known = list(KINDS)
    if "dist" not in table:
        raise DistributionError(
            f"distribution table has no 'dist' key (got keys: {', '.join(map(str, table))}); "
            f"known distributions: {', '.join(known)}",
            param="dist",
        )
    kind = table["dist"]
    if kind == Mixture.kind:
        return _mixture_from_toml(table)
    if kind == BinomialPosterior.kind:
        return _posterior_from_toml(table)
    if not isinstance(kind, str) or kind not in _SPECS:
        hint = _did_you_mean(kind, known) if isinstance(kind, str) else ""
        raise DistributionError(
            f"unknown distribution dist = {kind!r}{hint}; known distributions: {', '.join(known)}",
            param="dist",
        )
    spec = _SPECS[kind]
    quantile_keys = [key for key in table if is_quantile_key(key)]
    if quantile_keys and not _claimed_by_a_form(spec, table, quantile_keys):
        return _quantiles_from_toml(kind, spec, table, quantile_keys)
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


def _claimed_by_a_form(spec: _Spec, table: Mapping[str, Any], quantile_keys: list[str]) -> bool:
    """Return whether the quantile-like keys belong to a complete ordinary form.

    That is lognormal's ``{median, p95}``, where ``p95`` keeps its old meaning.
    """
    return any(
        all(key in table for key in form.keys) and set(quantile_keys) <= set(form.keys)
        for form in spec.forms
    )


def _quantiles_from_toml(
    kind: str, spec: _Spec, table: Mapping[str, Any], quantile_keys: list[str]
) -> Distribution:
    """Fit the family to the ``pNN`` keys of `table` (see :func:`fit_quantiles`)."""
    shown = ", ".join(quantile_keys)
    if kind not in ELICITABLE:
        raise DistributionError(
            f"{kind}: quantile keys ({shown}) are only allowed for the continuous families "
            f"{', '.join(ELICITABLE)}; give the parameters {_one_of(spec.forms)}",
            param=quantile_keys[0],
        )
    fixable = quantile_fixable(kind)
    parameters = dict.fromkeys(k for form in spec.forms for k in (*form.keys, *spec.optional))
    others = [key for key in table if key != "dist" and key not in quantile_keys]
    mixed = [key for key in others if key in parameters and key not in fixable]
    if mixed:
        extra = f" and {', '.join(fixable)} (held fixed)" if fixable else ""
        raise DistributionError(
            f"{kind}: parameter {mixed[0]!r} cannot be combined with the quantile keys "
            f"{shown}; give either the parameters ({_one_of(spec.forms)}) or quantiles "
            f"(pNN keys){extra}",
            param=mixed[0],
        )
    unknown = [key for key in others if key not in fixable]
    if unknown:
        first = str(unknown[0])
        allowed = ["dist", *fixable, "pNN"]
        raise DistributionError(
            f"{kind}: unknown key {first!r}{_did_you_mean(first, [*fixable, *parameters])}; "
            f"with quantiles the allowed keys are {', '.join(allowed)}",
            param=first,
        )
    quantiles: dict[float, Any] = {}
    for key in quantile_keys:
        quantiles[parse_quantile_key(kind, key)] = table[key]
    fixed = {key: table[key] for key in others}
    return fit_quantiles(kind, quantiles, **fixed).distribution


def _mixture_from_toml(table: Mapping[str, Any]) -> Mixture:
    """Build a :class:`Mixture`; errors in a component name its key path."""
    allowed = ["dist", "components", "weights"]
    unknown = [key for key in table if key not in allowed]
    if unknown:
        first = str(unknown[0])
        raise DistributionError(
            f"mixture: unknown key {first!r}{_did_you_mean(first, allowed)}; allowed keys: "
            f"{', '.join(allowed)}",
            param=first,
        )
    for key in ("components", "weights"):
        if key not in table:
            raise DistributionError(
                f"mixture: missing key {key!r}; give components = [{{ dist = ... }}, ...] and "
                "weights = [...] (one per component, summing to 1)",
                param=key,
            )
    raw = table["components"]
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, list | tuple):
        raise DistributionError(
            f"mixture: components must be a list of distribution tables, got {raw!r} "
            f"({type(raw).__name__})",
            param="components",
        )
    components: list[Distribution] = []
    for i, item in enumerate(raw):
        where = f"components[{i}]"
        if not isinstance(item, Mapping):
            raise DistributionError(
                f"mixture: {where} must be a distribution table {{ dist = ... }}, got "
                f"{item!r} ({type(item).__name__})",
                param=where,
            )
        try:
            components.append(from_toml(item))
        except DistributionError as exc:
            param = f"{where}.{exc.param}" if exc.param else where
            raise DistributionError(f"mixture: {where}: {exc.message}", param=param) from None
    return Mixture(components=tuple(components), weights=table["weights"])


def _posterior_from_toml(table: Mapping[str, Any]) -> BinomialPosterior:
    """Build a :class:`BinomialPosterior`; errors in the prior name its key path."""
    kind = BinomialPosterior.kind
    allowed = ["dist", "prior", "successes", "trials"]
    unknown = [key for key in table if key not in allowed]
    if unknown:
        first = str(unknown[0])
        raise DistributionError(
            f"{kind}: unknown key {first!r}{_did_you_mean(first, allowed)}; allowed keys: "
            f"{', '.join(allowed)}",
            param=first,
        )
    missing = [key for key in allowed[1:] if key not in table]
    if missing:
        raise DistributionError(
            f"{kind}: missing key {missing[0]!r}; give prior = {{ dist = ... }}, successes "
            "and trials",
            param=missing[0],
        )
    raw = table["prior"]
    if not isinstance(raw, Mapping):
        raise DistributionError(
            f"{kind}: prior must be a distribution table {{ dist = ... }}, got {raw!r} "
            f"({type(raw).__name__})",
            param="prior",
        )
    try:
        prior = from_toml(raw)
    except DistributionError as exc:
        param = f"prior.{exc.param}" if exc.param else "prior"
        raise DistributionError(f"{kind}: prior: {exc.message}", param=param) from None
    return BinomialPosterior(prior=prior, successes=table["successes"], trials=table["trials"])


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
