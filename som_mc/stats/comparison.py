"""Paired statistics of a comparison: differences, P(bedst), ranks, break-even years.

Every mean, MCSE, sd, quantile and P(> 0) comes from :mod:`som_mc.stats.cells`; what is
specific to comparing cases — the chance of being best, the expected rank and the paired
difference in break-even year — is here.
"""

from __future__ import annotations

import math

import numpy as np

from som_mc.model import NOT_WITHIN_HORIZON
from som_mc.stats.cells import describe_rows

__all__ = ["paired_statistics"]


def paired_statistics(
    horizon: np.ndarray, diff: np.ndarray, break_even: np.ndarray, q: np.ndarray
) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """Summaries of the per-draw horizon results, paired differences and break-even years.

    Parameters
    ----------
    horizon : ndarray, shape (draw, case, actor)
        Cumulative nettoresultat over the horizon per draw.
    diff : ndarray, shape (draw, case, actor)
        `horizon` minus the baseline's (case 0), draw by draw.
    break_even : ndarray of int64, shape (draw, case, actor)
        Break-even calendar year, or NOT_WITHIN_HORIZON.
    q : ndarray
        Quantile probabilities.

    Returns
    -------
    dict
        Variable name → (dims, values) for the comparison dataset.
    """
    n = horizon.shape[0]
    ca = ("case", "actor")
    qca = ("quantile", "case", "actor")
    out: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    shape = horizon.shape[1:]
    for prefix, values in (("horizon", horizon), ("difference", diff)):
        cells = describe_rows(values.reshape(n, -1).T, q)
        for name in ("mean", "mcse", "sd", "p_positive", "p_positive_se"):
            out[f"{prefix}_{name}"] = (ca, cells[name].reshape(shape))
        out[f"{prefix}_quantile"] = (qca, cells["quantile"].reshape((len(q), *shape)))

    # P(best), ties split evenly; expected rank, ties share the average rank.
    best = horizon == horizon.max(axis=1, keepdims=True)
    score = best / best.sum(axis=1, keepdims=True)
    out["p_best"] = (ca, score.mean(axis=0))
    out["p_best_se"] = (ca, score.std(axis=0) / math.sqrt(n))
    rank = np.empty_like(horizon)
    for c in range(horizon.shape[1]):
        this = horizon[:, c : c + 1, :]
        greater = (horizon > this).sum(axis=1)
        ties = (horizon == this).sum(axis=1) - 1
        rank[:, c, :] = 1.0 + greater + 0.5 * ties
    out["expected_rank"] = (ca, rank.mean(axis=0))
    out["expected_rank_se"] = (
        ca,
        rank.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros(rank.shape[1:]),
    )

    never = break_even == NOT_WITHIN_HORIZON
    be = np.where(never, np.inf, break_even.astype(np.float64))
    median = _median_observed(be, axis=0)
    out["break_even_median"] = (
        ca,
        np.where(np.isfinite(median), median, NOT_WITHIN_HORIZON).astype(np.int64),
    )
    out["break_even_never"] = (ca, never.mean(axis=0))
    with np.errstate(invalid="ignore"):
        be_diff = be - be[:, :1, :]
    be_diff[never & never[:, :1, :]] = 0.0  # neither breaks even: the same
    out["break_even_difference_median"] = (ca, _median_observed(be_diff, axis=0))
    out["break_even_p_earlier"] = (ca, (be_diff < 0).mean(axis=0))
    out["break_even_p_same"] = (ca, (be_diff == 0).mean(axis=0))
    out["break_even_p_later"] = (ca, (be_diff > 0).mean(axis=0))
    return out


def _median_observed(values: np.ndarray, axis: int) -> np.ndarray:
    """Median of integer-valued data (±inf allowed), an observed value (no averaging)."""
    return np.quantile(values, 0.5, axis=axis, method="inverted_cdf")
