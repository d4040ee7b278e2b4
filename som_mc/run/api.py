"""The library's run functions: :func:`simulate` and :func:`summarize_stream`.

Both build a :class:`~som_mc.run.spec.RunSpec` and hand it to the one chunk driver
(:func:`~som_mc.run.driver.run_many`); they differ only in the sinks: every draw kept in
memory, or the summary alone (flat memory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import xarray as xr

from som_mc.case import Case
from som_mc.engine.chunks import DEFAULT_CHUNK
from som_mc.run.driver import run
from som_mc.run.spec import RunSpec
from som_mc.sampling import Design
from som_mc.stats.cells import HISTOGRAM_BINS
from som_mc.stats.summary import DEFAULT_QUANTILES
from som_mc.types import DEFAULT_DESIGN

__all__ = ["simulate", "summarize_stream"]


def simulate(
    case: Case,
    *,
    draws: int = 10_000,
    seed: int | None = None,
    design: Design = DEFAULT_DESIGN,
    chunk_size: int = DEFAULT_CHUNK,
    keep_consequences: bool = False,
    target_mcse: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Run the Monte Carlo simulation of a case and keep every draw.

    Parameters
    ----------
    case : Case
        A validated case (:func:`som_mc.load_case`).
    draws : int, default 10000
        Number of Monte Carlo draws; with `target_mcse`, the most draws to use.
    seed : int or None
        Seed; ``None`` draws fresh entropy, which is recorded in the result's ``seed``
        attribute so the run can be repeated. ``0`` is a seed.
    design : {"random", "lhs", "sobol"}, default "random"
        Sampling design of the uncertain inputs.
    chunk_size : int
        Draws per kernel call (rounded up to whole blocks); does not change any result.
    keep_consequences : bool, default False
        Keep the value per consequence (``consequence_value_by_consequence``).
    target_mcse : float, optional
        Stop after the first block of :data:`~som_mc.sampling.BLOCK_SIZE` draws at which the
        Monte Carlo standard error of the mean cumulative total net result over the horizon
        is below this many kroner (at most `draws` draws, rounded up to whole blocks). The
        result equals a run with a fixed number of draws equal to the number used.
    progress : callable, optional
        Called with the number of draws finished after each chunk.

    Returns
    -------
    xarray.Dataset
        The results schema of :mod:`som_mc.results`: ``cost``, ``consequence_value`` and
        ``net_result`` per (draw, year, actor), the sampled inputs along ``draw``, and
        provenance attributes.

    Examples
    --------
    >>> import som_mc
    >>> case = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
    >>> ds = som_mc.simulate(case, draws=10_000, seed=1)  # doctest: +SKIP
    """
    spec = RunSpec.make(
        case,
        draws=draws,
        seed=seed,
        design=design,
        chunk_draws=chunk_size,
        keep_consequences=keep_consequences,
        target_mcse=target_mcse,
    )
    result = run(spec, keep_draws=True, progress=progress, summary=False)
    assert result.draws is not None
    return result.draws


def summarize_stream(
    case: Case,
    *,
    draws: int,
    seed: int | None = None,
    design: Design = DEFAULT_DESIGN,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    chunk_size: int = DEFAULT_CHUNK,
    bins: int = HISTOGRAM_BINS,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Simulate and summarise chunk by chunk without keeping the draws (flat memory).

    The numbers equal ``summarize(simulate(...), quantiles=...)`` with the same arguments,
    bit for bit: the same rule decides between exact and sketched quantiles.

    Parameters
    ----------
    case : Case
        A validated case.
    draws, seed, design
        As for :func:`simulate`.
    quantiles : sequence of float
        Quantile probabilities.
    chunk_size : int
        Draws per chunk, rounded up to whole blocks; does not change any result.
    bins : int
        Histogram bins per cell of the quantile sketch (runs above
        :data:`~som_mc.stats.cells.EXACT_QUANTILE_MAX_DRAWS` draws).
    progress : callable, optional
        Called with the number of draws finished after each chunk.

    Returns
    -------
    xarray.Dataset
        The summary schema of :func:`som_mc.summarize`.
    """
    spec = RunSpec.make(
        case,
        draws=draws,
        seed=seed,
        design=design,
        quantiles=quantiles,
        chunk_draws=chunk_size,
        bins=bins,
    )
    summary = run(spec, progress=progress).summary
    assert summary is not None
    return summary
