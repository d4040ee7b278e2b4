"""Benchmark: Sobol analysis of the reference workload (>= 20 uncertain inputs).

Run: ``python benchmarks/bench_sensitivity.py [--n-base 4096]``. Prints the wall time of
``som_mc.sensitivity.sobol_analysis`` (warm JIT) and its breakdown: the kernel's share,
the quantile mapping of the two base samples, and SALib's estimators with their bootstrap
(per output: the 3 actors and the total).

``python benchmarks/bench_sensitivity.py --cli [--repeats 3]`` times the two commands of
issue #14's target 5 end to end instead (``som-mc sensitivity … --method sobol --n-base
4096`` and ``--method tornado``, each writing its 16 figure files, and the tornado with
``--actor total`` only), after one warm-up run: the best wall time of the repeats and the
CPU seconds (user + system, the helper processes included) of that run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import som_mc
from som_mc.sensitivity import sobol_analysis

HERE = Path(__file__).resolve().parent


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall, user and system seconds of one run of `command` (its children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def cli(case: str, n_base: int, repeats: int) -> None:
    """Time the sensitivity commands end to end (best wall of `repeats`, its CPU seconds)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python writes bytecode caches
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    commands = {
        f"sobol --n-base {n_base}": ["--method", "sobol", "--n-base", str(n_base)],
        "tornado": ["--method", "tornado"],
        "tornado --actor total": ["--method", "tornado", "--actor", "total"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in commands.items():
            out = Path(tmp) / label.replace(" ", "_")
            command = [sys.executable, "-m", "som_mc.cli", "sensitivity", case, *extra]
            command += ["--seed", "1", "--out", str(out), "--force"]
            _timed(command, env)  # warm-up: numba cache, bytecode caches
            wall, user, system = min(_timed(command, env) for _ in range(repeats))
            files = len([p for p in out.iterdir() if p.suffix in (".png", ".svg")])
            print(
                f"som-mc sensitivity --method {label:24s} {wall:6.2f} s wall, "
                f"{user + system:6.2f} CPU-s ({user:.2f} user + {system:.2f} sys), "
                f"{files} figure files"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-base", type=int, default=4096)
    parser.add_argument("--case", default=str(HERE / "reference.toml"))
    parser.add_argument("--cli", action="store_true", help="time the CLI commands")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per command (--cli)")
    args = parser.parse_args()
    if args.cli:
        cli(args.case, args.n_base, args.repeats)
        return
    case = som_mc.load_case(args.case)
    sobol_analysis(case, n_base=64, seed=0, num_resamples=10)  # warm the JIT
    t0 = time.perf_counter()
    res = sobol_analysis(case, n_base=args.n_base, seed=0)
    total = time.perf_counter() - t0
    kernel = res.attrs["seconds_kernel"]
    model = res.attrs["seconds_model"]  # design + quantile mapping + kernel
    print(f"case: {args.case}")
    print(f"uncertain inputs: {res.attrs['n_inputs']}, groups analysed: {res.sizes['input']}")
    print(f"base samples N: {args.n_base}, model evaluations: {res.attrs['n_evaluations']:,}")
    print(f"total time:                      {total:8.2f} s")
    print(f"  kernel (numba):                {kernel:8.2f} s  ({100 * kernel / total:5.1f} %)")
    print(
        f"  design + quantile mapping:     {model - kernel:8.2f} s  "
        f"({100 * (model - kernel) / total:5.1f} %)"
    )
    print(
        f"  SALib analysis + bootstrap:    {total - model:8.2f} s  "
        f"({100 * (total - model) / total:5.1f} %)"
    )
    top = res.sel(actor="total").sortby("ST", ascending=False).isel(input=slice(0, 5))
    print(
        "top inputs (total): "
        + ", ".join(
            f"{n} ST={st:.3f}" for n, st in zip(top.input.values, top.ST.values, strict=True)
        )
    )


if __name__ == "__main__":
    main()
