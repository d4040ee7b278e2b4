"""Monte Carlo simulation of a case: sampling → kernel → chunks of results.

:func:`iter_chunks` is the engine: it walks the draws in chunks (bounded memory), samples
each block of draws from its name-keyed streams, draws the outcome noise, and calls the
numba kernel. :func:`simulate` gathers every chunk into one :class:`xarray.Dataset`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import xarray as xr

from som_mc._kernels import simulate_chunk
from som_mc._moments import merge_moments
from som_mc.case import Case, case_hash
from som_mc.model import CaseModel, compile_case
from som_mc.results import build_dataset
from som_mc.sampling import (
    BLOCK_SIZE,
    CorrelationSpec,
    Design,
    block_bounds,
    normalize_seed,
    sample_block,
    stream,
)

__all__ = [
    "Chunk",
    "allocate_buffers",
    "draw_outcomes",
    "iter_chunks",
    "run_kernel",
    "simulate",
]

#: Draws per kernel call unless told otherwise (bounded memory for any number of draws).
DEFAULT_CHUNK = 4 * BLOCK_SIZE


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

        try:
            for c0 in range(start, end, chunk_size):
                c1 = min(c0 + chunk_size, end)
                first, last = c0 // BLOCK_SIZE, (c1 - 1) // BLOCK_SIZE
                for block in range(first, min(last + 1 + workers, last_block + 1)):
                    fetch(block)  # this chunk's blocks, and a few ahead
                n = c1 - c0
                if buffers is None:
                    x = np.empty((n, len(model.uncertain)))
                    views = None
                else:
                    x = buffers["x"][c0:c1]
                    views = {k: v[c0:c1] for k, v in buffers.items() if k != "x"}
                active = np.empty((n, *_active_shape(model))) if noise else np.zeros((0, 0, 0))
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


def run_kernel(
    model: CaseModel,
    x: np.ndarray,
    active: np.ndarray | None = None,
    *,
    noise: bool = False,
    keep_consequences: bool = False,
    kernel: Callable[..., None] = simulate_chunk,
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Typed front of the numba kernel: allocate outputs, pass the model's tables.

    Parameters
    ----------
    model : CaseModel
        The compiled case.
    x : ndarray, shape (n, U)
        Sampled uncertain inputs.
    active : ndarray, shape (n, C, S), optional
        Realised active successes (required when `noise` is on).
    noise : bool
        Use `active` instead of expected successes.
    keep_consequences : bool
        Also return ``value_k`` (n, K, T, A).
    kernel : callable
        The kernel (``simulate_chunk`` or, in tests, its ``.py_func``).
    out : dict of ndarray, optional
        C-contiguous arrays to write into instead of new ones (keys as returned).

    Returns
    -------
    dict of ndarray
        ``cost``, ``value``, ``net`` (n, T, A), ``pv`` (n, A) and maybe ``value_k``; the
        same keys as :func:`som_mc.reference.simulate_chunk_numpy`.
    """
    if noise and active is None:
        raise ValueError("outcome noise needs the realised successes (active)")
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[0]
    n_t, n_a, n_k = model.n_years, len(model.case.actors), model.cons_profile.shape[0]
    shapes = {
        "cost": (n, n_t, n_a),
        "value": (n, n_t, n_a),
        "net": (n, n_t, n_a),
        "pv": (n, n_a),
        "value_k": (n, n_k, n_t, n_a) if keep_consequences else (0, 0, 0, 0),
    }
    given = out or {}
    out = {}
    for key, shape in shapes.items():
        array = given.get(key)
        if array is None:
            array = np.zeros(shape) if key == "value_k" else np.empty(shape)
        elif array.shape != shape or not array.flags.c_contiguous:
            raise ValueError(f"out[{key!r}] must be C-contiguous of shape {shape}")
        elif key == "value_k":
            array[...] = 0.0
        out[key] = array
    value_k = out.pop("value_k")
    kernel(
        x,
        model.uncertain,
        model.const,
        model.idx_success,
        model.idx_dropoff,
        model.idx_participants,
        model.cons_scale,
        model.cons_profile,
        model.cons_price,
        model.cons_participants,
        model.cost_amount,
        model.cost_actor,
        model.cost_fixed,
        model.cost_per_participant,
        model.discount,
        model.delay,
        model.span,
        noise,
        active if noise and active is not None else np.zeros((0, 0, 0)),
        out["cost"],
        out["value"],
        out["net"],
        out["pv"],
        value_k,
    )
    if keep_consequences:
        out["value_k"] = value_k
    return out


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


def simulate(
    case: Case,
    *,
    draws: int = 10_000,
    seed: int | None = None,
    design: Design = "random",
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
        Draws per kernel call; does not change any result.
    keep_consequences : bool, default False
        Keep the value per consequence (``consequence_value_by_consequence``).
    target_mcse : float, optional
        Stop adding blocks of :data:`~som_mc.sampling.BLOCK_SIZE` draws as soon as the Monte
        Carlo standard error of the mean cumulative total net result over the horizon is
        below this many kroner (at most `draws` draws, rounded up to whole blocks). The
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
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a positive integer; received {draws!r}")
    if target_mcse is not None and not (math.isfinite(target_mcse) and target_mcse > 0):
        raise ValueError(f"target_mcse must be a positive number; received {target_mcse!r}")
    seed = normalize_seed(seed)
    model = compile_case(case)
    if target_mcse is not None:
        draws = n_blocks(draws) * BLOCK_SIZE
        chunk_size = BLOCK_SIZE
    parts: list[Chunk] = []
    # A fixed number of draws is written straight into arrays over all draws; an auto-stopping
    # run keeps its chunks (it may stop long before the cap on draws).
    buffers = (
        None
        if target_mcse is not None
        else allocate_buffers(model, draws, keep_consequences=keep_consequences)
    )
    count, mean, m2 = 0, 0.0, 0.0  # running moments (Chan et al. merge)
    for chunk in iter_chunks(
        model,
        draws,
        seed=seed,
        design=design,
        chunk_size=chunk_size,
        keep_consequences=keep_consequences,
        buffers=buffers,
    ):
        parts.append(chunk)
        if progress is not None:
            progress(chunk.stop)
        if target_mcse is not None:
            horizon_total = chunk.net.sum(axis=(1, 2))
            mean_b = float(horizon_total.mean())
            m2_b = float(((horizon_total - mean_b) ** 2).sum())
            count, mean, m2 = merge_moments(count, mean, m2, horizon_total.size, mean_b, m2_b)
            if count > 1 and math.sqrt(m2 / (count - 1) / count) < target_mcse:
                break
    n_used = parts[-1].stop

    def cat(name: str) -> np.ndarray:
        if buffers is not None and name in buffers:
            return buffers[name]
        arrays = [getattr(p, name) for p in parts]
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    attrs: dict[str, object] = {
        "seed": seed,
        "design": design,
        "draws": n_used,
        "case_sha256": case_hash(case),
    }
    if target_mcse is not None:
        attrs["target_mcse"] = target_mcse
    return build_dataset(
        model,
        x=cat("x"),
        successes=cat("successes"),
        participants=cat("participants"),
        cost=cat("cost"),
        value=cat("value"),
        net=cat("net"),
        pv=cat("pv"),
        value_k=cat("value_k") if keep_consequences else None,
        attrs=attrs,
    )


def n_blocks(n_draws: int) -> int:
    """Return the number of random-number blocks in a run of `n_draws`."""
    return math.ceil(n_draws / BLOCK_SIZE)
