"""The axes every result shares: calendar years, aktører and the total over aktører.

One place defines them: how long the year axis is (:func:`n_model_years`), the label of the
all-aktør total (:data:`TOTAL`, kept in :mod:`som_mc.types` for modules that need no case),
and the break-even convention (:func:`break_even_index`, :data:`NOT_WITHIN_HORIZON`). The
compiled model (:class:`som_mc.model.CaseModel`) exposes them for a case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from som_mc.types import TOTAL

if TYPE_CHECKING:
    from som_mc.case import Case

__all__ = [
    "NOT_WITHIN_HORIZON",
    "TOTAL",
    "break_even_index",
    "n_model_years",
    "year_axis",
]

#: Value of ``break_even_year`` when the cumulative result never reaches 0 within the horizon.
NOT_WITHIN_HORIZON = -1


def n_model_years(case: Case) -> int:
    """Length of the year axis.

    ``calendar`` mode: the horizon. ``per_cohort`` mode: long enough to follow every cohort
    through its full consequence profiles and per-participant cost schedules (at least the
    horizon).
    """
    horizon = case.horizon_years
    if case.horizon_mode == "calendar":
        return horizon
    last_cohort = case.n_cohorts - 1
    delay = case.participants.effect_delay
    ends = [horizon]
    for cons in case.consequences:
        start = delay if cons.applies_to == "successes" else 0
        ends.append(last_cohort + start + len(cons.profile))
    for cost in case.costs:
        if cost.kind == "per_participant":
            ends.append(last_cohort + len(cost.schedule or [1.0]))
    return max(ends)


def break_even_index(cumulative: np.ndarray) -> np.ndarray:
    """Index of the first year whose cumulative result is >= 0, along the last axis.

    Parameters
    ----------
    cumulative : ndarray
        Cumulative net result, years on the last axis.

    Returns
    -------
    ndarray of int64
        Year index, or :data:`NOT_WITHIN_HORIZON` where it never reaches 0.
    """
    reached = cumulative >= 0
    first = np.argmax(reached, axis=-1).astype(np.int64)
    return np.where(reached.any(axis=-1), first, NOT_WITHIN_HORIZON)


def year_axis(case: Case) -> np.ndarray:
    """Calendar years of a case's year axis (``start_year`` onwards, :func:`n_model_years`)."""
    return case.start_year + np.arange(n_model_years(case), dtype=np.int64)
