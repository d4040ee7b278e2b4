"""The typed front of the numba kernels: every call into compiled code goes through here.

The kernels (:mod:`som_mc.engine._kernels`) take only pre-drawn numbers and preallocated
outputs; these wrappers check shapes and dtypes, allocate, and pass the model's tables.

The kernels are serial and release the GIL. A large call is split into contiguous slices of
draws (or summary rows) run on :func:`kernel_threads` threads; every draw and row is computed
on its own, so the split changes no number.

Runs of at most :data:`NUMPY_MAX_DRAWS` draws use the kernels' NumPy twins
(:mod:`som_mc.engine.reference`, the same numbers bit for bit) instead: numba is imported,
and the compiled kernels loaded, only when a run is large enough to gain from them (that
costs ≈ 1 s once per process).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType
from typing import TextIO

import numpy as np

from som_mc.engine.reference import (
    histogram_rows_numpy,
    order_statistics_numpy,
    outcome_chain_numpy,
    row_moments_numpy,
    simulate_chunk_numpy,
    summary_rows_numpy,
)
from som_mc.model import CaseModel
from som_mc.sampling import row_buffer, rows_in_place

__all__ = [
    "NUMPY_MAX_DRAWS",
    "CompiledSamplers",
    "actor_cell_rows",
    "actor_row_index",
    "cell_histograms",
    "cell_moments",
    "cell_order_statistics",
    "cell_rows",
    "compile_notice",
    "compiled_kernels",
    "draw_beta",
    "draw_outcome_chain",
    "input_values",
    "kernel_threads",
    "kernels_cached",
    "raw_outputs",
    "run_kernel",
    "set_kernel_threads",
    "split_work",
    "summary_row_count",
    "use_compiled",
    "warm_up",
]

#: Runs (and calls) of at most this many draws use the NumPy twins of the kernels.
NUMPY_MAX_DRAWS = 10_000

_KERNEL_NAMES = (
    "simulate_chunk",
    "summary_rows",
    "actor_rows",
    "row_moments",
    "histogram_rows",
    "outcome_chain",
    "order_statistics",
    "pcg64_raw",
    "beta_draws",
    "normal_draws",
    "triangular_draws",
)

# Threads per kernel call; None: NUMBA_NUM_THREADS if set, else the CPUs.
_threads: list[int | None] = [None]

# The kernels' module once it has been imported (fully) by compiled_kernels.
_loaded: list[ModuleType] = []


def compiled_kernels() -> ModuleType:
    """Return the numba kernels' module (imports numba and loads the kernels on first use)."""
    if _loaded:  # a few thousand calls per run: no import machinery after the first
        return _loaded[0]
    import importlib

    # the import lock makes a thread that comes while another imports wait for the module
    kernels = importlib.import_module("som_mc.engine._kernels")
    if not _loaded:
        _loaded.append(kernels)
    return kernels


def use_compiled(n_draws: int) -> bool:
    """Whether a run (or call) of `n_draws` draws uses the compiled kernels."""
    return n_draws > NUMPY_MAX_DRAWS


#: Fewest draws (or rows) worth a thread of their own.
_MIN_SPLIT = {"draws": 4096, "rows": 8}


def kernel_threads() -> int:
    """Threads a kernel call (and the pipeline's block workers) may use."""
    chosen = _threads[0]
    if chosen is None:
        # numba's own default (read without importing numba)
        configured = os.environ.get("NUMBA_NUM_THREADS", "").strip()
        chosen = int(configured) if configured.isdigit() else (os.cpu_count() or 1)
    return max(1, chosen)


def set_kernel_threads(threads: int | None) -> None:
    """Set the threads of kernel calls in this process (None: back to the default).

    The numbers of a run do not depend on it; only the speed does.
    """
    if threads is not None and (isinstance(threads, bool) or int(threads) < 1):
        raise ValueError(f"threads must be an integer >= 1 or None; received {threads!r}")
    _threads[0] = None if threads is None else int(threads)


def split_work(
    fn: Callable[[int, int], None], n: int, threads: int | None = None, *, unit: str = "draws"
) -> None:
    """Call ``fn(lo, hi)`` on contiguous slices covering ``range(n)``, on several threads.

    Parameters
    ----------
    fn : callable
        Does the work for items ``lo:hi`` (a nogil kernel on slices of its arrays); the
        slices are disjoint, so the calls may run at the same time.
    n : int
        Number of items.
    threads : int, optional
        Threads to use (default :func:`kernel_threads`); fewer when the slices would be
        small.
    unit : {"draws", "rows"}
        What an item is, for the smallest slice worth a thread.
    """
    parts = max(1, min(kernel_threads() if threads is None else threads, n // _MIN_SPLIT[unit]))
    if parts == 1:
        if n:
            fn(0, n)
        return
    bounds = [n * p // parts for p in range(parts + 1)]
    with ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="som_mc-kernel") as pool:
        futures = [pool.submit(fn, bounds[p], bounds[p + 1]) for p in range(1, parts)]
        fn(bounds[0], bounds[1])
        for future in futures:
            future.result()


def run_kernel(
    model: CaseModel,
    x: np.ndarray,
    active: np.ndarray | None = None,
    *,
    noise: bool = False,
    keep_consequences: bool = False,
    kernel: Callable[..., None] | None = None,
    out: dict[str, np.ndarray] | None = None,
    threads: int | None = None,
    inputs_major: bool = False,
    net_only: bool = False,
    summary: bool = False,
    compiled: bool | None = None,
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
    kernel : callable, optional
        The kernel (``simulate_chunk`` or, in tests, its ``.py_func``). Default: the compiled
        kernel, or its NumPy twin for at most :data:`NUMPY_MAX_DRAWS` draws (see
        `compiled`).
    out : dict of ndarray, optional
        C-contiguous arrays to write into instead of new ones (keys as returned; with
        `summary` also ``rows`` and ``first``, which the compiled kernel writes into).
    threads : int, optional
        Threads to split the draws over (default :func:`kernel_threads`).
    inputs_major : bool
        `x` is given input by input, shape (U, n) (as the engine samples it).
    net_only : bool
        Compute only ``net`` and ``pv`` (``cost`` and ``value`` are returned empty, shape
        (0, T, A)).
    summary : bool
        Also return the draws' summary ``rows`` and break-even years ``first``, laid out
        in the kernel as :func:`cell_rows` lays them out from ``net`` and ``pv`` (the same
        numbers). With `net_only`, ``net`` and ``pv`` are then returned empty too: what a
        streamed summary needs.
    compiled : bool, optional
        Use the compiled kernel (True) or its NumPy twin (False); default
        :func:`use_compiled` of the number of draws. The numbers are the same.

    Returns
    -------
    dict of ndarray
        ``cost``, ``value``, ``net`` (n, T, A), ``pv`` (n, A) and maybe ``value_k``; the
        same keys as :func:`som_mc.simulate_chunk_numpy`.
    """
    if noise and active is None:
        raise ValueError("outcome noise needs the realised successes (active)")
    # the kernel reads each input's draws as one contiguous row; rows the sampler laid out
    # (a row_buffer) are taken as they are, others copied into one
    x = x if inputs_major else x.T
    if not rows_in_place(x):
        rows = row_buffer(*x.shape)
        rows[...] = x
        x = rows
    n = x.shape[1]
    n_t, n_a, n_k = model.n_years, len(model.case.actors), model.cons_profile.shape[0]
    parts = 0 if net_only else n
    nets = 0 if net_only and summary else n
    shapes = {
        "cost": (parts, n_t, n_a),
        "value": (parts, n_t, n_a),
        "net": (nets, n_t, n_a),
        "pv": (nets, n_a),
        "value_k": (n, n_k, n_t, n_a) if keep_consequences else (0, 0, 0, 0),
    }
    width = n_a + 1
    given = out or {}
    summary_shape = (summary_row_count(model), n) if summary else (0, 0)
    rows = _given_or_new(given, "rows", summary_shape, np.float64)
    first = _given_or_new(given, "first", (width, n) if summary else (0, 0), np.int64)
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
    active = active if noise and active is not None else np.zeros((0, 0, 0))
    if kernel is None and not (use_compiled(n) if compiled is None else compiled):
        twin = simulate_chunk_numpy(
            model, x.T, active, noise=noise, keep_consequences=keep_consequences
        )
        for key, array in out.items():
            if array.shape[0]:
                array[...] = twin[key]
        if keep_consequences:
            value_k[...] = twin["value_k"]
            out["value_k"] = value_k
        if summary:
            out["rows"], out["first"] = summary_rows_numpy(
                twin["net"], twin["pv"], input_values(model, x.T, model.idx_participants)
            )
        return out
    if kernel is None:
        kernel = compiled_kernels().simulate_chunk

    def part(lo: int, hi: int) -> None:
        kernel(
            x,
            lo,
            hi,
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
            active,
            out["cost"],
            out["value"],
            out["net"],
            out["pv"],
            value_k,
            rows,
            first,
        )

    split_work(part, n, threads)
    if keep_consequences:
        out["value_k"] = value_k
    if summary:
        out["rows"], out["first"] = rows, first
    return out


def _given_or_new(
    given: dict[str, np.ndarray], key: str, shape: tuple[int, int], dtype: type
) -> np.ndarray:
    """``given[key]`` checked to be C-contiguous of `shape` and `dtype`, or a new array."""
    array = given.get(key)
    if array is None:
        return np.empty(shape, dtype=dtype)
    if array.shape != shape or array.dtype != dtype or not array.flags.c_contiguous:
        raise ValueError(f"out[{key!r}] must be a C-contiguous {dtype.__name__} of {shape}")
    return array


def summary_row_count(model: CaseModel) -> int:
    """Return how many summary rows :func:`run_kernel` lays out (see :func:`cell_rows`).

    Per aktør and the total: the yearly and cumulative result per year, the horizon total,
    the discounted total and the total per deltager.
    """
    width = len(model.case.actors) + 1
    return 2 * model.n_years * width + 3 * width


def input_values(model: CaseModel, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Values of the inputs at `positions` per draw, shape (n, len(positions)).

    Sampled columns come from the draw-major sample `x` (n, U), fixed inputs from
    ``model.const``; only the requested columns are built.
    """
    column = {int(j): i for i, j in enumerate(model.uncertain)}
    out = np.empty((x.shape[0], len(positions)))
    for k, j in enumerate(positions):
        i = column.get(int(j))
        out[:, k] = model.const[j] if i is None else x[:, i]
    return out


def cell_rows(
    net: np.ndarray,
    pv: np.ndarray,
    participants: np.ndarray,
    *,
    threads: int | None = None,
    compiled: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lay a block of draws out as one row per summary cell, and find break-even years.

    Parameters
    ----------
    net : ndarray, shape (n, T, A)
        Net result per draw, year and aktør.
    pv : ndarray, shape (n, A)
        Discounted net result over the horizon per draw and aktør.
    participants : ndarray, shape (n, C)
        Participants per draw and cohort.
    threads : int, optional
        Threads to split the draws over (default :func:`kernel_threads`).
    compiled : bool, optional
        Compiled kernel or NumPy twin (default :func:`use_compiled` of the draws).

    Returns
    -------
    rows : ndarray, shape (R, n)
        Rows in the layout of :func:`som_mc.engine._kernels.summary_rows`: yearly and
        cumulative per (year, aktør + total), then horizon, discounted and per deltager per
        (aktør + total).
    first : ndarray of int64, shape (A + 1, n)
        Index of the first year with cumulative result >= 0 (T when never).
    """
    n_b, n_t, n_a = net.shape
    net = np.ascontiguousarray(net, dtype=np.float64)
    pv = np.ascontiguousarray(pv, dtype=np.float64)
    participants = np.ascontiguousarray(participants, dtype=np.float64)
    if not (use_compiled(n_b) if compiled is None else compiled):
        return summary_rows_numpy(net, pv, participants)
    rows = np.empty((2 * n_t * (n_a + 1) + 3 * (n_a + 1), n_b))
    first = np.empty((n_a + 1, n_b), dtype=np.int64)
    summary_rows = compiled_kernels().summary_rows

    def part(lo: int, hi: int) -> None:
        summary_rows(net, pv, participants, rows, first, lo, hi)

    split_work(part, n_b, threads)
    return rows, first


def actor_row_index(n_years: int, n_actors: int, actor: int) -> np.ndarray:
    """Where the rows of :func:`actor_cell_rows` of `actor` lie in :func:`cell_rows`' layout.

    Returns the row index in :func:`cell_rows`' rows of each of the ``2·T + 3`` rows of one
    aktør (``actor == n_actors``: the total): yearly, cumulative, horizon, discounted, per
    deltager.
    """
    width = n_actors + 1
    if not 0 <= actor < width:
        raise ValueError(f"actor must be in 0..{n_actors}; received {actor}")
    years = np.arange(n_years) * width + actor
    tail = 2 * n_years * width + actor
    return np.concatenate([years, n_years * width + years, [tail, tail + width, tail + 2 * width]])


def actor_cell_rows(
    net: np.ndarray,
    pv: np.ndarray,
    n_part: np.ndarray,
    actor: int,
    rows: np.ndarray,
    first: np.ndarray,
) -> None:
    """Lay out the rows of :func:`cell_rows` of one aktør (``actor == A``: the total) here.

    Parameters
    ----------
    net, pv : ndarray
        Net result (n, T, A) and discounted total (n, A) per draw, C-contiguous float64.
    n_part : ndarray, shape (n,)
        Participants per draw, summed over cohorts in cohort order.
    actor : int
        ``0 <= actor <= A``.
    rows : ndarray, shape (2·T + 3, n)
        Output (C-contiguous): the aktør's rows of :func:`cell_rows` in the order of
        :func:`actor_row_index` (the same numbers).
    first : ndarray of int64, shape (n,)
        Output: the aktør's first break-even year index (T when never).
    """
    n, n_t, n_a = net.shape
    if not 0 <= actor <= n_a:
        raise ValueError(f"actor must be in 0..{n_a}; received {actor}")
    for name, array, shape in (
        ("net", net, (n, n_t, n_a)),
        ("pv", pv, (n, n_a)),
        ("n_part", n_part, (n,)),
        ("rows", rows, (2 * n_t + 3, n)),
    ):
        if array.shape != shape or array.dtype != np.float64 or not array.flags.c_contiguous:
            raise ValueError(
                f"{name} must be a C-contiguous float64 array of shape {shape} (native byte "
                f"order); received {array.dtype} of shape {array.shape}"
            )
    if first.shape != (n,) or first.dtype != np.int64:
        raise ValueError(f"first must be int64 of shape {(n,)}")
    compiled_kernels().actor_rows(net, pv, n_part, actor, rows, first, 0, n)


def cell_moments(
    rows: np.ndarray,
    lo: int = 0,
    hi: int | None = None,
    *,
    threads: int | None = None,
    compiled: bool | None = None,
    histogram: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sum of squared deviations and count of values > 0 of each row.

    Only columns ``lo:hi`` (default all) are reduced; `rows` is not copied when it is a
    C-contiguous float64 array. `compiled`: compiled kernel or NumPy twin (default
    :func:`use_compiled` of the row length). `histogram` ``(lo, width, counts)``: also
    add the same columns to each row's histogram counts (R, bins), in place, as
    :func:`cell_histograms` counts them (in the same pass over the rows).
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    stop = rows.shape[1] if hi is None else hi
    if not 0 <= lo < stop <= rows.shape[1]:
        raise ValueError(f"columns {lo}:{stop} are not within rows of {rows.shape[1]} columns")
    if histogram is None:
        edge, width, counts = np.empty(0), np.empty(0), np.empty((0, 0), dtype=np.int32)
    else:
        edge, width, counts = histogram
        edge = np.ascontiguousarray(edge, dtype=np.float64)
        width = np.ascontiguousarray(width, dtype=np.float64)
        if counts.shape[0] != rows.shape[0] or not counts.flags.c_contiguous:
            raise ValueError(f"histogram counts must be C-contiguous with {rows.shape[0]} rows")
    if not (use_compiled(rows.shape[1]) if compiled is None else compiled):
        if histogram is not None:
            counts += histogram_rows_numpy(rows[:, lo:stop], edge, width, counts.shape[1])
        return row_moments_numpy(rows, lo, stop)
    mean, m2 = np.empty(rows.shape[0]), np.empty(rows.shape[0])
    positive = np.empty(rows.shape[0], dtype=np.int64)
    row_moments = compiled_kernels().row_moments
    hist = histogram is not None

    def part(r0: int, r1: int) -> None:
        row_moments(
            rows[r0:r1],
            lo,
            stop,
            mean[r0:r1],
            m2[r0:r1],
            positive[r0:r1],
            edge[r0:r1] if hist else edge,
            width[r0:r1] if hist else width,
            counts[r0:r1] if hist else counts,
        )

    split_work(part, rows.shape[0], threads if stop - lo >= _MIN_SPLIT["draws"] else 1, unit="rows")
    return mean, m2, positive


def cell_histograms(
    rows: np.ndarray,
    lo: np.ndarray,
    width: np.ndarray,
    bins: int,
    *,
    threads: int | None = None,
    compiled: bool | None = None,
) -> np.ndarray:
    """Histogram counts of each row over fixed bins, shape (R, bins), int32.

    `compiled`: compiled kernel or NumPy twin (default :func:`use_compiled` of the row
    length).
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    lo = np.ascontiguousarray(lo, dtype=np.float64)
    width = np.ascontiguousarray(width, dtype=np.float64)
    if not (use_compiled(rows.shape[1]) if compiled is None else compiled):
        return histogram_rows_numpy(rows, lo, width, bins)
    counts = np.zeros((rows.shape[0], bins), dtype=np.int32)
    histogram_rows = compiled_kernels().histogram_rows

    def part(r0: int, r1: int) -> None:
        histogram_rows(rows[r0:r1], lo[r0:r1], width[r0:r1], counts[r0:r1])

    few = rows.shape[1] < _MIN_SPLIT["draws"]
    split_work(part, rows.shape[0], 1 if few else threads, unit="rows")
    return counts


def cell_order_statistics(
    rows: np.ndarray | Sequence[np.ndarray],
    ks: np.ndarray,
    *,
    threads: int | None = None,
    compiled: bool | None = None,
) -> np.ndarray:
    """Return the `ks`-th smallest value of each row (0-based), shape (R, K), as a sort would.

    `rows` (R, n) is not modified. It may also be given as its column pieces (R, n_i) in
    order (the blocks of a run, kept as they came): each row is then put together in a
    scratch row, one at a time, rather than the whole (R, n) array in a copy. `compiled`:
    the selection kernel or a NumPy sort (the same numbers; default :func:`use_compiled`
    of the row length).
    """
    pieces = [rows] if isinstance(rows, np.ndarray) else list(rows)
    if not pieces:
        raise ValueError("no rows to take order statistics of")
    n = sum(p.shape[1] for p in pieces)
    ks = np.ascontiguousarray(ks, dtype=np.int64)
    if not (use_compiled(n) if compiled is None else compiled):
        # small: the twin sorts whole rows
        whole = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
        return order_statistics_numpy(np.ascontiguousarray(whole, dtype=np.float64), ks)
    out = np.empty((pieces[0].shape[0], ks.shape[0]))
    select = compiled_kernels().order_statistics

    def part(r0: int, r1: int) -> None:
        if len(pieces) == 1:
            select(np.ascontiguousarray(pieces[0][r0:r1], dtype=np.float64), ks, out[r0:r1])
            return
        scratch = np.empty((1, n))
        for r in range(r0, r1):
            np.concatenate([p[r] for p in pieces], out=scratch[0])
            select(scratch, ks, out[r : r + 1])

    split_work(part, out.shape[0], threads, unit="rows")
    return out


def draw_outcome_chain(
    gen: np.random.Generator,
    participants: np.ndarray,
    s: np.ndarray,
    keep: np.ndarray,
    dropoff: bool,
    active: np.ndarray,
    *,
    compiled: bool | None = None,
) -> None:
    """Fill `active` (n, C, S) with realised successes drawn from `gen` (see ``outcome_chain``).

    `compiled`: compiled kernel or NumPy's array sampler (default :func:`use_compiled` of the
    draws); the same numbers.
    """
    if not (use_compiled(active.shape[0]) if compiled is None else compiled):
        active[...] = outcome_chain_numpy(
            gen, participants, s, keep, dropoff, active.shape[2]
        )
        return
    compiled_kernels().outcome_chain(
        gen,
        np.ascontiguousarray(participants, dtype=np.float64),
        np.ascontiguousarray(s, dtype=np.float64),
        np.ascontiguousarray(keep, dtype=np.float64),
        bool(dropoff),
        active,
    )


@functools.cache
def _ziggurat() -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """NumPy's ziggurat tables for the standard normal, as numba ships them (read once)."""
    from numba.np.random import _constants as ziggurat

    return (
        ziggurat.wi_double,
        ziggurat.ki_double,
        ziggurat.fi_double,
        float(ziggurat.ziggurat_nor_r),
        float(ziggurat.ziggurat_nor_inv_r),
    )


def raw_outputs(bits: np.random.BitGenerator, n: int) -> np.ndarray:
    """``bits.random_raw(n)``: the same numbers, and `bits` left in the same state.

    A PCG64 stream's outputs are drawn by the compiled ``pcg64_raw`` (about half the time of
    ``random_raw`` per output); other bit generators draw their own.
    """
    if type(bits) is not np.random.PCG64:
        return np.asarray(bits.random_raw(n), dtype=np.uint64)
    kernels = compiled_kernels()
    out = np.empty(n, dtype=np.uint64)
    mask = (1 << 64) - 1
    with bits.lock:  # as random_raw: threads sharing the generator get distinct outputs
        full = bits.state
        inner = full["state"]
        s, inc = int(inner["state"]), int(inner["inc"])
        state = np.array([s >> 64, s & mask, inc >> 64, inc & mask], dtype=np.uint64)
        kernels.pcg64_raw(state, kernels.PCG64_CONSTANTS, out)
        inner["state"] = (int(state[0]) << 64) | int(state[1])
        bits.state = full
    return out


def _from_raw(
    gen: np.random.Generator,
    out: np.ndarray,
    per_draw: float,
    kernel: Callable[[np.ndarray, np.ndarray, int], tuple[int, int]],
) -> None:
    """Fill `out` with `kernel` on the generator's raw outputs, drawn in bulk.

    About `per_draw` outputs per draw are drawn; when they run short, more are drawn on and
    the unfinished draw is made again from its start (the same numbers as one long draw).
    """
    bits = gen.bit_generator
    n = out.shape[0]
    raw = raw_outputs(bits, int(n * per_draw) + 64)
    done = 0
    while True:
        done, at = kernel(raw, out, done)
        if done == n:
            return
        more = raw_outputs(bits, int((n - done) * per_draw * 1.25) + 64)
        raw = np.concatenate([raw[at:], more])


class CompiledSamplers:
    """NumPy's samplers' numbers, drawn in numba from a stream's raw outputs.

    For the engine's streams (PCG64, whose ``next_double`` is the top 53 bits of a raw output
    over 2^53): the compiled kernels take the outputs, drawn in bulk, as NumPy's
    ``Generator`` methods take them one by one, so every number is NumPy's (tested); the
    generator ends further on than NumPy's sampler would leave it, so they serve streams
    that draw nothing after them (one input's draws of one block). Other bit generators, and
    shapes NumPy draws by other algorithms, get NumPy's sampler itself.
    """

    def beta(self, gen: np.random.Generator, a: float, b: float, out: np.ndarray) -> None:
        """Fill `out` with ``gen.beta(a, b, out.size)``'s numbers."""
        if type(gen.bit_generator) is not np.random.PCG64 or not (a > 1.0 and b > 1.0):
            out[...] = gen.beta(a, b, out.shape[0])  # Johnk's or the small-shape gamma
            return
        kernel = compiled_kernels().beta_draws
        zig = _ziggurat()
        a, b = float(a), float(b)
        # two gamma draws of a normal and a uniform each, with a few rejections
        _from_raw(gen, out, 4.25, lambda raw, o, i: kernel(raw, a, b, o, i, zig))

    def normal(
        self, gen: np.random.Generator, loc: float, scale: float, out: np.ndarray, log: bool
    ) -> None:
        """Fill `out` with ``gen.normal(loc, scale, out.size)``'s (``lognormal``'s) numbers."""
        if type(gen.bit_generator) is not np.random.PCG64:
            sampler = gen.lognormal if log else gen.normal
            out[...] = sampler(loc, scale, out.shape[0])
            return
        kernel = compiled_kernels().normal_draws
        zig = _ziggurat()
        loc, scale = float(loc), float(scale)
        _from_raw(gen, out, 1.02, lambda raw, o, i: kernel(raw, loc, scale, log, o, i, zig))


    def triangular(
        self, gen: np.random.Generator, left: float, mode: float, right: float, out: np.ndarray
    ) -> None:
        """Fill `out` with ``gen.triangular(left, mode, right, out.size)``'s numbers."""
        if type(gen.bit_generator) is not np.random.PCG64 or not left <= mode <= right > left:
            out[...] = gen.triangular(left, mode, right, out.shape[0])  # or NumPy's error
            return
        raw = raw_outputs(gen.bit_generator, out.shape[0])  # one uniform per draw
        compiled_kernels().triangular_draws(raw, float(left), float(mode), float(right), out)


def draw_beta(gen: np.random.Generator, a: float, b: float, out: np.ndarray) -> None:
    """Fill `out` with ``gen.beta(a, b, out.size)``'s numbers, ``a, b > 1``, in numba.

    See :class:`CompiledSamplers`.
    """
    if not (a > 1.0 and b > 1.0):
        raise ValueError(f"draw_beta needs a > 1 and b > 1; received a={a!r}, b={b!r}")
    CompiledSamplers().beta(gen, a, b, out)


#: Layouts of ``simulate_chunk``'s sample `x` that runs use (numba compiles each once): a
#: block's sample in a row_buffer ("A") and rows already C-contiguous ("C": a block that is a
#: run's whole input buffer, the sensitivity designs, a single input).
_X_LAYOUTS = frozenset({"A", "C"})


def _x_layouts(signatures: Iterable[tuple[object, ...]]) -> set[str]:
    """Return the layouts of the first argument among numba signatures (tuples of types)."""
    return {str(getattr(sig[0], "layout", "")) for sig in signatures if sig}


def kernels_cached() -> bool:
    """Whether every kernel is compiled in this process or found in numba's on-disk cache.

    False means the next run compiles them (several seconds, once per installation and
    numba version); for ``simulate_chunk`` both layouts of its sample (:data:`_X_LAYOUTS`)
    must be there. Reads numba's cache index; answers True when that cannot be read.
    """
    kernels = compiled_kernels()
    for name in _KERNEL_NAMES:
        kernel = getattr(kernels, name)
        wanted = _X_LAYOUTS if name == "simulate_chunk" else frozenset()
        have = _x_layouts(kernel.overloads)
        if kernel.overloads and wanted <= have:
            continue
        try:
            index = kernel._cache._cache_file._load_index()
        except Exception:  # numba's cache internals differ: assume cached, stay quiet
            return True
        if not index:
            return False
        try:
            have |= _x_layouts(key[0] for key in index)
        except (TypeError, IndexError):  # another index format: assume cached
            return True
        if not wanted <= have:
            return False
    return True


def warm_up(model: CaseModel) -> None:
    """Compile (or load from the cache) every kernel with the argument types of a run."""
    n = 2
    active = np.zeros((n, model.n_cohorts, model.chain_length))
    # both layouts of the sample (_X_LAYOUTS): a row_buffer of at least two rows (the kernel
    # reads only the model's rows) and C-contiguous rows
    padded = row_buffer(max(2, len(model.uncertain)), n)
    padded[...] = 0.0
    for x in (padded, np.zeros((len(model.uncertain), n))):
        out = run_kernel(model, x, active, noise=True, compiled=True, inputs_major=True)
    participants = np.ones((n, model.n_cohorts))
    rows, _ = cell_rows(out["net"], out["pv"], participants, compiled=True)
    actor_cell_rows(
        out["net"],
        out["pv"],
        participants.sum(axis=1),
        0,
        np.empty((2 * model.n_years + 3, n)),
        np.empty(n, dtype=np.int64),
    )
    cell_moments(rows, compiled=True)
    cell_histograms(rows, np.zeros(rows.shape[0]), np.ones(rows.shape[0]), 4, compiled=True)
    cell_order_statistics(rows, np.array([0, 1]), compiled=True)
    ones = np.ones(n)
    draw_outcome_chain(
        np.random.default_rng(0), participants, ones, ones, True, active, compiled=True
    )
    raw_outputs(np.random.PCG64(0), 5)
    draw_beta(np.random.default_rng(0), 2.0, 3.0, np.empty(n))
    CompiledSamplers().normal(np.random.default_rng(0), 0.0, 1.0, np.empty(n), True)
    CompiledSamplers().triangular(np.random.default_rng(0), 0.0, 0.5, 1.0, np.empty(n))


@contextmanager
def compile_notice(stream: TextIO | None = None) -> Iterator[None]:
    """Tell the user, once, that the block compiles the kernels, with the seconds elapsed.

    Prints ``Kompilerer beregningskernen (kun første gang) …`` on `stream` (stderr) and a
    tick per second until the block ends, then the time it took.
    """
    out = sys.stderr if stream is None else stream
    interactive = out.isatty()
    t0 = time.perf_counter()
    done = threading.Event()
    out.write("Kompilerer beregningskernen (kun første gang) …")
    out.flush()

    def tick() -> None:
        while not done.wait(1.0):
            seconds = round(time.perf_counter() - t0)
            if interactive:
                out.write(f"\rKompilerer beregningskernen (kun første gang) … {seconds} s")
            else:
                out.write(".")
            out.flush()

    ticker = threading.Thread(target=tick, name="som_mc-compile-notice", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        seconds = f"{time.perf_counter() - t0:.1f}".replace(".", ",")
        out.write(f" færdig ({seconds} s)\n")
        out.flush()
