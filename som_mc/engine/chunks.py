"""Chunks of Monte Carlo draws: sampling → outcome noise → kernel.

:func:`iter_chunks` simulates draws ``start:stop`` of a run in chunks (bounded memory): it
samples each block of draws from its name-keyed streams (on a small thread pool, ahead of the
kernel), draws the outcome noise, and calls the numba kernel through
:func:`som_mc.engine.kernel.run_kernel`. Which chunks a run is cut into, and where they run,
is the run driver's business (:mod:`som_mc.run`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from som_mc.case import Case
from som_mc.engine.kernel import run_kernel
from som_mc.model import CaseModel
from som_mc.sampling import (
    BLOCK_SIZE,
    CorrelationSpec,
    Design,
    block_bounds,
    sample_block,
    stream,
)
from som_mc.types import DEFAULT_CHUNK

__all__ = [
    "DEFAULT_CHUNK",
    "Chunk",
    "allocate_buffers",
    "draw_outcomes",
    "iter_chunks",
    "n_blocks",
    "sampling_threads",
]



@dataclass(frozen=True, slots=True)
class Chunk:
    """Results for draws ``start:stop`` of a run."""

    start: int
    stop: int
    x: np.ndarray  # (n, U) sampled uncertain inputs
    successes: np.ndarray  # (n, C) realised (or expected) successes per cohort
    participants: np.ndarray  # (n, C) participants per cohort
    cost: np.ndarray  # (n, T, A)
    value: np.ndarray  # (n, T, A)
    net: np.ndarray  # (n, T, A)
    pv: np.ndarray  # (n, A)
    value_k: np.ndarray | None  # (n, K, T, A)


def draw_outcomes(model: CaseModel, x: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Draw realised active successes for one block (binomial outcome noise).

    The successes of cohort c are Binomial(N_c, s); when drop-off is on, each success ends
    each year with probability q: ``a[τ+1] ~ Binomial(a[τ], 1 − q)`` (binomial thinning,
    exactly the distribution of simulating every person).

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    x : ndarray, shape (n, U)
        The block's sampled inputs (participants already whole numbers).
    gen : numpy.random.Generator
        The block's outcome stream.

    Returns
    -------
    ndarray, shape (n, C, S)
        Active successes per draw, cohort and year since the effect year.
    """
    n = x.shape[0]
    s, dropoff = _values(model, x, np.array([model.idx_success, model.idx_dropoff])).T
    keep = 1.0 - dropoff
    participants = _values(model, x, model.idx_participants)
    n_chain = model.chain_length
    active = np.empty((n, model.n_cohorts, n_chain))
    for c in range(model.n_cohorts):
        active[:, c, 0] = gen.binomial(participants[:, c].astype(np.int64), s)
        for tau in range(1, n_chain):
            if model.dropoff_active:
                active[:, c, tau] = gen.binomial(active[:, c, tau - 1].astype(np.int64), keep)
            else:
                active[:, c, tau] = active[:, c, 0]
    return active


def _block_data(
    model: CaseModel,
    n_draws: int,
    block: int,
    seed: int,
    design: Design,
    correlations: list[CorrelationSpec],
) -> tuple[np.ndarray, np.ndarray]:
    start, stop = block_bounds(n_draws, block)
    dists = [model.inputs[j].dist for j in model.uncertain]
    x = sample_block(
        dists,
        model.uncertain_names,
        seed=seed,
        block=block,
        size=stop - start,
        design=design,
        correlations=correlations,
    )
    noise = model.case.outcome.noise
    if noise:
        # Binomial successes need whole numbers of participants.
        for col, j in enumerate(model.uncertain):
            if j in model.idx_participants:
                np.rint(x[:, col], out=x[:, col])
        active = draw_outcomes(model, x, stream(seed, "outcome", block))
    else:
        active = np.empty((0, 0, 0))
    return x, active


def _correlations(case: Case) -> list[CorrelationSpec]:
    return [CorrelationSpec(c.inputs[0], c.inputs[1], c.rank) for c in case.correlations]


def iter_chunks(
    model: CaseModel,
    n_draws: int,
    *,
    seed: int,
    design: Design = "random",
    chunk_size: int = DEFAULT_CHUNK,
    keep_consequences: bool = False,
    buffers: dict[str, np.ndarray] | None = None,
    start: int = 0,
    stop: int | None = None,
    reuse: bool = False,
) -> Iterator[Chunk]:
    """Simulate draws ``start..stop`` (default all ``0..n_draws``) of a run in chunks.

    Random numbers are drawn per block of :data:`~som_mc.sampling.BLOCK_SIZE` draws from
    streams keyed by (seed, name, block), so the results are bit-identical for any
    `chunk_size` and any number of numba threads.

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    n_draws : int
        Number of draws.
    seed : int
        The run's seed.
    design : {"random", "lhs", "sobol"}
        Sampling design.
    chunk_size : int
        Draws per kernel call.
    keep_consequences : bool
        Also return the value per consequence (memory: K times the net result).
    buffers : dict of ndarray, optional
        Arrays over all `n_draws` (keys ``x``, ``cost``, ``value``, ``net``, ``pv`` and,
        with `keep_consequences`, ``value_k``; see :func:`allocate_buffers`): each chunk is
        written into its slice of them and its arrays are views.
    start, stop : int, optional
        Simulate only draws ``start:stop`` of the run of `n_draws` draws (the same numbers
        as in the whole run; used by executors that spread chunks over workers).
    reuse : bool
        Without `buffers`, write every chunk into the same arrays (no fresh memory per
        chunk): a chunk's arrays are valid only until the next one is taken. For callers
        that reduce each chunk before asking for the next (the streaming summary).

    Yields
    ------
    Chunk
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1; received {chunk_size}")
    end = n_draws if stop is None else stop
    if not 0 <= start <= end <= n_draws:
        raise ValueError(f"draws {start}:{end} are not within a run of {n_draws} draws")
    correlations = _correlations(model.case)
    noise = model.case.outcome.noise
    last_block = (end - 1) // BLOCK_SIZE if end > start else -1
    workers = max(1, min(sampling_threads(), last_block + 1 - start // BLOCK_SIZE))
    # Blocks are sampled by a small thread pool, ahead of the kernel (NumPy's samplers and
    # the nogil kernel release the GIL). Each block's numbers come from its own name-keyed
    # streams, so which thread draws a block changes nothing.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="som_mc-sample") as pool:
        pending: dict[int, Future[tuple[np.ndarray, np.ndarray]]] = {}

        def fetch(block: int) -> Future[tuple[np.ndarray, np.ndarray]]:
            if block not in pending:
                pending[block] = pool.submit(
                    _block_data, model, n_draws, block, seed, design, correlations
                )
            return pending[block]

        spare: dict[str, np.ndarray] | None = None
        spare_active: np.ndarray | None = None
        try:
            for c0 in range(start, end, chunk_size):
                c1 = min(c0 + chunk_size, end)
                first, last = c0 // BLOCK_SIZE, (c1 - 1) // BLOCK_SIZE
                for block in range(first, min(last + 1 + workers, last_block + 1)):
                    fetch(block)  # this chunk's blocks, and a few ahead
                n = c1 - c0
                if buffers is None and reuse:
                    if spare is None or spare["x"].shape[0] < n:
                        spare = allocate_buffers(
                            model,
                            min(chunk_size, end - start),
                            keep_consequences=keep_consequences,
                        )
                        spare_active = np.empty((spare["x"].shape[0], *_active_shape(model)))
                    x = spare["x"][:n]
                    views = {k: v[:n] for k, v in spare.items() if k != "x"}
                elif buffers is None:
                    x = np.empty((n, len(model.uncertain)))
                    views = None
                else:
                    x = buffers["x"][c0:c1]
                    views = {k: v[c0:c1] for k, v in buffers.items() if k != "x"}
                if not noise:
                    active = np.zeros((0, 0, 0))
                elif spare_active is not None and buffers is None and reuse:
                    active = spare_active[:n]
                else:
                    active = np.empty((n, *_active_shape(model)))
                for block in range(first, last + 1):
                    bx, bact = fetch(block).result()
                    b0 = block * BLOCK_SIZE
                    lo, hi = max(c0, b0), min(c1, b0 + BLOCK_SIZE)
                    x[lo - c0 : hi - c0] = bx[lo - b0 : hi - b0]
                    if noise:
                        active[lo - c0 : hi - c0] = bact[lo - b0 : hi - b0]
                for block in [b for b in pending if b < last]:
                    del pending[block]  # fully used; a chunk never goes back
                out = run_kernel(
                    model,
                    x,
                    active,
                    noise=noise,
                    keep_consequences=keep_consequences,
                    out=views,
                )
                yield Chunk(
                    start=c0,
                    stop=c1,
                    x=x,
                    successes=_successes(model, x, active, noise),
                    participants=_values(model, x, model.idx_participants),
                    cost=out["cost"],
                    value=out["value"],
                    net=out["net"],
                    pv=out["pv"],
                    value_k=out.get("value_k"),
                )
        finally:
            for future in pending.values():
                future.cancel()


def allocate_buffers(
    model: CaseModel, n_draws: int, *, keep_consequences: bool = False
) -> dict[str, np.ndarray]:
    """Arrays for every draw of a run, for :func:`iter_chunks` to write into."""
    n_t, n_a = model.n_years, len(model.case.actors)
    buffers = {
        "x": np.empty((n_draws, len(model.uncertain))),
        "cost": np.empty((n_draws, n_t, n_a)),
        "value": np.empty((n_draws, n_t, n_a)),
        "net": np.empty((n_draws, n_t, n_a)),
        "pv": np.empty((n_draws, n_a)),
    }
    if keep_consequences:
        buffers["value_k"] = np.empty((n_draws, model.cons_profile.shape[0], n_t, n_a))
    return buffers


def sampling_threads() -> int:
    """Threads that sample blocks of draws ahead of the kernel (numba's thread count)."""
    return max(1, numba.get_num_threads())


def _active_shape(model: CaseModel) -> tuple[int, int]:
    return model.n_cohorts, model.chain_length


def _values(model: CaseModel, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Values of the inputs at `positions` per draw, shape (n, len(positions)).

    Sampled columns come from `x`, fixed inputs from ``model.const``; only the requested
    columns are built.
    """
    column = {int(j): i for i, j in enumerate(model.uncertain)}
    out = np.empty((x.shape[0], len(positions)))
    for k, j in enumerate(positions):
        i = column.get(int(j))
        out[:, k] = model.const[j] if i is None else x[:, i]
    return out


def _successes(model: CaseModel, x: np.ndarray, active: np.ndarray, noise: bool) -> np.ndarray:
    if noise:
        return active[:, :, 0].copy()
    s = _values(model, x, np.array([model.idx_success]))
    return s * _values(model, x, model.idx_participants)


def n_blocks(n_draws: int) -> int:
    """Return the number of random-number blocks in a run of `n_draws`."""
    return -(-n_draws // BLOCK_SIZE)
