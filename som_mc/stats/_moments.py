"""Mergeable running moments (count, mean, sum of squared deviations)."""

from __future__ import annotations

from typing import TypeVar

import numpy as np

__all__ = ["merge_moments"]

M = TypeVar("M", float, np.ndarray)


def merge_moments(n_a: int, mean_a: M, m2_a: M, n_b: int, mean_b: M, m2_b: M) -> tuple[int, M, M]:
    """Merge the moments of two sets of values (Chan, Golub & LeVeque's pairwise update).

    Parameters
    ----------
    n_a, mean_a, m2_a
        Count, mean and ``Σ (x − mean)²`` of the first set (``n_a = 0``: empty).
    n_b, mean_b, m2_b
        The same for the second set.

    Returns
    -------
    tuple
        ``(n, mean, m2)`` of the union; scalars or arrays (elementwise) alike.
    """
    if n_a == 0:
        return n_b, mean_b, m2_b
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta**2 * (n_a * n_b / n)
