"""Where one block's time goes: each stage of a streamed draw, per draw, on one thread.

For one block of the reference workload (``benchmarks/reference.toml``, 16,384 draws), the
CPU time per draw of each stage the engine runs on a block's worker thread, beside NumPy's
own way of computing the same numbers where there is one (each pair is checked to give the
same numbers first):

- sampling: ``sample_block`` of the 69 inputs as the engine calls it (the PERT, normal
  and lognormal draws by ``CompiledSamplers``: NumPy's algorithms in numba) vs NumPy's
  samplers throughout;
- outcome noise: ``outcome_chain`` (numba, NumPy's binomial algorithm, four draws at a
  time) vs ``Generator.binomial`` on the arrays (``outcome_chain_numpy``);
- kernel: ``simulate_chunk`` laying out the summary rows (the streamed path);
- moments: ``row_moments`` of the 94 summary rows (exact-quantile runs) vs its NumPy twin;
- moments + histogram: ``row_moments`` with the quantile sketch's counts (runs of more than
  250,000 draws) vs the NumPy twins (``row_moments_numpy`` + ``histogram_rows_numpy``);
- order statistics: ``order_statistics`` of the positions of P5, P10, P50, P90 and P95 in
  the 92 summary rows of a 100,000-draw run (exact quantiles, runs of at most 250,000
  draws, are taken over the run's whole rows), per draw of that run, vs ``np.partition``;
  not part of the sketched run's sum.

Every figure is the minimum over ``--repeats`` rounds after a warm-up, CPU time of this
thread (``time.thread_time``), so other work on the machine inflates it less than wall time;
each round times som_mc's way and NumPy's in turn.

Usage::

    python benchmarks/bench_stages.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import som_mc  # noqa: E402
from som_mc.engine import _kernels  # noqa: E402
from som_mc.engine.chunks import _block_data, _correlations  # noqa: E402
from som_mc.engine.kernel import (  # noqa: E402
    CompiledSamplers,
    input_values,
    run_kernel,
    set_kernel_threads,
)
from som_mc.engine.reference import (  # noqa: E402
    histogram_rows_numpy,
    outcome_chain_numpy,
    row_moments_numpy,
)
from som_mc.model import compile_case  # noqa: E402
from som_mc.sampling import BLOCK_SIZE, sample_block, stream  # noqa: E402
from som_mc.stats.cells import HISTOGRAM_BINS, HistogramEdges  # noqa: E402

CASE = REPO / "benchmarks" / "reference.toml"
SEED = 1


def best_cpu(*fns: Callable[[], Any], repeats: int) -> list[float]:
    """Minimum CPU time of this thread per function over `repeats` rounds, after a warm-up.

    Each round calls every function once, in turn, so a change in the machine's load
    touches them alike.
    """
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t0 = time.thread_time()
            fn()
            best[k] = min(best[k], time.thread_time() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    """Time each stage of one block and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed rounds per stage")
    args = parser.parse_args(argv)
    set_kernel_threads(1)
    model = compile_case(som_mc.load_case(CASE))
    n = BLOCK_SIZE
    block = 1  # a full block of a 1,000,000-draw run
    draws = 1_000_000
    names = [model.inputs[int(j)].name for j in model.uncertain]
    dists = [model.inputs[int(j)].dist for j in model.uncertain]
    rows, active = _block_data(
        model, draws, block, SEED, "random", _correlations(model.case), inputs_major=True
    )
    x = rows.T
    per = 1e9 / n  # seconds per block -> ns per draw

    def sample(fast: Any) -> np.ndarray:
        return sample_block(
            dists, names, seed=SEED, block=block, size=n, inputs_major=True, fast=fast
        )

    np.testing.assert_array_equal(sample(CompiledSamplers()), sample(None))

    # outcome noise on the block's own inputs
    participants = input_values(model, x, model.idx_participants)
    s = x[:, list(model.uncertain).index(model.idx_success)].copy()
    keep = np.ones(n)
    n_chain = active.shape[2]

    def outcome_gen() -> np.random.Generator:
        return stream(SEED, "outcome", block)

    numba_active = np.empty((n, participants.shape[1], n_chain))
    _kernels.outcome_chain(outcome_gen(), participants, s, keep, False, numba_active)
    numpy_active = outcome_chain_numpy(outcome_gen(), participants, s, keep, False, n_chain)
    np.testing.assert_array_equal(numba_active, numpy_active)

    def laid_out(rows: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
        # the streamed path: only the summary rows, laid out by the kernel
        return run_kernel(
            model,
            rows,
            active,
            noise=True,
            threads=1,
            inputs_major=True,
            net_only=True,
            summary=True,
            compiled=True,
        )

    def kernel() -> dict[str, np.ndarray]:
        return laid_out(rows, active)

    cells = np.ascontiguousarray(kernel()["rows"])
    edges = HistogramEdges.from_rows(cells, HISTOGRAM_BINS)
    r = cells.shape[0]
    mean, m2, positive = np.empty(r), np.empty(r), np.empty(r, dtype=np.int64)
    empty = np.empty(0), np.empty(0), np.zeros((0, 0), dtype=np.int32)
    counts = np.zeros((r, edges.bins), dtype=np.int32)
    _kernels.row_moments(cells, 0, n, mean, m2, positive, edges.lo, edges.width, counts)
    expected = row_moments_numpy(cells, 0, n)
    for got, want in zip((mean, m2, positive), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        counts, histogram_rows_numpy(cells, edges.lo, edges.width, edges.bins)
    )

    def moments() -> None:
        _kernels.row_moments(cells, 0, n, mean, m2, positive, *empty)

    def moments_histogram() -> None:
        _kernels.row_moments(cells, 0, n, mean, m2, positive, edges.lo, edges.width, counts)

    def moments_histogram_numpy() -> None:
        row_moments_numpy(cells, 0, n)
        histogram_rows_numpy(cells, edges.lo, edges.width, edges.bins)

    # exact quantiles (runs of at most 250,000 draws) are selected in the rows of the whole
    # run: the positions of P5 ... P95 (linear interpolation) in 92 rows of 100,000 draws,
    # the rows of the run's first blocks laid out by the kernel as above
    whole = 100_000
    parts = []
    for b in range(-(-whole // n)):
        b_rows, b_active = _block_data(
            model, whole, b, SEED, "random", _correlations(model.case), inputs_major=True
        )
        parts.append(laid_out(b_rows, b_active)["rows"])
    run_rows = np.ascontiguousarray(np.concatenate(parts, axis=1)[:, :whole])
    pos = (whole - 1) * np.array([0.05, 0.10, 0.50, 0.90, 0.95])
    ks = np.unique(np.concatenate([np.floor(pos), np.ceil(pos)])).astype(np.int64)
    selected = np.empty((r, ks.size))
    _kernels.order_statistics(run_rows, ks, selected)
    np.testing.assert_array_equal(selected, np.sort(run_rows, axis=1)[:, ks])

    def order_statistics() -> None:
        _kernels.order_statistics(run_rows, ks, selected)

    def order_statistics_numpy() -> None:
        np.partition(run_rows, ks, axis=1)

    stages: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("sampling (69 inputs)", lambda: sample(CompiledSamplers()), lambda: sample(None)),
        (
            "outcome noise (3 binomials)",
            lambda: _kernels.outcome_chain(
                outcome_gen(), participants, s, keep, False, numba_active
            ),
            lambda: outcome_chain_numpy(outcome_gen(), participants, s, keep, False, n_chain),
        ),
        ("kernel, summary rows laid out", kernel, None),
        (f"moments ({r} rows)", moments, lambda: row_moments_numpy(cells, 0, n)),
        (
            f"moments + histogram ({edges.bins:,} bins)",
            moments_histogram,
            moments_histogram_numpy,
        ),
        (f"order statistics ({r} rows of {whole:,})", order_statistics, order_statistics_numpy),
    ]
    print(f"one block of {n:,} draws of {CASE.name}, one thread, CPU ns per draw")
    print(f"  {'stage':<36} {'som_mc':>9} {'NumPy':>9} {'ratio':>7}")
    total = 0.0
    alone = 0.0
    for label, ours, numpy_way in stages:
        scale = 1e9 / whole if ours is order_statistics else per  # ns per draw
        if numpy_way is None:
            (t,) = best_cpu(ours, repeats=args.repeats)
            t *= scale
            print(f"  {label:<36} {t:9.0f}")
        else:
            t, ref = (v * scale for v in best_cpu(ours, numpy_way, repeats=args.repeats))
            print(f"  {label:<36} {t:9.0f} {ref:9.0f} {ref / t:6.1f}x")
        if ours is not order_statistics:  # an exact-quantile run's stage, not a sketched one's
            total += t
        if ours is moments:
            alone = t
    sketched = total - alone
    print(f"  {'sum of the stages of a sketched run':<36} {sketched:9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
