"""Plain NumPy reference of the simulation kernel (vectorised over draws, no numba).

:func:`simulate_chunk_numpy` has the same inputs, outputs and operation order as
:func:`som_mc.engine._kernels.simulate_chunk`; tests hold the kernel to it bit for bit.
"""

from __future__ import annotations

import numpy as np

from som_mc.model import CaseModel

__all__ = ["simulate_chunk_numpy"]


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
