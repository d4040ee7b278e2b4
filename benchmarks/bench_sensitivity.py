"""Benchmark: Sobol analysis of the reference workload (>= 20 uncertain inputs).

Run: ``python benchmarks/bench_sensitivity.py [--n-base 4096]``. Prints the wall time of
``som_mc.sensitivity.sobol_analysis`` (warm JIT) and its breakdown: the kernel's share,
the quantile mapping of the two base samples, and SALib's estimators with their bootstrap
(per output: the 3 actors and the total).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import som_mc
from som_mc.sensitivity import sobol_analysis

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-base", type=int, default=4096)
    parser.add_argument("--case", default=str(HERE / "reference.toml"))
    args = parser.parse_args()
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
