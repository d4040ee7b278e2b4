"""Følsomhedsscenarier: the base case and every declared scenario, with common random numbers.

Each scenario (``[[scenarios]]``, see :mod:`som_mc.case.scenarios`) is applied to the case and
all of them run through :func:`som_mc.run.compare` with one seed: same-named inputs draw the
same random numbers, so the difference to the base carries only the scenario's change and its
Monte Carlo standard error is small. The ``lhs`` design is the default: every input maps its
own uniform through its quantile function, which keeps draws paired when a scenario scales an
input or restricts it to a tail.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from som_mc._version import __version__
from som_mc.case import Case, apply_scenario, case_hash
from som_mc.engine import deterministic
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL, break_even_index
from som_mc.run import compare
from som_mc.run.compare import unique_labels
from som_mc.sampling import Design, normalize_seed
from som_mc.sensitivity.analysis import SensitivityError, check_actors

__all__ = ["BASE_LABEL", "scenario_analysis"]

#: Label of the base case in scenario tables.
BASE_LABEL = "Basis"


def _deterministic_rows(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative nettoresultat over the horizon and break-even year, per actor + total."""
    det = deterministic(case)
    net = det.net_result.transpose("year", "actor").values
    net = np.concatenate([net, net.sum(axis=1, keepdims=True)], axis=1)
    cum = np.cumsum(net, axis=0)
    index = break_even_index(cum.T)
    years = det.year.values
    be = np.where(index >= 0, years[np.maximum(index, 0)], NOT_WITHIN_HORIZON)
    return cum[-1], be


def scenario_analysis(
    case: Case,
    *,
    draws: int = 10_000,
    seed: int | None = None,
    design: Design = "lhs",
    actors: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> xr.Dataset:
    """Run the base case and its scenarios with common random numbers.

    Parameters
    ----------
    case : Case
        A validated case with ``[[scenarios]]``.
    draws : int
        Monte Carlo draws per scenario.
    seed : int or None
        One seed for every scenario (``None`` draws fresh entropy, recorded in ``attrs``).
    design : {"lhs", "random", "sobol"}
        Sampling design; ``lhs`` (default) keeps scaled and stressed inputs paired draw by
        draw (``random`` pairs only inputs whose distribution is unchanged).
    actors : sequence of str, optional
        Actors (and/or ``"total"``) to report; default every actor and the total.
    scenarios : sequence of str, optional
        Names of the scenarios to run; default all of them.

    Returns
    -------
    xarray.Dataset
        Along ``scenario`` (the base first, labelled :data:`BASE_LABEL`) and ``actor``, the
        cumulative nettoresultat over the horizon (undiscounted kroner):

        - ``deterministic``: the deterministic SØM result (inputs at their means);
        - ``mean``, ``mcse``, ``p05``, ``p95`` (the 90 % interval), ``p_positive`` (P(> 0));
        - ``break_even_deterministic``: tilbagebetalingsår of the deterministic result,
          ``break_even_median``: the median draw's (both -1 = not within the horizon),
          ``break_even_never``: P(no break-even within the horizon);
        - ``difference_mean`` and ``difference_mcse``: the paired difference to the base
          and its Monte Carlo standard error; ``difference_deterministic``;
          ``difference_p05``/``difference_p95``.

        Coordinates ``description`` (per scenario); attributes ``seed``, ``draws``,
        ``design``, ``case_name``, ``price_year``, ``start_year``, ``horizon_years``.

    Raises
    ------
    SensitivityError
        When the case declares no scenarios, or a named scenario or actor is unknown.
    """
    declared = case.scenarios or []
    if not declared:
        raise SensitivityError(
            f"{case.name}: the case declares no scenarios; add [[scenarios]] tables with name "
            "and overrides/scale/stress (see cases/README.md)"
        )
    names = [s.name for s in declared]
    chosen = list(names) if scenarios is None else list(scenarios)
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise SensitivityError(
            f"unknown scenario {unknown[0]!r}; the case declares {', '.join(map(repr, names))}"
        )
    all_actors = [*case.actors, TOTAL]
    actors = check_actors(all_actors, actors)
    seed = normalize_seed(seed)
    sc_cases = [apply_scenario(case, n) for n in chosen]
    base_case = case.model_copy(update={"scenarios": None})
    labels = unique_labels([BASE_LABEL, *chosen])
    cmp = compare([base_case, *sc_cases], draws=draws, seed=seed, design=design, labels=labels).sel(
        actor=actors
    )
    det = [_deterministic_rows(c) for c in [base_case, *sc_cases]]
    a_idx = [all_actors.index(a) for a in actors]
    det_value = np.array([d[0][a_idx] for d in det])
    det_be = np.array([d[1][a_idx] for d in det])
    q = cmp.horizon_quantile
    dq = cmp.difference_quantile
    money = {"units": "DKK", "price_year": case.price_year}
    descriptions = ["", *[declared[names.index(n)].description for n in chosen]]
    ds = xr.Dataset(
        {
            "deterministic": (("scenario", "actor"), det_value, money),
            "mean": (("scenario", "actor"), cmp.horizon_mean.values, money),
            "mcse": (("scenario", "actor"), cmp.horizon_mcse.values, money),
            "p05": (("scenario", "actor"), q.sel(quantile=0.05).values, money),
            "p95": (("scenario", "actor"), q.sel(quantile=0.95).values, money),
            "p_positive": (("scenario", "actor"), cmp.horizon_p_positive.values),
            "break_even_deterministic": (("scenario", "actor"), det_be),
            "break_even_median": (("scenario", "actor"), cmp.break_even_median.values),
            "break_even_never": (("scenario", "actor"), cmp.break_even_never.values),
            "difference_deterministic": (
                ("scenario", "actor"),
                det_value - det_value[:1],
                money,
            ),
            "difference_mean": (("scenario", "actor"), cmp.difference_mean.values, money),
            "difference_mcse": (("scenario", "actor"), cmp.difference_mcse.values, money),
            "difference_p05": (("scenario", "actor"), dq.sel(quantile=0.05).values, money),
            "difference_p95": (("scenario", "actor"), dq.sel(quantile=0.95).values, money),
        },
        coords={
            "scenario": labels,
            "description": ("scenario", descriptions),
            "actor": list(actors),
        },
        attrs={
            "case_name": case.name,
            "case_sha256": case_hash(case),
            "som_mc_version": __version__,
            "seed": seed,
            "draws": draws,
            "design": design,
            "price_year": case.price_year,
            "start_year": case.start_year,
            "horizon_years": case.horizon_years,
            "break_even_missing": NOT_WITHIN_HORIZON,
        },
    )
    return ds
