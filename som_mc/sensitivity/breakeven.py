"""Probabilistic break-even values: the input value at which P(nettoresultat > 0) reaches a level.

The deterministic switching value (:func:`~som_mc.sensitivity.analysis.switching_values`)
keeps the other inputs at their means. Here the other inputs stay uncertain: one Monte Carlo
sample of every input is drawn from the case's own random streams (the same draws as
``som-mc run`` with that seed and design), and for each input its column is replaced by a
value v. The estimate P̂(v) of P(cumulative nettoresultat > 0) then uses the same draws for
every v (common random numbers), so P̂ is a step function of v and the crossing is found
exactly:

- the model is linear in every input but the drop-off rate, so each draw's result is
  ``y_i + slope_i (v − v0)`` and P̂(v) counts the draws whose own break-even value lies on
  the right side of v — P̂ is evaluated at every such value by sorting;
- for a non-linear input the draws are evaluated on a grid of the input's range and P̂ is
  interpolated linearly between grid points.

The uncertainty of the value is honest: the interval is where P̂ crosses
``level ± z √(level (1 − level) / n)`` (inverting the binomial test of P(v) = level), and the
MCSE is its half-width divided by z. Outcome noise is off (expected successes), as in every
sensitivity analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from som_mc.case import Case, input_domain
from som_mc.distributions._base import lazy_module
from som_mc.model import compile_case
from som_mc.sampling import CorrelationSpec, Design, normalize_seed, sample_inputs
from som_mc.sensitivity.analysis import (
    SensitivityError,
    _actors,
    check_actors,
    evaluate,
)
from som_mc.types import DEFAULT_DESIGN

stats = lazy_module("scipy.stats")  # imported on first use

__all__ = ["probabilistic_switching"]

_GRID = 65


def _crossing(points: np.ndarray, prob: np.ndarray, target: float, base: float) -> float:
    """Value at which the step/piecewise function `prob` over sorted `points` crosses target.

    Of several crossings the one nearest `base`; NaN when `prob` never reaches `target`.
    """
    above = prob >= target
    change = np.flatnonzero(above[:-1] != above[1:])
    if change.size == 0:
        return np.nan
    values = []
    for k in change:
        p0, p1 = prob[k], prob[k + 1]
        x0, x1 = points[k], points[k + 1]
        if not (np.isfinite(x0) and np.isfinite(x1)):
            values.append(x1 if np.isfinite(x1) else x0)
        elif p1 == p0:
            values.append(x1)
        else:
            values.append(x0 + (target - p0) * (x1 - x0) / (p1 - p0))
    return float(min(values, key=lambda v: abs(v - base)))


def _linear_probability(
    y0: np.ndarray, slope: np.ndarray, v0: float, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """P̂(v) just after each draw's own break-even value (and at the range ends)."""
    n = y0.size
    up, down, flat = slope > 0, slope < 0, slope == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = v0 - y0 / slope
    r_up = np.sort(roots[up])
    r_down = np.sort(roots[down])
    const = int(np.count_nonzero(flat & (y0 > 0)))
    cand = np.concatenate([roots[~flat], [lo, hi]])
    cand = np.unique(np.clip(cand[np.isfinite(cand) | np.isinf(cand)], lo, hi))

    def prob(v: np.ndarray) -> np.ndarray:
        # positive at v: slope > 0 and root < v, or slope < 0 and root > v
        n_up = np.searchsorted(r_up, v, side="left")
        n_down = r_down.size - np.searchsorted(r_down, v, side="right")
        return (n_up + n_down + const) / n

    return cand, prob(cand)


def probabilistic_switching(
    case: Case,
    *,
    inputs: Sequence[str] | None = None,
    levels: Sequence[float] = (0.5,),
    draws: int = 4000,
    seed: int | None = None,
    design: Design = DEFAULT_DESIGN,
    actors: Sequence[str] | None = None,
    conf_level: float = 0.95,
    tail: float = 1e-6,
) -> xr.Dataset:
    """Value of each input at which P(cumulative nettoresultat > 0) reaches each level.

    Parameters
    ----------
    case : Case
        A validated case.
    inputs : sequence of str, optional
        Uncertain inputs to solve for; default all.
    levels : sequence of float
        Probabilities in (0, 1); default 0.5 (even odds).
    draws : int
        Monte Carlo draws of the other inputs.
    seed : int or None
        Seed of the draws (``None``: fresh entropy, recorded in ``attrs``).
    design : {"random", "lhs", "sobol"}
        Sampling design of the draws.
    actors : sequence of str, optional
        Actors (and/or ``"total"``); default every actor and the total.
    conf_level : float
        Level of the interval of the value.
    tail : float
        Quantile at which an unbounded distribution is cut for its "assumed interval".

    Returns
    -------
    xarray.Dataset
        Along ``input``, ``actor`` and ``level``: ``value`` (NaN when P never reaches the
        level within the input's meaningful range), ``value_low``/``value_high`` (the
        interval), ``mcse``, ``within`` (inside the input's distribution) and
        ``percentile`` (its cdf there); along ``input`` and ``actor``: ``p_low`` and
        ``p_high``, P(> 0) with the input at the low and high end of its assumed interval;
        ``base_value`` and the interval ``low``/``high`` per input.
    """
    if not draws >= 10:
        raise SensitivityError(f"draws must be at least 10; received {draws}")
    levels = [float(q) for q in levels]
    if not levels or any(not 0.0 < q < 1.0 for q in levels):
        raise SensitivityError(
            f"levels must be probabilities strictly between 0 and 1; received {levels}"
        )
    model = compile_case(case)
    all_actors = _actors(model)
    actors = check_actors(all_actors, actors)
    a_idx = [all_actors.index(a) for a in actors]
    names = model.uncertain_names
    chosen = list(names) if inputs is None else list(dict.fromkeys(inputs))
    missing = [n for n in chosen if n not in names]
    if missing:
        raise SensitivityError(
            f"not an uncertain input: {missing[0]!r}; choose from {', '.join(names)}"
        )
    seed = normalize_seed(seed)
    dists = [model.inputs[j].dist for j in model.uncertain]
    correlations = [CorrelationSpec(c.inputs[0], c.inputs[1], c.rank) for c in case.correlations]
    x = sample_inputs(dists, names, draws, seed=seed, design=design, correlations=correlations)
    zq = float(stats.norm.ppf(0.5 + conf_level / 2))
    half = [zq * np.sqrt(q * (1 - q) / draws) for q in levels]
    n_i, n_a, n_l = len(chosen), len(actors), len(levels)
    value = np.full((n_i, n_a, n_l), np.nan)
    v_lo = np.full_like(value, np.nan)
    v_hi = np.full_like(value, np.nan)
    within = np.zeros(value.shape, dtype=bool)
    percentile = np.full_like(value, np.nan)
    p_low = np.full((n_i, n_a), np.nan)
    p_high = np.full((n_i, n_a), np.nan)
    lows, highs, bases = np.empty(n_i), np.empty(n_i), np.empty(n_i)
    for i, name in enumerate(chosen):
        col = names.index(name)
        spec = model.inputs[model.uncertain[col]]
        dist = spec.dist
        s_lo, s_hi = dist.support()
        lo = s_lo if np.isfinite(s_lo) else float(dist.ppf(tail))
        hi = s_hi if np.isfinite(s_hi) else float(dist.ppf(1.0 - tail))
        lows[i], highs[i], bases[i] = lo, hi, dist.mean()
        d_lo, d_hi = input_domain(spec)
        d_lo, d_hi = min(d_lo, lo), max(d_hi, hi)
        v0, v1 = lo, hi
        rows = np.concatenate([x, x, x])
        rows[:draws, col] = v0
        rows[draws : 2 * draws, col] = v1
        rows[2 * draws :, col] = 0.5 * (v0 + v1)
        y = evaluate(model, rows)[:, a_idx].reshape(3, draws, n_a)
        y0, y1, ym = y
        scale = np.abs(y0) + np.abs(y1) + 1.0
        linear = bool(np.all(np.abs(ym - 0.5 * (y0 + y1)) <= 1e-9 * scale))
        if not linear:
            grid = np.unique(
                np.concatenate(
                    [np.linspace(lo, hi, _GRID), [b for b in (d_lo, d_hi) if np.isfinite(b)]]
                )
            )
            rows = np.tile(x, (grid.size, 1))
            rows[:, col] = np.repeat(grid, draws)
            yg = evaluate(model, rows)[:, a_idx].reshape(grid.size, draws, n_a)
        for k in range(n_a):
            p_low[i, k] = float(np.mean(y0[:, k] > 0))
            p_high[i, k] = float(np.mean(y1[:, k] > 0))
            if linear:
                slope = (y1[:, k] - y0[:, k]) / (v1 - v0)
                pts, prob = _linear_probability(y0[:, k], slope, v0, d_lo, d_hi)
            else:
                pts, prob = grid, np.mean(yg[:, :, k] > 0, axis=1)
            for q_i, q in enumerate(levels):
                v = _crossing(pts, prob, q, bases[i])
                if not np.isfinite(v):
                    continue
                value[i, k, q_i] = v
                ends = [_crossing(pts, prob, q + sgn * half[q_i], v) for sgn in (-1.0, 1.0)]
                if all(np.isfinite(e) for e in ends):
                    v_lo[i, k, q_i], v_hi[i, k, q_i] = min(ends), max(ends)
                if s_lo <= v <= s_hi:
                    within[i, k, q_i] = True
                    percentile[i, k, q_i] = float(dist.cdf(v))
    mcse = (v_hi - v_lo) / (2.0 * zq)
    labels = [model.inputs[model.uncertain[names.index(n)]].label for n in chosen]
    dims = ("input", "actor", "level")
    return xr.Dataset(
        {
            "value": (dims, value),
            "value_low": (dims, v_lo),
            "value_high": (dims, v_hi),
            "mcse": (dims, mcse),
            "within": (dims, within),
            "percentile": (dims, percentile),
            "p_low": (("input", "actor"), p_low),
            "p_high": (("input", "actor"), p_high),
            "base_value": (("input",), bases),
            "low": (("input",), lows),
            "high": (("input",), highs),
        },
        coords={"input": chosen, "label": ("input", labels), "actor": actors, "level": levels},
        attrs={
            "case_name": case.name,
            "seed": seed,
            "draws": draws,
            "design": design,
            "conf_level": conf_level,
        },
    )
