"""Uncertainty summaries of a Monte Carlo run, computed chunk by chunk.

Every mean comes with its Monte Carlo standard error (MCSE, ``sd / sqrt(n)``; for LHS and
Sobol designs this iid formula is conservative), every probability with its standard error
``sqrt(p (1 − p) / n)``. The actor dimension of a summary holds the case's actors plus
``"total"`` (I alt).

Means, standard deviations (merged with the pairwise update of Chan, Golub & LeVeque),
P(> 0) and the break-even distribution reduce exactly chunk by chunk. Quantiles need every
draw: :func:`summarize` (all draws in memory) computes them exactly; the streaming
:func:`summarize_stream` for very large runs uses a fixed-bin histogram per cell (bins laid
over three times the range of the first block of draws, values beyond clamped to the edge
bins), so its quantiles are exact to within half a bin width, recorded as
``*_quantile_max_error``.
Streamed chunks reduce to mergeable :class:`PartialSummary` objects, so chunks computed
anywhere (threads, Dask workers, an earlier interrupted run) merge to the same summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import xarray as xr

from som_mc._kernels import histogram_rows, row_moments, summary_rows
from som_mc._moments import merge_moments
from som_mc.case import Case
from som_mc.deterministic import NOT_WITHIN_HORIZON
from som_mc.model import CaseModel
from som_mc.sampling import BLOCK_SIZE, Design
from som_mc.simulate import DEFAULT_CHUNK, iter_chunks, sampling_threads

__all__ = [
    "DEFAULT_QUANTILES",
    "HISTOGRAM_BINS",
    "TOTAL",
    "HistogramEdges",
    "PartialSummary",
    "StreamingSummary",
    "SummaryAccumulator",
    "histogram_edges",
    "partial_summary",
    "quantile_index",
    "summarize",
    "summarize_stream",
    "summary_dataset",
    "with_total",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.50, 0.90, 0.95)

#: Label of the all-actor total in summaries.
TOTAL = "total"

#: Bins per cell of the streaming quantile histogram.
HISTOGRAM_BINS = 16384


def quantile_index(ds: xr.Dataset | xr.DataArray, p: float) -> int:
    """Position of probability `p` on the ``quantile`` coordinate (ValueError if absent)."""
    matches = np.flatnonzero(np.isclose(ds["quantile"].values, p))
    if not matches.size:
        raise ValueError(f"quantile {p} not in the summary (has {list(ds['quantile'].values)})")
    return int(matches[0])


def with_total(da: xr.DataArray) -> xr.DataArray:
    """Append the sum over actors as actor ``"total"``."""
    total = da.sum("actor").expand_dims(actor=[TOTAL])
    return xr.concat([da, total], dim="actor")


def _row_quantiles(rows: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of each row (NumPy's default linear method), shape ``(len(q), R)``.

    Sorts `rows` in place: each contiguous row is sorted by NumPy (which releases the GIL), the
    rows split over :func:`~som_mc.simulate.sampling_threads` threads.
    """
    n_rows, n = rows.shape
    workers = max(1, min(sampling_threads(), n_rows))
    bounds = np.linspace(0, n_rows, workers + 1).astype(int)
    if workers == 1:
        rows.sort(axis=1)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda lo, hi: rows[lo:hi].sort(axis=1), bounds[:-1], bounds[1:]))
    pos = (n - 1) * np.asarray(q, dtype=np.float64)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    return (rows[:, lo] + frac * (rows[:, hi] - rows[:, lo])).T


def _chunk_rows(
    net: np.ndarray, pv: np.ndarray, participants: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows per summary cell and first break-even year index of a chunk of draws."""
    n_b, n_t, n_a = net.shape
    rows = np.empty((2 * n_t * (n_a + 1) + 3 * (n_a + 1), n_b))
    first = np.empty((n_a + 1, n_b), dtype=np.int64)
    summary_rows(
        np.ascontiguousarray(net, dtype=np.float64),
        np.ascontiguousarray(pv, dtype=np.float64),
        np.ascontiguousarray(participants, dtype=np.float64),
        rows,
        first,
    )
    return rows, first


def _moments(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, m2 = np.empty(rows.shape[0]), np.empty(rows.shape[0])
    positive = np.empty(rows.shape[0], dtype=np.int64)
    row_moments(rows, mean, m2, positive)
    return mean, m2, positive


def _break_even_counts(first: np.ndarray, n_years: int) -> np.ndarray:
    return np.stack([np.bincount(f, minlength=n_years + 1) for f in first], axis=1)


@dataclass(frozen=True)
class HistogramEdges:
    """Fixed histogram bins per summary cell, shared by every chunk of a streamed run.

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

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Histogram counts of each row, shape (R, bins), int32 (compact to ship)."""
        counts = np.zeros((rows.shape[0], self.bins), dtype=np.int32)
        histogram_rows(np.ascontiguousarray(rows), self.lo, self.width, counts)
        return counts

    def quantiles(self, counts: np.ndarray, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles per row, shape (Q, R), and a bound on their error, shape (R,).

        The quantile is NumPy's default (linear) one: ``x[k] + f·(x[k+1] − x[k])`` with
        ``k + f = (n − 1)·p`` over the sorted draws. The histogram tells which bin holds
        each order statistic, so both are replaced by their bins' midpoints: the estimate is
        within half a bin width of the exact quantile. The bound is infinite when an order
        statistic lies in an edge bin, where values beyond the bins' range are counted.
        """
        cum = np.cumsum(counts, axis=1)
        n = cum[:, -1]
        out = np.empty((len(q), cum.shape[0]))
        error = 0.5 * self.width
        for i, p in enumerate(q):
            pos = (n - 1) * p
            k = np.floor(pos).astype(np.int64)
            frac = pos - k
            k_next = np.minimum(k + 1, n - 1)
            # bin holding the k-th smallest value: the first bin whose cumulative count > k
            b_k = np.argmax(cum > k[:, None], axis=1)
            b_next = np.argmax(cum > k_next[:, None], axis=1)
            mid_k = self.lo + (b_k + 0.5) * self.width
            mid_next = self.lo + (b_next + 0.5) * self.width
            out[i] = mid_k + frac * (mid_next - mid_k)
            edge = (b_k == 0) | (b_k == self.bins - 1) | (b_next == 0) | (b_next == self.bins - 1)
            error = np.where(edge, np.inf, error)
        return out, error


@dataclass
class PartialSummary:
    """What one chunk of draws contributes to a streamed summary (mergeable).

    Attributes
    ----------
    pieces : list of tuple
        Per block of random numbers the chunk covers (or the part of it in the chunk), in
        order: ``(first draw, n, mean, m2, positive)``, the last three per summary row.
    counts : ndarray of int32, shape (R, bins)
        Histogram counts (int32 halves what a Dask worker ships; a chunk has < 2**31 draws).
    break_even : ndarray of int64, shape (T + 1, A + 1)
        Draws per first year with cumulative result >= 0 (last row: never).
    """

    pieces: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]
    counts: np.ndarray
    break_even: np.ndarray


def partial_summary(
    start: int,
    net: np.ndarray,
    pv: np.ndarray,
    participants: np.ndarray,
    edges: HistogramEdges,
) -> PartialSummary:
    """Reduce draws ``start:start + n`` (one chunk) to a :class:`PartialSummary`.

    Moments are taken per block of :data:`~som_mc.sampling.BLOCK_SIZE` draws, so a run whose
    chunks are whole blocks merges to bit-identical numbers whatever its chunk size.
    """
    n = net.shape[0]
    pieces = []
    counts = np.zeros((edges.lo.size, edges.bins), dtype=np.int32)
    break_even = np.zeros((net.shape[1] + 1, net.shape[2] + 1), dtype=np.int64)
    lo = 0
    while lo < n:
        block = (start + lo) // BLOCK_SIZE
        hi = min(n, (block + 1) * BLOCK_SIZE - start)
        rows, first = _chunk_rows(net[lo:hi], pv[lo:hi], participants[lo:hi])
        pieces.append((start + lo, hi - lo, *_moments(rows)))
        counts += edges.counts(rows)
        break_even += _break_even_counts(first, net.shape[1])
        lo = hi
    return PartialSummary(pieces=pieces, counts=counts, break_even=break_even)


class StreamingSummary:
    """Merge :class:`PartialSummary` objects, in any order, into the summary.

    Counts add; moments merge in draw order at the end (Chan, Golub & LeVeque), so the
    result does not depend on the order in which chunks finish.

    Parameters
    ----------
    years, actors, quantiles
        As for :class:`SummaryAccumulator`.
    edges : HistogramEdges
        The run's histogram bins.
    """

    def __init__(
        self,
        years: Sequence[int],
        actors: Sequence[str],
        quantiles: Sequence[float],
        edges: HistogramEdges,
    ) -> None:
        self.quantiles = _check_quantiles(quantiles)
        self.years = np.asarray(years)
        self.actors = [*actors, TOTAL]
        self.edges = edges
        self.segments = _segments(len(self.years), len(self.actors))
        self.pieces: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.counts = np.zeros((edges.lo.size, edges.bins), dtype=np.int64)
        self.break_even = np.zeros((len(self.years) + 1, len(self.actors)), dtype=np.int64)

    def merge(self, partial: PartialSummary) -> None:
        """Add one chunk's contribution."""
        self.pieces.extend(partial.pieces)
        self.counts += partial.counts
        self.break_even += partial.break_even

    def result(self, attrs: dict[str, object] | None = None) -> xr.Dataset:
        """Return the summary dataset (schema of :func:`summarize`)."""
        if not self.pieces:
            raise ValueError("no draws were added to the summary")
        n, mean, m2 = 0, np.zeros(self.edges.lo.size), np.zeros(self.edges.lo.size)
        positive = np.zeros(self.edges.lo.size, dtype=np.int64)
        for _, n_b, mean_b, m2_b, pos_b in sorted(self.pieces, key=lambda p: p[0]):
            n, mean, m2 = merge_moments(n, mean, m2, n_b, mean_b, m2_b)
            positive = positive + pos_b
        quant, error = self.edges.quantiles(self.counts, self.quantiles)
        stats = {
            "mean": mean,
            "sd": np.sqrt(m2 / (n - 1)) if n > 1 else np.zeros_like(mean),
            "quantile": quant,
            "positive": positive / n,
            "quantile_max_error": error,
        }
        return summary_dataset(
            stats,
            self.segments,
            self.break_even,
            n=n,
            years=self.years,
            actors=self.actors,
            quantiles=self.quantiles,
            attrs={**(attrs or {}), "n_draws": n, "quantile_method": "histogram"},
        )


def _check_quantiles(quantiles: Sequence[float]) -> list[float]:
    q = [float(p) for p in quantiles]
    if not q or any(not 0.0 <= p <= 1.0 for p in q):
        raise ValueError(f"quantiles must lie in [0, 1]; received {list(quantiles)}")
    return q


class SummaryAccumulator:
    """Reduce chunks of draws to the summary with exact quantiles (keeps every draw's rows).

    Each chunk is laid out as one row per summary cell (:func:`som_mc._kernels.summary_rows`)
    and reduced by numba; chunks merge with the pairwise update of Chan, Golub & LeVeque.
    For flat memory, see :class:`StreamingSummary`.

    Parameters
    ----------
    years : sequence of int
        Calendar years of the year axis.
    actors : sequence of str
        The case's actors (``"total"`` is added).
    quantiles : sequence of float
        Quantile probabilities.
    """

    def __init__(
        self,
        years: Sequence[int],
        actors: Sequence[str],
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> None:
        self.quantiles = _check_quantiles(quantiles)
        self.years = np.asarray(years)
        self.actors = [*actors, TOTAL]
        n_t, width = len(self.years), len(self.actors)
        self.segments = _segments(n_t, width)
        n_rows = self.segments["per_participant"][1]
        self.n = 0
        self.mean = np.zeros(n_rows)
        self.m2 = np.zeros(n_rows)
        self.positive = np.zeros(n_rows, dtype=np.int64)
        self.kept: list[np.ndarray] = []
        self.break_even_counts = np.zeros((n_t + 1, width), np.int64)

    def add(self, net: np.ndarray, pv: np.ndarray, participants: np.ndarray) -> None:
        """Add a chunk: net (n, T, A), discounted totals pv (n, A), participants (n, C)."""
        n_b, n_t, n_a = net.shape
        if n_t != len(self.years) or n_a + 1 != len(self.actors):
            expected = f"(n, {len(self.years)}, {len(self.actors) - 1})"
            raise ValueError(f"net has shape {net.shape}; expected {expected}")
        if n_b == 0:
            return
        rows, first = _chunk_rows(net, pv, participants)
        mean_b, m2_b, pos_b = _moments(rows)
        self.n, self.mean, self.m2 = merge_moments(self.n, self.mean, self.m2, n_b, mean_b, m2_b)
        self.positive += pos_b
        self.kept.append(rows)
        self.break_even_counts += _break_even_counts(first, n_t)

    def result(self, attrs: dict[str, object] | None = None) -> xr.Dataset:
        """Return the summary dataset (see :func:`summarize`)."""
        n = self.n
        if n == 0:
            raise ValueError("no draws were added to the summary")
        rows = self.kept[0] if len(self.kept) == 1 else np.concatenate(self.kept, axis=1)
        self.kept = []  # sorted in place below: the accumulator is spent
        stats = {
            "mean": self.mean,
            "sd": np.sqrt(self.m2 / (n - 1)) if n > 1 else np.zeros_like(self.mean),
            "quantile": _row_quantiles(rows, self.quantiles),
            "positive": self.positive / n,
            "quantile_max_error": None,
        }
        return summary_dataset(
            stats,
            self.segments,
            self.break_even_counts,
            n=n,
            years=self.years,
            actors=self.actors,
            quantiles=self.quantiles,
            attrs={**(attrs or {}), "n_draws": n, "quantile_method": "exact"},
        )


def _segments(n_years: int, width: int) -> dict[str, tuple[int, int, tuple[int, ...]]]:
    """Rows of each summary prefix in the layout of :func:`som_mc._kernels.summary_rows`."""
    block = n_years * width
    tail = 2 * block
    return {
        "yearly": (0, block, (n_years, width)),
        "cumulative": (block, tail, (n_years, width)),
        "horizon": (tail, tail + width, (width,)),
        "pv": (tail + width, tail + 2 * width, (width,)),
        "per_participant": (tail + 2 * width, tail + 3 * width, (width,)),
    }


def summary_dataset(
    stats: dict[str, np.ndarray | None],
    segments: dict[str, tuple[int, int, tuple[int, ...]]],
    break_even_counts: np.ndarray,
    *,
    n: int,
    years: np.ndarray,
    actors: Sequence[str],
    quantiles: Sequence[float],
    attrs: dict[str, object],
) -> xr.Dataset:
    """Assemble the summary dataset from per-row statistics.

    Parameters
    ----------
    stats : dict
        Per row: ``mean``, ``sd``, ``positive`` (share > 0), shape (R,); ``quantile``,
        shape (Q, R); ``quantile_max_error``, shape (R,) or None for exact quantiles.
    segments : dict
        Prefix → (first row, one past the last row, cell shape).
    break_even_counts : ndarray of int64, shape (T + 1, A + 1)
        Draws whose first year with cumulative result >= 0 is each year (last row: never).
    n : int
        Number of draws.
    years, actors, quantiles
        Coordinates.
    attrs : dict
        Dataset attributes.

    Returns
    -------
    xarray.Dataset
        The schema documented in :func:`summarize`.
    """
    dims_of = {"yearly": ("year", "actor"), "cumulative": ("year", "actor")}
    out: dict[str, tuple] = {}
    for prefix, (lo, hi, shape) in segments.items():
        dims = dims_of.get(prefix, ("actor",))
        mean = stats["mean"][lo:hi].reshape(shape)  # type: ignore[index]
        sd = stats["sd"][lo:hi].reshape(shape)  # type: ignore[index]
        positive = stats["positive"][lo:hi].reshape(shape)  # type: ignore[index]
        quant = stats["quantile"][:, lo:hi].reshape((len(quantiles), *shape))  # type: ignore[index]
        error = stats.get("quantile_max_error")
        if error is not None:
            out[f"{prefix}_quantile_max_error"] = (dims, error[lo:hi].reshape(shape))
        out[f"{prefix}_mean"] = (dims, mean)
        out[f"{prefix}_mcse"] = (dims, sd / np.sqrt(n))
        out[f"{prefix}_sd"] = (dims, sd)
        out[f"{prefix}_quantile"] = (("quantile", *dims), quant)
        out[f"{prefix}_p_positive"] = (dims, positive)
        out[f"{prefix}_p_positive_se"] = (dims, np.sqrt(positive * (1.0 - positive) / n))
    n_years = len(years)
    cum_counts = np.cumsum(break_even_counts, axis=0)
    out["break_even_probability"] = (("year", "actor"), cum_counts[:n_years] / n)
    out["break_even_never"] = (("actor",), break_even_counts[n_years] / n)
    median_index = np.argmax(cum_counts >= 0.5 * n, axis=0)
    out["break_even_median"] = (
        ("actor",),
        np.where(
            median_index < n_years,
            years[np.minimum(median_index, n_years - 1)],
            NOT_WITHIN_HORIZON,
        ),
    )
    summary = xr.Dataset(
        out,
        coords={"actor": list(actors), "year": years, "quantile": list(quantiles)},
        attrs=attrs,
    )
    summary["year"].attrs["long_name"] = "År"
    return summary


def summarize(
    ds: xr.Dataset,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> xr.Dataset:
    """Summarise a simulation: means with MCSE, quantile bands, P(> 0), break-even.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`som_mc.simulate` or :func:`som_mc.results.load_results`.
    quantiles : sequence of float
        Probabilities of the quantile bands (default P5, P10, P50, P90, P95).

    Returns
    -------
    xarray.Dataset
        Dimensions ``actor`` (actors + ``total``), ``year`` and ``quantile``. For the net
        result per year (``yearly_*``), cumulated (``cumulative_*``), over the horizon
        (``horizon_*``), discounted over the horizon (``pv_*``) and per deltager
        (``per_participant_*``, the horizon total over all participants of the draw):
        ``*_mean``, ``*_mcse``, ``*_sd``, ``*_quantile``, ``*_p_positive`` and
        ``*_p_positive_se``. Plus ``break_even_probability`` (P(the cumulative result has
        reached 0 by that year)), ``break_even_never`` and ``break_even_median`` (calendar
        year; -1 when the median draw does not break even within the horizon).
    """
    acc = SummaryAccumulator(ds.year.values, [str(a) for a in ds.actor.values], quantiles)
    acc.add(
        ds.net_result.transpose("draw", "year", "actor").values,
        ds.net_result_pv.transpose("draw", "actor").values,
        ds.participants.transpose("draw", "cohort").values,
    )
    return acc.result(dict(ds.attrs))


def histogram_edges(
    model: CaseModel,
    draws: int,
    *,
    seed: int,
    design: Design = "random",
    bins: int = HISTOGRAM_BINS,
) -> HistogramEdges:
    """Histogram bins of a streamed run, from its first block of draws (the pilot).

    The pilot's draws are the run's own first draws, recomputed, so the bins depend only on
    the case, seed, design and number of draws.
    """
    pilot = min(draws, BLOCK_SIZE)
    chunk = next(iter_chunks(model, draws, seed=seed, design=design, stop=pilot))
    rows, _ = _chunk_rows(chunk.net, chunk.pv, chunk.participants)
    return HistogramEdges.from_rows(rows, bins)


def summarize_stream(
    case: Case,
    *,
    draws: int,
    seed: int | None = None,
    design: Design = "random",
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    chunk_size: int = DEFAULT_CHUNK,
    bins: int = HISTOGRAM_BINS,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Simulate and summarise chunk by chunk without keeping the draws (flat memory).

    The draws are those of :func:`som_mc.simulate` with the same arguments, so means,
    MCSE, P(> 0) and break-even agree with ``summarize(simulate(...))`` to rounding;
    quantiles come from histograms (:class:`HistogramEdges`) and are exact to within
    ``*_quantile_max_error``. The result is bit-identical whatever the chunk size. This is
    :func:`som_mc.scale.run_many` with the local executor and no store.

    Parameters
    ----------
    case : Case
        A validated case.
    draws, seed, design
        As for :func:`som_mc.simulate`.
    chunk_size : int
        Draws per chunk, rounded up to whole blocks; does not change any result.
    quantiles : sequence of float
        Quantile probabilities.
    bins : int
        Histogram bins per cell.
    progress : callable, optional
        Called with the number of draws finished after each chunk.

    Returns
    -------
    xarray.Dataset
        The summary schema of :func:`summarize`.
    """
    from som_mc.scale import RunSpec, run_many  # scale builds on this module

    spec = RunSpec.make(
        case, draws=draws, seed=seed, design=design, chunk_draws=chunk_size, bins=bins
    )
    return run_many([spec], quantiles=quantiles, progress=progress)[0]
