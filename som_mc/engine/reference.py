"""Plain NumPy twins of the numba kernels (vectorised over draws, no numba).

Each twin has the same inputs, outputs and operation order as its kernel in
:mod:`som_mc.engine._kernels`; tests hold the kernels to them bit for bit. The engine runs
small runs on the twins (:data:`som_mc.engine.kernel.NUMPY_MAX_DRAWS`), which spares
importing numba and loading the compiled kernels.
"""

from __future__ import annotations

import numpy as np

from som_mc.model import CaseModel

__all__ = [
    "histogram_rows_numpy",
    "order_statistics_numpy",
    "outcome_chain_numpy",
    "row_moments_numpy",
    "simulate_chunk_numpy",
    "summary_rows_numpy",
]


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


def outcome_chain_numpy(
    gen: np.random.Generator,
    participants: np.ndarray,
    s: np.ndarray,
    keep: np.ndarray,
    dropoff: bool,
    n_chain: int,
) -> np.ndarray:
    """Realised active successes drawn with NumPy's array sampler (twin of ``outcome_chain``).

    The same draws in the same order (cohort by cohort, year by year, draw by draw), so the
    same numbers; shape (n, C, S).
    """
    n, n_c = participants.shape
    active = np.empty((n, n_c, n_chain))
    for c in range(n_c):
        active[:, c, 0] = gen.binomial(participants[:, c].astype(np.int64), s)
        for tau in range(1, n_chain):
            if dropoff:
                active[:, c, tau] = gen.binomial(active[:, c, tau - 1].astype(np.int64), keep)
            else:
                active[:, c, tau] = active[:, c, 0]
    return active


def _in_order(columns: np.ndarray) -> np.ndarray:
    """``0.0 + a[..., 0] + a[..., 1] + …`` added one by one (as the kernels sum)."""
    total = np.zeros(columns.shape[:-1])
    for k in range(columns.shape[-1]):
        total = total + columns[..., k]
    return total


def summary_rows_numpy(
    net: np.ndarray, pv: np.ndarray, participants: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Summary rows and break-even years (twin of ``summary_rows``, bit for bit).

    Returns ``rows`` (R, n) in the kernel's layout and ``first`` (A + 1, n).
    """
    n, n_t, n_a = net.shape
    width = n_a + 1
    yearly = np.concatenate([net, _in_order(net)[:, :, None]], axis=2)  # (n, T, A + 1)
    cumulative = np.cumsum(yearly, axis=1)  # in year order: c[0] = v[0], c[t] = c[t-1] + v[t]
    horizon = cumulative[:, -1, :]
    pv_all = np.concatenate([pv, _in_order(pv)[:, None]], axis=1)
    n_part = _in_order(participants)
    has = n_part > 0
    per_part = np.where(has[:, None], horizon / np.where(has, n_part, 1.0)[:, None], 0.0)
    rows = np.concatenate(
        [
            yearly.reshape(n, n_t * width).T,
            cumulative.reshape(n, n_t * width).T,
            horizon.T,
            pv_all.T,
            per_part.T,
        ]
    )
    reached = cumulative >= 0
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), n_t).T
    return np.ascontiguousarray(rows), np.ascontiguousarray(first, dtype=np.int64)


def row_moments_numpy(
    rows: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, ``Σ (x − mean)²`` and count of values > 0 of columns ``lo:hi`` of each row.

    Twin of ``row_moments``: sums run draw by draw (``cumsum``; ``+ 0.0`` gives the sign of
    a zero sum as ``0.0 + …`` does), so the numbers are the kernel's.
    """
    values = rows[:, lo:hi]
    mean = (np.cumsum(values, axis=1)[:, -1] + 0.0) / (hi - lo)
    deviation = values - mean[:, None]
    m2 = np.cumsum(deviation * deviation, axis=1)[:, -1] + 0.0
    positive = np.count_nonzero(values > 0, axis=1).astype(np.int64)
    return mean, m2, positive


def histogram_rows_numpy(
    rows: np.ndarray, lo: np.ndarray, width: np.ndarray, bins: int
) -> np.ndarray:
    """Histogram counts per row, values outside in the edge bins (twin of ``histogram_rows``)."""
    k = np.clip(np.floor((rows - lo[:, None]) / width[:, None]), 0, bins - 1).astype(np.int64)
    counts = np.zeros((rows.shape[0], bins), dtype=np.int32)
    for r in range(rows.shape[0]):
        counts[r] = np.bincount(k[r], minlength=bins)
    return counts


def order_statistics_numpy(rows: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Return the `ks`-th smallest value of each row, (R, K) (twin of ``order_statistics``)."""
    return np.sort(rows, axis=1)[:, ks]
