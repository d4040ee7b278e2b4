"""Scale out: chunked runs on this process or on Dask distributed, streamed to Zarr.

A run is cut into chunks of whole blocks of random numbers (:data:`~som_mc.sampling.BLOCK_SIZE`
draws); each chunk's numbers come from streams keyed by the run's seed, the input's name and
the block, so a chunk computes the same draws wherever it runs. :func:`run_chunk` is the unit
of work: it simulates one chunk, writes it into its region of the Zarr store (if any), marks
it complete, and returns its :class:`~som_mc.summary.PartialSummary`. Partial summaries merge
in any order to the same summary, so results are bit-identical across executors, worker
counts and chunk sizes.

Executors:

``local``
    Chunks one after the other in this process (numba threads inside each chunk).
``dask``
    Chunks as tasks on a ``dask.distributed`` cluster: an existing scheduler (``scheduler``
    address) or a ``LocalCluster`` of ``workers`` single-threaded processes.

Quantiles of a streamed run come from fixed-bin histograms per summary cell
(:class:`~som_mc.summary.HistogramEdges`), a mergeable sketch with a recorded error bound;
every other summary number is exact.

A Zarr store holds the results schema of :mod:`som_mc.results`, chunked along ``draw``, plus
``chunk_complete`` (one flag per chunk). A chunk is flagged only after its data are written,
so a worker killed mid-write leaves the chunk unflagged and it is recomputed (identically).
``resume=True`` continues an interrupted run: it checks the store's run fingerprint (case
hash, seed, design, draws, chunk size, som_mc version) and simulates only unflagged chunks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numba
import numpy as np
import xarray as xr

from som_mc._version import __version__
from som_mc.case import Case, case_hash
from som_mc.errors import ResultsFileError, SomMcError
from som_mc.model import CaseModel, compile_case
from som_mc.results import SCHEMA_VERSION, build_dataset, provenance, validate_results
from som_mc.sampling import BLOCK_SIZE, Design, normalize_seed
from som_mc.simulate import DEFAULT_CHUNK, iter_chunks
from som_mc.summary import (
    DEFAULT_QUANTILES,
    HISTOGRAM_BINS,
    HistogramEdges,
    PartialSummary,
    StreamingSummary,
    histogram_edges,
    partial_summary,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "RunSpec",
    "dask_client",
    "open_store",
    "run_chunk",
    "run_many",
]

Executor = Literal["local", "dask"]
EXECUTORS: tuple[str, ...] = get_args(Executor)

#: Variable flagging each chunk of a Zarr store as completely written.
COMPLETE_VAR = "chunk_complete"


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines the numbers of a chunked run.

    Parameters
    ----------
    case : Case
        The case.
    draws : int
        Number of draws.
    seed : int
        The run's seed.
    design : {"random", "lhs", "sobol"}
        Sampling design.
    chunk_draws : int
        Draws per chunk, a whole number of blocks (rounded up by :meth:`make`).
    keep_consequences : bool
        Also store the value per consequence.
    bins : int
        Histogram bins per summary cell.
    """

    case: Case
    draws: int
    seed: int
    design: Design
    chunk_draws: int
    keep_consequences: bool = False
    bins: int = HISTOGRAM_BINS
    case_sha256: str = field(default="", compare=False)  # set from `case` when empty

    def __post_init__(self) -> None:
        if self.chunk_draws < 1 or self.chunk_draws % BLOCK_SIZE:
            raise ValueError(
                f"chunk_draws must be a whole number of blocks of {BLOCK_SIZE} draws (use "
                f"RunSpec.make, which rounds up); received {self.chunk_draws}"
            )
        if not self.case_sha256:
            object.__setattr__(self, "case_sha256", case_hash(self.case))

    @classmethod
    def make(
        cls,
        case: Case,
        *,
        draws: int,
        seed: int | None = None,
        design: Design = "random",
        chunk_draws: int = DEFAULT_CHUNK,
        keep_consequences: bool = False,
        bins: int = HISTOGRAM_BINS,
    ) -> RunSpec:
        """Validate the settings, fix the seed and round the chunk up to whole blocks."""
        if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
            raise ValueError(f"draws must be a positive integer; received {draws!r}")
        if isinstance(chunk_draws, bool) or not isinstance(chunk_draws, int) or chunk_draws < 1:
            raise ValueError(f"chunk_draws must be a positive integer; received {chunk_draws!r}")
        blocks = -(-chunk_draws // BLOCK_SIZE)
        return cls(
            case=case,
            draws=draws,
            seed=normalize_seed(seed),
            design=design,
            chunk_draws=blocks * BLOCK_SIZE,
            keep_consequences=keep_consequences,
            bins=bins,
        )

    @property
    def n_chunks(self) -> int:
        """Number of chunks."""
        return -(-self.draws // self.chunk_draws)

    def bounds(self, index: int) -> tuple[int, int]:
        """First and one-past-last draw of chunk `index`."""
        start = index * self.chunk_draws
        return start, min(start + self.chunk_draws, self.draws)

    def identity(self) -> dict[str, object]:
        """Return the settings a resumed run must share with the run it continues."""
        return {
            "case_sha256": self.case_sha256,
            "seed": self.seed,
            "design": self.design,
            "draws": self.draws,
            "chunk_draws": self.chunk_draws,
            "keep_consequences": int(self.keep_consequences),
            "som_mc_version": __version__,
            "schema_version": SCHEMA_VERSION,
        }

    def provenance(self, **extra: object) -> dict[str, object]:
        """Provenance attributes of the run (:func:`som_mc.results.provenance`) plus `extra`."""
        return provenance(
            self.case,
            seed=self.seed,
            design=self.design,
            draws=self.draws,
            case_sha256=self.case_sha256,
            chunk_draws=self.chunk_draws,
            **extra,
        )

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`identity`."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _require(what: str) -> None:
    """Import check for the optional ``scale`` dependencies, with the fix in the message."""
    import importlib.util

    missing = [m for m in ("dask", "distributed", "zarr") if importlib.util.find_spec(m) is None]
    if what == "a Zarr store":
        missing = [m for m in missing if m != "distributed"]
    if missing:
        raise SomMcError(
            f"{what} needs the optional scale dependencies ({', '.join(missing)} missing); "
            "install them with: pip install 'som_mc[scale]'"
        )


# --------------------------------------------------------------------------------------------
# the unit of work

_MODELS: dict[str, CaseModel] = {}


def _model(spec: RunSpec) -> CaseModel:
    """Return the compiled case, cached per process (a worker runs many chunks of a case)."""
    key = spec.case_sha256
    model = _MODELS.get(key)
    if model is None:
        if len(_MODELS) > 64:
            _MODELS.clear()
        model = _MODELS[key] = compile_case(spec.case)
    return model


def run_chunk(
    spec: RunSpec,
    index: int,
    edges: HistogramEdges,
    store: str | None = None,
    kernel_threads: int | None = None,
) -> PartialSummary:
    """Simulate chunk `index` of a run, store it, and return its partial summary.

    Parameters
    ----------
    spec : RunSpec
        The run.
    index : int
        Chunk index.
    edges : HistogramEdges
        The run's histogram bins.
    store : str, optional
        Zarr store created by :func:`_create_store` to write the chunk's draws into.
    kernel_threads : int, optional
        numba threads for this chunk (a Dask worker process uses 1).

    Returns
    -------
    PartialSummary
    """
    if kernel_threads is not None:
        numba.set_num_threads(max(1, min(kernel_threads, numba.config.NUMBA_NUM_THREADS)))
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
    if store is not None:
        ds = build_dataset(
            model,
            x=chunk.x,
            successes=chunk.successes,
            participants=chunk.participants,
            cost=chunk.cost,
            value=chunk.value,
            net=chunk.net,
            pv=chunk.pv,
            value_k=chunk.value_k,
            attrs={},
        )
        keep = [name for name, var in ds.data_vars.items() if "draw" in var.dims]
        region = ds[keep].drop_vars([c for c in ds.coords if "draw" not in ds[c].dims])
        region.to_zarr(store, region={"draw": slice(start, stop)}, zarr_format=2)
        _flag_complete(store, index)
    return partial_summary(start, chunk.net, chunk.pv, chunk.participants, edges)


def _flag_complete(store: str, index: int) -> None:
    import zarr

    flags = zarr.open_array(str(Path(store) / COMPLETE_VAR), mode="r+", zarr_format=2)
    flags[index] = 1


# --------------------------------------------------------------------------------------------
# Zarr stores


def _create_store(path: Path, spec: RunSpec, model: CaseModel, attrs: dict[str, Any]) -> None:
    """Write the store's metadata and empty (unflagged) chunk flags; no draws yet."""
    import dask.array as da

    n, chunk = spec.draws, spec.chunk_draws
    n_t, n_a = model.n_years, len(spec.case.actors)

    def empty(*shape: int) -> Any:
        return da.zeros((n, *shape), chunks=(chunk, *shape))

    ds = build_dataset(
        model,
        x=empty(len(model.uncertain)),
        successes=empty(model.n_cohorts),
        participants=empty(model.n_cohorts),
        cost=empty(n_t, n_a),
        value=empty(n_t, n_a),
        net=empty(n_t, n_a),
        pv=empty(n_a),
        value_k=empty(model.cons_profile.shape[0], n_t, n_a) if spec.keep_consequences else None,
        attrs=attrs,
    )
    ds[COMPLETE_VAR] = xr.DataArray(
        da.zeros(spec.n_chunks, dtype=np.int8, chunks=1),
        dims="chunk",
        attrs={"long_name": "Chunk fully written (1) or not (0)", "chunk_draws": chunk},
    )
    ds.to_zarr(path, mode="w-", compute=False, zarr_format=2, consolidated=True)


def _is_som_mc_store(path: Path) -> bool:
    """Whether `path` is a Zarr store written by :func:`_create_store` (safe to replace)."""
    try:
        attrs = json.loads((path / ".zattrs").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return "run_fingerprint" in attrs and (path / COMPLETE_VAR / ".zarray").is_file()


def _check_store(store: Path, *, overwrite: bool, resume: bool) -> None:
    """Refuse a store path before anything is written (for every run of a batch first)."""
    if store.exists() and not store.is_dir():
        raise ResultsFileError(
            f"{store}: exists and is a file, not a Zarr store; choose another --out"
        )
    if store.exists() and resume:
        return
    if store.exists():
        if not overwrite:
            raise ResultsFileError(
                f"{store}: exists; use --force to overwrite it or --resume to continue it"
            )
        if not _is_som_mc_store(store):
            raise ResultsFileError(
                f"{store}: exists and is not a som_mc results store; refusing to delete it "
                "(choose another --out)"
            )
    if not store.parent.is_dir():
        raise ResultsFileError(f"{store}: folder {store.parent} does not exist")


def _check_resumable(path: Path, spec: RunSpec) -> np.ndarray:
    """Chunk flags of an existing store, after checking it belongs to the same run."""
    try:
        old = xr.open_zarr(path, zarr_format=2)
    except Exception as exc:
        raise ResultsFileError(
            f"{path}: cannot resume: not a readable Zarr store ({exc})"
        ) from None
    with old:
        want = spec.identity()
        stored = json.loads(str(old.attrs.get("run_identity", "{}")))
        differing = [
            f"{key} {stored.get(key)!r} (now {value!r})"
            for key, value in want.items()
            if stored.get(key) != value
        ]
        if differing:
            raise ResultsFileError(
                f"{path}: cannot resume: the store is from a different run: "
                + "; ".join(differing)
                + ". Use the same case, seed, design, --draws and --chunk-draws, or --force to "
                "start over"
            )
        return old[COMPLETE_VAR].values.astype(bool)


def open_store(path: str | Path, *, require_complete: bool = True) -> xr.Dataset:
    """Open a results Zarr store lazily (dask-backed) and validate its schema.

    Parameters
    ----------
    path : str or Path
        The store written by :func:`run_many` (``--out results.zarr``).
    require_complete : bool, default True
        Refuse a store whose run was interrupted (resume it with ``--resume``).

    Returns
    -------
    xarray.Dataset
        Lazily loaded results; the same schema as :func:`som_mc.load_results`.
    """
    path = Path(path)
    if not path.exists():
        raise ResultsFileError(f"{path}: store not found")
    _require("a Zarr store")
    try:
        ds = xr.open_zarr(path, zarr_format=2)
    except Exception as exc:
        raise ResultsFileError(f"{path}: cannot read as a Zarr store ({exc})") from None
    validate_results(ds, source=str(path))
    if COMPLETE_VAR not in ds:
        raise ResultsFileError(f"{path}: variable {COMPLETE_VAR!r} missing (not a som_mc store?)")
    if require_complete:
        missing = int((ds[COMPLETE_VAR].values == 0).sum())
        if missing:
            raise ResultsFileError(
                f"{path}: the run is incomplete ({missing} of {ds.sizes['chunk']} chunks "
                "missing); finish it with `som-mc run ... --resume`"
            )
    return ds


# --------------------------------------------------------------------------------------------
# executors


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

    if scheduler and workers:
        raise SomMcError(
            "--workers sizes a local cluster; an existing cluster (--scheduler) has its own "
            "workers: drop one of the two"
        )
    if scheduler:
        try:
            return Client(scheduler, timeout="10s")
        except OSError as exc:
            raise SomMcError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address "
                "(tcp://HOST:PORT) or drop --scheduler to start a local cluster"
            ) from None
    # Worker processes start with SIGINT ignored (inherited), so Ctrl-C reaches only this
    # process, which cancels the run and closes the cluster, instead of every worker
    # printing its own traceback.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if _main_thread() else None
    try:
        cluster = LocalCluster(
            n_workers=workers or None,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    client = Client(cluster)
    client._som_mc_cluster = cluster  # closed with the client (see _close)
    return client


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _close(client: Any) -> None:
    cluster = getattr(client, "_som_mc_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


@dataclass
class _Job:
    spec: RunSpec
    store: Path | None
    edges: HistogramEdges
    summary: StreamingSummary
    todo: list[int]
    done_draws: int = 0


def _prepare(
    spec: RunSpec,
    store: Path | None,
    *,
    quantiles: Sequence[float],
    overwrite: bool,
    resume: bool,
    executor: str,
) -> _Job:
    model = _model(spec)
    edges = histogram_edges(model, spec.draws, seed=spec.seed, design=spec.design, bins=spec.bins)
    summary = StreamingSummary(
        spec.case.start_year + np.arange(model.n_years), list(spec.case.actors), quantiles, edges
    )
    todo = list(range(spec.n_chunks))
    job = _Job(spec=spec, store=store, edges=edges, summary=summary, todo=todo)
    if store is None:
        return job
    if store.exists() and resume:
        complete = _check_resumable(store, spec)
        done = [i for i in range(spec.n_chunks) if complete[i]]
        stored = xr.open_zarr(store, zarr_format=2)
        with stored:
            for i in done:  # summaries of finished chunks come from their stored draws
                start, stop = spec.bounds(i)
                part = stored.isel(draw=slice(start, stop))
                job.summary.merge(
                    partial_summary(
                        start,
                        part.net_result.transpose("draw", "year", "actor").values,
                        part.net_result_pv.values,
                        part.participants.values,
                        edges,
                    )
                )
                job.done_draws += stop - start
        job.todo = [i for i in todo if not complete[i]]
        return job
    if store.exists():
        shutil.rmtree(store)  # checked by _check_store: a som_mc store, and --force given
    attrs = spec.provenance(
        executor=executor,
        run_identity=json.dumps(spec.identity(), sort_keys=True),
        run_fingerprint=spec.fingerprint(),
    )
    _create_store(store, spec, model, attrs)
    return job


def run_many(
    specs: Sequence[RunSpec],
    stores: Sequence[str | Path | None] | None = None,
    *,
    executor: Executor = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    overwrite: bool = False,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[xr.Dataset]:
    """Run several cases chunk by chunk and return their streamed summaries.

    Parameters
    ----------
    specs : sequence of RunSpec
        The runs.
    stores : sequence of path or None, optional
        A Zarr store per run (``None``: keep no draws).
    executor : {"local", "dask"}
        Where chunks run (see the module docstring).
    scheduler, workers
        For ``dask``: a scheduler address, or the size of a local cluster.
    client : distributed.Client, optional
        Use this client instead of creating one (``dask`` only; not closed here).
    quantiles : sequence of float
        Quantile probabilities of the summaries.
    overwrite : bool
        Replace existing stores.
    resume : bool
        Continue existing stores of the same runs, simulating only missing chunks.
    progress : callable, optional
        Called with the total number of draws finished, over all runs.

    Returns
    -------
    list of xarray.Dataset
        One summary per run, in the order of `specs` (schema of :func:`som_mc.summarize`,
        histogram quantiles); attributes record the provenance and the store.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}; received {executor!r}")
    if executor == "dask" and client is None:
        _require("--executor dask")
    if stores is not None and any(s is not None for s in stores):
        _require("a Zarr store")
    stores = list(stores) if stores is not None else [None] * len(specs)
    if len(stores) != len(specs):
        raise ValueError("give one store (or None) per run")
    # absolute: workers of a separate Dask cluster resolve paths in their own directory
    paths = [Path(s).resolve() if s is not None else None for s in stores]
    if len({p for p in paths if p is not None}) < sum(p is not None for p in paths):
        raise ValueError("two runs cannot write the same store")
    for path in paths:  # refuse any store before creating one
        if path is not None:
            _check_store(path, overwrite=overwrite, resume=resume)
    jobs = [
        _prepare(
            spec, path, quantiles=quantiles, overwrite=overwrite, resume=resume, executor=executor
        )
        for spec, path in zip(specs, paths, strict=True)
    ]
    finished = sum(job.done_draws for job in jobs)
    if progress is not None and finished:
        progress(finished)

    def record(job: _Job, index: int, partial: PartialSummary) -> None:
        nonlocal finished
        job.summary.merge(partial)
        start, stop = job.spec.bounds(index)
        finished += stop - start
        if progress is not None:
            progress(finished)

    if executor == "local":
        for job in jobs:
            for index in job.todo:
                store = str(job.store) if job.store is not None else None
                record(job, index, run_chunk(job.spec, index, job.edges, store))
    else:
        own = client is None
        client = dask_client(scheduler, workers) if own else client
        try:
            _run_on_dask(client, jobs, record)
        finally:
            if own:
                _close(client)
    summaries = []
    for job in jobs:
        attrs = job.spec.provenance(
            executor=executor, results_store=str(job.store) if job.store is not None else ""
        )
        summaries.append(job.summary.result(attrs))
    return summaries


def _run_on_dask(
    client: Any, jobs: list[_Job], record: Callable[[_Job, int, PartialSummary], None]
) -> None:
    from dask.distributed import as_completed

    futures = {}
    for n_job, job in enumerate(jobs):
        spec = client.scatter(job.spec, broadcast=True)
        edges = client.scatter(job.edges, broadcast=True)
        store = str(job.store) if job.store is not None else None
        tag = job.spec.fingerprint()[:16]
        for index in job.todo:
            future = client.submit(
                run_chunk,
                spec,
                index,
                edges,
                store,
                1,
                key=f"som_mc-chunk-{tag}-{n_job}-{index}",
            )
            futures[future] = (job, index)
    try:
        for future in as_completed(list(futures)):
            job, index = futures[future]
            try:
                partial = future.result()
            except Exception as exc:  # a task's error, re-raised here by distributed
                where = f" of {job.store}" if job.store is not None else ""
                raise SomMcError(
                    f"chunk {index}{where} failed on a Dask worker: {type(exc).__name__}: "
                    f"{exc}; every worker needs the same som_mc version and, for --out, write "
                    "access to the same path (a shared filesystem)"
                ) from None
            record(job, index, partial)
            future.release()
    except BaseException:
        client.cancel(list(futures))
        raise
