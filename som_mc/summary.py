"""Uncertainty summaries of a Monte Carlo run, computed chunk by chunk.

Every mean comes with its Monte Carlo standard error (MCSE, ``sd / sqrt(n)``; for LHS and
Sobol designs this iid formula is conservative), every probability with its standard error
``sqrt(p (1 − p) / n)``. The actor dimension of a summary holds the case's actors plus
``"total"`` (I alt).

Means, standard deviations (merged with the pairwise update of Chan, Golub & LeVeque),
P(> 0) and the break-even distribution reduce exactly chunk by chunk. Quantiles need every
draw: :func:`summarize` (all draws in memory) computes them exactly; the streaming
:func:`summarize_stream` for very large runs uses a fixed-bin histogram per cell (bins laid
over three times the range of the first chunk, values beyond clamped to the edge bins), so
its quantiles are exact to within one bin width, recorded as ``*_quantile_max_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from som_mc.case import Case, case_hash
from som_mc.deterministic import NOT_WITHIN_HORIZON, break_even_index
from som_mc.model import compile_case
from som_mc.results import provenance
from som_mc.sampling import Design, normalize_seed
from som_mc.simulate import DEFAULT_CHUNK, iter_chunks

__all__ = [
    "DEFAULT_QUANTILES",
    "HISTOGRAM_BINS",
    "TOTAL",
    "SummaryAccumulator",
    "quantile_index",
    "summarize",
    "summarize_stream",
    "with_total",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.50, 0.90, 0.95)

#: Label of the all-actor total in summaries.
TOTAL = "total"

#: Bins per cell of the streaming quantile histogram.
HISTOGRAM_BINS = 16384

_PREFIXES = ("yearly", "cumulative", "horizon", "pv", "per_participant")


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


def _append_total(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a, a.sum(axis=-1, keepdims=True)], axis=-1)


def _exact_quantiles(parts: list[np.ndarray], q: Sequence[float]) -> np.ndarray:
    """Quantiles along the draws (numpy's default linear method) of chunks of draws.

    Sorting each cell's draws in one contiguous row is several times faster than
    ``np.quantile`` along a strided axis.
    """
    shape = parts[0].shape[1:]
    rows = np.concatenate([p.reshape(p.shape[0], -1) for p in parts], axis=0).T.copy()
    rows.sort(axis=1)
    pos = (rows.shape[1] - 1) * np.asarray(q)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, rows.shape[1] - 1)
    frac = pos - lo
    out = rows[:, lo] + frac * (rows[:, hi] - rows[:, lo])  # (cells, q)
    return out.T.reshape((len(q), *shape))


class _Moments:
    """Running count, mean, M2 and positive count of an array of cells."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None
        self.positive: np.ndarray | None = None

    def add(self, values: np.ndarray) -> None:
        n_b = values.shape[0]
        mean_b = values.mean(axis=0)
        m2_b = ((values - mean_b) ** 2).sum(axis=0)
        pos_b = (values > 0).sum(axis=0)
        if self.mean is None or self.m2 is None or self.positive is None:
            self.n, self.mean, self.m2, self.positive = n_b, mean_b, m2_b, pos_b
            return
        total = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / total)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * n_b / total)
        self.positive = self.positive + pos_b
        self.n = total


class _Histogram:
    """Fixed-bin histogram per cell for streaming quantiles."""

    def __init__(self, bins: int) -> None:
        self.bins = bins
        self.lo: np.ndarray | None = None
        self.width: np.ndarray | None = None
        self.counts: np.ndarray | None = None

    def add(self, values: np.ndarray) -> None:
        flat = values.reshape(values.shape[0], -1)
        if self.lo is None:
            vmin, vmax = flat.min(axis=0), flat.max(axis=0)
            span = np.maximum(vmax - vmin, np.maximum(np.abs(vmax), 1.0) * 1e-9)
            self.lo = vmin - span
            self.width = 3.0 * span / self.bins
            self.counts = np.zeros((flat.shape[1], self.bins), dtype=np.int64)
        assert self.width is not None and self.counts is not None
        idx = np.floor((flat - self.lo) / self.width).astype(np.int64)
        np.clip(idx, 0, self.bins - 1, out=idx)
        offsets = np.arange(flat.shape[1]) * self.bins
        self.counts += np.bincount((idx + offsets).ravel(), minlength=self.counts.size).reshape(
            self.counts.shape
        )

    def quantiles(
        self, q: Sequence[float], shape: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles per cell and their error bound (inf where a quantile hit an edge bin)."""
        assert self.counts is not None and self.lo is not None and self.width is not None
        cum = np.cumsum(self.counts, axis=1)
        n = cum[:, -1:]
        out = np.empty((len(q), cum.shape[0]))
        error = self.width.copy()
        for i, p in enumerate(q):
            target = p * n
            k = np.argmax(cum >= np.maximum(target, 1e-12), axis=1)
            rows = np.arange(cum.shape[0])
            before = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0)
            inside = self.counts[rows, k]
            frac = np.where(inside > 0, (target[:, 0] - before) / np.maximum(inside, 1), 0.5)
            out[i] = self.lo + (k + np.clip(frac, 0.0, 1.0)) * self.width
            # values beyond the histogram's range are clamped into the edge bins
            error[(k == 0) | (k == self.bins - 1)] = np.inf
        return out.reshape((len(q), *shape)), error.reshape(shape)


class SummaryAccumulator:
    """Reduce chunks of draws to the summary, exactly or with histogram quantiles.

    Parameters
    ----------
    years : sequence of int
        Calendar years of the year axis.
    actors : sequence of str
        The case's actors (``"total"`` is added).
    quantiles : sequence of float
        Quantile probabilities.
    exact_quantiles : bool
        Keep every draw's statistics to compute exact quantiles (memory grows with draws);
        otherwise use fixed-bin histograms of ``bins`` bins per cell.
    bins : int
        Histogram bins per cell.
    """

    def __init__(
        self,
        years: Sequence[int],
        actors: Sequence[str],
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        *,
        exact_quantiles: bool = True,
        bins: int = HISTOGRAM_BINS,
    ) -> None:
        q = [float(p) for p in quantiles]
        if not q or any(not 0.0 <= p <= 1.0 for p in q):
            raise ValueError(f"quantiles must lie in [0, 1]; received {list(quantiles)}")
        self.quantiles = q
        self.years = np.asarray(years)
        self.actors = [*actors, TOTAL]
        self.exact = exact_quantiles
        self.moments = {p: _Moments() for p in _PREFIXES}
        self.kept: dict[str, list[np.ndarray]] = {p: [] for p in _PREFIXES}
        self.hist = {p: _Histogram(bins) for p in _PREFIXES}
        self.break_even_counts = np.zeros((len(self.years) + 1, len(self.actors)), np.int64)

    def add(self, net: np.ndarray, pv: np.ndarray, participants: np.ndarray) -> None:
        """Add a chunk: net (n, T, A), discounted totals pv (n, A), participants (n, C)."""
        net_t = _append_total(net)
        cum = np.cumsum(net_t, axis=1)
        horizon = cum[:, -1, :]
        n_part = participants.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_part = np.where(n_part[:, None] > 0, horizon / n_part[:, None], 0.0)
        stats = {
            "yearly": net_t,
            "cumulative": cum,
            "horizon": horizon,
            "pv": _append_total(pv),
            "per_participant": per_part,
        }
        for prefix, values in stats.items():
            self.moments[prefix].add(values)
            if self.exact:
                self.kept[prefix].append(values)
            else:
                self.hist[prefix].add(values)
        first = break_even_index(np.moveaxis(cum, 1, 2))  # (n, A+1)
        first = np.where(first == NOT_WITHIN_HORIZON, len(self.years), first)
        for a in range(first.shape[1]):
            self.break_even_counts[:, a] += np.bincount(first[:, a], minlength=len(self.years) + 1)

    def result(self, attrs: dict[str, object] | None = None) -> xr.Dataset:
        """Return the summary dataset (see :func:`summarize`)."""
        n = self.moments["horizon"].n
        if n == 0:
            raise ValueError("no draws were added to the summary")
        out: dict[str, tuple] = {}
        dims_of = {
            "yearly": ("year", "actor"),
            "cumulative": ("year", "actor"),
            "horizon": ("actor",),
            "pv": ("actor",),
            "per_participant": ("actor",),
        }
        for prefix, dims in dims_of.items():
            mom = self.moments[prefix]
            assert mom.mean is not None and mom.m2 is not None and mom.positive is not None
            sd = np.sqrt(mom.m2 / (n - 1)) if n > 1 else np.zeros_like(mom.mean)
            positive = mom.positive / n
            shape = mom.mean.shape
            if self.exact:
                quant = _exact_quantiles(self.kept[prefix], self.quantiles)
            else:
                quant, error = self.hist[prefix].quantiles(self.quantiles, shape)
                out[f"{prefix}_quantile_max_error"] = (dims, error)
            out[f"{prefix}_mean"] = (dims, mom.mean)
            out[f"{prefix}_mcse"] = (dims, sd / np.sqrt(n))
            out[f"{prefix}_sd"] = (dims, sd)
            out[f"{prefix}_quantile"] = (("quantile", *dims), quant)
            out[f"{prefix}_p_positive"] = (dims, positive)
            out[f"{prefix}_p_positive_se"] = (dims, np.sqrt(positive * (1.0 - positive) / n))
        n_years = len(self.years)
        cum_counts = np.cumsum(self.break_even_counts, axis=0)
        out["break_even_probability"] = (("year", "actor"), cum_counts[:n_years] / n)
        out["break_even_never"] = (("actor",), self.break_even_counts[n_years] / n)
        median_index = np.argmax(cum_counts >= 0.5 * n, axis=0)
        out["break_even_median"] = (
            ("actor",),
            np.where(
                median_index < n_years,
                self.years[np.minimum(median_index, n_years - 1)],
                NOT_WITHIN_HORIZON,
            ),
        )
        summary = xr.Dataset(
            out,
            coords={"actor": self.actors, "year": self.years, "quantile": self.quantiles},
            attrs={
                **(attrs or {}),
                "n_draws": n,
                "quantile_method": "exact" if self.exact else "histogram",
            },
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
    acc = SummaryAccumulator(
        ds.year.values, [str(a) for a in ds.actor.values], quantiles, exact_quantiles=True
    )
    acc.add(
        ds.net_result.transpose("draw", "year", "actor").values,
        ds.net_result_pv.transpose("draw", "actor").values,
        ds.participants.transpose("draw", "cohort").values,
    )
    return acc.result(dict(ds.attrs))


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
    quantiles come from histograms and are exact to within ``*_quantile_max_error``.

    Parameters
    ----------
    case : Case
        A validated case.
    draws, seed, design, chunk_size
        As for :func:`som_mc.simulate`.
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
    seed = normalize_seed(seed)
    model = compile_case(case)
    acc = SummaryAccumulator(
        case.start_year + np.arange(model.n_years),
        list(case.actors),
        quantiles,
        exact_quantiles=False,
        bins=bins,
    )
    for chunk in iter_chunks(model, draws, seed=seed, design=design, chunk_size=chunk_size):
        acc.add(chunk.net, chunk.pv, chunk.participants)
        if progress is not None:
            progress(chunk.stop)
    attrs = provenance(case, seed=seed, design=design, draws=draws, case_sha256=case_hash(case))
    return acc.result(attrs)
