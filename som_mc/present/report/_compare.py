"""A comparison of alternatives from runs already made (common random numbers by seed).

:func:`som_mc.compare` runs the cases itself. A memo of alternatives needs every case's draws
anyway (per-aktør breakdown, waterfall), so it runs each case once with the same seed, design
and number of draws — which is exactly what :func:`som_mc.compare` does with common random
numbers — and builds the same comparison dataset from those draws with
:func:`comparison_from_results`. Results files saved by ``som-mc run --out`` can be compared
the same way when they share seed, design and draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from som_mc.case import Case, case_hash
from som_mc.errors import SomMcError
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL, break_even_index
from som_mc.run.compare import COMPARE_QUANTILES, check_aligned
from som_mc.stats.cells import describe_rows
from som_mc.stats.comparison import paired_statistics

__all__ = ["comparison_from_results"]


def comparison_from_results(
    cases: Sequence[Case],
    results: Sequence[xr.Dataset],
    labels: Sequence[str],
    *,
    names: Sequence[str] | None = None,
) -> xr.Dataset:
    """Build the :func:`som_mc.compare` dataset from one run per case.

    Parameters
    ----------
    cases : sequence of Case
        The cases, baseline first (same price year, years and aktører).
    results : sequence of xarray.Dataset
        Every draw of each case's run; the runs must share seed, design and number of draws
        (then same-named inputs drew the same random numbers).
    labels : sequence of str
        Distinct labels of the cases.
    names : sequence of str, optional
        How to name the runs in messages (file names); default the labels.

    Returns
    -------
    xarray.Dataset
        The variables of :func:`som_mc.compare` that a memo shows: ``horizon_*``,
        ``cumulative_mean``/``cumulative_quantile``, ``difference*``, ``p_best``,
        ``expected_rank``, ``break_even_*``, plus ``difference_pv_mean`` and
        ``difference_pv_quantile`` (the paired difference of the discounted results).

    Raises
    ------
    SomMcError
        When the runs cannot be paired (other seed, design or draws) or the cases differ in
        price year, years or aktører.
    """
    names = list(names or [repr(x) for x in labels])
    check_aligned(cases, names=names)
    first = results[0].attrs
    for ds, name in zip(results[1:], names[1:], strict=True):
        for key in ("seed", "design", "draws"):
            if str(ds.attrs.get(key)) != str(first.get(key)):
                raise SomMcError(
                    f"{name}: {key} {ds.attrs.get(key)} differs from the first case's "
                    f"{first.get(key)}; alternatives are compared draw by draw, so every run "
                    "needs the same seed, design and draws"
                )
    actors = list(cases[0].actors)
    q = np.asarray(COMPARE_QUANTILES)
    n = results[0].sizes["draw"]
    years = results[0].year.values
    n_k, n_t, n_a = len(cases), years.size, len(actors) + 1
    horizon = np.empty((n, n_k, n_a))
    pv = np.empty((n, n_k, n_a))
    cum_mean = np.empty((n_k, n_t, n_a))
    cum_quant = np.empty((q.size, n_k, n_t, n_a))
    break_even = np.empty((n, n_k, n_a), dtype=np.int64)
    for i, ds in enumerate(results):
        net = ds.net_result.sel(actor=actors).transpose("draw", "year", "actor").values
        net = np.concatenate([net, net.sum(axis=2, keepdims=True)], axis=2)
        cum = np.cumsum(net, axis=1)
        horizon[:, i] = cum[:, -1]
        disc = np.einsum("nta,t->na", net, ds.discount_factor.values)
        pv[:, i] = disc
        cells = describe_rows(cum.reshape(n, -1).T, q)
        cum_mean[i] = cells["mean"].reshape(n_t, n_a)
        cum_quant[:, i] = cells["quantile"].reshape(q.size, n_t, n_a)
        index = break_even_index(np.moveaxis(cum, 1, 2))
        break_even[:, i] = np.where(index >= 0, int(years[0]) + index, NOT_WITHIN_HORIZON)
    diff = horizon - horizon[:, :1]
    stats = paired_statistics(horizon, diff, break_even, q)
    diff_pv = describe_rows((pv - pv[:, :1]).reshape(n, -1).T, q)
    dims = ("draw", "case", "actor")
    data_vars: dict[str, Any] = {
        "horizon_net_result": (dims, horizon),
        "cumulative_mean": (("case", "year", "actor"), cum_mean),
        "cumulative_quantile": (("quantile", "case", "year", "actor"), cum_quant),
        "break_even_year": (dims, break_even),
        "difference": (dims, diff),
        "difference_pv_mean": (("case", "actor"), diff_pv["mean"].reshape(n_k, n_a)),
        "difference_pv_quantile": (
            ("quantile", "case", "actor"),
            diff_pv["quantile"].reshape(q.size, n_k, n_a),
        ),
        **stats,
    }
    return xr.Dataset(
        data_vars,
        coords={
            "draw": np.arange(n),
            "case": ("case", list(labels)),
            "case_name": ("case", [c.name for c in cases]),
            "case_sha256": ("case", [case_hash(c) for c in cases]),
            "year": ("year", years),
            "actor": ("actor", [*actors, TOTAL]),
            "quantile": ("quantile", q),
        },
        attrs={
            "baseline": labels[0],
            "seed": first.get("seed"),
            "design": first.get("design"),
            "draws": n,
            "common_random_numbers": 1,
            "price_year": cases[0].price_year,
            "discount_rate": float(cases[0].discount_rate),
        },
    )
