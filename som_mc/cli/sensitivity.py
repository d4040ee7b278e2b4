"""``som-mc sensitivity``: one-way, global, break-even and scenario analyses per aktør."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from som_mc.cli.options import add_catalog, add_draws, add_force, add_seed, positive_int
from som_mc.cli.update import add_prior, evidence_case

if TYPE_CHECKING:
    from som_mc.present.figure_files import FigureWriter

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
    if not 0 <= lo < hi <= 1:
        raise argparse.ArgumentTypeError(
            f"expected 0 <= low < high <= 100 (0 and 100 only when every input is bounded); "
            f"got {text!r}"
        )
    return lo, hi


def _relative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not (0 < value <= 1000):
        raise argparse.ArgumentTypeError(
            f"expected a percentage above 0 and at most 1000 (moves are clamped to each "
            f"input's meaningful range, e.g. a succesrate to 0..1); got {text}"
        )
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a percentage such as 80, got {text!r}"
        ) from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(
            f"expected a percentage strictly between 0 and 100; got {text}"
        )
    return value / 100.0


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "sensitivity",
        help="følsomhedsanalyser: tornado, switching values, Sobol indices, scenarios",
        description="One-way (tornado, spider, switching values), global (Sobol per year, "
        "rank measures, downside drivers), probabilistic break-even values and the case's "
        "scenarios, per aktør, of the cumulative nettoresultat. Writes CSV and JSON tables "
        "and PNG and SVG figures (one per aktør) to --out.",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
    add_catalog(p)
    add_prior(p)
    p.add_argument(
        "--method",
        choices=["tornado", "sobol", "breakeven", "scenarios", "all"],
        default="all",
        help="tornado (+ spider, switching values), sobol (+ per year, rank measures, "
        "downside drivers), breakeven (P(> 0) = 50 %% values), scenarios, or all (default)",
    )
    p.add_argument(
        "--actor",
        action="append",
        metavar="NAME",
        help="aktør for tables and figures, or 'total' (repeatable; default every aktør and "
        "the total)",
    )
    p.add_argument(
        "--level",
        type=_probability,
        default=None,
        metavar="PCT",
        help="also solve the break-even values for P(> 0) = PCT %% (besides 50 %%)",
    )
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
    add_draws(p, "Monte Carlo draws for rank measures, break-even values and scenarios")
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


def _sobol_values(case: Any, n_base: int, seed: int) -> Any:
    """``sobol_base_values`` (imported in the process that computes it)."""
    from som_mc.sensitivity import sobol_base_values

    return sobol_base_values(case, n_base, seed)


def _rank_analysis(case: Any, draws: int, seed: int, actors: list[str] | None) -> Any:
    """``rank_analysis`` (imported in the process that computes it)."""
    from som_mc.sensitivity import rank_analysis

    return rank_analysis(case, draws=draws, seed=seed, actors=actors)


def command(args: argparse.Namespace) -> int:
    """Run the analyses and write their files."""
    from som_mc.present.background import collector_paused, huge_pages_off

    # large arrays touched once or twice: no waiting for the kernel's memory compaction
    with collector_paused(), huge_pages_off():
        return _command(args)


def _command(args: argparse.Namespace) -> int:
    from som_mc.present.background import keep_freed_memory, spare_cpu

    keep_freed_memory()  # arrays of tens of MB made and freed again and again

    out = Path(args.out) if args.out else Path(f"sensitivity_{Path(args.case).stem}")
    figures = None
    if args.method == "tornado" and spare_cpu():
        # the process that draws the figures starts now and imports what they need
        # (matplotlib) on the second CPU while this one loads the case, imports the
        # analyses and runs them (≈ 0,1 s); this one imports matplotlib only when it draws
        # its share. Both need xarray (the figures' data): imported here first, once.
        # (The Sobol analysis keeps its helper for later: the process it forks for the
        # Sobol values has that CPU.)
        import xarray  # noqa: F401

        from som_mc.present.figure_files import FigureWriter

        figures = FigureWriter(out)
        figures.start(warm=("som_mc.present.plotting.sensitivity",))
    try:
        return _analyses(args, out, figures)
    finally:
        if figures is not None:
            figures.stop()  # closed by run_sensitivity when it ended well


def _analyses(args: argparse.Namespace, out: Path, figures: FigureWriter | None) -> int:
    from som_mc.case import load_case_file as load_case
    from som_mc.present.background import Background
    from som_mc.sampling import normalize_seed

    case = evidence_case(
        load_case(args.case, catalog=args.catalog, strict=args.strict), args, args.case
    )
    _check_size(case, args)
    seed = normalize_seed(args.seed)
    background = None
    if args.method in ("sobol", "all"):
        # the Sobol base values (scipy.stats' Sobol sequence through the quantile functions)
        # and the rank measures are computed in a process forked now, while this one
        # imports the rest and loads the compiled kernel (that process, short-lived, runs
        # with the garbage collector paused as it is here now)
        actors = None if args.actor is None else list(dict.fromkeys(args.actor))
        # both processes need scipy.special (the quantile functions there, the intervals'
        # normal quantile here): imported once, before the fork
        import scipy.special  # noqa: F401

        background = Background(
            {
                "sobol_values": (_sobol_values, (case, args.n_base, seed)),
                "rank_analysis": (_rank_analysis, (case, args.draws, seed, actors)),
            }
        )
    try:
        from som_mc.present.background import settle_imports
        from som_mc.present.sensitivity_files import run_sensitivity

        settle_imports()  # what the command imported lives to its end: no collections of it
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
            actors=args.actor,
            level=args.level,
            overwrite=args.force,
            background=background if background is not None and background.forked else None,
            figures=figures,
        )
    finally:
        if background is not None:
            background.close()
    print(report)
    print(f"(seed {seed})")
    return 0
