"""Performance benchmarks of som_mc on the reference workload (``benchmarks/reference.toml``).

One process, one run, four measurements, each printed beside a baseline measured in the same
run (timings on the project machine vary ±30–50 % between runs; ratios within one run are
steadier, though still noisy):

a. kernel alone      numba ``simulate_chunk`` vs the NumPy twin ``simulate_chunk_numpy`` on the
                     same pre-drawn inputs (outputs checked to agree first).
b. end-to-end warm   ``simulate`` + ``summarize`` vs a NumPy-reference pipeline doing the same
                     sampling, ``simulate_chunk_numpy``, ``build_dataset`` and ``summarize_numpy``;
                     plus where the time of the numba path goes.
c. JIT cold start    first ``simulate`` call in a fresh process with an empty numba cache, and
                     the CLI wall-clock once the cache is warm.
d. memory            peak RSS of CLI runs of N and 10·N draws (one fresh child each).

Warm timings are the minimum over ``--repeats`` runs after one warm-up run.

Usage::

    python benchmarks/bench_kernel.py                 # full run (100,000 draws)
    python benchmarks/bench_kernel.py --quick         # smoke test, small draws
    python benchmarks/bench_kernel.py --json out.json # also write the figures
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import som_mc  # noqa: E402
from som_mc.engine.kernel import kernel_threads, run_kernel, set_kernel_threads  # noqa: E402
from som_mc.engine.reference import simulate_chunk_numpy  # noqa: E402
from som_mc.model import CaseModel, compile_case  # noqa: E402
from som_mc.results import build_dataset  # noqa: E402
from som_mc.run import simulate  # noqa: E402
from som_mc.sampling import BLOCK_SIZE, block_bounds  # noqa: E402
from som_mc.stats import summarize  # noqa: E402
from som_mc.stats.reference import summarize_numpy  # noqa: E402

# The chunk module (sampling + kernel calls), whose functions the breakdown wraps.
sim_mod = importlib.import_module("som_mc.engine.chunks")

DEFAULT_CASE = REPO / "benchmarks" / "reference.toml"
SEED = 1
COLD_DRAWS = 1_000
QUICK_DRAWS = 4_000

#: Targets, stated for the default 100,000 draws.
TARGETS = {
    "kernel_speedup_min": 15.0,
    "e2e_speedup_min": 5.0,
    "e2e_numba_max_s": 1.0,
    "cli_warm_cache_max_s": 3.0,
    "memory_ratio_max": 1.5,
}


# --------------------------------------------------------------------------------------------
# helpers


def best_of(fn: Callable[[], Any], repeats: int, *, warmup: int = 1) -> tuple[float, list[float]]:
    """Minimum wall time of `fn` over `repeats` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), times


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes of the machine have used (``/proc/stat``), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds used by this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def line(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<46} {value:>14}  {note}".rstrip())


def secs(t: float) -> str:
    return f"{t:.3f} s" if t < 100 else f"{t:.1f} s"


def child_env(cache_dir: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


#: Tiny launcher: spawns the measured command and reports that child's own wall time and peak
#: RSS. A child forked straight from this (large) benchmark process would inherit our RSS high
#: water mark: Linux keeps the pre-exec ``maxrss`` in the child's rusage, so every figure would
#: be at least the benchmark's own RSS. The launcher is ~10 MiB, far below anything measured.
LAUNCHER = r"""
import json, os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(report, "w") as f:
    json.dump({"wall": wall, "maxrss_kib": usage.ru_maxrss,
               "exit": os.waitstatus_to_exitcode(status)}, f)
"""


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `cmd` in a fresh child; return (wall seconds, peak RSS in MiB, stdout).

    Wall time and peak RSS (``ru_maxrss`` from ``os.wait4``) are those of the command's own
    process, measured by :data:`LAUNCHER`; wall time includes interpreter start-up.
    """
    with (
        tempfile.TemporaryDirectory(prefix="som_mc_bench_run_") as tmp,
        open(Path(tmp) / "out", "w+") as out,
        open(Path(tmp) / "err", "w+") as err,
    ):
        report = Path(tmp) / "report.json"
        launcher = [sys.executable, "-c", LAUNCHER, str(report), *cmd]
        proc = subprocess.run(launcher, env=env, stdout=out, stderr=err, cwd=REPO, check=False)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        info = json.loads(report.read_text()) if report.exists() else {"exit": proc.returncode}
    if proc.returncode != 0 or info["exit"] != 0:
        raise RuntimeError(
            f"child failed (exit {info['exit']}): {shlex.join(cmd)}\n{stderr[-2000:]}"
        )
    return info["wall"], info["maxrss_kib"] // 1024, stdout


#: Runs the CLI as a default install sees it: without the optional ``scale`` extra (dask,
#: distributed, zarr), whose mere presence makes xarray import dask.array (~0.9 s).
CORE_CLI = (
    "import sys; sys.modules.update(dask=None, distributed=None, zarr=None); "
    "from som_mc.cli import main; sys.exit(main(sys.argv[1:]))"
)


def cli_cmd(case: Path, draws: int, *, core: bool = True) -> list[str]:
    """`som-mc run` command; `core`: as installed without the optional scale extra."""
    launcher = ["-c", CORE_CLI] if core else ["-m", "som_mc.cli"]
    return [
        sys.executable,
        *launcher,
        "run",
        str(case),
        "--draws",
        str(draws),
        "--seed",
        str(SEED),
        "--quiet",
        "--json",
    ]


def check_cli_json(stdout: str, draws: int) -> None:
    payload = json.loads(stdout)
    if payload.get("draws", draws) != draws:
        raise RuntimeError(f"CLI JSON reports {payload.get('draws')} draws, expected {draws}")


# --------------------------------------------------------------------------------------------
# inputs and the two kernels


def block_inputs(model: CaseModel, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """Sampled inputs and realised outcomes for all blocks, exactly as ``simulate`` draws them.

    Uses ``_block_data`` (``sample_block`` + rounding of participants + ``draw_outcomes``).
    """
    correlations = sim_mod._correlations(model.case)
    xs, acts = [], []
    for block in range(sim_mod.n_blocks(draws)):
        x, active = sim_mod._block_data(model, draws, block, SEED, "random", correlations)
        start, stop = block_bounds(draws, block)
        assert x.shape[0] == stop - start
        xs.append(x)
        acts.append(active)
    x = np.ascontiguousarray(np.concatenate(xs))
    noise = model.case.outcome.noise
    active = np.ascontiguousarray(np.concatenate(acts)) if noise else np.zeros((0, 0, 0))
    return x, active


def kernel_numba(model: CaseModel, x: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
    """Call the numba kernel as the engine does (fresh outputs, via ``run_kernel``)."""
    return run_kernel(model, x, active, noise=model.case.outcome.noise, compiled=True)


def kernel_numpy(model: CaseModel, x: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
    return simulate_chunk_numpy(model, x, active, noise=model.case.outcome.noise)


def max_rel_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    worst = 0.0
    for key in ("cost", "value", "net", "pv"):
        scale = np.maximum(np.abs(b[key]), 1e-300)
        worst = max(worst, float(np.max(np.abs(a[key] - b[key]) / scale)))
    return worst


# --------------------------------------------------------------------------------------------
# a. kernel alone


def bench_kernel(model: CaseModel, draws: int, repeats: int) -> dict[str, Any]:
    print(
        f"\na. kernel alone: {draws:,} draws of pre-drawn inputs, one call each "
        f"(numba: best of {3 * repeats})"
    )
    x, active = block_inputs(model, draws)
    got = kernel_numba(model, x, active)  # also compiles / loads from cache
    ref = kernel_numpy(model, x, active)
    agree = all(np.allclose(got[k], ref[k], rtol=1e-12, atol=0.0) for k in got)
    bitwise = all(np.array_equal(got[k], ref[k]) for k in got)
    rel = max_rel_diff(got, ref)
    if not agree:
        raise SystemExit(f"numba and NumPy kernels disagree (max relative difference {rel:.3g})")
    # The numba kernel takes ~0.1 s: more repeats cost little and ride out interference.
    fast_repeats = 3 * repeats
    t_numba, _ = best_of(lambda: kernel_numba(model, x, active), fast_repeats)
    t_numpy, _ = best_of(lambda: kernel_numpy(model, x, active), repeats)
    threads = kernel_threads()
    set_kernel_threads(1)
    try:
        t_one, _ = best_of(lambda: kernel_numba(model, x, active), fast_repeats)
    finally:
        set_kernel_threads(None)
    speedup = t_numpy / t_numba
    ok = speedup >= TARGETS["kernel_speedup_min"]
    line(
        "outputs agree (allclose rtol 1e-12)",
        "yes",
        f"max rel diff {rel:.1e}; bitwise identical: {'yes' if bitwise else 'no'}",
    )
    line(f"numba simulate_chunk ({threads} threads)", secs(t_numba))
    line(
        "numba simulate_chunk (1 thread)", secs(t_one), f"parallel speed-up {t_one / t_numba:.2f}x"
    )
    line("NumPy simulate_chunk_numpy (baseline)", secs(t_numpy))
    line(
        "ratio NumPy / numba",
        f"{speedup:.1f}x",
        f"target >= {TARGETS['kernel_speedup_min']:.0f}x: {verdict(ok)}",
    )
    line("numba kernel per draw", f"{t_numba / draws * 1e9:.0f} ns")
    return {
        "draws": draws,
        "numba_s": t_numba,
        "numba_1thread_s": t_one,
        "numpy_s": t_numpy,
        "speedup": speedup,
        "max_rel_diff": rel,
        "bitwise_identical": bitwise,
        "target_met": ok,
    }


# --------------------------------------------------------------------------------------------
# b. end-to-end warm


def reference_dataset(case: Any, draws: int) -> Any:
    """NumPy-reference pipeline: same sampling, NumPy kernel, same results dataset.

    Like ``simulate`` it compiles the case first; unlike it, it runs the NumPy kernel on all
    draws at once (no chunking) and skips the case hash in the attributes.
    """
    model = compile_case(case)
    x, active = block_inputs(model, draws)
    out = kernel_numpy(model, x, active)
    v = np.broadcast_to(model.const, (x.shape[0], model.const.size)).copy()
    v[:, model.uncertain] = x
    participants = v[:, model.idx_participants]
    if model.case.outcome.noise:
        successes = active[:, :, 0].copy()
    else:
        successes = v[:, [model.idx_success]] * participants
    return build_dataset(
        model,
        x=x,
        successes=successes,
        participants=participants,
        cost=out["cost"],
        value=out["value"],
        net=out["net"],
        pv=out["pv"],
        value_k=None,
        attrs={"seed": SEED, "design": "random", "draws": draws, "case_sha256": "-"},
    )


@contextlib.contextmanager
def timed_module_functions(names: list[str]) -> Iterator[dict[str, float]]:
    """Wrap functions of :mod:`som_mc.simulate` to add up their wall time (for a breakdown).

    Names missing from the module (the package changes) are skipped and reported as n/a.
    """
    spent: dict[str, float] = {}
    saved: dict[str, Any] = {}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    for name in names:
        fn = getattr(sim_mod, name, None)
        if callable(fn):
            saved[name] = fn
            setattr(sim_mod, name, wrap(name, fn))
    try:
        yield spent
    finally:
        for name, fn in saved.items():
            setattr(sim_mod, name, fn)


def bench_end_to_end(
    case: Any, draws: int, repeats: int, t_kernel_numba: float | None
) -> dict[str, Any]:
    print(f"\nb. end-to-end warm: {draws:,} draws, seed {SEED}")
    ds = simulate(case, draws=draws, seed=SEED)
    ds_ref = reference_dataset(case, draws)
    if not np.allclose(ds.net_result.values, ds_ref.net_result.values, rtol=1e-12, atol=0.0):
        raise SystemExit("numba and NumPy-reference pipelines give different net results")

    def numba_path() -> None:
        summarize(simulate(case, draws=draws, seed=SEED))

    def numpy_path() -> None:
        summarize_numpy(reference_dataset(case, draws))

    t_numba, _ = best_of(numba_path, repeats)
    t_numpy, _ = best_of(numpy_path, repeats)
    t_sim, _ = best_of(lambda: simulate(case, draws=draws, seed=SEED), repeats)
    t_sum, _ = best_of(lambda: summarize(ds), repeats)
    t_sum_ref, _ = best_of(lambda: summarize_numpy(ds), repeats)
    t_ref_sim, _ = best_of(lambda: reference_dataset(case, draws), repeats)

    # Breakdown of one real simulate() call; keep the repeat with the smallest total.
    # The engine calls the kernel through ``run_kernel`` (output allocation + the call) when
    # the package has it, else ``simulate_chunk`` directly; whichever it looks up is timed.
    parts = [
        "compile_case",
        "_block_data",
        "sample_block",
        "draw_outcomes",
        "run_kernel",
        "simulate_chunk",
        "build_dataset",
    ]
    best: tuple[float, dict[str, float]] | None = None
    for _ in range(repeats):
        gc.collect()
        with timed_module_functions(parts) as spent:
            t0 = time.perf_counter()
            simulate(case, draws=draws, seed=SEED)
            total = time.perf_counter() - t0
        if best is None or total < best[0]:
            best = (total, dict(spent))
    assert best is not None
    t_instr, spent = best

    speedup = t_numpy / t_numba
    ok_ratio = speedup >= TARGETS["e2e_speedup_min"]
    ok_abs = t_numba < TARGETS["e2e_numba_max_s"]
    line(
        "numba: simulate + summarize",
        secs(t_numba),
        f"target < {TARGETS['e2e_numba_max_s']:.0f} s: {verdict(ok_abs)}",
    )
    line("NumPy reference: same sampling (serial) + summarize_numpy", secs(t_numpy), "(baseline)")
    line(
        "ratio NumPy / numba, with summarize",
        f"{speedup:.2f}x",
        f"target >= {TARGETS['e2e_speedup_min']:.0f}x: {verdict(ok_ratio)}",
    )
    line("numba: simulate only", secs(t_sim))
    line("NumPy reference: simulate only (to dataset)", secs(t_ref_sim))
    line("ratio NumPy / numba, simulate only", f"{t_ref_sim / t_sim:.2f}x")
    line("numba: summarize alone", secs(t_sum))
    line("NumPy reference: summarize_numpy alone", secs(t_sum_ref))
    line("ratio NumPy / numba, summaries only", f"{t_sum_ref / t_sum:.2f}x")

    print(
        f"  breakdown of the numba path (instrumented simulate {secs(t_instr)} "
        f"+ summarize {secs(t_sum)}):"
    )
    whole = t_instr + t_sum
    sampling = spent.get("_block_data")
    kernel_name = "run_kernel" if "run_kernel" in spent else "simulate_chunk"
    kernel = spent.get(kernel_name)
    rows: list[tuple[str, float | None]] = [
        ("compile_case", spent.get("compile_case")),
        ("sampling (_block_data; thread pool, summed)", sampling),
        ("  of which sample_block", spent.get("sample_block")),
        ("  of which draw_outcomes", spent.get("draw_outcomes")),
        (f"kernel ({kernel_name})", kernel),
        ("build_dataset", spent.get("build_dataset")),
    ]
    # Sampling runs on a thread pool, overlapping the kernel: its summed thread time is not
    # part of the wall-clock sum, so "other" is the rest of simulate's wall time after the
    # kernel, compile_case and build_dataset (waiting for samples, chunk assembly, ...).
    known = sum(
        v for v in (spent.get("compile_case"), kernel, spent.get("build_dataset")) if v is not None
    )
    rows.append(("other in simulate (waiting for samples, assembly)", t_instr - known))
    rows.append(("summary (summarize)", t_sum))
    shares: dict[str, float | None] = {}
    for label, value in rows:
        if value is None:
            line(label, "n/a", "(function not found in som_mc.simulate)")
            shares[label.strip()] = None
        else:
            line(label, secs(value), f"{100 * value / whole:5.1f} % of wall")
            shares[label.strip()] = value
    if kernel is not None and t_kernel_numba is not None:
        line(
            "kernel in simulate vs kernel alone (a.)",
            f"{kernel / t_kernel_numba:.2f}x",
            f"(kernel calls of <= {sim_mod.DEFAULT_CHUNK:,} draws: "
            f"{-(-draws // sim_mod.DEFAULT_CHUNK)}, vs one)",
        )
    return {
        "draws": draws,
        "numba_s": t_numba,
        "numpy_s": t_numpy,
        "speedup": speedup,
        "numba_simulate_s": t_sim,
        "numpy_simulate_s": t_ref_sim,
        "summarize_s": t_sum,
        "breakdown_s": shares,
        "breakdown_total_s": whole,
        "target_ratio_met": ok_ratio,
        "target_under_1s_met": ok_abs,
        "numpy_summarize_s": t_sum_ref,
        "summary_in_both": "yes: numba path summarize, NumPy path summarize_numpy",
    }


# --------------------------------------------------------------------------------------------
# c. JIT cold start

COLD_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import som_mc
from som_mc.run import simulate
t_import = time.perf_counter() - t0
case = som_mc.load_case(sys.argv[1])
draws = int(sys.argv[2])
t0 = time.perf_counter()
simulate(case, draws=draws, seed=1)
first = time.perf_counter() - t0
warm = []
for _ in range(3):
    t0 = time.perf_counter()
    simulate(case, draws=draws, seed=1)
    warm.append(time.perf_counter() - t0)
print(json.dumps({"import_s": t_import, "first_s": first, "warm_s": min(warm)}))
"""


def bench_cold_start(case_path: Path, cache_dir: str, repeats: int) -> dict[str, Any]:
    print(
        f"\nc. JIT cold start: {COLD_DRAWS:,} draws, fresh processes, NUMBA_CACHE_DIR={cache_dir}"
    )
    env = child_env(cache_dir)
    wall, _, out = run_child(
        [sys.executable, "-c", COLD_CHILD, str(case_path), str(COLD_DRAWS)], env
    )
    cold = json.loads(out)
    compile_s = cold["first_s"] - cold["warm_s"]
    line("import som_mc (numba, scipy, xarray, ...)", secs(cold["import_s"]))
    line("first simulate(), empty cache", secs(cold["first_s"]))
    line("warm simulate(), same process (baseline)", secs(cold["warm_s"]))
    line(
        "compile time = first - warm",
        secs(compile_s),
        f"first / warm = {cold['first_s'] / cold['warm_s']:.0f}x",
    )
    line("whole child process (wall)", secs(wall))

    cmd = cli_cmd(case_path, COLD_DRAWS)
    cli_times = []
    for _ in range(max(repeats, 1)):
        t, _, out = run_child(cmd, env)
        check_cli_json(out, COLD_DRAWS)
        cli_times.append(t)
    cli_warm = min(cli_times)
    with tempfile.TemporaryDirectory(prefix="som_mc_bench_cold_") as fresh:
        cli_cold, _, out = run_child(cmd, child_env(fresh))
        check_cli_json(out, COLD_DRAWS)
    full_cmd = cli_cmd(case_path, COLD_DRAWS, core=False)
    cli_full = min(run_child(full_cmd, env)[0] for _ in range(max(repeats, 1)))
    bare, _ = best_of(lambda: run_child([sys.executable, "-c", "pass"], env), repeats, warmup=0)
    imp, _ = best_of(
        lambda: run_child([sys.executable, "-c", "import som_mc.cli"], env), repeats, warmup=0
    )
    ok = cli_warm < TARGETS["cli_warm_cache_max_s"]
    line("python -c pass (interpreter only)", secs(bare))
    line("python -c 'import som_mc.cli' (import only)", secs(imp), "(baseline)")
    line(
        "CLI run, warm cache (wall, best), default install",
        secs(cli_warm),
        f"target < {TARGETS['cli_warm_cache_max_s']:.0f} s: {verdict(ok)}; first after "
        f"compile {secs(cli_times[0])}",
    )
    line("ratio CLI run / import only", f"{cli_warm / imp:.2f}x")
    line(
        "CLI run, warm cache, with the scale extra",
        secs(cli_full),
        "(dask installed: xarray imports dask.array on first use)",
    )
    line(
        "CLI run, empty cache (wall)",
        secs(cli_cold),
        f"= {cli_cold / cli_warm:.1f}x the warm-cache run",
    )
    return {
        "draws": COLD_DRAWS,
        "import_s": cold["import_s"],
        "first_call_s": cold["first_s"],
        "warm_call_s": cold["warm_s"],
        "compile_s": compile_s,
        "interpreter_s": bare,
        "import_cli_s": imp,
        "cli_warm_cache_s": cli_warm,
        "cli_warm_cache_all_s": cli_times,
        "cli_empty_cache_s": cli_cold,
        "cli_warm_cache_with_scale_extra_s": cli_full,
        "target_met": ok,
        "command": shlex.join(cmd),
    }


# --------------------------------------------------------------------------------------------
# d. memory


def bench_memory(case_path: Path, cache_dir: str, small: int, large: int) -> dict[str, Any]:
    print("\nd. memory: peak RSS of one fresh CLI child per run (kernel loaded from cache)")
    env = child_env(cache_dir)
    _, rss_import, _ = run_child([sys.executable, "-c", "import som_mc.cli"], env)
    figures = {}
    for draws in (small, large):
        wall, rss, out = run_child(cli_cmd(case_path, draws), env)
        check_cli_json(out, draws)
        figures[draws] = (rss, wall)
    (rss_s, wall_s), (rss_l, wall_l) = figures[small], figures[large]
    ratio = rss_l / rss_s
    ok = ratio <= TARGETS["memory_ratio_max"]
    line("python -c 'import som_mc.cli' (floor)", f"{rss_import:,} MiB")
    line(f"CLI run --draws {small:,}", f"{rss_s:,} MiB", f"wall {secs(wall_s)}")
    line(f"CLI run --draws {large:,}", f"{rss_l:,} MiB", f"wall {secs(wall_l)}")
    line(
        f"ratio {large // small}x draws / 1x draws",
        f"{ratio:.2f}x",
        f"target <= {TARGETS['memory_ratio_max']}x: {verdict(ok)}",
    )
    per_draw = (rss_l - rss_s) * 1024 * 1024 / (large - small)
    line("marginal memory per draw", f"{per_draw:,.0f} B")
    # The CLI keeps every draw up to a threshold and summarises chunk-wise above it (when it
    # has one): its largest in-memory run is the true peak, whatever the two runs above say.
    threshold = getattr(importlib.import_module("som_mc.cli"), "STREAM_ABOVE", None)
    rss_t = wall_t = None
    if isinstance(threshold, int) and small < threshold < large:
        wall_t, rss_t, out = run_child(cli_cmd(case_path, threshold), env)
        check_cli_json(out, threshold)
        line(
            f"CLI run --draws {threshold:,} (largest kept in memory)",
            f"{rss_t:,} MiB",
            f"wall {secs(wall_t)}; {rss_t / rss_s:.2f}x the {small:,}-draw run",
        )
    return {
        "import_rss_mib": rss_import,
        "small_draws": small,
        "large_draws": large,
        "small_rss_mib": rss_s,
        "large_rss_mib": rss_l,
        "small_wall_s": wall_s,
        "large_wall_s": wall_l,
        "ratio": ratio,
        "marginal_bytes_per_draw": per_draw,
        "cli_stream_above": threshold,
        "stream_threshold_rss_mib": rss_t,
        "stream_threshold_wall_s": wall_t,
        "target_met": ok,
    }


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--draws",
        type=int,
        default=None,
        help="draws for a., b. and the smaller memory run (default 100000; "
        f"{QUICK_DRAWS} with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: small draws, 2 repeats")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repeats after one warm-up (default 5; 2 with --quick)",
    )
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE, help="case file (TOML)")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write all figures to PATH as JSON",
    )
    parser.add_argument(
        "--parts",
        default="abcd",
        help="which measurements to run, e.g. 'ab' (default: abcd = all)",
    )
    args = parser.parse_args(argv)
    if not set(args.parts) <= set("abcd") or not args.parts:
        parser.error("--parts takes letters from 'abcd'")
    draws = args.draws or (QUICK_DRAWS if args.quick else 100_000)
    repeats = args.repeats or (2 if args.quick else 5)
    if draws < 1 or repeats < 1:
        parser.error("--draws and --repeats must be >= 1")
    case_path = args.case.resolve()

    case = som_mc.load_case(case_path)
    model = compile_case(case)
    started = dt.datetime.now().astimezone()
    print(f"som_mc benchmarks, {started:%Y-%m-%d %H:%M %Z}")
    print(f"  command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"  case: {case_path.relative_to(REPO) if case_path.is_relative_to(REPO) else case_path}"
        f" ({model.uncertain.size} uncertain inputs, {model.n_cohorts} cohorts, "
        f"{model.n_years} years, {len(case.consequences)} consequences, "
        f"{len(case.actors)} actors, outcome noise {'on' if case.outcome.noise else 'off'})"
    )
    print(
        f"  som_mc {som_mc.__version__}, python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__} ({kernel_threads()} "
        f"threads), {os.cpu_count()} CPUs; block {BLOCK_SIZE:,}, chunk "
        f"{sim_mod.DEFAULT_CHUNK:,} draws"
    )
    print(
        "  load average (1, 5, 15 min): "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + "  (other work on the machine inflates timings)"
    )
    print(
        f"  warm timings: best of {repeats} after 1 warm-up"
        + ("" if draws == 100_000 else "; targets are stated for 100,000 draws")
    )

    results: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "case": str(case_path),
        "draws": draws,
        "repeats": repeats,
        "versions": {
            "som_mc": som_mc.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
        },
        "numba_threads": kernel_threads(),
        "load_average_start": os.getloadavg(),
        "cpus": os.cpu_count(),
        "targets": TARGETS,
    }
    t_start = time.perf_counter()
    busy_start, own_start = busy_cpu_seconds(), own_cpu_seconds()
    t_kernel = None
    if "a" in args.parts:
        results["kernel"] = bench_kernel(model, draws, repeats)
        t_kernel = results["kernel"]["numba_s"]
    if "b" in args.parts:
        results["end_to_end"] = bench_end_to_end(case, draws, repeats, t_kernel)
    with tempfile.TemporaryDirectory(prefix="som_mc_bench_cache_") as cache_dir:
        if "c" in args.parts:
            results["cold_start"] = bench_cold_start(case_path, cache_dir, min(repeats, 3))
        if "d" in args.parts:
            results["memory"] = bench_memory(case_path, cache_dir, draws, 10 * draws)
    results["benchmark_wall_s"] = time.perf_counter() - t_start
    busy_end = busy_cpu_seconds()
    others = None
    if busy_start is not None and busy_end is not None:
        # children run through the launcher are waited for, so their CPU time counts as ours
        others = max(0.0, (busy_end - busy_start) - (own_cpu_seconds() - own_start))
    results["other_processes_cpu_s"] = others

    print("\nsummary")
    figures: list[tuple[str, str, str, str]] = [
        ("kernel", "speedup", "kernel speed-up NumPy / numba", "target_met"),
        ("end_to_end", "speedup", "end-to-end speed-up NumPy / numba", "target_ratio_met"),
        ("end_to_end", "numba_s", f"numba end-to-end, {draws:,} draws", "target_under_1s_met"),
        ("cold_start", "cli_warm_cache_s", "CLI wall, warm cache", "target_met"),
        ("memory", "ratio", "memory ratio 10x draws", "target_met"),
    ]
    for part, key, label, ok_key in figures:
        if part in results:
            value = results[part][key]
            shown = secs(value) if key.endswith("_s") else f"{value:.2f}x"
            line(label, shown, verdict(results[part][ok_key]))
    results["load_average_end"] = os.getloadavg()
    if others is not None:
        print(
            f"  other processes used {others:.1f} CPU-s during the run "
            f"({100 * others / results['benchmark_wall_s']:.0f} % of one core on average; "
            "more than a few % means the timings above are inflated)"
        )
    print(
        f"  (benchmark took {secs(results['benchmark_wall_s'])}; load average at the end "
        + ", ".join(f"{x:.2f}" for x in results["load_average_end"])
        + ")"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"  figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
