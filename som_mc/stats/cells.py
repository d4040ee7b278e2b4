"""Cell statistics: the one place where a mean, an MCSE, a quantile or P(> 0) is computed.

A *cell* is one number per draw (e.g. the cumulative nettoresultat of the kommune in 2030);
statistics are computed for many cells at once, one row per cell and one column per draw.

- **Moments** are taken per block of :data:`~som_mc.sampling.BLOCK_SIZE` draws (the blocks of
  the random streams) and merged in draw order with the pairwise update of Chan, Golub &
  LeVeque. However the draws were cut into chunks, and wherever the chunks ran, the same
  blocks give the same numbers, bit for bit.
- **Quantiles** are NumPy's default (linear) quantiles. :func:`quantile_method` decides from
  the number of draws alone whether they are exact (every draw kept) or come from the
  mergeable histogram sketch (:class:`HistogramEdges`) with a recorded error bound.
- **MCSE** of a mean is ``sd / sqrt(n)`` (the iid formula; conservative for LHS and Sobol
  designs); the standard error of a probability ``p`` is ``sqrt(p (1 − p) / n)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from som_mc.engine.kernel import cell_histograms, cell_moments, cell_order_statistics
from som_mc.model import NOT_WITHIN_HORIZON
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats._moments import merge_moments

__all__ = [
    "EXACT_QUANTILE_MAX_DRAWS",
    "HISTOGRAM_BINS",
    "HistogramEdges",
    "Piece",
    "QuantileMethod",
    "block_pieces",
    "break_even_statistics",
    "cell_statistics",
    "check_quantiles",
    "describe_rows",
    "exact_quantiles",
    "merge_pieces",
    "quantile_method",
]

#: Runs with at most this many draws get exact quantiles (every draw's summary cells are kept:
#: about 1,4 kB per draw for a case with 20 years and 3 aktører, so ≈ 350 MB at the limit);
#: larger runs use the histogram sketch, whatever the executor, chunking or output store.
EXACT_QUANTILE_MAX_DRAWS = 250_000

#: Bins per cell of the histogram sketch.
HISTOGRAM_BINS = 16384

QuantileMethod = Literal["exact", "histogram"]

#: Moments of the draws of one block (or the part of it in a chunk): first draw, count, and
#: per row the mean, the sum of squared deviations and the count of values > 0.
Piece = tuple[int, int, np.ndarray, np.ndarray, np.ndarray]


def quantile_method(draws: int) -> QuantileMethod:
    """Return how a run of `draws` draws computes its quantiles (the one rule).

    ``"exact"`` up to :data:`EXACT_QUANTILE_MAX_DRAWS` draws, ``"histogram"`` above.
    """
    return "exact" if draws <= EXACT_QUANTILE_MAX_DRAWS else "histogram"


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Validate quantile probabilities (each in [0, 1], at least one); return them as floats."""
    try:
        q = tuple(float(p) for p in quantiles)
    except (TypeError, ValueError):
        raise ValueError(f"quantiles must be numbers in [0, 1]; received {quantiles!r}") from None
    if not q or any(not 0.0 <= p <= 1.0 for p in q):
        raise ValueError(f"quantiles must lie in [0, 1]; received {list(quantiles)}")
    return q


def block_pieces(
    start: int,
    rows: np.ndarray,
    *,
    threads: int | None = None,
    compiled: bool | None = None,
    histogram: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[Piece]:
    """Moments of draws ``start:start + n`` (the columns of `rows`) per random-number block.

    Parameters
    ----------
    start : int
        Index of the first draw (column 0) in the run.
    rows : ndarray, shape (R, n)
        One row per cell.
    threads : int, optional
        Threads for the kernel (default :func:`~som_mc.engine.kernel.kernel_threads`).
    compiled : bool, optional
        Compiled kernel or NumPy twin (the same numbers).
    histogram : (lo, width, counts), optional
        Also count every draw into each row's histogram `counts` (R, bins), in place, in
        the same pass (:func:`~som_mc.engine.kernel.cell_moments`).

    Returns
    -------
    list of Piece
        One piece per block (or part of a block) the draws cover, in draw order.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    n = rows.shape[1]
    out: list[Piece] = []
    lo = 0
    while lo < n:
        block = (start + lo) // BLOCK_SIZE
        hi = min(n, (block + 1) * BLOCK_SIZE - start)
        out.append(
            (
                start + lo,
                hi - lo,
                *cell_moments(
                    rows, lo, hi, threads=threads, compiled=compiled, histogram=histogram
                ),
            )
        )
        lo = hi
    return out


def merge_pieces(pieces: Sequence[Piece]) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Merge pieces in draw order: ``(n, mean, m2, positive)`` per row.

    The order of `pieces` does not matter (they are sorted by first draw), so pieces computed
    anywhere merge to the same numbers.
    """
    if not pieces:
        raise ValueError("no draws to summarise")
    ordered = sorted(pieces, key=lambda p: p[0])
    size = ordered[0][2].size
    n, mean, m2 = 0, np.zeros(size), np.zeros(size)
    positive = np.zeros(size, dtype=np.int64)
    for _, n_b, mean_b, m2_b, pos_b in ordered:
        n, mean, m2 = merge_moments(n, mean, m2, n_b, mean_b, m2_b)
        positive = positive + pos_b
    return n, mean, m2, positive


def exact_quantiles(
    rows: np.ndarray | Sequence[np.ndarray],
    q: Sequence[float] | np.ndarray,
    *,
    threads: int | None = None,
) -> np.ndarray:
    """Quantiles of each row (NumPy's default linear method), shape ``(len(q), R)``.

    ``x[k] + f·(x[k+1] − x[k])`` with ``k + f = (n − 1)·p`` over each row's sorted values;
    the order statistics come from a selection kernel (the values a sort would give, without
    sorting), the rows split over :func:`~som_mc.engine.kernel.kernel_threads` threads.
    `rows` (R, n) may be given as its column pieces in draw order (a run's blocks, never
    put together in one copy); it is not modified. `threads`: as many as
    :func:`~som_mc.engine.kernel.cell_order_statistics` takes.
    """
    n = rows.shape[1] if isinstance(rows, np.ndarray) else sum(p.shape[1] for p in rows)
    pos = (n - 1) * np.asarray(q, dtype=np.float64)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    ks, index = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    values = cell_order_statistics(rows, ks, threads=threads)
    at_lo, at_hi = values[:, index[: lo.size]], values[:, index[lo.size :]]
    return (at_lo + frac * (at_hi - at_lo)).T


@dataclass(frozen=True)
class HistogramEdges:
    """Fixed histogram bins per cell: the mergeable quantile sketch of large runs.

    The bins span three times the range of the run's first block of draws (the pilot),
    centred on it; values outside are counted in the edge bins, and a quantile that lands in
    an edge bin reports an infinite error bound. Taking the pilot from the first *block*
    makes the bins independent of chunk sizes and executors.
    """

    lo: np.ndarray  # (R,)
    width: np.ndarray  # (R,)
    bins: int

    @classmethod
    def from_rows(cls, rows: np.ndarray, bins: int = HISTOGRAM_BINS) -> HistogramEdges:
        """Bins laid over three times the range of each row of `rows` (the pilot draws)."""
        vmin, vmax = rows.min(axis=1), rows.max(axis=1)
        span = np.maximum(vmax - vmin, np.maximum(np.abs(vmax), 1.0) * 1e-9)
        return cls(lo=vmin - span, width=3.0 * span / bins, bins=bins)

    def counts(
        self, rows: np.ndarray, *, threads: int | None = None, compiled: bool | None = None
    ) -> np.ndarray:
        """Histogram counts of each row, shape (R, bins), int32 (compact to ship)."""
        return cell_histograms(
            rows, self.lo, self.width, self.bins, threads=threads, compiled=compiled
        )

    def quantiles(self, counts: np.ndarray, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles per row, shape (Q, R), and a bound on their error, shape (R,).

        The quantile is NumPy's default (linear) one: ``x[k] + f·(x[k+1] − x[k])`` with
        ``k + f = (n − 1)·p`` over the sorted draws. The histogram tells which bin holds
        each order statistic, so both are replaced by their bins' midpoints: the estimate is
        within half a bin width of the exact quantile. The bound is infinite when an order
        statistic lies in an edge bin, where values beyond the bins' range are counted.
        """
        n_rows = counts.shape[0]
        n = counts.sum(axis=1, dtype=np.int64)
        positions = [(n - 1) * p for p in q]
        k_all = np.floor(positions).astype(np.int64)  # (Q, R)
        ks = np.concatenate([k_all, np.minimum(k_all + 1, n - 1)])  # k, then k + 1
        # bin holding the k-th smallest value: the first bin whose cumulative count > k,
        # row by row (one row's cumulative counts at a time, not all rows' at once)
        bin_of = np.empty((ks.shape[0], n_rows), dtype=np.int64)
        for r in range(n_rows):
            bin_of[:, r] = np.searchsorted(np.cumsum(counts[r]), ks[:, r], side="right")
        bin_of[bin_of == counts.shape[1]] = 0  # no such bin (a row without draws): the first
        out = np.empty((len(q), n_rows))
        error = 0.5 * self.width
        for i in range(len(q)):
            frac = positions[i] - k_all[i]
            b_k, b_next = bin_of[i], bin_of[len(q) + i]
            mid_k = self.lo + (b_k + 0.5) * self.width
            mid_next = self.lo + (b_next + 0.5) * self.width
            out[i] = mid_k + frac * (mid_next - mid_k)
            edge = (b_k == 0) | (b_k == self.bins - 1) | (b_next == 0) | (b_next == self.bins - 1)
            error = np.where(edge, np.inf, error)
        return out, error


def cell_statistics(
    n: int, mean: np.ndarray, m2: np.ndarray, positive: np.ndarray, quantile: np.ndarray
) -> dict[str, np.ndarray]:
    """Compute the statistics reported for every cell, from merged moments and quantiles.

    Parameters
    ----------
    n : int
        Number of draws.
    mean, m2, positive : ndarray, shape (R,)
        Merged moments (:func:`merge_pieces`).
    quantile : ndarray, shape (Q, R)
        Quantiles per row.

    Returns
    -------
    dict of ndarray
        ``mean``, ``mcse`` (sd / √n), ``sd`` (ddof 1; 0 for one draw), ``quantile``,
        ``p_positive`` and ``p_positive_se``.
    """
    sd = np.sqrt(m2 / (n - 1)) if n > 1 else np.zeros_like(mean)
    p = positive / n
    return {
        "mean": mean,
        "mcse": sd / np.sqrt(n),
        "sd": sd,
        "quantile": quantile,
        "p_positive": p,
        "p_positive_se": np.sqrt(p * (1.0 - p) / n),
    }


def describe_rows(
    rows: np.ndarray, q: Sequence[float] | np.ndarray, *, start: int = 0
) -> dict[str, np.ndarray]:
    """Cell statistics of draws held in memory, with exact quantiles.

    Parameters
    ----------
    rows : ndarray, shape (R, n)
        One row per cell, one column per draw (not modified).
    q : sequence of float
        Quantile probabilities.
    start : int
        Index in the run of the first draw (so that blocks line up with the run's).

    Returns
    -------
    dict of ndarray
        As :func:`cell_statistics`.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    n, mean, m2, positive = merge_pieces(block_pieces(start, rows))
    return cell_statistics(n, mean, m2, positive, exact_quantiles(rows, q))


def break_even_statistics(counts: np.ndarray, years: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Distribution of the break-even year (first year with cumulative result >= 0).

    Parameters
    ----------
    counts : ndarray of int, shape (T + 1, ...)
        Draws per first break-even year index; the last row counts draws that never break
        even within the horizon.
    years : ndarray, shape (T,)
        Calendar years.
    n : int
        Number of draws.

    Returns
    -------
    dict of ndarray
        ``probability`` (T, ...): P(broken even by that year); ``never`` (...); ``median``
        (...): the median year, an observed year (NumPy's ``inverted_cdf``), or
        :data:`~som_mc.model.NOT_WITHIN_HORIZON` when the median draw does not break even.
    """
    n_years = len(years)
    cum = np.cumsum(counts, axis=0)
    median_index = np.argmax(cum >= 0.5 * n, axis=0)
    median = np.where(
        median_index < n_years, years[np.minimum(median_index, n_years - 1)], NOT_WITHIN_HORIZON
    )
    return {
        "probability": cum[:n_years] / n,
        "never": counts[n_years] / n,
        "median": median.astype(np.int64),
    }
