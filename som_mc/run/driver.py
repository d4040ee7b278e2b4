"""The one chunk driver: every Monte Carlo run of som_mc goes through :func:`run_many`.

A run (:class:`~som_mc.run.spec.RunSpec`) is cut into chunks of whole blocks of random
numbers. Each chunk's numbers come from streams keyed by the run's seed, the input's name and
the block, so a chunk computes the same draws wherever it runs. :func:`run_chunk` is the unit
of work: simulate one chunk, write it into the run's Zarr store (if any), and return its
:class:`~som_mc.stats.summary.SummaryPart` (and, when the caller keeps the draws, the
chunk's arrays). The driver feeds the results to the run's sinks — the summary (always), the
draws held in memory (``keep_draws``) — and applies the stopping rule (``target_mcse``), in
draw order. Parts merge to the same numbers in any order, so results are bit-identical across
executors, worker counts and chunk sizes.

Executors:

``local``
    Chunks one after the other in this process (each block of draws sampled and simulated
    as one task on a small thread pool, a few blocks ahead).
``dask``
    Chunks as tasks on a ``dask.distributed`` cluster: an existing scheduler (``scheduler``
    address) or a ``LocalCluster`` of ``workers`` single-threaded processes; at most a few
    chunks per worker are in flight.
"""

from __future__ import annotations

import gc
import json
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from som_mc.engine.chunks import Chunk, allocate_buffers, iter_chunks
from som_mc.engine.kernel import compile_notice as notice_compiling
from som_mc.engine.kernel import kernels_cached, set_kernel_threads, use_compiled, warm_up
from som_mc.errors import SomMcError
from som_mc.model import CaseModel
from som_mc.results import build_dataset
from som_mc.results.schema import xarray_without_dask
from som_mc.results.store import (
    check_resumable,
    check_store,
    create_store,
    require_scale,
    write_chunk,
)
from som_mc.run.spec import RunSpec, RunSpecError, check_size, check_summary_finite
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats.cells import HistogramEdges
from som_mc.stats.summary import Summary, SummaryPart, merge_parts, summary_part
from som_mc.types import EXECUTORS, Executor

__all__ = [
    "EXECUTORS",
    "ChunkResult",
    "Executor",
    "RunResult",
    "dask_client",
    "run",
    "run_chunk",
    "run_many",
]


@dataclass
class ChunkResult:
    """What a chunk task returns: its summary part and, if asked for, its draws."""

    index: int
    start: int
    stop: int
    part: SummaryPart | None
    arrays: Chunk | None = None


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes
    ----------
    spec : RunSpec
        The run.
    summary : xarray.Dataset or None
        Its summary (schema of :func:`som_mc.summarize`); None for a run made with
        ``summary=False``.
    draws : xarray.Dataset or None
        Every draw in the results schema (``keep_draws=True``).
    store : Path or None
        The Zarr store the draws were written to.
    n_draws : int
        Draws used (fewer than ``spec.draws`` when the stopping rule ended the run).
    """

    spec: RunSpec
    summary: xr.Dataset | None
    draws: xr.Dataset | None
    store: Path | None
    n_draws: int


# --------------------------------------------------------------------------------------------
# the unit of work

_MODELS: dict[str, CaseModel] = {}


def _model(spec: RunSpec) -> CaseModel:
    """Return the compiled case, cached per process (a worker runs many chunks of a case)."""
    key = spec.fingerprint()
    model = _MODELS.get(key)
    if model is None:
        if len(_MODELS) > 64:
            _MODELS.clear()
        model = _MODELS[key] = spec.model()
    return model


def _finish(
    spec: RunSpec,
    model: CaseModel,
    index: int,
    chunk: Chunk,
    edges: HistogramEdges | None,
    store: str | None,
    keep_draws: bool,
    summarize: bool = True,
) -> ChunkResult:
    if store is not None:
        write_chunk(store, model, index, chunk.start, chunk)
    part = None
    if summarize:
        part = (
            merge_parts(chunk.reduced)
            if chunk.reduced
            else summary_part(
                chunk.start,
                chunk.net,
                chunk.pv,
                chunk.participants,
                edges=edges,
                compiled=use_compiled(spec.draws),
            )
        )
    return ChunkResult(index, chunk.start, chunk.stop, part, chunk if keep_draws else None)


def run_chunk(
    spec: RunSpec,
    index: int,
    edges: HistogramEdges | None,
    store: str | None = None,
    keep_draws: bool = False,
    kernel_threads: int | None = None,
    summarize: bool = True,
) -> ChunkResult:
    """Simulate chunk `index` of a run, store it, and return its summary part.

    Parameters
    ----------
    spec : RunSpec
        The run.
    index : int
        Chunk index.
    edges : HistogramEdges or None
        The run's histogram bins (None for exact quantiles).
    store : str, optional
        Zarr store to write the chunk's draws into.
    keep_draws : bool
        Return the chunk's arrays too.
    kernel_threads : int, optional
        Kernel threads for this chunk (a Dask worker process uses 1).
    summarize : bool
        Reduce the chunk to its summary part (False: only its draws are wanted).

    Returns
    -------
    ChunkResult
    """
    if kernel_threads is not None:
        set_kernel_threads(max(1, kernel_threads))
    model = _model(spec)
    start, stop = spec.bounds(index)
    chunk = next(
        iter_chunks(
            model,
            spec.draws,
            seed=spec.seed,
            design=spec.design,
            chunk_size=stop - start,
            keep_consequences=spec.keep_consequences,
            start=start,
            stop=stop,
        )
    )
    return _finish(spec, model, index, chunk, edges, store, keep_draws, summarize)


def run_edges(spec: RunSpec) -> HistogramEdges | None:
    """Histogram bins of a run with sketched quantiles, from its first block (the pilot).

    The pilot's draws are the run's own first draws, recomputed, so the bins depend only on
    the spec. ``None`` for a run with exact quantiles.
    """
    if spec.quantile_method == "exact":
        return None
    pilot = min(spec.draws, BLOCK_SIZE)
    # only the pilot's summary rows, laid out by the kernel: the rows pilot_edges lays out
    # from its net results (the same numbers), without costs, values or inputs per draw
    chunk = next(
        iter_chunks(
            _model(spec),
            spec.draws,
            seed=spec.seed,
            design=spec.design,
            stop=pilot,
            reduce=lambda part: part.rows,
            arrays=False,
            summary_rows=True,
        )
    )
    (rows,) = chunk.reduced
    return HistogramEdges.from_rows(rows, spec.bins)


# --------------------------------------------------------------------------------------------
# sinks


class _DrawsSink:
    """Keeps every draw in memory and builds the results dataset at the end.

    The large per-draw arrays live in buffers over all draws of the run
    (:func:`~som_mc.engine.chunks.allocate_buffers`): chunks simulated in this process are
    written straight into them (no copy, no concatenation); chunks from elsewhere (Dask, a
    resumed store) are copied into their slice.
    """

    _BUFFERED = ("x", "cost", "value", "net", "pv", "value_k")

    def __init__(self, model: CaseModel, n_draws: int, keep_consequences: bool) -> None:
        self.model = model
        self.buffers = allocate_buffers(model, n_draws, keep_consequences=keep_consequences)
        self.parts: dict[int, Chunk] = {}

    def add(self, result: ChunkResult) -> None:
        chunk = result.arrays
        assert chunk is not None
        for name in self._BUFFERED:
            array = getattr(chunk, name)
            buffer = self.buffers.get(name)
            if array is None or buffer is None:
                continue
            target = buffer[chunk.start : chunk.stop]
            if not np.shares_memory(array, target):
                target[...] = array
        self.parts[chunk.start] = chunk

    def dataset(self, n_used: int, attrs: dict[str, Any]) -> xr.Dataset:
        chunks = [self.parts[k] for k in sorted(self.parts) if k < n_used]
        self.parts = {}

        def cat(name: str) -> Any:
            arrays = [getattr(c, name) for c in chunks]
            return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

        def buffered(name: str) -> Any:
            buffer = self.buffers.get(name)
            return None if buffer is None else buffer[:n_used]

        return build_dataset(
            self.model,
            x=buffered("x"),
            successes=cat("successes"),
            participants=cat("participants"),
            cost=buffered("cost"),
            value=buffered("value"),
            net=buffered("net"),
            pv=buffered("pv"),
            value_k=buffered("value_k"),
            attrs=attrs,
        )


@dataclass
class _Job:
    spec: RunSpec
    model: CaseModel
    store: Path | None
    edges: HistogramEdges | None
    summary: Summary
    draws: _DrawsSink | None
    todo: list[int]
    summarize: bool = True
    pending: dict[int, ChunkResult] = field(default_factory=dict)
    next_index: int = 0
    n_used: int = 0
    n_done: int = 0
    stopped: bool = False

    def take(self, result: ChunkResult) -> int:
        """Feed a finished chunk to the sinks (in draw order under a stopping rule).

        Returns the number of draws newly counted as done.
        """
        if self.stopped:
            return 0
        if self.spec.target_mcse is None:
            self._merge(result)
            return result.stop - result.start
        self.pending[result.index] = result
        done = 0
        while not self.stopped and self.next_index in self.pending:
            r = self.pending.pop(self.next_index)
            self.next_index += 1
            self._merge(r)
            done += r.stop - r.start
            if self.summary.n > 1 and self.summary.horizon_total_mcse() < self.spec.target_mcse:
                self.stopped = True
                self.pending.clear()
        return done

    def _merge(self, result: ChunkResult) -> None:
        if result.part is not None:
            self.summary.merge(result.part)
        if self.draws is not None:
            self.draws.add(result)
        self.n_used = max(self.n_used, result.stop)
        self.n_done += result.stop - result.start


def _prepare(
    spec: RunSpec,
    store: Path | None,
    *,
    keep_draws: bool,
    overwrite: bool,
    resume: bool,
    summarize: bool = True,
    local: bool = False,
) -> _Job:
    model = _model(spec)
    # the stopping rule needs the summary as it goes
    summarize = summarize or spec.target_mcse is not None
    # a local run takes the bins from its own first block (_local_results), unless
    # stored chunks are summarised first
    deferred = local and not (store is not None and store.exists() and resume)
    edges = run_edges(spec) if summarize and not deferred else None
    summary = Summary(model.years, model.actors, spec.quantiles, spec.quantile_method, edges)
    job = _Job(
        spec=spec,
        model=model,
        store=store,
        edges=edges,
        summary=summary,
        draws=(_DrawsSink(model, spec.draws, spec.keep_consequences) if keep_draws else None),
        todo=list(range(spec.n_chunks)),
        summarize=summarize,
    )
    if store is None:
        return job
    if store.exists() and resume:
        complete = check_resumable(store, spec.identity())
        with xr.open_zarr(store, zarr_format=2) as stored:
            for i in [i for i in range(spec.n_chunks) if complete[i]]:
                # summaries (and kept draws) of finished chunks come from the stored draws
                start, stop = spec.bounds(i)
                part = stored.isel(draw=slice(start, stop)).load()
                arrays = Chunk(
                    start=start,
                    stop=stop,
                    x=part.inputs.values,
                    successes=part.successes.values,
                    participants=part.participants.values,
                    cost=part.cost.transpose("draw", "year", "actor").values,
                    value=part.consequence_value.transpose("draw", "year", "actor").values,
                    net=part.net_result.transpose("draw", "year", "actor").values,
                    pv=part.net_result_pv.values,
                    value_k=(
                        part.consequence_value_by_consequence.values
                        if spec.keep_consequences
                        else None
                    ),
                )
                job.take(_finish(spec, model, i, arrays, edges, None, keep_draws, summarize))
        job.todo = [i for i in job.todo if not complete[i]]
        return job
    if store.exists():
        shutil.rmtree(store)  # checked by check_store: a som_mc store, and overwrite given
    attrs = spec.provenance(
        run_identity=json.dumps(spec.identity(), sort_keys=True),
        run_fingerprint=spec.fingerprint(),
        chunk_draws=spec.chunk_draws,
    )
    create_store(
        store,
        model,
        draws=spec.draws,
        chunk_draws=spec.chunk_draws,
        keep_consequences=spec.keep_consequences,
        attrs=attrs,
    )
    return job


def run(
    spec: RunSpec,
    *,
    store: str | Path | None = None,
    keep_draws: bool = False,
    **options: Any,
) -> RunResult:
    """Run one spec (see :func:`run_many` for the options)."""
    return run_many([spec], [store], keep_draws=keep_draws, **options)[0]


def run_many(
    specs: Sequence[RunSpec],
    stores: Sequence[str | Path | None] | None = None,
    *,
    keep_draws: bool = False,
    executor: Executor = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    summary: bool = True,
    compile_notice: bool = False,
) -> list[RunResult]:
    """Run several specs chunk by chunk and return their results.

    Parameters
    ----------
    specs : sequence of RunSpec
        The runs.
    stores : sequence of path or None, optional
        A Zarr store per run (``None``: write no store).
    keep_draws : bool
        Also return every draw as a results dataset (memory: all draws of every run).
    executor : {"local", "dask"}
        Where chunks run (see the module docstring).
    scheduler, workers
        For ``dask``: a scheduler address, or the size of a local cluster.
    client : distributed.Client, optional
        Use this client instead of creating one (``dask`` only; not closed here).
    overwrite : bool
        Replace existing stores (only stores som_mc wrote).
    resume : bool
        Continue existing stores of the same runs, simulating only missing chunks.
    progress : callable, optional
        Called with the total number of draws finished, over all runs.
    summary : bool
        Summarise each run (False, with `keep_draws`: only the draws are wanted, and
        ``RunResult.summary`` is None; a run with ``target_mcse`` is always summarised).
    compile_notice : bool
        When the numba kernels are not in the on-disk cache yet (the first run after
        installing), compile them first and say so on stderr, with the seconds elapsed.

    Returns
    -------
    list of RunResult
        In the order of `specs`.
    """
    if executor not in EXECUTORS:
        raise RunSpecError(f"executor must be one of {', '.join(EXECUTORS)}; received {executor!r}")
    if scheduler and executor != "dask":
        raise RunSpecError("scheduler= needs executor='dask'")
    if workers is not None and executor != "dask":
        raise RunSpecError("workers= needs executor='dask'")
    if scheduler and workers:
        raise RunSpecError(
            "workers= sizes a local cluster; an existing cluster (scheduler=) has its own "
            "workers: give one of the two"
        )
    if executor == "dask" and client is None:
        require_scale("executor='dask'")
    stores = list(stores) if stores is not None else [None] * len(specs)
    if len(stores) != len(specs):
        raise RunSpecError("give one store (or None) per run")
    if any(s is not None for s in stores):
        require_scale("a Zarr store", distributed=False)
    # absolute: workers of a separate Dask cluster resolve paths in their own directory
    paths = [Path(s).absolute() if s is not None else None for s in stores]
    if len({p for p in paths if p is not None}) < sum(p is not None for p in paths):
        raise RunSpecError("two runs cannot write the same store")
    for spec, path in zip(specs, paths, strict=True):
        if path is not None and spec.target_mcse is not None:
            raise RunSpecError(
                "target_mcse stops a run early, which a Zarr store sized for every draw "
                "cannot record; keep the draws in memory or give a fixed number of draws"
            )
    check_size(specs, keep_draws=keep_draws)  # refuse a run that cannot fit, before allocating
    for path in paths:  # refuse any store before creating one
        if path is not None:
            check_store(path, overwrite=overwrite, resume=resume)
    if compile_notice and any(use_compiled(s.draws) for s in specs) and not kernels_cached():
        with notice_compiling():
            warm_up(_model(specs[0]))
    jobs = [
        _prepare(
            spec,
            path,
            keep_draws=keep_draws,
            overwrite=overwrite,
            resume=resume,
            summarize=summary or not keep_draws,
            local=executor == "local",
        )
        for spec, path in zip(specs, paths, strict=True)
    ]
    finished = sum(job.n_done for job in jobs)
    if progress is not None and finished:
        progress(finished)

    def record(job: _Job, result: ChunkResult) -> None:
        nonlocal finished
        done = job.take(result)
        finished += done
        if progress is not None and done:
            progress(finished)

    if executor == "local":
        with _gc_paused():
            for job in jobs:
                for result in _local_results(job, keep_draws):
                    record(job, result)
                    if job.stopped:
                        break
    else:
        own = client is None
        client = dask_client(scheduler, workers) if own else client
        try:
            _run_on_dask(client, jobs, record, keep_draws)
        finally:
            if own:
                _close(client)
    out = []
    for job in jobs:
        n_used = job.n_used
        attrs = job.spec.provenance()
        attrs["draws"] = n_used
        with xarray_without_dask():  # datasets of NumPy arrays: no dask array is made
            draws = job.draws.dataset(n_used, attrs) if job.draws is not None else None
            final = (
                check_summary_finite(job.summary.result(attrs), job.spec.case.name)
                if job.summarize
                else None
            )
        out.append(
            RunResult(
                spec=job.spec,
                summary=final,
                draws=draws,
                store=job.store,
                n_draws=n_used,
            )
        )
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the chunks of a local run are computed.

    A run allocates few containers but many short-lived objects (generators, futures), which
    set off full collections that walk every object of the process (numba, xarray, pandas):
    ≈ 5–10 % of a run's CPU time. Reference counting still frees everything; cycles made
    meanwhile are collected when the collector is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ranges(indices: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Contiguous runs ``[lo, hi)`` of sorted chunk indices."""
    if not indices:
        return
    lo = prev = indices[0]
    for i in indices[1:]:
        if i != prev + 1:
            yield lo, prev + 1
            lo = i
        prev = i
    yield lo, prev + 1


class _Tally:
    """Histogram counts added on each worker thread into that thread's own array.

    Counts are whole numbers, so their total does not depend on which thread counted which
    block; nothing is allocated, zeroed or merged per block. int32 holds any run's counts
    (at most :data:`~som_mc.run.spec.MAX_DRAWS` < 2³¹ draws).
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self._local = threading.local()
        self._arrays: list[np.ndarray] = []
        self._lock = threading.Lock()

    def counts(self) -> np.ndarray:
        """Return the calling thread's counts (made on its first call)."""
        own: np.ndarray | None = getattr(self._local, "counts", None)
        if own is None:
            own = self._local.counts = np.zeros(self.shape, dtype=np.int32)
            with self._lock:
                self._arrays.append(own)
        return own

    def total(self) -> np.ndarray:
        """Return all threads' counts added up (int32), in the first thread's array.

        The tally is spent: no thread may count after this call.
        """
        if not self._arrays:
            return np.zeros(self.shape, dtype=np.int32)
        out = self._arrays[0]
        for own in self._arrays[1:]:
            out += own
        self._arrays = [out]
        return out


def _local_results(job: _Job, keep_draws: bool) -> Iterator[ChunkResult]:
    """Chunks of a job in draw order, in this process (blocks simulated ahead across chunks)."""
    spec, store = job.spec, str(job.store) if job.store is not None else None
    compiled = use_compiled(spec.draws)
    pilot = min(spec.draws, BLOCK_SIZE)
    # a sketched summary's counts are tallied per thread, unless a stopping rule must be
    # able to leave out the blocks simulated ahead of where it stops
    tally = (
        _Tally((job.summary.n_rows, spec.bins))
        if job.summarize and spec.quantile_method != "exact" and spec.target_mcse is None
        else None
    )
    job.summary.counts_elsewhere = tally is not None

    def take_edges(chunk: Chunk) -> None:
        # the first block's share, as run_edges lays out the same rows: the same bins
        if chunk.start != 0 or chunk.stop != pilot or chunk.rows is None:
            raise RuntimeError(f"the pilot is draws 0:{pilot}; received {chunk.start}:{chunk.stop}")
        job.edges = job.summary.edges = HistogramEdges.from_rows(chunk.rows, spec.bins)

    def reduce(chunk: Chunk) -> SummaryPart:
        # on the block's worker thread, one thread per kernel; after take_edges
        return summary_part(
            chunk.start,
            chunk.net,
            chunk.pv,
            chunk.participants,
            edges=job.edges,
            threads=1,
            compiled=compiled,
            laid_out=(
                (chunk.rows, chunk.first)
                if chunk.rows is not None and chunk.first is not None
                else None
            ),
            counts_into=tally.counts() if tally is not None else None,
        )

    # the draws themselves are wanted only to store or keep them
    arrays = store is not None or keep_draws or not job.summarize
    for lo, hi in _ranges(job.todo):
        chunks = iter_chunks(
            job.model,
            spec.draws,
            seed=spec.seed,
            design=spec.design,
            chunk_size=spec.chunk_draws,
            keep_consequences=spec.keep_consequences,
            start=spec.bounds(lo)[0],
            stop=spec.bounds(hi - 1)[1],
            buffers=job.draws.buffers if job.draws is not None else None,
            # a chunk is summarised (and stored) before the next is simulated
            reuse=not keep_draws,
            reduce=reduce if job.summarize else None,
            arrays=arrays,
            summary_rows=job.summarize,  # laid out by the kernel, for `reduce`
            # a sketched summary keeps no rows: the workers lay out each block in one buffer
            reuse_rows=not arrays and spec.quantile_method != "exact",
            # a sketched run's bins from its first block, simulated once (run_edges' pilot)
            prepare=(
                take_edges
                if job.summarize and job.edges is None and spec.quantile_method != "exact"
                else None
            ),
        )
        try:
            for offset, chunk in enumerate(chunks):
                yield _finish(
                    spec,
                    job.model,
                    lo + offset,
                    chunk,
                    job.edges,
                    store,
                    keep_draws,
                    job.summarize,
                )
        finally:
            chunks.close()  # type: ignore[attr-defined]  # a generator: stops its samplers
    if tally is not None:  # every block has been reduced
        job.summary.add_counts(tally.total(), owned=True)


# --------------------------------------------------------------------------------------------
# Dask


def dask_client(scheduler: str | None = None, workers: int | None = None) -> Any:
    """Connect to a Dask scheduler, or start a ``LocalCluster`` of single-threaded workers.

    Parameters
    ----------
    scheduler : str, optional
        Address such as ``tcp://10.0.0.5:8786``; without it, a local cluster is started.
    workers : int, optional
        Worker processes of the local cluster (default: number of CPUs).

    Returns
    -------
    distributed.Client
        Close it (and its cluster) with ``client.close()``; a local cluster is closed with it.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        if "://" not in scheduler:
            raise RunSpecError(
                f"scheduler must be an address such as tcp://HOST:8786; received {scheduler!r}"
            )
        try:
            return Client(scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:
            raise SomMcError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address "
                "(tcp://HOST:PORT) or leave scheduler unset to start a local cluster"
            ) from None
    # Worker processes start with SIGINT ignored (inherited), so Ctrl-C reaches only this
    # process, which cancels the run and closes the cluster, instead of every worker
    # printing its own traceback.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        cluster = LocalCluster(
            n_workers=workers or None,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    client = Client(cluster)
    client._som_mc_cluster = cluster  # type: ignore[attr-defined]  # closed with the client
    return client


def _close(client: Any) -> None:
    cluster = getattr(client, "_som_mc_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _run_on_dask(
    client: Any,
    jobs: list[_Job],
    record: Callable[[_Job, ChunkResult], None],
    keep_draws: bool,
) -> None:
    from dask.distributed import as_completed

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 2 * n_workers  # chunks in flight: bounded client memory, early stopping works
    queue: list[tuple[int, _Job, Any, Any, str | None, int]] = []
    for n_job, job in enumerate(jobs):
        spec = client.scatter(job.spec, broadcast=True)
        edges = client.scatter(job.edges, broadcast=True) if job.edges is not None else None
        store = str(job.store) if job.store is not None else None
        queue += [(n_job, job, spec, edges, store, index) for index in job.todo]
    queue.reverse()
    futures: dict[Any, tuple[_Job, int]] = {}

    def submit() -> Any:
        while queue:
            n_job, job, spec, edges, store, index = queue.pop()
            if job.stopped:
                continue
            tag = job.spec.fingerprint()[:16]
            future = client.submit(
                run_chunk,
                spec,
                index,
                edges,
                store,
                keep_draws,
                1,
                job.summarize,
                key=f"som_mc-chunk-{tag}-{n_job}-{index}",
                priority=-index,
            )
            futures[future] = (job, index)
            return future
        return None

    first = [f for f in (submit() for _ in range(window)) if f is not None]
    pool = as_completed(first)
    try:
        for future in pool:
            job, index = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # a task's error, re-raised here by distributed
                where = f" of {job.store}" if job.store is not None else ""
                raise SomMcError(
                    f"chunk {index}{where} failed on a Dask worker: {type(exc).__name__}: "
                    f"{exc}; every worker needs the same som_mc version and, for a store, "
                    "write access to the same path (a shared filesystem)"
                ) from None
            future.release()
            record(job, result)
            nxt = submit()
            if nxt is not None:
                pool.add(nxt)
    except BaseException:
        client.cancel(list(futures))
        raise
