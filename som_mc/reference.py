"""Plain NumPy references of the numba code (vectorised over draws, no numba).

:func:`simulate_chunk_numpy` has the same inputs, outputs and operation order as
:func:`som_mc._kernels.simulate_chunk`; :func:`summarize_numpy` computes the summary of
:func:`som_mc.summarize` with ``np.mean``, ``np.std`` and ``np.quantile``. Both are used in
tests and as the benchmark baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from som_mc.deterministic import NOT_WITHIN_HORIZON, break_even_index
from som_mc.model import CaseModel
from som_mc.summary import DEFAULT_QUANTILES, TOTAL, _segments, summary_dataset

__all__ = ["simulate_chunk_numpy", "summarize_numpy"]


def simulate_chunk_numpy(
    model: CaseModel,
    x: np.ndarray,
    active: np.ndarray,
    *,
    noise: bool,
    keep_consequences: bool = False,
) -> dict[str, np.ndarray]:
    """Simulate a chunk of draws with NumPy.

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    x : ndarray, shape (n, U)
        Sampled uncertain inputs (columns in the order of ``model.uncertain``).
    active : ndarray, shape (n, C, S)
        Realised active successes when `noise` is on (ignored otherwise).
    noise : bool
        Use the realised successes instead of expectations.
    keep_consequences : bool, default False
        Also return the value per consequence.

    Returns
    -------
    dict of ndarray
        ``cost``, ``value``, ``net`` (n, T, A), ``pv`` (n, A) and, when asked, ``value_k``
        (n, K, T, A).
    """
    n = x.shape[0]
    v = np.broadcast_to(model.const, (n, model.const.size)).copy()
    v[:, model.uncertain] = x
    n_t, n_a, n_c = model.n_years, len(model.case.actors), model.n_cohorts
    s = v[:, model.idx_success]
    keep = 1.0 - v[:, model.idx_dropoff]
    part = v[:, model.idx_participants]  # (n, C)
    value = np.zeros((n, n_t, n_a))
    value_k = np.zeros((n, model.cons_profile.shape[0], n_t, n_a)) if keep_consequences else None
    for k in range(model.cons_profile.shape[0]):
        scale = v[:, model.cons_scale[k]]
        price_idx = model.cons_price[k]
        has_price = price_idx >= 0
        prices = np.where(has_price, v[:, np.where(has_price, price_idx, 0)], 0.0)  # (n, A)
        for tau, pidx in enumerate(model.cons_profile[k]):
            if pidx < 0:
                break
            dq = v[:, pidx] * scale
            for c in range(n_c):
                if model.cons_participants[k] == 1:
                    if tau >= model.span:
                        continue
                    t = c + tau
                    persons = part[:, c]
                else:
                    t = c + model.delay + tau
                    persons = active[:, c, tau] if noise else s * part[:, c] * keep**tau
                if t >= n_t:
                    continue
                delta = (persons * dq)[:, None] * prices
                delta[:, ~has_price] = 0.0
                value[:, t, :] -= delta
                if value_k is not None:
                    value_k[:, k, t, :] -= delta
    cost = np.zeros((n, n_t, n_a))
    for line in range(model.cost_amount.size):
        amount = v[:, model.cost_amount[line]]
        total = model.cost_fixed[line][None, :] * amount[:, None]  # (n, T)
        for t in range(n_t):
            for c in range(n_c):
                share = model.cost_per_participant[line, c, t]
                if share != 0.0:
                    total[:, t] += part[:, c] * amount * share
        cost[:, :, model.cost_actor[line]] += total
    net = value - cost
    pv = (net * model.discount[None, :, None]).sum(axis=1)
    out = {"cost": cost, "value": value, "net": net, "pv": pv}
    if value_k is not None:
        out["value_k"] = value_k
    return out


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
    stats = {
        "mean": values.mean(axis=0),
        "sd": values.std(axis=0, ddof=1) if n > 1 else np.zeros(values.shape[1]),
        "quantile": np.quantile(values, quantiles, axis=0),
        "positive": (values > 0).mean(axis=0),
        "quantile_max_error": None,
    }
    first = break_even_index(np.moveaxis(cum, 1, 2))  # (n, A + 1)
    first = np.where(first == NOT_WITHIN_HORIZON, n_t, first)
    counts = np.stack([np.bincount(f, minlength=n_t + 1) for f in first.T], axis=1)
    actors = [*(str(a) for a in ds.actor.values), TOTAL]
    return summary_dataset(
        stats,
        _segments(n_t, len(actors)),
        counts,
        n=n,
        years=ds.year.values,
        actors=actors,
        quantiles=[float(q) for q in quantiles],
        attrs={**ds.attrs, "n_draws": n, "quantile_method": "exact"},
    )
