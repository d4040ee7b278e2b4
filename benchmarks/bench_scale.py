"""Scale-out benchmark: local executor vs Dask LocalCluster with 1 and 2 workers.

One process, one run, on ``benchmarks/reference.toml`` (69 uncertain inputs, noise on):

a. throughput   draws per second of ``som_mc.run.run_many`` (streamed summary, no store)
                for 10^5 and 10^6 draws: local executor (numba threads in this process) and
                Dask LocalCluster with 1 and 2 single-threaded worker processes (cluster
                start-up excluded, reported separately). All results are checked to be
                bit-identical before anything is reported.
b. Zarr         the same with every draw written to a Zarr store (local and 2 workers).
c. memory       peak RSS of fresh processes running ``run_many`` (local, streamed summary,
                no store) for N = 10^5 and 10^6 draws, and of the Dask workers after the
                runs.

Usage::

    python benchmarks/bench_scale.py            # full run (~3-5 min on 2 cores)
    python benchmarks/bench_scale.py --quick    # 10^4 / 10^5 draws
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import som_mc  # noqa: E402
from som_mc.engine.kernel import kernel_threads  # noqa: E402
from som_mc.run import RunSpec, run_many  # noqa: E402

CASE = REPO / "benchmarks" / "reference.toml"
SEED = 1


def timed(fn: Any) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def same(a: Any, b: Any) -> bool:
    return all(np.array_equal(a[v].values, b[v].values) for v in a.data_vars)


def line(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<48} {value:>16}  {note}".rstrip())


def worker_peak_mib(client: Any) -> list[int]:
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return sorted(v // 1024 for v in peaks.values())


CHILD = r"""
import resource, sys, time
import som_mc
from som_mc.run import RunSpec, run_many
case = som_mc.load_case(sys.argv[1])
t0 = time.perf_counter()
run_many([RunSpec.make(case, draws=int(sys.argv[2]), seed=1)])
wall = time.perf_counter() - t0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, wall)
"""


def child_peak(draws: int) -> tuple[float, int]:
    """Run time and peak RSS (MiB) of a fresh process streaming `draws` draws (local)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", CHILD, str(CASE), str(draws)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    rss, wall = proc.stdout.split()
    return float(wall), int(rss) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^4 and 10^5 draws")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    case = som_mc.load_case(CASE)
    print(f"som_mc scale benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(
        f"  case {CASE.relative_to(REPO)}; {os.cpu_count()} CPUs, numba "
        f"{kernel_threads()} threads; load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    from dask.distributed import Client, LocalCluster

    results: dict[str, Any] = {"sizes": sizes}
    specs = {n: RunSpec.make(case, draws=n, seed=SEED) for n in sizes}
    run_many([specs[sizes[0]]])  # warm: numba cache, imports

    print("\na. throughput, streamed summary (no store)")
    local: dict[int, Any] = {}
    for n in sizes:
        t, (result,) = timed(lambda n=n: run_many([specs[n]]))
        summary = result.summary
        local[n] = summary
        results[f"local_{n}"] = t
        line(f"local executor, {n:,} draws", f"{t:.2f} s", f"{n / t:,.0f} draws/s")
    peaks: dict[int, list[int]] = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        startup = time.perf_counter() - t0
        line(f"LocalCluster start-up, {workers} worker(s)", f"{startup:.2f} s")
        run_many([specs[sizes[0]]], executor="dask", client=client)  # warm the workers
        for n in sizes:
            t, (result,) = timed(
                lambda n=n, client=client: run_many([specs[n]], executor="dask", client=client)
            )
            summary = result.summary
            if not same(summary, local[n]):
                raise SystemExit(f"dask ({workers} workers) differs from local at {n} draws")
            results[f"dask{workers}_{n}"] = t
            line(
                f"dask, {workers} worker(s), {n:,} draws",
                f"{t:.2f} s",
                f"{n / t:,.0f} draws/s; {t / results[f'local_{n}']:.2f}x local",
            )
            peaks[n] = worker_peak_mib(client)
        results[f"dask{workers}_worker_peak_mib"] = peaks[sizes[-1]]
        if workers == 2:
            print("\nb. with a Zarr store (every draw written)")
            n = sizes[0]
            tmp = Path(tempfile.mkdtemp(prefix="som_mc_bench_zarr_"))
            try:
                t_local, _ = timed(lambda n=n, tmp=tmp: run_many([specs[n]], [tmp / "local.zarr"]))
                t_dask, _ = timed(
                    lambda n=n, tmp=tmp, client=client: run_many(
                        [specs[n]], [tmp / "dask.zarr"], executor="dask", client=client
                    )
                )
                size = sum(f.stat().st_size for f in (tmp / "dask.zarr").rglob("*") if f.is_file())
            finally:
                shutil.rmtree(tmp)
            results.update(zarr_local=t_local, zarr_dask2=t_dask, zarr_mib=size / 2**20)
            line(
                f"local executor + Zarr, {n:,} draws",
                f"{t_local:.2f} s",
                f"{n / t_local:,.0f} draws/s",
            )
            line(
                f"dask, 2 workers + Zarr, {n:,} draws",
                f"{t_dask:.2f} s",
                f"{n / t_dask:,.0f} draws/s",
            )
            line("store size", f"{size / 2**20:,.0f} MiB", f"{size / n:,.0f} B per draw")
        client.close()
        cluster.close()
    print("\n  scaling (draws/s, dask): 1 worker -> 2 workers")
    for n in sizes:
        r = results[f"dask1_{n}"] / results[f"dask2_{n}"]
        line(f"{n:,} draws", f"{r:.2f}x", "(ideal 2x on 2 cores)")
        results[f"scaling_{n}"] = r

    print("\nc. memory (peak RSS)")
    for n in sizes:
        wall, rss = child_peak(n)
        results[f"stream_rss_mib_{n}"] = rss
        line(f"run_many, {n:,} draws (fresh process)", f"{rss:,} MiB", f"run {wall:.1f} s")
    ratio = results[f"stream_rss_mib_{sizes[1]}"] / results[f"stream_rss_mib_{sizes[0]}"]
    line("ratio 10x draws / 1x draws", f"{ratio:.2f}x", "(flat = 1.0)")
    line(
        "dask worker peak RSS after all runs (2 workers)",
        ", ".join(f"{p:,}" for p in peaks[sizes[-1]]) + " MiB",
    )
    results["stream_rss_ratio"] = ratio
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
