"""Chunks of Monte Carlo draws: sampling → outcome noise → kernel.

:func:`iter_chunks` simulates draws ``start:stop`` of a run in chunks (bounded memory). Each
block of draws is one task on a small thread pool, a few blocks ahead of the consumer: sample
the block from its name-keyed streams, draw the outcome noise, and run the serial, nogil
numba kernel on it (:func:`som_mc.engine.kernel.run_kernel`). Which chunks a run is cut
into, and where they run, is the run driver's business (:mod:`som_mc.run`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from som_mc.case import Case
from som_mc.engine.kernel import (
    CompiledSamplers,
    draw_outcome_chain,
    input_values,
    kernel_threads,
    run_kernel,
    summary_row_count,
    use_compiled,
)
from som_mc.model import CaseModel
from som_mc.sampling import (
    BLOCK_SIZE,
    ROW_PAD,
    CorrelationSpec,
    Design,
    block_bounds,
    rows_in_place,
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
]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Results for draws ``start:stop`` of a run.

    ``reduced`` holds what the `reduce` function given to :func:`iter_chunks` returned for
    the chunk's draws, block by block in draw order; a chunk taken with ``arrays=False`` has
    only that (its arrays have no draws).
    """

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
    reduced: tuple[Any, ...] = ()
    # the summary rows (R, n) and break-even years (A + 1, n) laid out by the kernel, in the
    # chunks given to `reduce` when :func:`iter_chunks` is asked for them (else None)
    rows: np.ndarray | None = None
    first: np.ndarray | None = None


def draw_outcomes(
    model: CaseModel,
    x: np.ndarray,
    gen: np.random.Generator,
    *,
    compiled: bool | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
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
    compiled : bool, optional
        Draw with the numba kernel or NumPy's array sampler (the same numbers; default by
        the number of draws, :func:`~som_mc.engine.kernel.use_compiled`).
    out : ndarray, shape (n, C, S), optional
        C-contiguous float64 array to fill and return instead of a new one.

    Returns
    -------
    ndarray, shape (n, C, S)
        Active successes per draw, cohort and year since the effect year.
    """
    n = x.shape[0]
    s, dropoff = input_values(model, x, np.array([model.idx_success, model.idx_dropoff])).T
    keep = 1.0 - dropoff
    participants = input_values(model, x, model.idx_participants)
    # NumPy's own checks of binomial parameters (numba's sampler does not make them)
    if not np.all(participants >= 0):
        raise ValueError("n < 0")
    for p in (s, keep) if model.dropoff_active else (s,):
        if not np.all((p >= 0) & (p <= 1)):
            raise ValueError("p < 0, p > 1 or p contains NaNs")
    shape = (n, model.n_cohorts, model.chain_length)
    if out is None:
        active = np.empty(shape)
    elif out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float64 array of shape {shape}")
    else:
        active = out
    draw_outcome_chain(
        gen, participants, s, keep, bool(model.dropoff_active), active, compiled=compiled
    )
    return active


def _block_data(
    model: CaseModel,
    n_draws: int,
    block: int,
    seed: int,
    design: Design,
    correlations: list[CorrelationSpec],
    inputs_major: bool = False,
    compiled: bool | None = None,
    into: np.ndarray | None = None,
    scratch: _Scratch | None = None,
    sample_scratch: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample block `block` and draw its outcome noise: ``(x, active)``.

    `x` is draw-major (n, U), or input-major (U, n) with `inputs_major` (what the kernel
    reads; the same numbers), then written into `into` (U, n) when given (a block's slice
    of a run's input buffer: no block array of its own, no copy). With `scratch` (and
    `inputs_major`) the outcome noise, and with `sample_scratch` too the input-major sample
    without `into`, are the calling thread's reused memory (valid until its next block).
    """
    start, stop = block_bounds(n_draws, block)
    dists = [model.inputs[j].dist for j in model.uncertain]
    compiled = use_compiled(n_draws) if compiled is None else compiled
    if into is None and inputs_major and scratch is not None and sample_scratch:
        into = scratch.rows("x", len(dists), stop - start)
    rows = sample_block(
        dists,
        model.uncertain_names,
        seed=seed,
        block=block,
        size=stop - start,
        design=design,
        correlations=correlations,
        inputs_major=True,
        fast=CompiledSamplers() if compiled else None,  # NumPy's numbers, drawn in numba
        into=into if inputs_major else None,
    )
    noise = model.case.outcome.noise
    if noise:
        # Binomial successes need whole numbers of participants.
        for col, j in enumerate(model.uncertain):
            if j in model.idx_participants:
                np.rint(rows[col], out=rows[col])
        active = draw_outcomes(
            model,
            rows.T,
            stream(seed, "outcome", block),
            compiled=compiled,
            out=None
            if scratch is None or not inputs_major
            else scratch.array("active", (stop - start, model.n_cohorts, model.chain_length)),
        )
    else:
        active = np.empty((0, 0, 0))
    if inputs_major:
        return rows, active
    x = np.empty(rows.T.shape)
    x[...] = rows.T
    return x, active


class _Scratch:
    """Each worker thread's memory for the arrays of its blocks that die with the block.

    A block's sample, outcome noise, summary rows and break-even years take ≈ 23 MB (the
    reference case, 16,384 draws); allocated anew for every block, part of that is memory
    the process has never touched (the allocator hands freed blocks back to the system), and
    the first touch of fresh memory is the kernel's page clearing on every block. Here each
    thread of one :func:`iter_chunks` call keeps one buffer per kind and hands out views of
    it, block after block; the memory goes with the call. Only for arrays that nothing
    reads after the block's task: its outcome noise and break-even years (the task copies
    out the first-year successes, all a chunk takes from them), its sample when the chunks
    carry no arrays, and its summary rows when `reduce` keeps none (``reuse_rows``).
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def _flat(self, key: str, size: int, dtype: type) -> np.ndarray:
        pool: dict[str, np.ndarray] = self._local.__dict__.setdefault("pool", {})
        buffer = pool.get(key)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = pool[key] = np.empty(size, dtype=dtype)
        return buffer[:size]

    def array(self, key: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Return this thread's buffer `key` as a C-contiguous array of `shape` (contents left)."""
        return self._flat(key, int(np.prod(shape)), dtype).reshape(shape)

    def rows(self, key: str, n_rows: int, n: int) -> np.ndarray:
        """Return this thread's buffer `key` as (n_rows, n) rows laid out as ``row_buffer``'s."""
        flat = self._flat(key, n_rows * (n + ROW_PAD), np.float64)
        return flat.reshape(n_rows, n + ROW_PAD)[:, :n]


_Block = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], list[tuple[int, Any]]]


def _block_task(
    model: CaseModel,
    n_draws: int,
    block: int,
    seed: int,
    design: Design,
    correlations: list[CorrelationSpec],
    keep_consequences: bool,
    dest: dict[str, np.ndarray] | None,
    reduce: Callable[[Chunk], Any] | None,
    segments: list[tuple[int, int]],
    want_x: bool = True,
    compiled: bool | None = None,
    summary_rows: bool = False,
    prepare: Callable[[Chunk], None] | None = None,
    after: Future[_Block] | None = None,
    scratch: _Scratch | None = None,
    reuse_rows: bool = False,
) -> _Block:
    """Sample block `block`, run the kernel on it and reduce it (one thread).

    Returns ``(x, successes, outputs, reduced)``; `successes` (n, C) are the realised
    successes of the first year of each cohort's outcome chain (shape (0, 0) without outcome
    noise). With `dest` (slices of a run's buffers covering exactly this block) the block's
    inputs and outputs are written there. `reduce` is applied to each segment ``(lo, hi)``
    of the block's draws (a block's share of one chunk), giving
    ``reduced = [(lo, result), ...]``. The returned `x` (n, U) is a transposed
    view of the input-major sample (nothing is copied); without `want_x` the kernel computes
    only the net and discounted results. With `summary_rows` the kernel also lays out the
    summary rows, which the chunks given to `reduce` carry (then, without `want_x`, it
    computes only them). `prepare` is called with the block's first segment before it is
    reduced; with `after` (the task of the block that prepares), the block is reduced only
    once that task has finished (its error, if any, is raised here instead). With
    `scratch`, the arrays that die with the block are this thread's reused memory, valid
    only until its next block: the outcome noise, the break-even years, the sample (without
    `want_x`, and without `dest`) and, with `reuse_rows`, the summary rows.
    """
    # with a run's buffers the block is sampled straight into its slice of the inputs
    x_dest = None if dest is None else dest["x"]
    into = None if x_dest is None or not rows_in_place(x_dest.T) else x_dest.T
    rows, active = _block_data(
        model,
        n_draws,
        block,
        seed,
        design,
        correlations,
        inputs_major=True,
        into=into,
        scratch=scratch,
        sample_scratch=not want_x,
    )
    views = None if dest is None else {k: v for k, v in dest.items() if k != "x"}
    laid_out = summary_rows and reduce is not None
    if scratch is not None and laid_out:
        n, width = rows.shape[1], len(model.case.actors) + 1
        views = {**(views or {}), "first": scratch.array("first", (width, n), np.int64)}
        if reuse_rows:
            views["rows"] = scratch.array("rows", (summary_row_count(model), n))
    noise = model.case.outcome.noise
    out = run_kernel(
        model,
        rows,
        active,
        noise=noise,
        keep_consequences=keep_consequences,
        out=views,
        threads=1,
        inputs_major=True,
        net_only=not want_x,  # only a summary is wanted: no costs or values per draw
        summary=laid_out,
        compiled=compiled,
    )
    cell_rows = out.pop("rows") if "rows" in out else None
    break_even = out.pop("first") if "first" in out else None
    if x_dest is not None:
        x = x_dest
        if into is None:
            x[...] = rows.T  # input by input: row copies
    else:
        x = rows.T
    # the first year's realised successes: all that outlives the block of its outcome chain
    successes = active[:, :, 0].copy() if noise else np.empty((0, 0))
    reduced: list[tuple[int, Any]] = []
    if reduce is not None:
        if after is not None:
            after.result()  # the preparing block's task has finished (or raises its error)
        b0 = block * BLOCK_SIZE
        for lo, hi in segments:
            i, j = lo - b0, hi - b0
            xs = x[i:j]
            share = Chunk(
                start=lo,
                stop=hi,
                x=xs,
                successes=successes[i:j] if noise else _expected_successes(model, xs),
                participants=input_values(model, xs, model.idx_participants),
                cost=out["cost"][i:j],
                value=out["value"][i:j],
                net=out["net"][i:j],
                pv=out["pv"][i:j],
                value_k=out["value_k"][i:j] if "value_k" in out else None,
                rows=None if cell_rows is None else cell_rows[:, i:j],
                first=None if break_even is None else break_even[:, i:j],
            )
            if prepare is not None and lo == segments[0][0]:
                prepare(share)
            reduced.append((lo, reduce(share)))
    return x, successes, out, reduced


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
    reduce: Callable[[Chunk], Any] | None = None,
    arrays: bool = True,
    compiled: bool | None = None,
    summary_rows: bool = False,
    prepare: Callable[[Chunk], None] | None = None,
    reuse_rows: bool = False,
) -> Iterator[Chunk]:
    """Simulate draws ``start..stop`` (default all ``0..n_draws``) of a run in chunks.

    Random numbers are drawn per block of :data:`~som_mc.sampling.BLOCK_SIZE` draws from
    streams keyed by (seed, name, block), so the results are bit-identical for any
    `chunk_size` and any number of threads. Each block is sampled and simulated as one task
    on a pool of :func:`~som_mc.engine.kernel.kernel_threads` threads, a few blocks ahead of
    the consumer.

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
        Draws per chunk.
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
        Without `buffers`, chunks may share memory: a chunk's arrays are valid only until the
        next one is taken. For callers that reduce each chunk before asking for the next
        (the streaming summary).
    reduce : callable, optional
        Applied on the block's worker thread to each block's share of a chunk (a
        :class:`Chunk` of those draws, valid only during the call); the results are the
        chunk's ``reduced``, in draw order. It must not depend on which thread runs it.
    arrays : bool
        Assemble the chunk's arrays (False: only ``reduced`` is wanted, nothing is copied;
        needs `reduce`, whose chunks then carry the net result, discounted result, inputs
        and participants, but no costs or values per draw).
    compiled : bool, optional
        Use the compiled kernels or their NumPy twins (the same numbers); default
        :func:`~som_mc.engine.kernel.use_compiled` of `n_draws`.
    summary_rows : bool
        The kernel also lays out each block's summary rows (``Chunk.rows`` and
        ``Chunk.first`` of the chunks given to `reduce`, the numbers
        :func:`~som_mc.engine.kernel.cell_rows` gives), so `reduce` need not; with
        ``arrays=False`` those chunks then carry no net or discounted results.
    prepare : callable, optional
        With `reduce`: called on its worker thread with the first block's share of the first
        chunk (draws from `start`), before that share is reduced; every other block is
        reduced only after that (while it is being prepared, the other blocks are sampled
        and simulated). For what `reduce` needs from the run's first draws, such as the
        bins of a quantile sketch, without simulating those draws twice.
    reuse_rows : bool
        With ``arrays=False`` and `summary_rows`: `reduce` (and `prepare`) keep nothing of
        the summary rows of the chunks they are given either, so each worker thread lays
        out its blocks' rows in the same memory (as it does their outcome noise, break-even
        years and, with ``arrays=False``, samples, which no `reduce` may keep: the chunks it
        is given are valid only during the call).

    Yields
    ------
    Chunk
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1; received {chunk_size}")
    if not arrays and reduce is None:
        raise ValueError("arrays=False needs a reduce function")
    if reuse_rows and arrays:
        raise ValueError("reuse_rows=True needs arrays=False (a chunk's arrays outlive its blocks)")
    end = n_draws if stop is None else stop
    if not 0 <= start <= end <= n_draws:
        raise ValueError(f"draws {start}:{end} are not within a run of {n_draws} draws")
    correlations = _correlations(model.case)
    noise = model.case.outcome.noise
    last_block = (end - 1) // BLOCK_SIZE if end > start else -1
    workers = max(1, min(kernel_threads(), last_block + 1 - start // BLOCK_SIZE))
    keys = ["x", "cost", "value", "net", "pv"] + (["value_k"] if keep_consequences else [])
    # Each block's numbers come from its own name-keyed streams, and the kernel computes
    # every draw on its own, so which thread runs a block changes nothing.
    memory = _Scratch()  # each worker's memory for what dies with its blocks
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="som_mc-block") as pool:
        pending: dict[int, Future[_Block]] = {}
        preparing: list[Future[_Block]] = []  # the first block's task, with `prepare`

        def fetch(block: int) -> Future[_Block]:
            if block not in pending:
                first_task = prepare is not None and reduce is not None and not preparing
                b0, b1 = block_bounds(n_draws, block)
                whole = buffers is not None and start <= b0 and b1 <= end
                dest = {k: buffers[k][b0:b1] for k in keys} if whole and buffers else None
                segments = _segments(max(b0, start), min(b1, end), start, chunk_size)
                pending[block] = pool.submit(
                    _block_task,
                    model,
                    n_draws,
                    block,
                    seed,
                    design,
                    correlations,
                    keep_consequences,
                    dest,
                    reduce,
                    segments,
                    arrays,
                    use_compiled(n_draws) if compiled is None else compiled,
                    summary_rows,
                    prepare if first_task else None,
                    preparing[0] if preparing else None,
                    memory,
                    reuse_rows,
                )
                if first_task:
                    preparing.append(pending[block])
            return pending[block]

        spare: dict[str, np.ndarray] | None = None
        try:
            for c0 in range(start, end, chunk_size):
                c1 = min(c0 + chunk_size, end)
                first, last = c0 // BLOCK_SIZE, (c1 - 1) // BLOCK_SIZE
                for block in range(first, min(last + 1 + workers, last_block + 1)):
                    fetch(block)  # this chunk's blocks, and a few ahead
                n = c1 - c0
                reduced = []
                for block in range(first, last + 1):
                    reduced += [r for lo, r in fetch(block).result()[3] if c0 <= lo < c1]
                successes: np.ndarray | None = None  # (n, C) realised successes, with noise
                if not arrays:
                    chunk_arrays = _empty_arrays(model, keys)
                elif (
                    buffers is None
                    and first == last
                    and block_bounds(n_draws, first)
                    == (
                        c0,
                        c1,
                    )
                ):
                    # the chunk is one block: its arrays are the chunk's, no copy
                    bx, bsucc, bout, _ = pending[first].result()
                    chunk_arrays = {"x": bx, **bout}
                    if noise:
                        successes = bsucc
                else:
                    if buffers is not None:
                        chunk_arrays = {k: buffers[k][c0:c1] for k in keys}
                    elif reuse:
                        if spare is None or spare["x"].shape[0] < n:
                            spare = _chunk_arrays(model, min(chunk_size, end - start), keys)
                        chunk_arrays = {k: v[:n] for k, v in spare.items()}
                    else:
                        chunk_arrays = _chunk_arrays(model, n, keys)
                    spare_successes = chunk_arrays.pop("successes", None)
                    if noise:
                        # only the first year's successes of each block's outcome chain
                        successes = (
                            spare_successes
                            if spare_successes is not None and spare_successes.shape[0] == n
                            else np.empty((n, model.n_cohorts))
                        )
                    for block in range(first, last + 1):
                        bx, bsucc, bout, _ = fetch(block).result()
                        b0 = block * BLOCK_SIZE
                        lo, hi = max(c0, b0), min(c1, b0 + BLOCK_SIZE)
                        blocks = {"x": bx, **bout}
                        for key in keys:
                            target = chunk_arrays[key][lo - c0 : hi - c0]
                            source = blocks[key][lo - b0 : hi - b0]
                            if target.ctypes.data != source.ctypes.data:  # not written in place
                                target[...] = source
                        if successes is not None:
                            successes[lo - c0 : hi - c0] = bsucc[lo - b0 : hi - b0]
                for block in [b for b in pending if b < last]:
                    del pending[block]  # fully used; a chunk never goes back
                x = chunk_arrays["x"]
                yield Chunk(
                    start=c0,
                    stop=c1,
                    x=x,
                    successes=successes if successes is not None else _expected_successes(model, x),
                    participants=input_values(model, x, model.idx_participants),
                    cost=chunk_arrays["cost"],
                    value=chunk_arrays["value"],
                    net=chunk_arrays["net"],
                    pv=chunk_arrays["pv"],
                    value_k=chunk_arrays.get("value_k"),
                    reduced=tuple(reduced),
                )
        finally:
            for future in pending.values():
                future.cancel()


def _segments(lo: int, hi: int, start: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut draws ``lo:hi`` at the bounds of the chunks ``start + k * chunk_size``."""
    first = start + (lo - start) // chunk_size * chunk_size + chunk_size
    cuts = [lo, *range(first, hi, chunk_size), hi]
    return [(a, b) for a, b in itertools.pairwise(cuts) if a < b]


def _empty_arrays(model: CaseModel, keys: list[str]) -> dict[str, np.ndarray]:
    """Return the arrays of a chunk taken without its draws (``arrays=False``)."""
    return {
        k: v[:0] for k, v in allocate_buffers(model, 0, keep_consequences="value_k" in keys).items()
    }


def _chunk_arrays(model: CaseModel, n: int, keys: list[str]) -> dict[str, np.ndarray]:
    """Arrays for one chunk of `n` draws (the keys of :func:`allocate_buffers`)."""
    arrays = allocate_buffers(model, n, keep_consequences="value_k" in keys)
    if model.case.outcome.noise:
        arrays["successes"] = np.empty((n, model.n_cohorts))
    return arrays


def allocate_buffers(
    model: CaseModel, n_draws: int, *, keep_consequences: bool = False
) -> dict[str, np.ndarray]:
    """Arrays for every draw of a run, for :func:`iter_chunks` to write into."""
    n_t, n_a = model.n_years, len(model.case.actors)
    buffers = {
        # (n, U), stored input by input as the engine samples (a transposed view)
        "x": np.empty((len(model.uncertain), n_draws)).T,
        "cost": np.empty((n_draws, n_t, n_a)),
        "value": np.empty((n_draws, n_t, n_a)),
        "net": np.empty((n_draws, n_t, n_a)),
        "pv": np.empty((n_draws, n_a)),
    }
    if keep_consequences:
        buffers["value_k"] = np.empty((n_draws, model.cons_profile.shape[0], n_t, n_a))
    return buffers


def _expected_successes(model: CaseModel, x: np.ndarray) -> np.ndarray:
    """Succesrate × participants per draw and cohort (no outcome noise)."""
    s = input_values(model, x, np.array([model.idx_success]))
    return s * input_values(model, x, model.idx_participants)


def n_blocks(n_draws: int) -> int:
    """Return the number of random-number blocks in a run of `n_draws`."""
    return -(-n_draws // BLOCK_SIZE)
