"""What two threads give a streamed run here, and what keeping freed memory saves.

Each figure is a fresh child process running ``summarize_stream`` of
``benchmarks/reference.toml`` (1,000,000 draws by default) after a 20,000-draw warm-up, best
of ``--repeats``; wall time from :func:`time.perf_counter`, CPU time, system time and minor
page faults from :func:`resource.getrusage` of the timed run only:

a. one kernel thread (``NUMBA_NUM_THREADS=1``);
b. two threads (the default on this machine);
c. two copies of (a) at the same time: if each takes more CPU time than (a) alone, the two
   CPUs share hardware, and two threads cannot give 2×;
d. (b) after ``keep_freed_memory()`` (what ``som-mc run`` and ``som-mc sensitivity`` do).

Usage::

    python benchmarks/bench_threads.py              # 1,000,000 draws, best of 2
    python benchmarks/bench_threads.py --draws 200000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "benchmarks" / "reference.toml"

CHILD = r"""
import json, resource, sys, time
draws, repeats, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "keep"
if keep:
    from som_mc.present.background import keep_freed_memory
    keep_freed_memory()
import som_mc
case = som_mc.load_case(sys.argv[4])
som_mc.summarize_stream(case, draws=20_000, seed=1)
best = None
for _ in range(repeats):
    r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
    som_mc.summarize_stream(case, draws=draws, seed=1)
    wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
    fig = {"wall": wall, "cpu": r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime,
           "sys": r1.ru_stime - r0.ru_stime, "faults": r1.ru_minflt - r0.ru_minflt}
    if best is None or fig["wall"] < best["wall"]:
        best = fig
print(json.dumps(best))
"""


def _start(draws: int, repeats: int, *, threads: int | None, keep: bool) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("NUMBA_NUM_THREADS", None)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    args = [sys.executable, "-c", CHILD, str(draws), str(repeats), "keep" if keep else "-"]
    return subprocess.Popen(
        [*args, str(CASE)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"child failed with status {proc.returncode}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def _line(label: str, fig: dict[str, float]) -> str:
    return (
        f"  {label:<40} wall {fig['wall']:5.2f} s  CPU {fig['cpu']:5.2f} s  "
        f"sys {fig['sys']:4.2f} s  faults {int(fig['faults']):>7,}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    n, k = args.draws, args.repeats
    print(f"summarize_stream of {CASE.name}, {n:,} draws, best of {k}, {os.cpu_count()} CPUs")
    one = _result(_start(n, k, threads=1, keep=False))
    print(_line("a. one thread", one), flush=True)
    two = _result(_start(n, k, threads=None, keep=False))
    print(_line("b. two threads", two), flush=True)
    pair = [_start(n, k, threads=1, keep=False) for _ in range(2)]
    side = [_result(p) for p in pair]
    for i, fig in enumerate(side, start=1):
        print(_line(f"c. one thread, copy {i} of 2 side by side", fig), flush=True)
    kept = _result(_start(n, k, threads=None, keep=True))
    print(_line("d. two threads, freed memory kept", kept), flush=True)
    slower = max(fig["cpu"] for fig in side) / one["cpu"] - 1
    print(
        f"  two threads: {one['wall'] / two['wall']:.2f}x as fast as one, "
        f"{two['cpu'] / one['cpu'] - 1:+.0%} CPU time; side by side each copy "
        f"{slower:+.0%} CPU time; freed memory kept: wall {kept['wall'] / two['wall'] - 1:+.0%}, "
        f"system time {two['sys']:.2f} -> {kept['sys']:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
