"""Check that the plain NumPy baseline computes what som_mc computes.

Runs ``benchmarks/numpy_baseline.py`` (loaded by path) and som_mc (``load_case``,
``simulate``, ``summarize``) on the same case with different seeds, and compares the means of
the cumulative nettoresultat per (year, aktør incl. total): z = (mean_a − mean_b) /
sqrt(mcse_a² + mcse_b²). PASS when every |z| ≤ 4 and both count the same uncertain inputs (by
name). For information it also prints each run's z against the exact expectation (som_mc's
deterministic calculation on the input means), the ratio of the sds and the largest
differences of P(> 0) and of the horizon quantiles.

Usage::

    python benchmarks/check_baseline.py [--draws 100000] [--seed 1] [--case FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
Z_LIMIT = 4.0


def load_baseline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("numpy_baseline", HERE / "numpy_baseline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="baseline seed; som_mc uses seed+1")
    parser.add_argument("--case", default=str(HERE / "reference.toml"))
    args = parser.parse_args(argv)

    baseline = load_baseline()
    res = baseline.run(args.draws, args.seed, args.case)
    print(f"baseline: {args.draws:,} draws in {res['elapsed_s']:.2f} s")

    sys.path.insert(0, str(HERE.parent))  # this checkout's som_mc, not an installed one
    import som_mc
    from som_mc.model import compile_case

    t0 = time.perf_counter()
    case = som_mc.load_case(args.case)
    summ = som_mc.summarize(som_mc.simulate(case, draws=args.draws, seed=args.seed + 1))
    print(f"som_mc:   {args.draws:,} draws in {time.perf_counter() - t0:.2f} s (incl. JIT load)")

    ok = True
    names_b = res["uncertain_input_names"]
    names_s = compile_case(case).uncertain_names
    same = sorted(names_b) == sorted(names_s)
    ok &= same
    print(
        f"uncertain inputs: baseline {len(names_b)}, som_mc {len(names_s)}"
        + ("" if same else f"; differ: {sorted(set(names_b) ^ set(names_s))}")
    )

    actors = [str(a) for a in summ.actor.values]
    years = [int(y) for y in summ.year.values]
    if years != res["years"] or actors != list(res["cumulative"]):
        print(
            f"FAIL: axes differ: {years} / {actors} vs {res['years']} / {list(res['cumulative'])}"
        )
        return 1
    cum = res["cumulative"]

    def baseline_grid(key: str) -> np.ndarray:  # (year, actor)
        return np.array([cum[a][key] for a in actors]).T

    def som_grid(var: str) -> np.ndarray:
        return summ[var].transpose("year", "actor").values

    mean_b, mcse_b = baseline_grid("mean"), baseline_grid("mcse")
    mean_s, mcse_s = som_grid("cumulative_mean"), som_grid("cumulative_mcse")
    z = (mean_b - mean_s) / np.sqrt(mcse_b**2 + mcse_s**2)
    worst = np.unravel_index(np.argmax(np.abs(z)), z.shape)
    zmax = float(np.abs(z).max())
    ok &= zmax <= Z_LIMIT

    print("\nz of the cumulative mean (baseline − som_mc) / combined MCSE")
    print(f"{'year':<6}" + "".join(f"{a:>10}" for a in actors))
    for i, y in enumerate(years):
        print(f"{y:<6}" + "".join(f"{z[i, j]:>10.2f}" for j in range(len(actors))))
    print(
        f"worst |z| = {zmax:.2f} at {years[worst[0]]}, {actors[worst[1]]} "
        f"(baseline {mean_b[worst]:,.0f}, som_mc {mean_s[worst]:,.0f}, limit {Z_LIMIT})"
    )

    # The model is multilinear in independent inputs and E[Binomial(N, s)] = E[N]·E[s], so the
    # deterministic calculation on the means is the exact expectation of both Monte Carlo runs.
    exact = som_mc.deterministic(case).cumulative_net_result.transpose("year", "actor").values
    exact = np.concatenate([exact, exact.sum(axis=1, keepdims=True)], axis=1)
    z_b, z_s = (mean_b - exact) / mcse_b, (mean_s - exact) / mcse_s
    print(
        f"info: against the exact expectation: baseline worst |z| {np.abs(z_b).max():.2f}, "
        f"som_mc worst |z| {np.abs(z_s).max():.2f}"
    )

    sd_ratio = baseline_grid("sd") / som_grid("cumulative_sd")
    dp = np.abs(baseline_grid("p_positive") - som_grid("cumulative_p_positive")).max()
    q_s = summ["cumulative_quantile"].transpose("quantile", "year", "actor").values[:, -1, :]
    q_b = np.array(
        [[cum[a]["quantiles"][p][-1] for a in actors] for p in cum[actors[0]]["quantiles"]]
    )
    q_rel = np.abs(q_b - q_s) / np.abs(mean_s[-1])
    print(
        f"info: sd ratio baseline/som_mc {sd_ratio.min():.4f}..{sd_ratio.max():.4f}; "
        f"max |ΔP(>0)| {dp:.4f}; horizon quantiles max |Δ|/|mean| {q_rel.max():.4f}"
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
