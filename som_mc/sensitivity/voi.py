"""Value of information: EVPI and EVPPI of the decision "invest if E[nettoresultat] > 0".

For one aktør (or the total) let ``NB`` be the nettoresultat over the horizon (present value
when the case discounts) of the indsats against not doing it (0 kr.). With today's
knowledge the decision is worth ``max(E[NB], 0)``. Knowing every input exactly, one would
choose per state of the world, worth ``E[max(NB, 0)]``; the difference is the *expected
value of perfect information*

    EVPI = E[max(NB, 0)] - max(E[NB], 0).

Knowing only the inputs ``θ`` (one input or a group) is worth the *expected value of
partial perfect information*

    EVPPI(θ) = E_θ[max(E[NB | θ], 0)] - max(E[NB], 0),

with ``0 <= EVPPI(θ) <= EVPI``. Both are in kroner: the most it is worth paying, for this
decision, to learn θ before deciding.

Estimator
---------
EVPI is the sample version from the Monte Carlo draws. EVPPI follows Strong, Oakley and
Brennan (2014, *Medical Decision Making* 34:311-326): the conditional expectation ``g(θ) =
E[NB | θ]`` is estimated by regressing the draws of NB on the draws of θ, and the EVPPI is
the sample version with ``g`` in place of NB. The regression is

- for a single input: a cubic regression spline (B-splines) in the input's rank
  (``u = (rank - 1/2) / n``), knots at equally spaced ranks, the number of knots chosen by
  generalised cross-validation among 0, 1, 3, 7, 15 (a GAM-like smoother of any monotone or
  non-monotone shape);
- for a group of inputs: a polynomial of total degree 1, 2 or 3 (chosen by GCV) in the
  inputs' normal scores ``Φ⁻¹(u)``, i.e. all interactions up to that order -- exact for the
  multilinear products of the SØM model in normal inputs up to three factors, approximate
  otherwise.

Standard errors are by the delta method: the Monte Carlo part ``sd(max(g, 0) - g 1[ḡ > 0])
/ sqrt(n)`` plus the regression part ``∇ᵀ Σ_β ∇`` with the heteroscedasticity-robust
(sandwich) covariance of the coefficients; for EVPI the first part alone.

Guards (known pitfalls of regression EVPPI)
-------------------------------------------
- too many regressors: the basis never has more than ``n / MIN_DRAWS_PER_REGRESSOR``
  columns, nor more than :data:`MAX_REGRESSORS` (degree or knots are lowered; a group too
  large even for degree 1 is refused);
- too few draws: fewer than :data:`MIN_DRAWS` draws are refused, fewer than
  :data:`WARN_DRAWS` give a warning;
- ``0 <= EVPPI <= EVPI``: estimates outside are clipped, with a warning when the excess is
  more than two standard errors (a sign the estimator is off);
- EVPPI falling as inputs are added to a group: a group's EVPPI is reported as at least
  the largest of its members' (with a warning when the raw estimate was lower by more than
  two standard errors).

Limits: the regression estimates are biased upwards by overfitting noise when the true
EVPPI is near zero (the bias shrinks like ``p / n``, p the number of regressors), and
downwards for groups whose conditional mean has structure beyond the polynomial degree
(e.g. products of four or more uncertain factors, or strongly non-normal inputs with
degree-3 polynomials in normal scores). With outcome noise on, NB is not a function of the
inputs alone; EVPPI of all inputs together is then below EVPI by the value of knowing the
noise, which is not an input. The estimates are for the decision as modelled (invest or
not, risk-neutral, in kroner), not for other decisions the information might inform.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy import interpolate, special, stats

from som_mc.case import Case
from som_mc.model import TOTAL
from som_mc.run import simulate
from som_mc.sensitivity.analysis import SensitivityError

__all__ = [
    "ALL_INPUTS",
    "MAX_REGRESSORS",
    "MIN_DRAWS",
    "MIN_DRAWS_PER_REGRESSOR",
    "WARN_DRAWS",
    "ActorVoi",
    "VoiResult",
    "default_groups",
    "evpi",
    "evppi",
    "voi_analysis",
    "voi_from_draws",
]

MIN_DRAWS = 1000
"""Fewest Monte Carlo draws accepted for a value-of-information analysis."""

WARN_DRAWS = 5000
"""Below this many draws the result carries a warning (regression EVPPI is noisy)."""

MIN_DRAWS_PER_REGRESSOR = 20
"""The regression basis has at most ``n / MIN_DRAWS_PER_REGRESSOR`` columns."""

MAX_REGRESSORS = 200
"""The regression basis never has more columns than this (cost grows with its square)."""

_KNOTS = (0, 1, 3, 7, 15)
_DEGREES = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class Estimate:
    """One value-of-information estimate in kroner, with its standard error."""

    value: float
    se: float
    raw: float
    regressors: int = 0


def _decision_parts(y: np.ndarray) -> tuple[float, np.ndarray]:
    """Return ``max(mean y, 0)`` and the per-draw terms whose mean is the EVPI-type value."""
    m = float(y.mean())
    # max(y, 0) - max(m, 0) averaged equals mean(max(y,0)) - max(mean y, 0); the terms
    # max(y,0) - y*1[m>0] have the same mean and carry the sampling variance.
    terms = np.maximum(y, 0.0) - (y if m > 0 else 0.0)
    return max(m, 0.0), terms


def evpi(y: np.ndarray) -> Estimate:
    """EVPI from draws of the net benefit, with its delta-method standard error.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
        Draws of the net benefit of investing (kroner).

    Returns
    -------
    Estimate
        ``E[max(NB, 0)] - max(E[NB], 0)`` and its standard error.

    Examples
    --------
    >>> import numpy as np
    >>> round(evpi(np.array([-1.0, 3.0])).value, 6)
    0.5
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    _, terms = _decision_parts(y)
    value = float(terms.mean())
    se = float(terms.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    return Estimate(max(value, 0.0), se, value)


def _ranks01(x: np.ndarray) -> np.ndarray:
    """Column-wise mid-ranks scaled to (0, 1): ``(rank - 1/2) / n``, ties averaged."""
    n = x.shape[0]
    return np.asarray((stats.rankdata(x, axis=0) - 0.5) / n, dtype=np.float64)


def _spline_basis(u: np.ndarray, n_knots: int) -> np.ndarray:
    """Cubic B-spline design matrix on [0, 1] with `n_knots` interior knots (sums to 1)."""
    inner = np.linspace(0.0, 1.0, n_knots + 2)[1:-1]
    t = np.concatenate([np.zeros(4), inner, np.ones(4)])
    return np.asarray(
        interpolate.BSpline.design_matrix(np.clip(u, 0.0, 1.0), t, 3).toarray(), dtype=np.float64
    )


def _poly_basis(z: np.ndarray, degree: int) -> np.ndarray:
    """All monomials of total degree <= `degree` in the columns of `z` (with intercept)."""
    n, k = z.shape
    cols = [np.ones(n)]
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(k), d):
            cols.append(np.prod(z[:, combo], axis=1))
    return np.column_stack(cols)


def _n_poly(k: int, degree: int) -> int:
    return math.comb(k + degree, degree)


def _fit(basis: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Least squares of every column of `y` on `basis` by the normal equations.

    Returns the coefficients, the fitted values, the pseudo-inverse of the Gram matrix and
    its rank (collinear directions, e.g. a discrete input's empty knot intervals, dropped).
    """
    scale = np.sqrt((basis**2).mean(axis=0))
    scale = np.where(scale > 0, scale, 1.0)
    b = basis / scale
    lam, vec = np.linalg.eigh(b.T @ b)
    keep = lam > lam.max() * 1e-12
    inv = (vec[:, keep] / lam[keep]) @ vec[:, keep].T
    coef_b = inv @ (b.T @ y)
    fitted = b @ coef_b
    gram_inv = inv / scale[:, None] / scale[None, :]
    return coef_b / scale[:, None], fitted, gram_inv, int(keep.sum())


def _gcv(basis: np.ndarray, y: np.ndarray) -> float:
    n = y.shape[0]
    _, fitted, _, p = _fit(basis, y)
    scale = np.where(y.var(axis=0) > 0, y.var(axis=0), 1.0)
    rss = float((((y - fitted) ** 2).sum(axis=0) / scale).sum())
    return n * rss / max(n - p, 1) ** 2


def _choose_basis(x: np.ndarray, y: np.ndarray, max_cols: int) -> np.ndarray:
    """Return the regression basis for inputs `x` (n, k): spline for one input, polynomial else."""
    u = _ranks01(x)
    k = x.shape[1]
    if k == 1:
        candidates = [_spline_basis(u[:, 0], m) for m in _KNOTS if m + 4 <= max_cols]
    else:
        z = special.ndtri(u)
        candidates = [_poly_basis(z, d) for d in _DEGREES if _n_poly(k, d) <= max_cols]
    if not candidates:
        raise SensitivityError(
            f"a group of {k} inputs needs more regressors than {x.shape[0]} draws support "
            f"(at most one per {MIN_DRAWS_PER_REGRESSOR} draws); use more draws or a smaller "
            "group"
        )
    scores = [_gcv(b, y) for b in candidates]
    return candidates[int(np.argmin(scores))]


def evppi(y: np.ndarray, x: np.ndarray) -> list[Estimate]:
    """EVPPI of the inputs `x` for each net-benefit column of `y` (regression estimator).

    Parameters
    ----------
    y : numpy.ndarray, shape (n,) or (n, m)
        Draws of the net benefit of investing (kroner), one column per aktør.
    x : numpy.ndarray, shape (n,) or (n, k)
        The same draws' values of the input (or group of inputs) to learn about.

    Returns
    -------
    list of Estimate
        One per column of `y`: the EVPPI clipped to ``[0, EVPI]``, its standard error, the
        raw estimate and the number of regressors. See the module notes for the method.

    Raises
    ------
    SensitivityError
        With fewer than :data:`MIN_DRAWS` draws or too many inputs for the draws.
    """
    y2 = np.asarray(y, dtype=np.float64)
    y2 = y2[:, None] if y2.ndim == 1 else y2
    x2 = np.asarray(x, dtype=np.float64)
    x2 = x2[:, None] if x2.ndim == 1 else x2
    n = y2.shape[0]
    if n < MIN_DRAWS:
        raise SensitivityError(
            f"value of information needs at least {MIN_DRAWS} draws; got {n} (use --draws)"
        )
    if x2.shape[0] != n:
        raise SensitivityError(f"inputs have {x2.shape[0]} draws but the net benefit has {n}")
    basis = _choose_basis(x2, y2, min(n // MIN_DRAWS_PER_REGRESSOR, MAX_REGRESSORS))
    _, fitted, gram_inv, p = _fit(basis, y2)
    out: list[Estimate] = []
    for j in range(y2.shape[1]):
        g = fitted[:, j]
        _, terms = _decision_parts(g)
        raw = float(terms.mean())
        mc_var = float(terms.var(ddof=1)) / n
        # gradient of mean(max(Xb, 0)) - max(mean(Xb), 0) with respect to b
        grad = basis[g > 0].sum(axis=0) / n - (basis.mean(axis=0) if g.mean() > 0 else 0.0)
        resid = y2[:, j] - g
        meat = (basis * resid[:, None] ** 2).T @ basis
        cov = gram_inv @ meat @ gram_inv
        reg_var = float(grad @ cov @ grad)
        total = evpi(y2[:, j])
        value = min(max(raw, 0.0), total.value)
        out.append(Estimate(value, math.sqrt(mc_var + max(reg_var, 0.0)), raw, p))
    return out


@dataclass(frozen=True, slots=True)
class ActorVoi:
    """Value of information for one aktør (or ``total``).

    Attributes
    ----------
    actor : str
        Aktør name, or ``"total"``.
    expected_net : float
        ``E[NB]`` (kroner): the decision today is to invest when it is > 0.
    p_loss : float
        Probability that investing turns out worse than not investing, ``P(NB < 0)``
        when investing is chosen, else ``P(NB > 0)``.
    evpi, evpi_se : float
        EVPI and its standard error (kroner).
    evppi, evppi_se : dict of str to float
        EVPPI per uncertain input (by input name) and its standard error.
    groups, groups_se : dict of str to float
        EVPPI per group of inputs.
    """

    actor: str
    expected_net: float
    p_loss: float
    evpi: float
    evpi_se: float
    evppi: dict[str, float]
    evppi_se: dict[str, float]
    groups: dict[str, float] = field(default_factory=dict)
    groups_se: dict[str, float] = field(default_factory=dict)

    def ranking(self) -> list[tuple[str, float, float]]:
        """Return the inputs and groups by EVPPI, largest first: ``(name, evppi, se)``."""
        rows = [(k, v, self.evppi_se[k]) for k, v in self.evppi.items()]
        rows += [(k, v, self.groups_se[k]) for k, v in self.groups.items()]
        return sorted(rows, key=lambda r: -r[1])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``evpi``, ``evpi_se``, ``evppi``, ``evppi_se``, ``groups``, ..."""
        return {
            "evpi": self.evpi,
            "evpi_se": self.evpi_se,
            "evppi": dict(self.evppi),
            "evppi_se": dict(self.evppi_se),
            "groups": dict(self.groups),
            "groups_se": dict(self.groups_se),
            "expected_net": self.expected_net,
            "p_loss": self.p_loss,
        }


@dataclass(frozen=True, slots=True)
class VoiResult:
    """Value of information per aktør and in total (see :func:`voi_analysis`).

    Attributes
    ----------
    actors : dict of str to ActorVoi
        By aktør name, ``"total"`` last.
    labels : dict of str to str
        Danish label per input name and group name.
    groups : dict of str to tuple of str
        The groups' member input names.
    n_draws : int
        Draws used.
    seed : int or None
        The run's seed (``None`` when the draws came from elsewhere without one).
    case_name : str
        The case's name.
    warnings : tuple of str
        Guard messages (few draws, clipped or non-monotone estimates), in Danish.
    """

    actors: dict[str, ActorVoi]
    labels: dict[str, str]
    groups: dict[str, tuple[str, ...]]
    n_draws: int
    seed: int | None
    case_name: str
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: per aktør ``{"evpi", "evpi_se", "evppi": {input: ...}, "evppi_se", ...}``."""
        return {name: a.as_dict() for name, a in self.actors.items()}


def _resolve_groups(
    names: list[str], groups: Mapping[str, Sequence[str]] | None
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for gname, patterns in (groups or {}).items():
        cols: list[int] = []
        for pattern in patterns:
            hits = [i for i, n in enumerate(names) if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise SensitivityError(
                    f"group {gname!r}: {pattern!r} matches no uncertain input; uncertain "
                    f"inputs are: {', '.join(names)}"
                )
            cols += [i for i in hits if i not in cols]
        if gname in names:
            raise SensitivityError(f"group name {gname!r} is also an input name; rename it")
        out[gname] = cols
    return out


ALL_INPUTS = "alle input"
"""Name of the default group of every uncertain input (its EVPPI approaches the EVPI)."""


def default_groups(names: Sequence[str]) -> dict[str, list[str]]:
    """Return the default groups: per consequence, and all inputs together.

    One group per consequence with two or more uncertain inputs (``consequences.X.*``),
    and :data:`ALL_INPUTS` when there are two or more inputs.

    The EVPPI of all inputs together equals the EVPI when the net result is a function of
    the inputs (outcome noise off); the gap shows what the group regression misses.
    """
    by: dict[str, list[str]] = {}
    for name in names:
        if name.startswith("consequences."):
            by.setdefault(name.split(".")[1], []).append(name)
    out = {f"konsekvens:{k}": [f"consequences.{k}.*"] for k, v in by.items() if len(v) > 1}
    if len(names) > 1:
        out[ALL_INPUTS] = ["*"]
    return out


def voi_from_draws(
    ds: xr.Dataset,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    actors: Sequence[str] | None = None,
    default: bool = True,
) -> VoiResult:
    """EVPI and EVPPI from the draws of a Monte Carlo run (:func:`som_mc.simulate`).

    Parameters
    ----------
    ds : xarray.Dataset
        A results dataset with every draw (``net_result_pv`` and ``inputs``). Plain random
        sampling is assumed for the standard errors.
    groups : mapping of str to sequence of str, optional
        Named groups of input-name patterns (``fnmatch``), e.g. ``{"Priser":
        ["consequences.*.price.*"]}``.
    actors : sequence of str, optional
        Aktører to analyse (default all, and ``"total"``).
    default : bool, default True
        Add one group per consequence with several uncertain inputs.

    Returns
    -------
    VoiResult
        Per aktør: EVPI, EVPPI per input and group, standard errors; warnings.

    Raises
    ------
    SensitivityError
        Too few draws, an unknown aktør or group pattern, or a group too large.
    """
    x = ds.inputs.transpose("draw", "input").values
    names = [str(v) for v in ds.input.values]
    labels = dict(zip(names, (str(v) for v in ds.input_label.values), strict=True))
    pv = ds.net_result_pv.transpose("draw", "actor").values
    all_actors = [*map(str, ds.actor.values), TOTAL]
    y_all = np.concatenate([pv, pv.sum(axis=1, keepdims=True)], axis=1)
    chosen = list(actors) if actors else all_actors
    for a in chosen:
        if a not in all_actors:
            raise SensitivityError(f"unknown aktør {a!r}; choose one of {', '.join(all_actors)}")
    y = y_all[:, [all_actors.index(a) for a in chosen]]
    n = y.shape[0]
    if n < MIN_DRAWS:
        raise SensitivityError(
            f"value of information needs at least {MIN_DRAWS} draws; got {n} (use --draws)"
        )
    warnings: list[str] = []
    if n < WARN_DRAWS:
        warnings.append(f"kun {n} træk: EVPPI-skønnene er usikre; brug mindst {WARN_DRAWS} træk")
    spec: dict[str, Sequence[str]] = dict(default_groups(names)) if default else {}
    spec.update(groups or {})
    group_cols = _resolve_groups(names, spec)
    labels.update({g: g for g in group_cols})
    per_input = [evppi(y, x[:, [i]]) for i in range(len(names))]
    per_group = {g: evppi(y, x[:, cols]) for g, cols in group_cols.items()}
    out: dict[str, ActorVoi] = {}
    for j, actor in enumerate(chosen):
        total = evpi(y[:, j])
        mean = float(y[:, j].mean())
        p_loss = float((y[:, j] < 0).mean() if mean > 0 else (y[:, j] > 0).mean())
        ev: dict[str, float] = {}
        ev_se: dict[str, float] = {}
        for i, name in enumerate(names):
            est = per_input[i][j]
            ev[name], ev_se[name] = est.value, est.se
            _check_bounds(warnings, actor, name, est, total)
        gv: dict[str, float] = {}
        gv_se: dict[str, float] = {}
        for g, cols in group_cols.items():
            est = per_group[g][j]
            _check_bounds(warnings, actor, g, est, total)
            best = max((ev[names[i]] for i in cols), default=0.0)
            value = est.value
            if value < best:
                if best - value > 2 * est.se:
                    warnings.append(
                        f"{actor}: EVPPI for gruppen {g!r} ({value:.0f} kr.) er lavere end for "
                        f"et af dens input ({best:.0f} kr.); gruppens værdi er sat til "
                        "inputtets (regressionen fanger ikke gruppen godt)"
                    )
                value = best
            gv[g], gv_se[g] = value, est.se
        out[actor] = ActorVoi(actor, mean, p_loss, total.value, total.se, ev, ev_se, gv, gv_se)
    seed = ds.attrs.get("seed")
    return VoiResult(
        actors=out,
        labels=labels,
        groups={g: tuple(names[i] for i in cols) for g, cols in group_cols.items()},
        n_draws=int(n),
        seed=None if seed is None else int(seed),
        case_name=str(ds.attrs.get("case_name", "")),
        warnings=tuple(warnings),
    )


def _check_bounds(
    warnings: list[str], actor: str, name: str, est: Estimate, total: Estimate
) -> None:
    se = math.hypot(est.se, total.se)
    if est.raw < -2 * est.se or est.raw > total.value + 2 * se:
        warnings.append(
            f"{actor}: EVPPI-skønnet for {name!r} ({est.raw:.0f} kr.) lå uden for [0; EVPI] "
            "med mere end to standardfejl og er afskåret; brug flere træk"
        )


def voi_analysis(
    case: Case,
    *,
    draws: int = 20_000,
    seed: int | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    actors: Sequence[str] | None = None,
    default: bool = True,
) -> VoiResult:
    """Simulate a case and estimate the value of information of its inputs.

    The run uses plain random sampling (independent draws, as the standard errors assume)
    through the one run pipeline, keeping the draws; see :func:`voi_from_draws`.

    Parameters
    ----------
    case : Case
        A validated case (with ``[evidence]`` applied first if wanted:
        :func:`som_mc.case.evidence.apply_evidence`).
    draws : int, default 20000
        Monte Carlo draws (at least :data:`MIN_DRAWS`).
    seed : int, optional
        Seed of the run.
    groups, actors, default
        As for :func:`voi_from_draws`.

    Returns
    -------
    VoiResult
        EVPI and EVPPI per aktør and in total.

    Examples
    --------
    >>> from som_mc.case import load_case
    >>> res = voi_analysis(load_case("cases/cool_kids.toml"), draws=5000, seed=1)  # doctest: +SKIP
    >>> res.actors["total"].ranking()[0]  # doctest: +SKIP
    """
    if draws < MIN_DRAWS:
        raise SensitivityError(
            f"value of information needs at least {MIN_DRAWS} draws; got {draws} (use --draws)"
        )
    ds = simulate(case, draws=draws, seed=seed, design="random")
    return voi_from_draws(ds, groups=groups, actors=actors, default=default)
