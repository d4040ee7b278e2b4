"""Uncertainty summaries of a Monte Carlo run: per cell mean ± MCSE, sd, quantiles, P(> 0).

The cells are the net result per year (``yearly``), cumulated (``cumulative``), over the
horizon (``horizon``), discounted over the horizon (``pv``) and per deltager
(``per_participant``), each for every aktør and the total; plus the distribution of the
break-even year. Every statistic comes from :mod:`som_mc.stats.cells`.

A run is summarised from :class:`SummaryPart` objects, one per chunk of draws, computed
wherever the chunk ran and merged in any order by :class:`Summary`; :func:`summarize` does the
same for a results dataset held in memory (with exact quantiles and the compiled kernels, one
aktør's rows at a time instead: the same numbers). All cut the draws into the same blocks, so
a summary depends only on the case, seed, design, number of draws and quantile levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import xarray as xr

from som_mc.engine.kernel import (
    actor_cell_rows,
    actor_row_index,
    cell_rows,
    kernel_threads,
    use_compiled,
)
from som_mc.model import TOTAL
from som_mc.results.schema import xarray_without_dask
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats.cells import (
    HISTOGRAM_BINS,
    HistogramEdges,
    Piece,
    QuantileMethod,
    block_pieces,
    break_even_statistics,
    cell_statistics,
    check_quantiles,
    exact_quantiles,
    merge_pieces,
    quantile_method,
)

__all__ = [
    "DEFAULT_QUANTILES",
    "Summary",
    "SummaryPart",
    "merge_parts",
    "quantile_index",
    "segments",
    "summarize",
    "summary_dataset",
    "summary_part",
    "with_total",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.50, 0.90, 0.95)


def quantile_index(ds: xr.Dataset | xr.DataArray, p: float) -> int:
    """Position of probability `p` on the ``quantile`` coordinate (ValueError if absent)."""
    matches = np.flatnonzero(np.isclose(ds["quantile"].values, p))
    if not matches.size:
        raise ValueError(f"quantile {p} not in the summary (has {list(ds['quantile'].values)})")
    return int(matches[0])


def with_total(da: xr.DataArray) -> xr.DataArray:
    """Append the sum over aktører as aktør :data:`~som_mc.model.TOTAL`."""
    total = da.sum("actor").expand_dims(actor=[TOTAL])
    return xr.concat([da, total], dim="actor")


def segments(n_years: int, width: int) -> dict[str, tuple[int, int, tuple[int, ...]]]:
    """Rows of each summary prefix in the layout of :func:`som_mc.engine.kernel.cell_rows`.

    Parameters
    ----------
    n_years : int
        Length of the year axis.
    width : int
        Number of aktører plus one (the total).
    """
    block = n_years * width
    tail = 2 * block
    return {
        "yearly": (0, block, (n_years, width)),
        "cumulative": (block, tail, (n_years, width)),
        "horizon": (tail, tail + width, (width,)),
        "pv": (tail + width, tail + 2 * width, (width,)),
        "per_participant": (tail + 2 * width, tail + 3 * width, (width,)),
    }


@dataclass
class SummaryPart:
    """What one chunk of draws contributes to a summary (mergeable, picklable).

    Attributes
    ----------
    pieces : list of Piece
        Moments per block of random numbers the chunk covers, in draw order.
    break_even : ndarray of int64, shape (T + 1, A + 1)
        Draws per first year with cumulative result >= 0 (last row: never).
    counts : ndarray of int32, shape (R, bins), or None
        Histogram counts (the ``"histogram"`` quantile method).
    rows : list of (int, ndarray) or None
        The chunk's rows (R, n_i) block by block with the first draw of each, in draw
        order, kept for exact quantiles (never copied into one array).
    """

    pieces: list[Piece]
    break_even: np.ndarray
    counts: np.ndarray | None = None
    rows: list[tuple[int, np.ndarray]] | None = None


def summary_part(
    start: int,
    net: np.ndarray,
    pv: np.ndarray,
    participants: np.ndarray,
    *,
    edges: HistogramEdges | None,
    threads: int | None = None,
    compiled: bool | None = None,
    laid_out: tuple[np.ndarray, np.ndarray] | None = None,
    counts_into: np.ndarray | None = None,
) -> SummaryPart:
    """Reduce draws ``start:start + n`` (one chunk) to a :class:`SummaryPart`.

    Parameters
    ----------
    start : int
        Index of the chunk's first draw in the run.
    net, pv, participants : ndarray
        The chunk's net result (n, T, A), discounted horizon result (n, A) and participants
        (n, C).
    edges : HistogramEdges or None
        The run's histogram bins (histogram quantiles), or None to keep the rows (exact).
    threads : int, optional
        Threads for the kernels (default :func:`~som_mc.engine.kernel.kernel_threads`).
    compiled : bool, optional
        Compiled kernels or their NumPy twins (the same numbers; default by the number of
        draws, :func:`~som_mc.engine.kernel.use_compiled`).
    laid_out : (rows, first), optional
        The chunk's summary rows and break-even years as :func:`cell_rows` gives them,
        already laid out by the kernel (``Chunk.rows``, ``Chunk.first``); then `net`, `pv`
        and `participants` are not read.
    counts_into : ndarray of int32, shape (R, bins), optional
        With `edges`: add the histogram counts to this array (C-contiguous) instead of
        returning them; the part then has no counts (a :class:`Summary` with
        ``counts_elsewhere`` gets the total by :meth:`Summary.add_counts`).
    """
    if laid_out is None:
        rows, first = cell_rows(net, pv, participants, threads=threads, compiled=compiled)
    else:
        rows, first = laid_out
    n_t = (rows.shape[0] - 3 * first.shape[0]) // (2 * first.shape[0])
    break_even = np.stack([np.bincount(f, minlength=n_t + 1) for f in first], axis=1)
    counts = histogram = None
    if edges is not None:
        if counts_into is not None:
            histogram = (edges.lo, edges.width, counts_into)
        else:
            counts = np.zeros((rows.shape[0], edges.bins), dtype=np.int32)
            histogram = (edges.lo, edges.width, counts)
    return SummaryPart(
        # moments and histogram counts in one pass over the rows
        pieces=block_pieces(start, rows, threads=threads, compiled=compiled, histogram=histogram),
        break_even=break_even.astype(np.int64),
        counts=counts,
        rows=[(start, rows)] if edges is None else None,
    )


def merge_parts(parts: Sequence[SummaryPart]) -> SummaryPart:
    """Merge the parts of consecutive draws (the blocks of a chunk) into the chunk's part.

    The result is the part :func:`summary_part` gives for all their draws at once: the same
    pieces, counts and rows.
    """
    if not parts:
        raise ValueError("no parts to merge")
    if len(parts) == 1:
        return parts[0]
    ordered = sorted(parts, key=lambda p: p.pieces[0][0] if p.pieces else 0)
    counts = None
    if all(p.counts is not None for p in ordered):
        counts = ordered[0].counts.copy()  # type: ignore[union-attr]
        for p in ordered[1:]:
            counts += p.counts
    rows = None
    if all(p.rows is not None for p in ordered):
        rows = [piece for p in ordered if p.rows is not None for piece in p.rows]
    return SummaryPart(
        pieces=[piece for p in ordered for piece in p.pieces],
        break_even=sum((p.break_even for p in ordered[1:]), ordered[0].break_even.copy()),
        counts=counts,
        rows=rows,
    )


def pilot_edges(
    net: np.ndarray, pv: np.ndarray, participants: np.ndarray, bins: int = HISTOGRAM_BINS
) -> HistogramEdges:
    """Histogram bins of a run from its first block of draws (the pilot)."""
    rows, _ = cell_rows(net[:BLOCK_SIZE], pv[:BLOCK_SIZE], participants[:BLOCK_SIZE])
    return HistogramEdges.from_rows(rows, bins)


class Summary:
    """Merge :class:`SummaryPart` objects, in any order, into the summary dataset.

    Parameters
    ----------
    years : sequence of int
        Calendar years.
    actors : sequence of str
        The case's aktører (the total is added).
    quantiles : sequence of float
        Quantile probabilities.
    method : {"exact", "histogram"}
        How quantiles are computed (:func:`~som_mc.stats.cells.quantile_method`).
    edges : HistogramEdges, optional
        The run's bins (required for ``"histogram"``; they may also be set as the
        ``edges`` attribute later, before :meth:`result`).
    """

    def __init__(
        self,
        years: Sequence[int] | np.ndarray,
        actors: Sequence[str],
        quantiles: Sequence[float],
        method: QuantileMethod,
        edges: HistogramEdges | None = None,
    ) -> None:
        self.quantiles = check_quantiles(quantiles)
        self.years = np.asarray(years)
        self.actors = [*actors, TOTAL]
        self.method = method
        self.edges = edges if method == "histogram" else None
        self.segments = segments(len(self.years), len(self.actors))
        self.n_rows = self.segments["per_participant"][1]
        self.pieces: list[Piece] = []
        self.rows: list[tuple[int, np.ndarray]] = []
        self.counts: np.ndarray | None = None
        #: the parts' histogram counts come by :meth:`add_counts` instead (parts without)
        self.counts_elsewhere = False
        self.break_even = np.zeros((len(self.years) + 1, len(self.actors)), dtype=np.int64)

    @property
    def n(self) -> int:
        """Number of draws merged so far."""
        return sum(p[1] for p in self.pieces)

    def merge(self, part: SummaryPart) -> None:
        """Add one chunk's contribution."""
        self.pieces.extend(part.pieces)
        self.break_even += part.break_even
        if self.method == "histogram":
            if part.counts is None:
                if not self.counts_elsewhere:
                    raise ValueError("a histogram summary needs parts with histogram counts")
            else:
                self.add_counts(part.counts)
        else:
            if part.rows is None:
                raise ValueError("an exact summary needs parts that keep their rows")
            self.rows.extend(part.rows)

    def add_counts(self, counts: np.ndarray, *, owned: bool = False) -> None:
        """Add histogram counts (R, bins) to the summary's (whole numbers: any order).

        With `owned` (the caller hands over an int32 or int64 array it keeps no use for),
        the first counts are taken as they are rather than copied: a run's total counts are
        ≈ 6–12 MB of fresh memory for the reference case. int32 holds the counts of any run
        (a run has fewer than 2³¹ draws).
        """
        if self.counts is None:
            adopt = owned and counts.dtype in (np.int32, np.int64) and counts.flags.writeable
            self.counts = counts if adopt else counts.astype(np.int64)
        else:
            self.counts += counts

    def horizon_total_mcse(self) -> float:
        """MCSE of the mean cumulative total nettoresultat over the horizon, so far."""
        row = self.segments["horizon"][1] - 1
        n, _, m2, _ = merge_pieces(
            [(s, k, mu[row : row + 1], q[row : row + 1], p[:1]) for s, k, mu, q, p in self.pieces]
        )
        return float(np.sqrt(m2[0] / (n - 1) / n)) if n > 1 else float("inf")

    def result(self, attrs: dict[str, object] | None = None) -> xr.Dataset:
        """Return the summary dataset (see :func:`summarize`)."""
        n, mean, m2, positive = merge_pieces(self.pieces)
        error: np.ndarray | None
        if self.method == "histogram":
            if self.edges is None:
                raise ValueError("histogram quantiles need the run's edges")
            assert self.counts is not None
            quant, error = self.edges.quantiles(self.counts, self.quantiles)
        else:
            # the blocks' rows in draw order, never put together in one copy
            parts = [r for _, r in sorted(self.rows, key=lambda r: r[0])]
            self.rows = []  # the summary is spent once its result is taken
            quant, error = exact_quantiles(parts, self.quantiles), None
            del parts
        stats = cell_statistics(n, mean, m2, positive, quant)
        return summary_dataset(
            stats,
            error,
            self.segments,
            self.break_even,
            n=n,
            years=self.years,
            actors=self.actors,
            quantiles=self.quantiles,
            attrs={
                **(attrs or {}),
                "n_draws": n,
                "quantile_method": self.method,
                "quantile_max_error": float(np.max(error)) if error is not None else 0.0,
            },
        )


def summary_dataset(
    stats: dict[str, np.ndarray],
    quantile_error: np.ndarray | None,
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
        Per row (:func:`~som_mc.stats.cells.cell_statistics`): ``mean``, ``mcse``, ``sd``,
        ``p_positive``, ``p_positive_se``, shape (R,); ``quantile``, shape (Q, R).
    quantile_error : ndarray, shape (R,), or None
        Bound on each row's quantile error (histogram quantiles); None when exact.
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
        for name in ("mean", "mcse", "sd", "p_positive", "p_positive_se"):
            out[f"{prefix}_{name}"] = (dims, stats[name][lo:hi].reshape(shape))
        quant = stats["quantile"][:, lo:hi].reshape((len(quantiles), *shape))
        out[f"{prefix}_quantile"] = (("quantile", *dims), quant)
        if quantile_error is not None:
            out[f"{prefix}_quantile_max_error"] = (dims, quantile_error[lo:hi].reshape(shape))
    be = break_even_statistics(break_even_counts, np.asarray(years), n)
    out["break_even_probability"] = (("year", "actor"), be["probability"])
    out["break_even_never"] = (("actor",), be["never"])
    out["break_even_median"] = (("actor",), be["median"])
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

    The same numbers as the summary the run itself produced: moments per block merged in
    draw order; quantiles exact up to
    :data:`~som_mc.stats.cells.EXACT_QUANTILE_MAX_DRAWS` draws and from the histogram
    sketch above (bins from the first block of draws).

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`som_mc.simulate` or :func:`som_mc.load_results`.
    quantiles : sequence of float
        Probabilities of the quantile bands (default P5, P10, P50, P90, P95).

    Returns
    -------
    xarray.Dataset
        Dimensions ``actor`` (aktører + ``total``), ``year`` and ``quantile``. For each
        prefix ``yearly``, ``cumulative``, ``horizon``, ``pv`` (discounted over the horizon)
        and ``per_participant`` (horizon total over all participants of the draw):
        ``*_mean``, ``*_mcse``, ``*_sd``, ``*_quantile``, ``*_p_positive`` and
        ``*_p_positive_se`` (and ``*_quantile_max_error`` for histogram quantiles). Plus
        ``break_even_probability`` (P(the cumulative result has reached 0 by that year)),
        ``break_even_never`` and ``break_even_median`` (calendar year; -1 when the median
        draw does not break even within the horizon). Attributes: the run's provenance,
        ``n_draws``, ``quantile_method`` and ``quantile_max_error``.
    """
    # datasets of NumPy arrays only: xarray need not import dask to rule out dask arrays
    # (where `ds` holds dask arrays, dask is imported and nothing changes)
    with xarray_without_dask():
        return _summarize(ds, quantiles)


def _summarize(ds: xr.Dataset, quantiles: Sequence[float]) -> xr.Dataset:
    """:func:`summarize` itself."""
    # native float64 (a store or netCDF file may hold big-endian or other types)
    net = np.ascontiguousarray(ds.net_result.transpose("draw", "year", "actor").values, float)
    pv = np.ascontiguousarray(ds.net_result_pv.transpose("draw", "actor").values, float)
    participants = np.ascontiguousarray(ds.participants.transpose("draw", "cohort").values, float)
    n = net.shape[0]
    if n == 0:
        raise ValueError("no draws to summarise")
    method = quantile_method(n)
    if method == "exact" and use_compiled(n):
        return _summarize_exact(
            net,
            pv,
            participants,
            Summary(ds.year.values, [str(a) for a in ds.actor.values], quantiles, method),
            dict(ds.attrs),
        )
    edges = pilot_edges(net, pv, participants) if method == "histogram" else None
    summary = Summary(ds.year.values, [str(a) for a in ds.actor.values], quantiles, method, edges)
    step = n if method == "exact" else 4 * BLOCK_SIZE  # same blocks, so the same numbers
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        summary.merge(
            summary_part(
                lo,
                net[lo:hi],
                pv[lo:hi],
                participants[lo:hi],
                edges=edges,
                compiled=use_compiled(n),
            )
        )
    return summary.result(dict(ds.attrs))


def _summarize_exact(
    net: np.ndarray,
    pv: np.ndarray,
    participants: np.ndarray,
    summary: Summary,
    attrs: dict[str, object],
) -> xr.Dataset:
    """:func:`summarize` with exact quantiles, one aktør's rows at a time (the same numbers).

    Each aktør's (and the total's) rows are laid out on their own (:func:`actor_cell_rows`)
    and summarised while they are fresh in the cache: per block moments merged in draw
    order and selected order statistics, row by row as over all rows at once. The aktører
    (and the total) are shared among up to :func:`~som_mc.engine.kernel.kernel_threads`
    workers, each with one buffer of one aktør's rows (1 / (A + 1) of all rows) and its
    share of the threads for the reductions: with 2 workers and 3 aktører, half the memory
    of all rows at once.
    """
    n, n_t, n_a = net.shape
    width = n_a + 1
    n_part = np.zeros(n)
    for c in range(participants.shape[1]):
        n_part += participants[:, c]  # in cohort order, as the kernels sum them
    mean, m2 = np.empty(summary.n_rows), np.empty(summary.n_rows)
    positive = np.empty(summary.n_rows, dtype=np.int64)
    quant = np.empty((len(summary.quantiles), summary.n_rows))
    break_even = np.empty((n_t + 1, width), dtype=np.int64)

    def share(worker: int, workers: int) -> None:
        rows = np.empty((2 * n_t + 3, n))
        first = np.empty(n, dtype=np.int64)
        for actor in range(worker, width, workers):
            actor_cell_rows(net, pv, n_part, actor, rows, first)
            pieces = block_pieces(0, rows, threads=threads_each, compiled=True)
            _, mu, dev, pos = merge_pieces(pieces)
            index = actor_row_index(n_t, n_a, actor)
            mean[index], m2[index], positive[index] = mu, dev, pos
            quant[:, index] = exact_quantiles(rows, summary.quantiles, threads=threads_each)
            break_even[:, actor] = np.bincount(first, minlength=n_t + 1)

    workers = max(1, min(kernel_threads(), width))
    threads_each = max(1, kernel_threads() // workers)  # (more threads than aktører)
    if workers == 1:
        share(0, 1)
    else:
        with ThreadPoolExecutor(workers - 1, thread_name_prefix="som_mc-summary") as pool:
            futures = [pool.submit(share, w, workers) for w in range(1, workers)]
            share(0, workers)
            for future in futures:
                future.result()
    stats = cell_statistics(n, mean, m2, positive, quant)
    return summary_dataset(
        stats,
        None,
        summary.segments,
        break_even,
        n=n,
        years=summary.years,
        actors=summary.actors,
        quantiles=summary.quantiles,
        attrs={**attrs, "n_draws": n, "quantile_method": "exact", "quantile_max_error": 0.0},
    )
