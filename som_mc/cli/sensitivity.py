"""``som-mc sensitivity``: tornado, spider, switching values, Sobol indices, rank measures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from som_mc.cli.options import add_catalog, add_draws, add_force, add_seed, positive_int

__all__ = ["register"]


def _group(text: str) -> tuple[str, list[str]]:
    name, sep, patterns = text.partition("=")
    if not sep or not name.strip() or not patterns.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=PATTERN[,PATTERN...] such as 'Priser=consequences.*.price.*'; "
            f"got {text!r}"
        )
    return name.strip(), [p.strip() for p in patterns.split(",") if p.strip()]


def _levels(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) / 100.0 for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected two percentiles such as 10,90; got {text!r}"
        ) from None
    if not 0 < lo < hi < 1:
        raise argparse.ArgumentTypeError(
            f"expected 0 < low < high < 100 (the 0th and 100th percentiles of an unbounded "
            f"input are infinite); got {text!r}"
        )
    return lo, hi


def _relative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(
            f"expected a percentage between 0 and 100 (base ± PCT %% must keep the sign); "
            f"got {text}"
        )
    return value


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "sensitivity",
        help="følsomhedsanalyser: tornado, switching values, Sobol indices",
        description="One-way (tornado, spider, switching values) and global (Sobol, rank) "
        "sensitivity of the cumulative nettoresultat. Writes CSV and JSON tables and PNG "
        "and SVG figures to --out.",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
    add_catalog(p)
    p.add_argument("--method", choices=["tornado", "sobol", "all"], default="all")
    p.add_argument("--out", metavar="DIR", help="output folder (default sensitivity_<case>)")
    p.add_argument(
        "--levels",
        type=_levels,
        default=(0.10, 0.90),
        metavar="LO,HI",
        help="tornado percentiles (default 10,90)",
    )
    p.add_argument(
        "--relative",
        type=_relative,
        default=None,
        metavar="PCT",
        help="tornado at base ± PCT %% instead of percentiles",
    )
    p.add_argument(
        "--group",
        type=_group,
        action="append",
        metavar="NAME=PATTERNS",
        help="move inputs matching the patterns together (repeatable)",
    )
    p.add_argument(
        "--n-base",
        type=positive_int,
        default=4096,
        help="Sobol base samples, a power of two (default 4096)",
    )
    add_draws(p, "Monte Carlo draws for the rank measures")
    add_seed(p)
    add_force(p)
    p.set_defaults(func=command)


def _check_size(case: Any, args: argparse.Namespace) -> None:
    """Refuse a case without uncertain inputs, and a Sobol design too large to evaluate."""
    from som_mc.case import case_inputs
    from som_mc.errors import SomMcError
    from som_mc.run.spec import MAX_DRAWS, max_memory

    d = sum(spec.uncertain for spec in case_inputs(case))
    if d == 0:
        raise SomMcError(
            f"{args.case}: every input is a fixed number, so nothing varies; give at least "
            "one input a distribution"
        )
    if args.method in ("sobol", "all"):
        runs = args.n_base * (d + 2)
        need = 8 * runs * (3 * case.horizon_years * len(case.actors) + 2 * d)
        if runs > MAX_DRAWS or need > max_memory():
            raise SomMcError(
                f"--n-base {args.n_base} means {runs:_} model evaluations ({d} inputs) and about "
                f"{need / 2**30:.1f} GiB of memory, more than the caps ({MAX_DRAWS:_} "
                f"evaluations, {max_memory() / 2**30:.1f} GiB; SOM_MC_MAX_MEMORY raises the "
                "latter); use a smaller --n-base such as 4096"
            )


def command(args: argparse.Namespace) -> int:
    """Run the analyses and write their files."""
    from som_mc.case import load_case_file as load_case
    from som_mc.present.sensitivity_files import run_sensitivity
    from som_mc.sampling import normalize_seed

    case = load_case(args.case, catalog=args.catalog)
    _check_size(case, args)
    out = Path(args.out) if args.out else Path(f"sensitivity_{Path(args.case).stem}")
    seed = normalize_seed(args.seed)
    report = run_sensitivity(
        case,
        out,
        method=args.method,
        levels=args.levels,
        relative=None if args.relative is None else args.relative / 100.0,
        groups=dict(args.group or []),
        n_base=args.n_base,
        draws=args.draws,
        seed=seed,
        overwrite=args.force,
    )
    print(report)
    print(f"(seed {seed})")
    return 0
