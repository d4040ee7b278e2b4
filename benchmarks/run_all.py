"""Every performance target of som_mc, measured side by side in one run (issue #14).

One command, from the repository root::

    python benchmarks/run_all.py            # full run (best of 5), ~4-10 min on 2 busy cores
    python benchmarks/run_all.py --quick    # best of 1, fewer draws: a smoke test
    python benchmarks/run_all.py --no-sensitivity   # without the two sensitivity rows
    make bench                              # the same as the full run

Every figure is measured in a fresh child process of this run (``python -m som_mc.cli`` or a
small ``python -c`` script), with this checkout first on ``PYTHONPATH``, so import time,
numba's on-disk cache and memory are what a user gets. Timings are wall-clock seconds from
:func:`time.perf_counter` (in-process figures) or around :func:`subprocess.run` (whole
commands); peak memory is ``/usr/bin/time -f %M``. Each timing is the best of ``--repeats``
(default 5; the CLI marginals' runs ``--cli-repeats``, default 13; the sensitivity commands
``--sensitivity-repeats``, default 3) after a warm-up, except the CLI marginals, which are
medians of ``--cli-repeats`` paired differences (a base run and a big run in turn, after an
untimed base run, a pair's rounds in a row; twice as many for the small marginal, which is
smaller than the start-up's jitter); elsewhere som_mc
and the NumPy script are measured in turns (A B A B …), and every ratio compares figures
taken in this same run, because the machine's timings vary a lot with other work (the load
average is printed at the start and the end). Five rather than three: a timed library run of
100,000 draws takes ≈ 150 MB of fresh memory (its results), and on the virtual machines
measured here the first touch of fresh memory costs ≈ 0,05 ms per MB in one process and up
to ≈ 2,5 ms in the next (memory the guest had handed back to the host), for som_mc and the
NumPy script alike.

The plain NumPy alternative is ``benchmarks/numpy_baseline.py`` (its own TOML reading,
NumPy generators, vectorised arithmetic, ``np.quantile``); ``benchmarks/check_baseline.py``
checks that it agrees with som_mc within 4 MCSE, and its verdict is part of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASE = HERE / "reference.toml"
PY = sys.executable
NOTICE = "Kompilerer beregningskernen (kun første gang)"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Python writes bytecode caches for a user's installation (pip compiles them at install,
    # an editable install on first import); an environment that forbids writing them would
    # make every start-up compile som_mc's sources again, which no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def run_child(
    args: Sequence[str], *, env: dict[str, str] | None = None, check: bool = True
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command; return its wall time and the finished process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(args), cwd=ROOT, env=env or _env(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    if check and proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{proc.stderr[-2000:]}")
    return wall, proc


def walls(
    args: Sequence[str], repeats: int, *, env: dict[str, str] | None = None, warm: bool = True
) -> list[float]:
    """Wall times of `repeats` runs of a command, after one warm-up run (`warm`)."""
    if warm:
        run_child(args, env=env)
    return [run_child(args, env=env)[0] for _ in range(repeats)]


def best_wall(
    args: Sequence[str], repeats: int, *, env: dict[str, str] | None = None, warm: bool = True
) -> float:
    """Best wall time of `repeats` runs of a command, after one warm-up run (`warm`)."""
    return min(walls(args, repeats, env=env, warm=warm))


def interleaved(
    first: Callable[[], float], second: Callable[[], float], repeats: int
) -> tuple[float, float]:
    """Best of `repeats` of two measurements taken in turns (A B A B …).

    Alternating keeps a burst of other work on the machine from landing on one side only.
    """
    a, b = [], []
    for _ in range(repeats):
        a.append(first())
        b.append(second())
    return min(a), min(b)


def paired_marginals(
    pairs: Sequence[tuple[Callable[[], float], Callable[[], float]]], repeats: int
) -> list[tuple[float, float, tuple[float, float]]]:
    """Per pair ``(base, big)``: the median of `repeats` paired differences ``big - base``,
    the best big time minus the best base time, and the differences' quartiles.

    A pair's rounds run one after the other, each an untimed base run, then the timed base
    and big runs, so each difference is taken within seconds of the machine's life (the
    NumPy script's million draws take 5–8 s) and both of its runs follow a run of the same
    base command; the median of the paired differences is the typical cost of the extra
    draws. Why not the two tools' pairs in
    turns, as until the seventeenth session: then som_mc's base run alone followed the NumPy
    script's big run (and the script's base run som_mc's), and a process started right
    after one that freed hundreds of MB ran ≈ 0,02 s slower here (median of 12 paired
    runs), a quarter of som_mc's 100,000-draw marginal; the shifts moved that marginal
    between 0,04 and 0,12 s from run to run while its in-process cost stayed 0,056–0,065 s.
    The price: the two tools' marginals are measured a minute or two apart, so a change of
    the machine's load between those windows moves their ratio (the load average is printed
    at the start and the end). The difference of the two best times subtracts two minima
    of noisy start-ups (it moved by ±50 ms here for the same code) and is printed beside it
    for comparison.
    """
    results = []
    for base, big in pairs:
        diffs: list[float] = []
        bases: list[float] = []
        bigs: list[float] = []
        for _ in range(repeats):
            base()  # untimed: the timed base run follows a base run, as the big run does
            t_base = base()
            t_big = big()
            bases.append(t_base)
            bigs.append(t_big)
            diffs.append(t_big - t_base)
        results.append((statistics.median(diffs), min(bigs) - min(bases), _quartiles(diffs)))
    return results


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    """First and third quartile (the values themselves when there are fewer than two)."""
    if len(values) < 2:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def ratio(a: float, b: float) -> float:
    """``a / b``, NaN when `b` is not positive (a marginal time lost in the noise)."""
    return a / b if b > 0 else float("nan")


def peak_rss_mib(args: Sequence[str]) -> float:
    """Peak resident memory of a command, from ``/usr/bin/time -f %M`` (KiB)."""
    _, proc = run_child(["/usr/bin/time", "-f", "MAXRSS %M", *args])
    match = re.search(r"MAXRSS (\d+)", proc.stderr)
    return int(match.group(1)) / 1024 if match else float("nan")


LIBRARY = r"""
import json, sys, time
import som_mc
from som_mc import simulate, summarize, summarize_stream
draws, repeats, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
case = som_mc.load_case(sys.argv[4])
def once():
    if mode == "memory":
        summarize(simulate(case, draws=draws, seed=1))
    else:
        summarize_stream(case, draws=draws, seed=1)
# kernels loaded, caches warm: enough draws for the compiled kernels (runs of at most
# 10,000 draws use their NumPy twins and never load numba)
summarize(simulate(case, draws=20_000, seed=1))
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); once(); times.append(time.perf_counter() - t0)
print(json.dumps(times))
"""

BASELINE = r"""
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("numpy_baseline", sys.argv[3])
mod = importlib.util.module_from_spec(spec); sys.modules["numpy_baseline"] = mod
spec.loader.exec_module(mod)
draws, repeats = int(sys.argv[1]), int(sys.argv[2])
mod.run(20_000, 1)
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); mod.run(draws, 1); times.append(time.perf_counter() - t0)
print(json.dumps(times))
"""


SPEED = r"""
import time, numpy as np
g = np.random.default_rng(1)
best = min(
    (lambda t0: (g.standard_normal(2_000_000), time.perf_counter() - t0)[1])(time.perf_counter())
    for _ in range(5)
)
print(best / 2_000_000 * 1e9)
"""


def machine_speed() -> str:
    """NumPy's standard normal sampler, ns per variate: how fast this machine is right now.

    The absolute targets (start-up, sensitivity) depend on it; ratios within one run do not.
    """
    _, proc = run_child([PY, "-c", SPEED])
    return f"{float(proc.stdout.strip()):.1f} ns per NumPy standard normal (one core)"


def in_process(script: str, *args: str) -> float:
    """Best in-process time printed by a child running `script`."""
    _, proc = run_child([PY, "-c", script, *args])
    return min(json.loads(proc.stdout.strip().splitlines()[-1]))


@dataclass
class Row:
    """One line of the table: a figure, how it compares, and whether it meets its target."""

    what: str
    figure: str
    ratio: str
    target: str
    met: bool | None  # None: reported only

    @property
    def verdict(self) -> str:
        return "reported" if self.met is None else ("MET" if self.met else "MISSED")


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer draws (30,000 and 100,000), best of 1"
    )
    parser.add_argument(
        "--no-sensitivity", action="store_true", help="skip the sensitivity rows (slowest)"
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5)")
    parser.add_argument(
        "--sensitivity-repeats",
        type=int,
        default=None,
        help="timed runs of each sensitivity command (default 3)",
    )
    parser.add_argument(
        "--cli-repeats",
        type=int,
        default=None,
        help="paired rounds of the large CLI marginal (default 13; the small one twice as many)",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    # A marginal is the difference of two whole commands whose start-up (≈ 0,4 s) jitters
    # by more than the 80,000 draws of the small marginal cost (≈ 0,05 s on 2 cores): its
    # minima need more runs than a timing of seconds does.
    cli_repeats = args.cli_repeats or (1 if args.quick else max(repeats, 13))
    # the small marginal (≈ 0,04–0,1 s) against a start-up jitter of ±0,05–0,1 s: its
    # median needs more pairs than the large one's (≈ 1 s) to read the per-draw cost
    small_repeats = 2 * cli_repeats
    # A sensitivity command takes seconds, and one run of the same command on the same tree
    # read 2,6–3,8 s on this machine (the slowest with three times the system time of the
    # others: fresh memory): its best of a few runs, like every other row's
    sens_repeats = args.sensitivity_repeats or (1 if args.quick else 3)
    small, large = (30_000, 100_000) if args.quick else (100_000, 1_000_000)
    tmp = Path(tempfile.mkdtemp(prefix="som_mc_bench_"))
    started = time.perf_counter()
    cli = [PY, "-m", "som_mc.cli"]
    rows: list[Row] = []
    print(f"som_mc benchmarks (issue #14), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"  command: python benchmarks/run_all.py {' '.join(argv or sys.argv[1:])}".rstrip())
    version = sys.version.split()[0]
    print(f"  case: {CASE.relative_to(ROOT)}; {os.cpu_count()} CPUs; python {version}")
    print(
        f"  every timing: best of {repeats} (CLI marginals {small_repeats} small,"
        f" {cli_repeats} large; sensitivity"
        f" {sens_repeats}) after a warm-up, fresh child processes"
    )
    print(f"  load average at start (1, 5, 15 min): {load_average()}", flush=True)
    print(f"  machine speed: {machine_speed()}", flush=True)

    try:
        # -- 1. end-to-end against the plain NumPy script ---------------------------------
        base_py = str(HERE / "numpy_baseline.py")
        lib_small, base_small = interleaved(
            lambda: in_process(LIBRARY, str(small), "1", "memory", str(CASE)),
            lambda: in_process(BASELINE, str(small), "1", base_py),
            repeats,
        )
        rows.append(
            Row(
                f"library {small:,} draws: simulate + summarize",
                fmt_s(lib_small),
                f"NumPy {fmt_s(base_small)} = {base_small / lib_small:.1f}x",
                ">= 5x",
                base_small / lib_small >= 5,
            )
        )
        print(f"  [1] library {small:,}: {lib_small:.2f} s vs NumPy {base_small:.2f} s", flush=True)
        lib_large, base_large = interleaved(
            lambda: in_process(LIBRARY, str(large), "1", "stream", str(CASE)),
            lambda: in_process(BASELINE, str(large), "1", base_py),
            repeats,
        )
        rows.append(
            Row(
                f"library {large:,} draws: summarize_stream",
                fmt_s(lib_large),
                f"NumPy {fmt_s(base_large)} = {base_large / lib_large:.1f}x",
                ">= 5x",
                base_large / lib_large >= 5,
            )
        )
        print(f"  [1] library {large:,}: {lib_large:.2f} s vs NumPy {base_large:.2f} s", flush=True)

        def som_run(n: int) -> list[str]:
            return [*cli, "run", str(CASE), "--draws", str(n), "--seed", "1", "--json"]

        def base_run(n: int) -> list[str]:
            return [PY, base_py, "--draws", str(n), "--seed", "1", "--json"]

        # Marginal cost above BASE draws: runs of at most 10,000 draws use the kernels'
        # NumPy twins and never import numba, so the base run must be large enough to load
        # the compiled kernels too, or the difference would count numba's start-up.
        base_draws = 20_000
        run_child(som_run(base_draws))  # warms numba's cache and the OS's file cache
        run_child(base_run(base_draws))
        cli_start, _ = interleaved(
            lambda: run_child(som_run(1000))[0], lambda: run_child(base_run(1000))[0], repeats
        )

        def timed(command: list[str]) -> Callable[[], float]:
            return lambda: run_child(command)[0]

        # medians of paired differences (see paired_marginals), each pair's rounds in a row:
        # som_mc's and the script's small marginals, then their large ones (a run of a
        # million draws, the NumPy script's ≈ 5–8 s and GBs freed, between the short runs
        # of a small pair moved that pair's differences by ±0,2 s here)
        marginals = paired_marginals(
            [
                (timed(som_run(base_draws)), timed(som_run(small))),
                (timed(base_run(base_draws)), timed(base_run(small))),
            ],
            small_repeats,
        ) + paired_marginals(
            [
                (timed(som_run(base_draws)), timed(som_run(large))),
                (timed(base_run(base_draws)), timed(base_run(large))),
            ],
            cli_repeats,
        )
        (som_small, best_small, q_small), (base_small_m, _, qb_small) = marginals[:2]
        (som_large, best_large, q_large), (base_large_m, _, qb_large) = marginals[2:]
        for who, n, (q1, q3) in (
            ("som_mc", small, q_small),
            ("NumPy script", small, qb_small),
            ("som_mc", large, q_large),
            ("NumPy script", large, qb_large),
        ):
            print(
                f"  [1] CLI marginal {n:,} - {base_draws:,}, {who}: quartiles of the paired"
                f" differences {q1:.3f} .. {q3:.3f} s",
                flush=True,
            )
        for n, som, base, best in (
            (small, som_small, base_small_m, best_small),
            (large, som_large, base_large_m, best_large),
        ):
            rows.append(
                Row(
                    f"CLI run, marginal {n:,} - {base_draws:,} draws",
                    f"{fmt_s(som)} (best-best {fmt_s(best)})",
                    f"NumPy script {fmt_s(base)} = {ratio(base, som):.1f}x"
                    if som > 0
                    else f"NumPy script {fmt_s(base)}; ours below the start-up's jitter",
                    ">= 5x",
                    ratio(base, som) >= 5,
                )
            )
        marginal = f"{som_small:.2f} / {som_large:.2f} s (medians of paired differences)"
        print(f"  [1] CLI marginal {marginal}", flush=True)

        # -- 2. per-draw cost and memory flat ---------------------------------------------
        growth = lib_large / lib_small
        rows.append(
            Row(
                f"library {large:,} / {small:,} draws (time)",
                f"{growth:.1f}x",
                f"NumPy {base_large / base_small:.1f}x",
                "<= 11x",
                growth <= 11,
            )
        )
        # The marginals cover large - base and small - base draws (980,000 and 80,000), not
        # 10x the draws: compare their costs per draw, as the time of `large` draws over
        # the time of `small` draws at those costs (flat per-draw cost: large / small).
        per_draw = ratio(
            som_large / (large - base_draws),
            som_small / (small - base_draws),
        )
        cli_growth = per_draw * large / small
        rows.append(
            Row(
                f"CLI marginal per draw, {large:,} vs {small:,} draws",
                f"{cli_growth:.1f}x" if som_small > 0 else "n/a",
                f"per draw {per_draw:.2f}x" if som_small > 0 else "small marginal <= 0",
                "<= 11x",
                cli_growth <= 11,
            )
        )
        rss_small, rss_large = peak_rss_mib(som_run(small)), peak_rss_mib(som_run(large))
        rows.append(
            Row(
                f"CLI peak RSS {large:,} / {small:,} draws",
                f"{rss_large:.0f} / {rss_small:.0f} MiB",
                f"{rss_large / rss_small:.2f}x",
                "<= 1.5x (flat)",
                rss_large / rss_small <= 1.5,
            )
        )
        print(f"  [2] growth {growth:.1f}x, RSS {rss_small:.0f} -> {rss_large:.0f} MiB", flush=True)

        # -- 3. start-up ------------------------------------------------------------------
        bare = best_wall([PY, "-c", "pass"], repeats)
        for label, command in (
            ("som-mc --help", [*cli, "--help"]),
            ("som-mc validate CASE", [*cli, "validate", str(CASE)]),
            ("som-mc catalog list", [*cli, "catalog", "list"]),
        ):
            t = best_wall(command, repeats)
            rows.append(Row(label, fmt_s(t), f"python -c pass {fmt_s(bare)}", "<= 0.6 s", t <= 0.6))
        rows.append(
            Row(
                "som-mc run CASE --draws 1000 (warm cache)",
                fmt_s(cli_start),
                "",
                "<= 1.2 s",
                cli_start <= 1.2,
            )
        )
        print("  [3] start-up measured", flush=True)

        # -- 4. cold start ----------------------------------------------------------------
        cache = tmp / "numba_cache"
        cache.mkdir()
        # a run large enough for the compiled kernels (a run of 1,000 draws compiles nothing)
        cold, proc = run_child(som_run(base_draws), env=_env(NUMBA_CACHE_DIR=str(cache)))
        warm_after, _ = run_child(som_run(base_draws), env=_env(NUMBA_CACHE_DIR=str(cache)))
        told = NOTICE in proc.stderr
        compile_s = cold - warm_after
        rows.append(
            Row(
                "first run, empty numba cache",
                f"{fmt_s(cold)} (compile ~{fmt_s(compile_s)})",
                "notice on stderr: " + ("yes" if told else "no"),
                "<= 3 s or notice",
                compile_s <= 3 or told,
            )
        )
        print(f"  [4] cold start {cold:.1f} s, notice {told}", flush=True)

        # -- 5. sensitivity (owned by the sensitivity work; reported here) ----------------
        methods = () if args.no_sensitivity else (("sobol", 4.0), ("tornado", 2.0))
        for method, target in methods:
            extra = ["--n-base", "4096"] if method == "sobol" else []
            out = tmp / f"sens_{method}"
            command = [
                *cli,
                "sensitivity",
                str(CASE),
                "--method",
                method,
                *extra,
                "--out",
                str(out),
                "--force",
            ]
            times = walls(command, sens_repeats)
            t = min(times)
            rows.append(
                Row(
                    f"som-mc sensitivity --method {method}" + (" --n-base 4096" if extra else ""),
                    fmt_s(t),
                    f"best of {len(times)}; slowest {fmt_s(max(times))}",
                    f"<= {target:.0f} s",
                    t <= target,
                )
            )
        print("  [5] sensitivity measured", flush=True)

        # -- agreement of the baseline with som_mc ----------------------------------------
        _, proc = run_child(
            [PY, str(HERE / "check_baseline.py"), "--draws", str(small)], check=False
        )
        agree = proc.returncode == 0 and proc.stdout.strip().endswith("PASS")
        rows.append(
            Row(
                f"NumPy script agrees with som_mc ({small:,} draws)",
                "PASS" if agree else "FAIL",
                "means within 4 MCSE",
                "PASS",
                agree,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    widths = [
        max(len(r.what) for r in rows),
        max(len(r.figure) for r in rows),
        max(len(r.ratio) for r in rows),
        max(len(r.target) for r in rows),
    ]
    print()
    header = ("target", "measured", "compared with", "goal", "verdict")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 8], strict=True)))
    for r in rows:
        cells = (r.what, r.figure, r.ratio, r.target)
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + r.verdict)
    met = sum(r.met is True for r in rows)
    print()
    print(f"  {met} of {sum(r.met is not None for r in rows)} targets met")
    print(
        f"  load average at the end: {load_average()}; took {time.perf_counter() - started:.0f} s"
    )
    # the machine's speed drifts by tens of per cent within minutes here: read it again
    print(f"  machine speed at the end: {machine_speed()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
