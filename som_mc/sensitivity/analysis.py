"""Følsomhedsanalyser: tornado, spider, switching values and global sensitivity indices.

All one-way analyses evaluate the same numba kernel as the simulation, with outcome noise
off (expected successes) and every input at its base value (its mean unless told otherwise)
except the one being moved; with every input at base this is exactly the deterministic
calculation. The result analysed is the cumulative nettoresultat over the horizon, per aktør
and in total.

Global indices (first-order and total Sobol indices with bootstrap confidence intervals) use
SALib's Saltelli sampling and estimators; the uniforms are mapped through each input's
quantile function and the draws evaluated on the kernel. Sobol indices assume independent
inputs: when the case declares rank correlations, use the rank measures (Spearman and
standardised rank regression coefficients), which come free from a plain Monte Carlo sample.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from som_mc.case import Case, input_domain
from som_mc.distributions import point_value
from som_mc.distributions._base import lazy_module
from som_mc.engine.kernel import kernel_threads, run_kernel
from som_mc.errors import SomMcError
from som_mc.model import TOTAL, CaseModel, compile_case
from som_mc.types import PointEstimate

# imported on first use: the one-way analyses need neither (≈ 1 s of start-up)
optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = [
    "InputGroup",
    "SensitivityError",
    "check_actors",
    "downside_drivers",
    "evaluate_years",
    "input_groups",
    "load_kernel",
    "rank_analysis",
    "rank_measures",
    "sobol_analysis",
    "sobol_base_sample",
    "sobol_base_values",
    "sobol_indices",
    "spider",
    "switching_values",
    "tornado",
]


class SensitivityError(SomMcError, ValueError):
    """Bad arguments to a sensitivity analysis (e.g. an unknown input pattern)."""


@dataclass(frozen=True, slots=True)
class InputGroup:
    """Uncertain inputs moved together in one-way analyses (e.g. a profile's entries).

    Attributes
    ----------
    name : str
        Group name (an input name for single inputs).
    label : str
        Danish label for tables and plots.
    columns : tuple of int
        Columns of the sampled matrix (positions in ``model.uncertain``).
    """

    name: str
    label: str
    columns: tuple[int, ...]


def input_groups(
    model: CaseModel, groups: Mapping[str, Sequence[str]] | None = None
) -> list[InputGroup]:
    """Group the uncertain inputs for one-way analyses.

    By default each uncertain input is its own group, except that the uncertain entries of
    one consequence's profile form one group (a profile counts as one input). `groups` adds
    named groups of input-name patterns (``fnmatch`` style, e.g.
    ``{"Priser, herberg": ["consequences.herberg.price.*"]}``).

    Raises
    ------
    SensitivityError
        When a pattern matches no uncertain input or an input falls in two groups.
    """
    names = model.uncertain_names
    labels = [model.inputs[j].label for j in model.uncertain]
    owner: dict[int, str] = {}
    out: list[InputGroup] = []
    for gname, patterns in (groups or {}).items():
        cols = []
        for pattern in patterns:
            hits = [i for i, n in enumerate(names) if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise SensitivityError(
                    f"group {gname!r}: pattern {pattern!r} matches no uncertain input; "
                    f"uncertain inputs are: {', '.join(names)}"
                )
            cols += hits
        for i in cols:
            if i in owner and owner[i] != gname:
                raise SensitivityError(
                    f"input {names[i]!r} is in both group {owner[i]!r} and {gname!r}"
                )
            owner[i] = gname
        out.append(InputGroup(gname, gname, tuple(sorted(set(cols)))))
    profiles: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if i in owner:
            continue
        if ".profile[" in name:
            profiles.setdefault(name.split(".profile[")[0] + ".profile", []).append(i)
            continue
        out.append(InputGroup(name, labels[i], (i,)))
    for gname, cols in profiles.items():
        label = labels[cols[0]].split(": ", 1)[-1]
        out.append(InputGroup(gname, f"Konsekvensprofil: {label}", tuple(cols)))
    return out


def _base_row(model: CaseModel, point: PointEstimate) -> np.ndarray:
    return np.array([point_value(model.inputs[j].dist, point) for j in model.uncertain])


def evaluate(model: CaseModel, x: np.ndarray, *, inputs_major: bool = False) -> np.ndarray:
    """Cumulative net result over the horizon per actor + total for rows of inputs.

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    x : ndarray, shape (n, U)
        Values of the uncertain inputs (outcome noise off: expected successes).
    inputs_major : bool
        `x` is given input by input, shape (U, n) (no transposed copy for the kernel).

    Returns
    -------
    ndarray, shape (n, A + 1)
        The last column is the total over actors.
    """
    net = run_kernel(model, x, inputs_major=inputs_major, net_only=True)["net"]
    horizon = net.sum(axis=1)
    return np.concatenate([horizon, horizon.sum(axis=1, keepdims=True)], axis=1)


def evaluate_years(
    model: CaseModel, x: np.ndarray, *, inputs_major: bool = False, threads: int | None = None
) -> np.ndarray:
    """Cumulative net result per year, per actor + total, for rows of inputs.

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    x : ndarray, shape (n, U)
        Values of the uncertain inputs (outcome noise off: expected successes).
    inputs_major : bool
        `x` is given input by input, shape (U, n).
    threads : int, optional
        Threads of the kernel call (default :func:`som_mc.engine.kernel.kernel_threads`).

    Returns
    -------
    ndarray, shape (n, T, A + 1)
        Cumulative (undiscounted) nettoresultat up to and including each model year; the
        last year equals :func:`evaluate`.
    """
    net = run_kernel(model, x, inputs_major=inputs_major, net_only=True, threads=threads)["net"]
    np.cumsum(net, axis=1, out=net)
    return np.concatenate([net, net.sum(axis=2, keepdims=True)], axis=2)


def load_kernel(model: CaseModel) -> None:
    """Load the compiled kernel the global analyses run on (numba, ≈ 0,5 s once).

    Evaluations of more than a few thousand rows use it (:func:`evaluate` and
    :func:`evaluate_years` load it on first use anyway); loading it first lets other work
    go on meanwhile.
    """
    x = np.zeros((len(model.uncertain), 1))
    run_kernel(model, x, inputs_major=True, net_only=True, compiled=True)


def _actors(model: CaseModel) -> list[str]:
    return [*model.case.actors, TOTAL]


def check_actors(all_actors: Sequence[str], actors: Sequence[str] | None) -> list[str]:
    """Return the chosen actors (default: every actor and the total), or raise.

    Raises
    ------
    SensitivityError
        Naming the unknown actor and the allowed ones.
    """
    if actors is None:
        return list(all_actors)
    chosen = list(dict.fromkeys(actors))
    unknown = [a for a in chosen if a not in all_actors]
    if unknown or not chosen:
        received = repr(unknown[0]) if unknown else "none"
        raise SensitivityError(f"unknown actor {received}; choose from {', '.join(all_actors)}")
    return chosen


def _levels_for(
    model: CaseModel, col: int, levels: tuple[float, float], relative: float | None, base: float
) -> tuple[float, float]:
    spec = model.inputs[model.uncertain[col]]
    if relative is not None:
        # clamped to the input's meaningful range: a succesrate of 0.3 ± 200 % is 0..0.9
        lo, hi = input_domain(spec)
        return (
            float(np.clip(base * (1.0 - relative), lo, hi)),
            float(np.clip(base * (1.0 + relative), lo, hi)),
        )
    low, high = float(spec.dist.ppf(levels[0])), float(spec.dist.ppf(levels[1]))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise SensitivityError(
            f"levels {round(100 * levels[0])},{round(100 * levels[1])}: input {spec.name!r} "
            f"is unbounded (its P{round(100 * levels[0])}/P{round(100 * levels[1])} are "
            f"{low:g}/{high:g}); choose percentiles strictly between 0 and 100"
        )
    return low, high


def tornado(
    case: Case,
    *,
    levels: tuple[float, float] = (0.10, 0.90),
    relative: float | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    point: PointEstimate = "mean",
    actors: Sequence[str] | None = None,
) -> xr.Dataset:
    """One-way (tornado) analysis of the cumulative nettoresultat over the horizon.

    Parameters
    ----------
    case : Case
        A validated case.
    levels : (float, float), default (0.10, 0.90)
        Percentiles of each input's distribution for the low and high bar.
    relative : float, optional
        Instead of percentiles, move each input to base × (1 ∓ relative), e.g. 0.2 for ±20 %,
        clamped to the input's meaningful range (:func:`som_mc.case.input_domain`: a
        succesrate stays in [0, 1], an amount ≥ 0).
    groups : mapping, optional
        Named groups of input-name patterns moved together (see :func:`input_groups`).
    point : {"mean", "median", "mode"}
        Base value of every input.
    actors : sequence of str, optional
        Actors (and/or ``"total"``) to keep; default every actor and the total (inputs are
        sorted by the swing of the total either way).

    Returns
    -------
    xarray.Dataset
        ``result(input, side, actor)`` with side ``low``/``high``, ``swing(input, actor)``
        = |high − low|, ``base(actor)``, and per input ``value_low``/``value_high`` (NaN
        for groups of several inputs) and ``label``. Inputs are sorted by the swing of the
        total, largest first.
    """
    if not 0.0 <= levels[0] < levels[1] <= 1.0:
        raise SensitivityError(f"levels must be two percentiles low < high; received {levels}")
    if relative is not None and not (np.isfinite(relative) and relative > 0):
        raise SensitivityError(
            f"relative must be a positive share (0.2 = ±20 %); received {relative}"
        )
    model = compile_case(case)
    chosen = check_actors(_actors(model), actors)
    base_row = _base_row(model, point)
    gs = input_groups(model, groups)
    rows = [base_row]
    value_low, value_high = [], []
    for g in gs:
        moved = {col: _levels_for(model, col, levels, relative, base_row[col]) for col in g.columns}
        for side in (0, 1):
            row = base_row.copy()
            for col in g.columns:
                row[col] = moved[col][side]
            rows.append(row)
        if len(g.columns) == 1:
            lo, hi = moved[g.columns[0]]
        else:
            lo = hi = np.nan
        value_low.append(lo)
        value_high.append(hi)
    res = evaluate(model, np.array(rows))
    base = res[0]
    result = res[1:].reshape(len(gs), 2, -1)
    swing = np.abs(result[:, 1] - result[:, 0])
    order = np.argsort(-swing[:, -1], kind="stable")
    ds = xr.Dataset(
        {
            "result": (("input", "side", "actor"), result[order]),
            "swing": (("input", "actor"), swing[order]),
            "base": (("actor",), base),
            "value_low": (("input",), np.array(value_low)[order]),
            "value_high": (("input",), np.array(value_high)[order]),
        },
        coords={
            "input": [gs[i].name for i in order],
            "label": ("input", [gs[i].label for i in order]),
            "side": ["low", "high"],
            "actor": _actors(model),
        },
        attrs={
            "case_name": case.name,
            "levels": list(levels) if relative is None else [],
            "relative": relative if relative is not None else 0.0,
            "point_estimate": point,
            "price_year": case.price_year,
        },
    )
    ds.result.attrs.update(long_name="Akkumuleret nettoresultat over perioden", units="DKK")
    return ds.sel(actor=chosen)


def spider(
    case: Case,
    *,
    inputs: Sequence[str] | None = None,
    percentiles: Sequence[float] = tuple(np.linspace(0.05, 0.95, 19)),
    top: int = 6,
    point: PointEstimate = "mean",
    actors: Sequence[str] | None = None,
) -> xr.Dataset:
    """Evaluate the result as each input moves through its percentiles (others at base).

    Parameters
    ----------
    case : Case
        A validated case.
    inputs : sequence of str, optional
        Input names; default the `top` inputs of the tornado (single inputs only).
    percentiles : sequence of float
        Percentiles at which each input is evaluated.
    top : int
        Number of inputs when `inputs` is not given.
    point : {"mean", "median", "mode"}
        Base value of the other inputs.
    actors : sequence of str, optional
        Actors (and/or ``"total"``) to keep; default every actor and the total.

    Returns
    -------
    xarray.Dataset
        ``result(input, percentile, actor)`` and ``value(input, percentile)``.
    """
    model = compile_case(case)
    chosen = check_actors(_actors(model), actors)
    names = model.uncertain_names
    if inputs is None:
        tor = tornado(case, point=point)
        inputs = [str(n) for n in tor.input.values if n in names][:top]
    missing = [n for n in inputs if n not in names]
    if missing:
        raise SensitivityError(
            f"not an uncertain input: {', '.join(missing)}; choose from {', '.join(names)}"
        )
    base_row = _base_row(model, point)
    p = np.asarray(percentiles, dtype=float)
    rows, values = [], []
    for name in inputs:
        col = names.index(name)
        vals = model.inputs[model.uncertain[col]].dist.ppf(p)
        values.append(vals)
        for v in vals:
            row = base_row.copy()
            row[col] = v
            rows.append(row)
    res = evaluate(model, np.array(rows)).reshape(len(inputs), p.size, -1)
    labels = [model.inputs[model.uncertain[names.index(n)]].label for n in inputs]
    return xr.Dataset(
        {
            "result": (("input", "percentile", "actor"), res),
            "value": (("input", "percentile"), np.array(values)),
        },
        coords={
            "input": list(inputs),
            "label": ("input", labels),
            "percentile": p,
            "actor": _actors(model),
        },
        attrs={"case_name": case.name, "point_estimate": point},
    ).sel(actor=chosen)


def _search_points(lo: float, hi: float, d_lo: float, d_hi: float, base: float) -> np.ndarray:
    """Points spanning the meaningful range [lo, hi], dense inside the distribution [d_lo, d_hi].

    Unbounded sides are explored geometrically (up to ~2^40 widths from the distribution).
    """
    width = max(d_hi - d_lo, abs(base), 1e-9)
    pts = [d_lo, d_hi, base, *np.linspace(d_lo, d_hi, 9)]
    steps = width * 2.0 ** np.arange(0, 41)
    for side, bound, anchor in ((-1.0, lo, d_lo), (1.0, hi, d_hi)):
        if np.isfinite(bound):
            pts += [bound, *np.linspace(bound, anchor, 9)]
        else:
            pts += list(anchor + side * steps)
    out = np.unique(np.clip(np.array(pts, dtype=float), lo, hi))
    return out[np.isfinite(out)]


def switching_values(
    case: Case,
    *,
    actors: Sequence[str] | None = None,
    point: PointEstimate = "mean",
    tail: float = 1e-6,
) -> xr.Dataset:
    """Value of each input at which the deterministic cumulative nettoresultat crosses zero.

    The other inputs stay at their base values. The value is searched on the whole range the
    input can meaningfully take (:func:`som_mc.case.input_domain`: a share in [0, 1], an
    amount or count ≥ 0, a profile entry of any sign), not only inside its distribution; a
    value outside the distribution's support is flagged (``within = False``), and the
    percentile of the value is given when it lies inside. Of several crossings the one
    nearest the base value is reported (the model is linear in every input except the
    drop-off rate, so there is at most one). Root finding: a scan of the range (vectorised
    on the kernel), then Brent's method in the bracketing interval.

    Parameters
    ----------
    case : Case
        A validated case.
    actors : sequence of str, optional
        Actors (and/or ``"total"``) whose result must cross zero; default every actor and
        the total.
    point : {"mean", "median", "mode"}
        Base value of the other inputs.
    tail : float
        Quantile at which an unbounded distribution is cut to define its "assumed interval".

    Returns
    -------
    xarray.Dataset
        ``switching_value(input, actor)`` (NaN = the result does not cross 0 anywhere in
        the meaningful range), ``direction(input, actor)``: +1 when the result grows with
        the input (so the input must be *at least* the switching value), −1 when it falls
        (*at most*), 0 when flat; ``within(input, actor)`` (inside the distribution's
        support), ``percentile(input, actor)`` (the distribution's cdf at the value, NaN
        outside); per input ``base_value``, ``low``/``high`` (the assumed interval: the
        distribution's support, cut at `tail` where unbounded) and
        ``domain_low``/``domain_high`` (the searched range; NaN where unbounded).
    """
    model = compile_case(case)
    all_actors = _actors(model)
    actors = check_actors(all_actors, actors)
    a_idx = [all_actors.index(a) for a in actors]
    base_row = _base_row(model, point)
    names = model.uncertain_names
    n_in, n_a = len(names), len(actors)
    sv = np.full((n_in, n_a), np.nan)
    direction = np.zeros((n_in, n_a), dtype=np.int64)
    within = np.zeros((n_in, n_a), dtype=bool)
    percentile = np.full((n_in, n_a), np.nan)
    lows, highs = np.empty(n_in), np.empty(n_in)
    dom_lo, dom_hi = np.empty(n_in), np.empty(n_in)
    # one kernel call scans every input's range
    scan, blocks, supports = [], [], []
    for col in range(n_in):
        spec = model.inputs[model.uncertain[col]]
        dist = spec.dist
        s_lo, s_hi = dist.support()
        supports.append((s_lo, s_hi))
        lo = s_lo if np.isfinite(s_lo) else float(dist.ppf(tail))
        hi = s_hi if np.isfinite(s_hi) else float(dist.ppf(1.0 - tail))
        lows[col], highs[col] = lo, hi
        d_lo, d_hi = input_domain(spec)
        d_lo, d_hi = min(d_lo, lo), max(d_hi, hi)
        dom_lo[col] = d_lo if np.isfinite(d_lo) else np.nan  # tables hold finite numbers
        dom_hi[col] = d_hi if np.isfinite(d_hi) else np.nan
        pts = _search_points(d_lo, d_hi, lo, hi, float(base_row[col]))
        rows = np.repeat(base_row[None, :], pts.size, axis=0)
        rows[:, col] = pts
        scan.append(pts)
        blocks.append(rows)
    all_values = evaluate(model, np.concatenate(blocks)) if blocks else np.empty((0, 0))
    bounds = np.cumsum([0, *(p.size for p in scan)])
    # secant roots of every sign change (exact for inputs the model is linear in), checked
    # in one kernel call; Brent's method only where the check fails (the drop-off rate)
    found: list[tuple[int, int, float, float, float, float, float]] = []
    for col in range(n_in):
        pts = scan[col]
        values = all_values[bounds[col] : bounds[col + 1]]
        i_lo, i_hi = np.searchsorted(pts, lows[col]), np.searchsorted(pts, highs[col])
        for k, a in enumerate(a_idx):
            y = values[:, a]
            direction[col, k] = int(np.sign(y[i_hi] - y[i_lo]))
            sign = np.sign(y)
            for i in np.flatnonzero(sign == 0):
                found.append((col, k, float(pts[i]), pts[i], pts[i], 0.0, 0.0))
            for i in np.flatnonzero(sign[:-1] * sign[1:] < 0):
                x0, x1, y0, y1 = pts[i], pts[i + 1], y[i], y[i + 1]
                found.append((col, k, float(x0 - y0 * (x1 - x0) / (y1 - y0)), x0, x1, y0, y1))
    if found:
        check = np.repeat(base_row[None, :], len(found), axis=0)
        for r, (col, _k, root, *_rest) in enumerate(found):
            check[r, col] = root
        at_root = evaluate(model, check)
    candidates: dict[tuple[int, int], list[float]] = {}
    for r, (col, k, root, x0, x1, y0, y1) in enumerate(found):
        if not abs(at_root[r, a_idx[k]]) <= 1e-9 * max(abs(y0), abs(y1)):

            def f(v: float, a: int, col: int = col) -> float:
                row = base_row.copy()
                row[col] = v
                return float(evaluate(model, row[None, :])[0, a])

            root = optimize.brentq(f, x0, x1, args=(a_idx[k],), xtol=1e-12, rtol=1e-12)
        candidates.setdefault((col, k), []).append(root)
    for (col, k), roots in candidates.items():
        sv[col, k] = min(roots, key=lambda v: abs(v - base_row[col]))
    for col in range(n_in):
        s_lo, s_hi = supports[col]
        inside = (sv[col] >= s_lo) & (sv[col] <= s_hi)  # NaN compares False
        if inside.any():
            within[col] = inside
            cdf = model.inputs[model.uncertain[col]].dist.cdf(np.where(inside, sv[col], s_lo))
            percentile[col] = np.where(inside, cdf, np.nan)
    return xr.Dataset(
        {
            "switching_value": (("input", "actor"), sv),
            "direction": (("input", "actor"), direction),
            "within": (("input", "actor"), within),
            "percentile": (("input", "actor"), percentile),
            "base_value": (("input",), base_row),
            "low": (("input",), lows),
            "high": (("input",), highs),
            "domain_low": (("input",), dom_lo),
            "domain_high": (("input",), dom_hi),
        },
        coords={
            "input": names,
            "label": ("input", [model.inputs[j].label for j in model.uncertain]),
            "actor": list(actors),
        },
        attrs={
            "case_name": case.name,
            "point_estimate": point,
            "horizon_years": case.horizon_years,
            "start_year": case.start_year,
        },
    )


def saltelli_matrix(
    a: np.ndarray, b: np.ndarray, group_index: np.ndarray, *, inputs_major: bool = False
) -> np.ndarray:
    """Saltelli's design in SALib's row order (no second-order terms).

    For each base row j the block ``A_j, AB^(1)_j, ..., AB^(G)_j, B_j``, where
    ``AB^(g)`` is A with the columns of group g taken from B.

    Parameters
    ----------
    a, b : ndarray, shape (N, D)
        The two independent base samples (uniforms or already mapped values).
    group_index : ndarray of int, shape (D,)
        Group of each column, 0..G-1.
    inputs_major : bool
        Return the transpose, input by input (what the kernel reads), built directly.

    Returns
    -------
    ndarray, shape (N (G + 2), D), or (D, N (G + 2)) when `inputs_major`
    """
    if inputs_major:
        return _saltelli_inputs_major(a, b, group_index)
    n, d = a.shape
    n_groups = int(group_index.max()) + 1 if d else 0
    out = np.empty((n, n_groups + 2, d))
    out[:, 0] = a
    out[:, -1] = b
    for g in range(n_groups):
        cols = group_index == g
        out[:, g + 1] = a
        out[:, g + 1, cols] = b[:, cols]
    return out.reshape(n * (n_groups + 2), d)


def _saltelli_inputs_major(a: np.ndarray, b: np.ndarray, group_index: np.ndarray) -> np.ndarray:
    """:func:`saltelli_matrix` transposed: row i is input i's value in every design row.

    Input i takes its A value in every block row except ``AB^(g_i)`` and ``B``, where it
    takes its B value.
    """
    n, d = a.shape
    n_groups = int(group_index.max()) + 1 if d else 0
    out = np.empty((d, n, n_groups + 2))
    out[...] = a.T[:, :, None]
    out[np.arange(d), :, group_index + 1] = b.T
    out[:, :, -1] = b.T
    return out.reshape(d, n * (n_groups + 2))


def _evaluate_design(
    func: Callable[[np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    group_index: np.ndarray,
    *,
    inputs_major: bool,
    block: int | None,
    threads: int = 1,
) -> np.ndarray:
    """``func`` of the Saltelli design of `a` and `b`, whole or in blocks of base rows.

    Base row j owns the design rows ``j (G + 2) … (j + 1) (G + 2) − 1``
    (:func:`saltelli_matrix`), so the design of base rows ``lo:hi`` is exactly the slice
    ``lo (G + 2) : hi (G + 2)`` of the whole design. With several `threads`, blocks are
    evaluated at the same time, each written to its own rows.
    """
    n = a.shape[0]
    if block is None or block >= n:
        x = saltelli_matrix(a, b, group_index, inputs_major=inputs_major)
        return np.asarray(func(x), dtype=np.float64)
    width = (int(group_index.max()) + 1 if a.shape[1] else 0) + 2

    def part(lo: int) -> np.ndarray:
        hi = min(n, lo + block)
        x = saltelli_matrix(a[lo:hi], b[lo:hi], group_index, inputs_major=inputs_major)
        return np.asarray(func(x), dtype=np.float64)

    first = part(0)  # its shape gives the outputs'
    y = np.empty((n * width, *first.shape[1:]))
    y[: first.shape[0]] = first
    del first

    def into(lo: int) -> None:
        y[lo * width : min(n, lo + block) * width] = part(lo)

    starts = range(block, n, block)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(into, starts))
    else:
        for lo in starts:
            into(lo)
    return y


def sobol_estimates(
    y: np.ndarray,
    n_groups: int,
    *,
    seed: int = 0,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    bootstrap: bool = True,
    threads: int = 1,
) -> dict[str, np.ndarray]:
    """Saltelli 2010 first-order and Jansen total-order indices with a seeded bootstrap.

    The same estimators and bootstrap as SALib's ``analyze.sobol`` (outputs standardised,
    resamples of the N base rows drawn with ``numpy.random.default_rng(seed).integers``, the
    interval half-width ``z × sd`` of the resampled estimates), vectorised over inputs and
    outputs: a resample's means are a counts matrix times the per-row terms, one matrix
    product for all of them. Every seed is a seed, 0 included (SALib's ``if seed:`` falls
    back to the global generator for 0).

    Parameters
    ----------
    y : ndarray, shape (N (G + 2), M)
        Outputs of the Saltelli design in SALib's row order (:func:`saltelli_matrix`).
    n_groups : int
        G, the number of inputs (groups) of the design.
    seed, num_resamples, conf_level
        Bootstrap settings.
    bootstrap : bool
        Compute the intervals; without, the ``*_conf`` entries are NaN (point estimates
        only, with no temporaries of size N × G × M).
    threads : int
        Threads computing blocks of outputs at the same time (the numbers are the same).

    Returns
    -------
    dict of str to ndarray, shape (G, M)
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; NaN for an output with no variance.
    """
    y = np.asarray(y, dtype=np.float64)
    options = {"seed": seed, "num_resamples": num_resamples, "conf_level": conf_level}
    return _estimate_jobs(n_groups, [(y, bootstrap)], options, threads=threads)[0]


def _estimate_jobs(
    n_groups: int,
    jobs: Sequence[tuple[np.ndarray, bool]],
    options: Mapping[str, object],
    *,
    threads: int = 1,
) -> list[dict[str, np.ndarray]]:
    """:func:`sobol_estimates` of each job's outputs ``(y, bootstrap)``.

    The outputs of a C-contiguous `y` are taken a few at a time (:data:`_OUTPUT_BLOCK`):
    the temporaries (standardised outputs, per-row terms) of one block of outputs are
    reused for the next rather than made for all at once. Every output is computed on its
    own, so the numbers are the same in blocks of C-contiguous copies as all at once, and
    whichever thread computes a block (NumPy releases the GIL in these loops; `threads`
    run them). Another layout (e.g. the Fortran-ordered result of ``y[:, mask]``) is taken
    whole, as its sums run in another order.
    """
    tasks: list[tuple[int, slice]] = []
    for j, (y, _bootstrap) in enumerate(jobs):
        m = y.shape[1]
        parts = max(1, -(-m // _OUTPUT_BLOCK)) if y.flags.c_contiguous else 1
        bounds = np.linspace(0, m, parts + 1).round().astype(int) if parts > 1 else [0, m]
        tasks += [(j, slice(int(lo), int(hi))) for lo, hi in itertools.pairwise(bounds)]

    def run(task: tuple[int, slice]) -> dict[str, np.ndarray]:
        (y, bootstrap), where = jobs[task[0]], task[1]
        block = y if where == slice(0, y.shape[1]) else np.ascontiguousarray(y[:, where])
        return _sobol_estimates(block, n_groups, bootstrap=bootstrap, **options)  # type: ignore[arg-type]

    # BLAS (the bootstrap's products) on one thread throughout: the same numbers anywhere
    with threadpool_limits(limits=1, user_api="blas"):
        if threads > 1 and len(tasks) > 1:
            with ThreadPoolExecutor(min(threads, len(tasks))) as pool:
                results = list(pool.map(run, tasks))
        else:
            results = [run(task) for task in tasks]
    out: list[dict[str, np.ndarray]] = [{} for _ in jobs]
    for (j, where), part in zip(tasks, results, strict=True):
        for key, value in part.items():
            out[j].setdefault(key, np.empty((n_groups, jobs[j][0].shape[1])))[:, where] = value
    return out


#: Outputs per block of :func:`sobol_estimates` (at least 2 when there are several).
_OUTPUT_BLOCK = 8


def _sobol_estimates(
    y: np.ndarray,
    n_groups: int,
    *,
    seed: int,
    num_resamples: int,
    conf_level: float,
    bootstrap: bool,
) -> dict[str, np.ndarray]:
    """:func:`sobol_estimates` of all the outputs of `y` at once."""
    n = y.shape[0] // (n_groups + 2)
    m = y.shape[1]
    ok = np.ptp(y, axis=0) > 0.0
    # centred and scaled as SALib does (the estimators are not shift-invariant)
    z = (y - y.mean(axis=0)) / np.where(ok, y.std(axis=0), 1.0)
    z = z.reshape(n, n_groups + 2, m)
    a, ab, b = z[:, 0], z[:, 1:-1], z[:, -1]  # (N, M), (N, G, M), (N, M)
    eps = np.finfo(float).eps

    def ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
        return np.divide(num, var, out=np.zeros_like(num), where=var > eps)

    var = np.var(np.concatenate([a, b]), axis=0)  # (M,)
    out: dict[str, np.ndarray]
    if not bootstrap:
        # point estimates without the (N, G, M) temporaries: sums of products
        s_ab = np.einsum("im,igm->gm", b, ab) / n
        s_aa = np.einsum("im,igm->gm", a, ab) / n
        s_ab2 = np.einsum("igm,igm->gm", ab, ab) / n
        first = s_ab - (a * b).mean(axis=0)
        total = 0.5 * ((a * a).mean(axis=0) - 2.0 * s_aa + s_ab2)
        nan = np.full((n_groups, m), np.nan)
        out = {
            "S1": ratio(first, var[None, :]),
            "S1_conf": nan,
            "ST": ratio(total, var[None, :]),
            "ST_conf": nan.copy(),
        }
        for key in out:
            out[key][:, ~ok] = np.nan
        return out
    first_t = b[:, None, :] * (ab - a[:, None, :])  # (N, G, M)
    total_t = 0.5 * (a[:, None, :] - ab) ** 2
    out = {
        "S1": ratio(first_t.mean(axis=0), var[None, :]),
        "ST": ratio(total_t.mean(axis=0), var[None, :]),
    }
    # bootstrap: counts[k, i] = how often base row i is in resample k (SALib's draws)
    draws = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    flat = (np.arange(num_resamples)[:, None] * n + draws.T).ravel()
    counts = np.bincount(flat, minlength=num_resamples * n).reshape(num_resamples, n) / n
    # One product per output, of the same shape however many outputs there are: BLAS
    # chooses its kernel, and with it the order of its sums, by the operands' shapes
    # (OpenBLAS's SkylakeX kernels, on an AVX-512 machine, give a block of outputs other
    # last bits than all outputs at once), so an output computed with others meets the
    # same product as one computed alone.
    g = n_groups
    terms = np.empty((n, 2 * g + 4))  # a, b, a², b², the first- and total-order terms
    m1, m2 = np.empty((num_resamples, m)), np.empty((num_resamples, m))
    s1_r, st_r = np.empty((num_resamples, g, m)), np.empty((num_resamples, g, m))
    with threadpool_limits(limits=1, user_api="blas"):
        for j in range(m):
            terms[:, 0], terms[:, 1] = a[:, j], b[:, j]
            np.multiply(a[:, j], a[:, j], out=terms[:, 2])
            np.multiply(b[:, j], b[:, j], out=terms[:, 3])
            terms[:, 4 : 4 + g], terms[:, 4 + g :] = first_t[:, :, j], total_t[:, :, j]
            sums = counts @ terms  # (R, 2 G + 4)
            m1[:, j] = 0.5 * (sums[:, 0] + sums[:, 1])
            m2[:, j] = 0.5 * (sums[:, 2] + sums[:, 3])
            s1_r[:, :, j], st_r[:, :, j] = sums[:, 4 : 4 + g], sums[:, 4 + g :]
    var_r = (m2 - m1 * m1)[:, None, :]  # (R, 1, M)
    s1_r = ratio(s1_r, var_r)
    st_r = ratio(st_r, var_r)
    zq = special.ndtri(0.5 + conf_level / 2)  # the normal quantile (scipy.stats' norm.ppf)
    out["S1_conf"] = zq * s1_r.std(axis=0, ddof=1)
    out["ST_conf"] = zq * st_r.std(axis=0, ddof=1)
    for key in out:
        out[key][:, ~ok] = np.nan  # a constant output has no variance to apportion
    return out


def sobol_base_sample(n_inputs: int, n_base: int, seed: int) -> np.ndarray:
    """Return the two base samples of uniforms of :func:`sobol_indices`, side by side.

    The first `n_base` points of a scrambled Sobol sequence of dimension ``2 n_inputs``
    (seeded by `seed`), clipped to [1e-12, 1 − 1e-12]: columns ``:n_inputs`` are A, the
    rest B.
    """
    sobol = stats.qmc.Sobol(d=2 * n_inputs, scramble=True, rng=np.random.default_rng(seed))
    return np.clip(sobol.random(n_base), 1e-12, 1.0 - 1e-12)  # ppf(0), ppf(1) may be inf


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    names: Sequence[str],
    *,
    n_base: int = 4096,
    seed: int = 0,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    groups: Sequence[str] | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    bootstrap: bool | np.ndarray = True,
    inputs_major: bool = False,
    base: np.ndarray | None = None,
    values: tuple[np.ndarray, np.ndarray] | None = None,
    block: int | None = None,
    threads: int = 1,
) -> xr.Dataset:
    """First-order and total Sobol indices with bootstrap intervals.

    The Saltelli design is built here, vectorised, from one scrambled Sobol sequence of
    dimension 2D; the estimators (Saltelli 2010 first order, Jansen total order) and the
    bootstrap are SALib's, computed by :func:`sobol_estimates` for every output at once.

    Parameters
    ----------
    func : callable
        Maps the design, shape (n, D) (or (D, n), see `inputs_major`), to outputs, shape
        (n,) or (n, m) or (n, m1, m2, …).
    names : sequence of str
        Names of the D inputs.
    n_base : int
        Base samples N (a power of two); `func` sees N (D + 2) rows, or N (G + 2) rows
        with G groups.
    seed : int
        Seed of the scrambled Sobol sequence and of the bootstrap (0 is a seed).
    num_resamples : int
        Bootstrap resamples for the confidence intervals (≥ 2).
    conf_level : float
        Confidence level of the intervals.
    groups : sequence of str, optional
        Group name per input; indices are then per group.
    transform : callable, optional
        Maps the two base samples of uniforms (N, D) to input values before the design is
        assembled (each value is transformed once, not once per row of the design).
    bootstrap : bool or boolean array
        Which outputs get intervals (broadcast to the output shape); the others get point
        estimates and NaN intervals (cheaper for many outputs, e.g. every year).
    inputs_major : bool
        Give `func` the design input by input, shape (D, n) (no transposed copy for a
        kernel that reads inputs that way).
    base : ndarray, shape (N, 2D), optional
        :func:`sobol_base_sample` of these `names`, `n_base` and `seed`, if computed
        already (e.g. in another process).
    values : tuple of two ndarrays, shape (N, D), optional
        The two base samples already mapped by `transform` (``transform(base[:, :D])``,
        ``transform(base[:, D:])``), e.g. computed in another process; instead of `base`.
    block : int, optional
        Evaluate the design in blocks of this many base rows (``block (D + 2)`` rows per
        call of `func`, each block's rows contiguous in the design): the design is never
        held whole, and the memory of one block is reused for the next. The numbers are
        the same as in one call when `func` computes each row on its own.
    threads : int
        Threads evaluating blocks (`func` must then be safe to call from several threads
        at once) and computing the estimates of blocks of outputs at the same time; the
        numbers are the same for any number.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of the intervals) along
        ``input`` (or group) and, for vector outputs, ``output`` (``output_0``,
        ``output_1`` … for more output dimensions); attribute ``seconds_model`` is the time
        spent in `func` and `transform`.
    """
    if n_base < 2 or n_base & (n_base - 1):
        raise SensitivityError(f"n_base must be a power of two >= 2; received {n_base}")
    if num_resamples < 2:
        raise SensitivityError(f"num_resamples must be at least 2; received {num_resamples}")
    if not 0 < conf_level < 1:
        raise SensitivityError(
            f"conf_level must lie strictly between 0 and 1; received {conf_level}"
        )
    d = len(names)
    labels = list(dict.fromkeys(groups)) if groups is not None else list(names)
    group_index = np.array(
        [labels.index(g) for g in groups] if groups is not None else range(d), dtype=np.int64
    )
    if block is not None and block < 1:
        raise SensitivityError(f"block must be at least 1 base row; received {block}")
    if values is not None:
        if base is not None:
            raise SensitivityError("give either the base sample or its values, not both")
        if len(values) != 2 or any(np.shape(v) != (n_base, d) for v in values):
            raise SensitivityError(
                f"base values must be two arrays of shape {(n_base, d)}; received "
                f"{[np.shape(v) for v in values]}"
            )
    elif base is None:
        base = sobol_base_sample(d, n_base, seed)
    elif base.shape != (n_base, 2 * d):
        raise SensitivityError(
            f"base sample must have shape {(n_base, 2 * d)}; received {base.shape}"
        )
    t0 = time.perf_counter()
    if values is not None:
        a, b = values
    else:
        assert base is not None
        a, b = base[:, :d], base[:, d:]
        if transform is not None:
            a, b = transform(a), transform(b)
    y = _evaluate_design(
        func, a, b, group_index, inputs_major=inputs_major, block=block, threads=threads
    )
    seconds = time.perf_counter() - t0
    out_shape = y.shape[1:]
    flat = y.reshape(y.shape[0], -1)
    mask = np.broadcast_to(np.asarray(bootstrap, dtype=bool), out_shape).ravel()
    options = {"seed": seed, "num_resamples": num_resamples, "conf_level": conf_level}
    if mask.all():
        est = _estimate_jobs(len(labels), [(flat, True)], options, threads=threads)[0]
    else:
        # point estimates of every output, and intervals of the masked ones, side by side
        jobs = [(flat, False)] + ([(flat[:, mask], True)] if mask.any() else [])
        est, *part = _estimate_jobs(len(labels), jobs, options, threads=threads)
        for key, value in (part[0] if part else {}).items():
            est[key][:, mask] = value
    if y.ndim == 1:
        dims: tuple[str, ...] = ("input",)
        arrays = {k: v[:, 0] for k, v in est.items()}
        coords: dict[str, object] = {"input": labels}
    else:
        dims = (
            ("input", "output")
            if y.ndim == 2
            else ("input", *(f"output_{i}" for i in range(y.ndim - 1)))
        )
        arrays = {k: v.reshape(len(labels), *out_shape) for k, v in est.items()}
        coords = {
            "input": labels,
            **{dim: np.arange(k) for dim, k in zip(dims[1:], out_shape, strict=True)},
        }
    return xr.Dataset(
        {k: (dims, v) for k, v in arrays.items()},
        coords=coords,
        attrs={
            "n_base": n_base,
            "n_evaluations": int(y.shape[0]),
            "seed": seed,
            "conf_level": conf_level,
            "num_resamples": num_resamples,
            "seconds_model": seconds,
        },
    )


#: Design rows per kernel call of :func:`sobol_analysis`.
_BLOCK_ROWS = 32_768


def _quantiles(model: CaseModel, u: np.ndarray) -> np.ndarray:
    """Map uniforms (n, U) through the quantile functions of the uncertain inputs."""
    x = np.empty_like(u)
    for j, col in enumerate(model.uncertain):
        x[:, j] = model.inputs[col].dist.ppf(u[:, j])
    return x


def sobol_base_values(case: Case, n_base: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the two base samples of :func:`sobol_analysis`, mapped to input values.

    ``sobol_base_sample(U, n_base, seed)`` for the case's U uncertain inputs, each half
    through the inputs' quantile functions: what :func:`sobol_analysis` computes first, so
    that another process can compute it meanwhile (pass it as ``values``).

    Returns
    -------
    a, b : ndarray, shape (n_base, U)
    """
    model = compile_case(case)
    d = len(model.uncertain)
    base = sobol_base_sample(d, n_base, seed)
    return _quantiles(model, base[:, :d]), _quantiles(model, base[:, d:])


def sobol_analysis(
    case: Case,
    *,
    n_base: int = 4096,
    seed: int = 0,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    groups: Mapping[str, Sequence[str]] | None = None,
    actors: Sequence[str] | None = None,
    base: np.ndarray | None = None,
    values: tuple[np.ndarray, np.ndarray] | None = None,
) -> xr.Dataset:
    """Global sensitivity (Sobol indices) of the cumulative nettoresultat per aktør and year.

    Inputs are independent in this analysis (declared correlations are ignored, and the
    result says so in ``attrs["warning"]``); outcome noise is off. Profile entries of one
    consequence form one group, as in the tornado. One Saltelli design serves every year
    and actor: the indices of the cumulative nettoresultat up to each year show which input
    matters when.

    Parameters
    ----------
    case : Case
        A validated case.
    n_base, seed, num_resamples, conf_level
        As for :func:`sobol_indices` (``seed`` 0 is a seed).
    groups : mapping, optional
        Named groups of input-name patterns (see :func:`input_groups`).
    actors : sequence of str, optional
        Actors (and/or ``"total"``) to keep; default every actor and the total.
    base : ndarray, optional
        ``sobol_base_sample(U, n_base, seed)`` for the U uncertain inputs, if computed
        already (see :func:`sobol_indices`).
    values : tuple of two ndarrays, optional
        :func:`sobol_base_values` of this case, `n_base` and `seed`, if computed already
        (e.g. in another process); instead of `base`.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` per ``input`` (group) and ``actor`` for the
        cumulative result over the whole horizon (with bootstrap intervals), and
        ``S1_by_year``, ``ST_by_year`` per ``input``, ``year`` and ``actor`` for the
        cumulative result up to each year (point estimates; NaN in a year whose result does
        not vary);
        attributes with timings: ``seconds_total``, ``seconds_kernel``.
    """
    t0 = time.perf_counter()
    model = compile_case(case)
    chosen = check_actors(_actors(model), actors)
    gs = input_groups(model, groups)
    names = model.uncertain_names
    if not names:
        raise SensitivityError(f"{case.name}: the case has no uncertain inputs to analyse")
    group_of = [""] * len(names)
    for g in gs:
        for col in g.columns:
            group_of[col] = g.name
    kernel_seconds = 0.0

    threads = kernel_threads()
    lock = threading.Lock()

    def func(x: np.ndarray) -> np.ndarray:
        # blocks of the design on `threads` threads at once, each kernel call on one
        nonlocal kernel_seconds
        t = time.perf_counter()
        y = evaluate_years(model, x, inputs_major=True, threads=1)
        with lock:
            kernel_seconds += time.perf_counter() - t
        return y

    use_groups = any(len(g.columns) > 1 or g.name != names[g.columns[0]] for g in gs)
    per_year = sobol_indices(
        func,
        names,
        n_base=n_base,
        seed=seed,
        num_resamples=num_resamples,
        conf_level=conf_level,
        groups=group_of if use_groups else None,
        transform=partial(_quantiles, model),
        bootstrap=(np.arange(model.n_years) == model.n_years - 1)[:, None],
        inputs_major=True,
        base=base,
        values=values,
        # blocks of about _BLOCK_ROWS design rows: the kernel's inputs and outputs of one
        # block are reused for the next instead of holding the whole design at once
        block=max(1, _BLOCK_ROWS // (len(gs) + 2)),
        threads=threads,
    )
    per_year = per_year.rename({"output_0": "year", "output_1": "actor"}).assign_coords(
        year=model.years, actor=_actors(model)
    )
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    res = per_year[list(keys)].isel(year=-1, drop=True)
    for key in ("S1", "ST"):
        res[f"{key}_by_year"] = per_year[key]
    label = {g.name: g.label for g in gs}
    res = res.assign_coords(label=("input", [label[str(n)] for n in res.input.values]))
    res = res.sel(actor=chosen)
    res.attrs.update(per_year.attrs)
    res.attrs.update(
        case_name=case.name,
        seconds_total=time.perf_counter() - t0,
        seconds_kernel=kernel_seconds,
        n_inputs=len(names),
    )
    if case.correlations:
        res.attrs["warning"] = (
            "Sobol-indeks forudsætter uafhængige input; casen erklærer rangkorrelationer, "
            "som er ignoreret her. Se rangkorrelationerne (Spearman/SRRC) i stedet."
        )
    return res


def rank_measures(ds: xr.Dataset, *, actors: Sequence[str] | None = None) -> xr.Dataset:
    """Spearman correlations and standardised rank regression coefficients (SRRC).

    Computed from a plain Monte Carlo run (:func:`som_mc.simulate`) between each sampled
    input and the cumulative nettoresultat over the horizon, per aktør and in total. Valid
    with correlated inputs.

    Returns
    -------
    xarray.Dataset
        ``spearman(input, actor)``, ``srrc(input, actor)`` and ``srrc_r2(actor)``, the
        share of the rank variance the linear rank regression explains.
    """
    return _rank_measures(ds, _ranked_inputs(ds), actors)


def _inputs_and_results(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Return the inputs (draw, input) and cumulative results (draw, actor + total) of a run."""
    x = ds.inputs.transpose("draw", "input").values
    horizon = ds.net_result.sum("year").transpose("draw", "actor").values
    return x, np.concatenate([horizon, horizon.sum(axis=1, keepdims=True)], axis=1)


def _ranked_inputs(ds: xr.Dataset) -> np.ndarray:
    """``scipy.stats.rankdata`` of each input over the draws (average ranks of ties)."""
    return np.asarray(stats.rankdata(ds.inputs.transpose("draw", "input").values, axis=0))


def _rank_measures(ds: xr.Dataset, rx: np.ndarray, actors: Sequence[str] | None) -> xr.Dataset:
    """:func:`rank_measures` given the inputs' ranks `rx` (:func:`_ranked_inputs`)."""
    x, y = _inputs_and_results(ds)
    n, k = x.shape
    ry = stats.rankdata(y, axis=0)
    zx = (rx - rx.mean(axis=0)) / np.where(rx.std(axis=0) > 0, rx.std(axis=0), 1.0)
    spearman = np.zeros((k, y.shape[1]))
    srrc = np.zeros((k, y.shape[1]))
    r2 = np.zeros(y.shape[1])
    sd = ry.std(axis=0)
    varies = np.flatnonzero(sd > 0)  # a result that does not vary keeps zeros
    # BLAS on one thread: the same numbers on every machine (a threaded BLAS splits the
    # sums), and no spinning threads against other work
    with threadpool_limits(limits=1, user_api="blas"):
        if varies.size:
            zy = (ry[:, varies] - ry[:, varies].mean(axis=0)) / sd[varies]
            spearman[:, varies] = zx.T @ zy / n
            # one least-squares problem with a column per result: one factorisation of
            # the inputs' ranks for every aktør and the total
            coef, *_ = np.linalg.lstsq(zx, zy, rcond=None)
            srrc[:, varies] = coef
            r2[varies] = 1.0 - ((zy - zx @ coef) ** 2).mean(axis=0)
    return xr.Dataset(
        {
            "spearman": (("input", "actor"), spearman),
            "srrc": (("input", "actor"), srrc),
            "srrc_r2": (("actor",), r2),
        },
        coords={
            "input": ds.input.values,
            "label": ("input", ds.input_label.values),
            "actor": [*map(str, ds.actor.values), TOTAL],
        },
        attrs={"n_draws": int(n), "case_name": ds.attrs.get("case_name", "")},
    ).sel(actor=check_actors([*map(str, ds.actor.values), TOTAL], actors))


def rank_analysis(
    case: Case, *, draws: int, seed: int, actors: Sequence[str] | None = None
) -> tuple[xr.Dataset, xr.Dataset]:
    """Rank measures and downside drivers of one plain Monte Carlo run of the case.

    :func:`rank_measures` and :func:`downside_drivers` of ``som_mc.simulate(case,
    draws=draws, seed=seed)``.
    """
    from som_mc.results.schema import xarray_without_dask
    from som_mc.run import simulate

    # a run of NumPy arrays: xarray need not import dask (≈ 0,4 s) to tell
    with xarray_without_dask():
        ds = simulate(case, draws=draws, seed=seed)
        rx = _ranked_inputs(ds)  # both measures rank the inputs: once
        return _rank_measures(ds, rx, actors), _downside_drivers(ds, rx, actors)


def downside_drivers(ds: xr.Dataset, *, actors: Sequence[str] | None = None) -> xr.Dataset:
    """Which inputs move P(nettoresultat < 0) most: the downside drivers.

    From a plain Monte Carlo run (:func:`som_mc.simulate`), per input and aktør: the loss
    probability P(cumulative nettoresultat over the horizon < 0) when the input lies in its
    lowest and in its highest third (by rank), their difference, and the Kolmogorov–Smirnov
    distance between the input's distribution in loss draws and in gain draws (0 = the
    input is distributed alike whether the indsats loses or gains; a moment-independent
    measure, valid with correlated inputs).

    Returns
    -------
    xarray.Dataset
        ``p_loss(actor)``, ``p_loss_low``, ``p_loss_high``, ``p_loss_swing`` (high − low)
        with standard errors ``p_loss_low_se``/``p_loss_high_se``, and ``ks(input, actor)``;
        inputs sorted by the largest |swing| of the first actor chosen.
    """
    return _downside_drivers(ds, _ranked_inputs(ds), actors)


def _downside_drivers(ds: xr.Dataset, rx: np.ndarray, actors: Sequence[str] | None) -> xr.Dataset:
    """:func:`downside_drivers` given the inputs' ranks `rx` (:func:`_ranked_inputs`)."""
    x, y = _inputs_and_results(ds)
    all_actors = [*map(str, ds.actor.values), TOTAL]
    chosen = check_actors(all_actors, actors)
    y = y[:, [all_actors.index(a) for a in chosen]]
    n, k = x.shape
    loss = (y < 0).astype(np.float64)  # (n, m)
    u = (rx - 0.5) / n
    low = (u <= 1.0 / 3.0).astype(np.float64)
    high = (u > 2.0 / 3.0).astype(np.float64)
    n_low = np.maximum(low.sum(axis=0), 1.0)[:, None]
    n_high = np.maximum(high.sum(axis=0), 1.0)[:, None]
    p_low = low.T @ loss / n_low  # (k, m)
    p_high = high.T @ loss / n_high
    ks = np.zeros((k, y.shape[1]))
    # every actor at once: counts of 0/1 values, exact in any order, so the same numbers
    # as actor by actor
    n_loss = loss.sum(axis=0)
    n_gain = n - n_loss
    both = (n_loss > 0) & (n_gain > 0)  # otherwise the distance is 0
    if both.any():
        loss_both, n_loss, n_gain = loss[:, both], n_loss[both], n_gain[both]
        for j in range(k):
            order = np.argsort(x[:, j], kind="stable")
            xs = x[order, j]
            last = np.r_[xs[1:] != xs[:-1], True]  # end of each group of tied values
            lm = loss_both[order]
            diff = np.cumsum(lm, axis=0) / n_loss - np.cumsum(1.0 - lm, axis=0) / n_gain
            ks[j, both] = np.abs(diff[last]).max(axis=0)
    swing = p_high - p_low
    order = np.argsort(-np.abs(swing[:, 0]), kind="stable")
    return xr.Dataset(
        {
            "p_loss": (("actor",), loss.mean(axis=0)),
            "p_loss_low": (("input", "actor"), p_low[order]),
            "p_loss_low_se": (("input", "actor"), np.sqrt(p_low * (1 - p_low) / n_low)[order]),
            "p_loss_high": (("input", "actor"), p_high[order]),
            "p_loss_high_se": (
                ("input", "actor"),
                np.sqrt(p_high * (1 - p_high) / n_high)[order],
            ),
            "p_loss_swing": (("input", "actor"), swing[order]),
            "ks": (("input", "actor"), ks[order]),
        },
        coords={
            "input": ds.input.values[order],
            "label": ("input", ds.input_label.values[order]),
            "actor": chosen,
        },
        attrs={"n_draws": int(n), "case_name": ds.attrs.get("case_name", "")},
    )
