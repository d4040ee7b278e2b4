"""Plain NumPy reference of the summary (``np.mean``, ``np.std``, ``np.quantile``).

:func:`summarize_numpy` computes what :func:`som_mc.stats.summarize` computes, the way a
NumPy user would; tests compare the two.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from som_mc.model import NOT_WITHIN_HORIZON, TOTAL, break_even_index
from som_mc.stats.summary import DEFAULT_QUANTILES, segments, summary_dataset

__all__ = ["summarize_numpy"]


def summarize_numpy(
    ds: xr.Dataset, *, quantiles: Sequence[float] = DEFAULT_QUANTILES
) -> xr.Dataset:
    """Summarise a simulation with plain NumPy (reference of :func:`som_mc.summarize`).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`som_mc.simulate`.
    quantiles : sequence of float
        Quantile probabilities.

    Returns
    -------
    xarray.Dataset
        The schema of :func:`som_mc.summarize`.
    """
    net = ds.net_result.transpose("draw", "year", "actor").values
    pv = ds.net_result_pv.transpose("draw", "actor").values
    n_part = ds.participants.transpose("draw", "cohort").values.sum(axis=1)
    n, n_t, _ = net.shape
    net_t = np.concatenate([net, net.sum(axis=2, keepdims=True)], axis=2)
    cum = np.cumsum(net_t, axis=1)
    horizon = cum[:, -1, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_part = np.where(n_part[:, None] > 0, horizon / n_part[:, None], 0.0)
    pv_t = np.concatenate([pv, pv.sum(axis=1, keepdims=True)], axis=1)
    values = np.concatenate(
        [a.reshape(n, -1) for a in (net_t, cum, horizon, pv_t, per_part)], axis=1
    )  # (n, R) in the row order of som_mc._kernels.summary_rows
    sd = values.std(axis=0, ddof=1) if n > 1 else np.zeros(values.shape[1])
    positive = (values > 0).mean(axis=0)
    stats = {
        "mean": values.mean(axis=0),
        "mcse": sd / np.sqrt(n),
        "sd": sd,
        "quantile": np.quantile(values, quantiles, axis=0),
        "p_positive": positive,
        "p_positive_se": np.sqrt(positive * (1.0 - positive) / n),
    }
    first = break_even_index(np.moveaxis(cum, 1, 2))  # (n, A + 1)
    first = np.where(first == NOT_WITHIN_HORIZON, n_t, first)
    counts = np.stack([np.bincount(f, minlength=n_t + 1) for f in first.T], axis=1)
    actors = [*(str(a) for a in ds.actor.values), TOTAL]
    return summary_dataset(
        stats,
        None,
        segments(n_t, len(actors)),
        counts,
        n=n,
        years=ds.year.values,
        actors=actors,
        quantiles=[float(q) for q in quantiles],
        attrs={**ds.attrs, "n_draws": n, "quantile_method": "exact", "quantile_max_error": 0.0},
    )
