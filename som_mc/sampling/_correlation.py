"""Rank correlation between inputs by the Iman–Conover method.

Iman & Conover (1982) reorder each column of a sample so that its ranks follow those of a
matrix of normal scores with the wanted correlation. The values in each column are only
permuted, so the marginal distributions are kept exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from som_mc.distributions._base import lazy_module

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = ["CorrelationSpec", "correlation_matrix", "iman_conover", "spearman_matrix"]


@dataclass(frozen=True, slots=True)
class CorrelationSpec:
    """A target Spearman rank correlation between two named inputs."""

    a: str
    b: str
    rank: float


def correlation_matrix(
    specs: Sequence[CorrelationSpec],
) -> tuple[list[str], np.ndarray]:
    """Names involved (first-seen order) and the target rank-correlation matrix."""
    names: list[str] = []
    for spec in specs:
        for name in (spec.a, spec.b):
            if name not in names:
                names.append(name)
    pos = {n: i for i, n in enumerate(names)}
    target = np.eye(len(names))
    for spec in specs:
        i, j = pos[spec.a], pos[spec.b]
        target[i, j] = target[j, i] = spec.rank
    return names, target


def iman_conover(
    x: np.ndarray,
    specs: Sequence[CorrelationSpec],
    index: Mapping[str, int],
    gen: np.random.Generator,
) -> None:
    """Impose rank correlations on columns of `x` in place.

    Parameters
    ----------
    x : ndarray, shape (n, m)
        Sample, draw-major; only the columns named in `specs` are permuted.
    specs : sequence of CorrelationSpec
        Target Spearman correlations; pairs not named are targeted at 0.
    index : mapping
        Input name -> column of `x`.
    gen : numpy.random.Generator
        Stream for the random score permutations.
    """
    names, target_rank = correlation_matrix(specs)
    n = x.shape[0]
    cols = [index[name] for name in names]
    # Pearson correlation of normal scores giving the wanted Spearman correlation.
    target = 2.0 * np.sin(np.pi * target_rank / 6.0)
    scores = special.ndtri(np.arange(1, n + 1) / (n + 1.0))
    s = np.column_stack([gen.permutation(scores) for _ in cols])
    e = np.corrcoef(s, rowvar=False)
    q = np.linalg.cholesky(e)
    p = np.linalg.cholesky(target)
    t = s @ np.linalg.inv(q).T @ p.T
    for j, col in enumerate(cols):
        ranks = np.argsort(np.argsort(t[:, j], kind="stable"), kind="stable")
        x[:, col] = np.sort(x[:, col], kind="stable")[ranks]


def spearman_matrix(x: np.ndarray) -> np.ndarray:
    """Spearman rank correlation matrix of the columns of `x`."""
    res = stats.spearmanr(x)
    return np.atleast_2d(np.asarray(res.statistic))
