"""``som-mc run``: one or more cases, deterministically or by Monte Carlo.

Every Monte Carlo run goes through the one chunk driver (:func:`som_mc.run.run_many`),
whatever the executor or output; the numbers printed depend only on the case, seed, draws,
design and quantiles.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from som_mc.cli.options import (
    add_catalog,
    add_design,
    add_json,
    add_quiet,
    add_seed,
    positive_float,
    positive_int,
)
from som_mc.cli.update import add_prior, evidence_case
from som_mc.types import BLOCK_SIZE, DEFAULT_CHUNK, EXECUTORS

if TYPE_CHECKING:
    from som_mc.run import RunSpec

__all__ = ["command", "progress_bar", "register"]

#: Runs with at least this many draws show a progress bar on stderr (when it is a terminal).
PROGRESS_MIN_DRAWS = 200_000


def _quantiles(text: str) -> list[float]:
    try:
        values = [float(part) / 100.0 for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected percentages separated by commas such as 5,50,95; got {text!r}"
        ) from None
    if not values or any(not 0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"percentages must lie in 0..100; got {text!r}")
    return sorted({*values, 0.05, 0.5, 0.95})


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "run",
        help="run one or more cases",
        description="Monte Carlo (or --deterministic) run of one or more cases. Every run goes "
        "chunk by chunk through one driver, on this process or a Dask cluster; the numbers "
        "depend only on the case, seed, draws, design and quantiles.",
    )
    p.add_argument("case", metavar="CASE", nargs="+", help="case file(s) (TOML)")
    add_catalog(p)
    add_prior(p)
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic SØM calculation on point values (no simulation)",
    )
    p.add_argument(
        "--point",
        choices=["mean", "median", "mode"],
        default=None,
        help="point value of each input for --deterministic (default: mean)",
    )
    p.add_argument(
        "--draws", type=positive_int, default=None, metavar="N", help="draws (default 10000)"
    )
    add_seed(p)
    add_design(p)
    p.add_argument(
        "--target-mcse",
        type=positive_float,
        default=None,
        metavar="KR",
        help="add blocks of draws until the MCSE of the total net result is below KR "
        "(--draws is then the cap)",
    )
    p.add_argument(
        "--out",
        metavar="PATH",
        help="write every draw: FILE.nc (netCDF, kept in memory), STORE.zarr (streamed, chunked "
        "along draw) or, with several cases, a folder of NAME.zarr stores and summary.csv",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="where chunks run: this process (default) or a Dask cluster",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes of the local Dask cluster (default: one per CPU)",
    )
    p.add_argument(
        "--chunk-draws",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"draws per chunk/task, rounded up to whole blocks of {BLOCK_SIZE} "
        f"(default {DEFAULT_CHUNK}); does not change any result",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run into its --out store (same case, seed, draws)",
    )
    p.add_argument(
        "--keep-consequences",
        action="store_true",
        help="also keep the value per consequence in the results file",
    )
    p.add_argument(
        "--quantiles",
        type=_quantiles,
        default=None,
        metavar="PCTS",
        help="percentiles to report, e.g. 5,10,50,90,95 (default; 5, 50 and 95 always)",
    )
    p.add_argument(
        "--scenarios",
        action="store_true",
        help="run the base and every [[scenarios]] of the case with common random numbers "
        "and print the scenario table per aktør",
    )
    add_quiet(p)
    add_json(p)
    p.set_defaults(func=command)


def progress_bar(total: int, quiet: bool) -> tuple[Any, Callable[[int], None]]:
    """Return a tqdm bar on stderr for long runs (or None) and a callback of draws done."""
    bar = None
    if total >= PROGRESS_MIN_DRAWS and not quiet:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="træk", file=sys.stderr, leave=False, disable=None)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        if bar is not None:
            bar.update(n - done)
        done = n

    return bar, progress


def _dump(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _refuse(flags: list[tuple[str, object]], why: str) -> None:
    from som_mc.errors import SomMcError

    used = [flag for flag, value in flags if value]
    if used:
        raise SomMcError(f"{', '.join(used)} {'has' if len(used) == 1 else 'have'} no effect {why}")


def command(args: argparse.Namespace) -> int:
    """Run the cases and print (or write) the results."""
    from som_mc.errors import SomMcError

    if args.scheduler and args.executor != "dask":
        raise SomMcError("--scheduler needs --executor dask")
    if args.workers is not None and args.executor != "dask":
        raise SomMcError("--workers needs --executor dask")
    if args.out is not None and not args.out.strip():
        raise SomMcError("--out '': expected a file or folder name")
    if args.scenarios:
        return _scenarios(args)
    if args.deterministic:
        _refuse(
            [
                ("--draws", args.draws is not None),
                ("--seed", args.seed is not None),
                ("--target-mcse", args.target_mcse is not None),
                ("--out", args.out),
                ("--executor dask", args.executor == "dask"),
                ("--chunk-draws", args.chunk_draws is not None),
                ("--resume", args.resume),
                ("--keep-consequences", args.keep_consequences),
                ("--quantiles", args.quantiles is not None),
            ],
            "with --deterministic (it computes on point values); drop it or --deterministic",
        )
        return _deterministic(args)
    _refuse([("--point", args.point is not None)], "in a Monte Carlo run; it needs --deterministic")
    from som_mc.present.background import collector_paused, huge_pages_off

    # no cyclic collections walk the objects imports make (settle_imports freezes them);
    # the blocks' arrays of several MB are faulted in as plain pages: with NumPy's
    # huge-page hint a process's first touch of 100 MB took 10-15 ms, now and then
    # 0,1-0,36 s, on the virtual machine measured (without: 40-60 ms, steadily), and the
    # median marginal cost of 80,000 more draws in fresh processes was 0,11 vs 0,08 s and
    # 0,24 vs 0,17 s in two sets of 12-14 runs (the numbers do not change)
    with collector_paused(), huge_pages_off():
        if args.out is None and args.executor == "local":
            from som_mc.results.schema import xarray_without_dask

            with xarray_without_dask():  # no dask array is made: skip importing dask
                return _monte_carlo(args)
        return _monte_carlo(args)


def _scenarios(args: argparse.Namespace) -> int:
    from som_mc.case import load_case_file as load_case
    from som_mc.errors import SomMcError
    from som_mc.present.sensitivity_files import scenario_json, scenario_text
    from som_mc.sensitivity import scenario_analysis

    if len(args.case) != 1:
        raise SomMcError("--scenarios runs the scenarios of one case; give one CASE")
    _refuse(
        [
            ("--deterministic", args.deterministic),
            ("--point", args.point is not None),
            ("--target-mcse", args.target_mcse is not None),
            ("--out", args.out),
            ("--executor dask", args.executor == "dask"),
            ("--resume", args.resume),
            ("--keep-consequences", args.keep_consequences),
            ("--quantiles", args.quantiles is not None),
        ],
        "with --scenarios (it prints the scenario table); drop it or --scenarios",
    )
    case = load_case(args.case[0], catalog=args.catalog)
    sc = scenario_analysis(case, draws=args.draws or 10_000, seed=args.seed)
    if args.json:
        _dump(scenario_json(sc))
    else:
        print(scenario_text(sc))
    return 0


def _deterministic(args: argparse.Namespace) -> int:
    from som_mc.case import input_provenance
    from som_mc.case import load_case_file as load_case
    from som_mc.engine import deterministic
    from som_mc.present.tables import deterministic_json, deterministic_table

    for i, path in enumerate(args.case):
        loaded = load_case(path, catalog=args.catalog, strict=args.strict)
        case = evidence_case(loaded, args, path)
        ds = deterministic(case, point=args.point or "mean")
        prov = input_provenance(case)
        if args.json:
            _dump({**deterministic_json(ds), "provenance": prov.as_dict()})
        else:
            print(("\n" if i else "") + deterministic_table(ds))
            print(f"\nKilder: {prov.line()}")
    return 0


def _monte_carlo(args: argparse.Namespace) -> int:
    from som_mc.case import load_case_file as load_case
    from som_mc.engine.kernel import kernels_cached, use_compiled, warm_up
    from som_mc.errors import SomMcError
    from som_mc.present.background import fault_in_ahead, keep_freed_memory, settle_imports
    from som_mc.results import save_results
    from som_mc.results.store import is_som_mc_store
    from som_mc.run import RunSpec, run_many
    from som_mc.sampling import normalize_seed
    from som_mc.stats import DEFAULT_QUANTILES

    settle_imports()  # what the imports made lives to the end: frozen, then collect again

    # the blocks' arrays of several MB are made and freed again and again: keep them with
    # the process for reuse rather than faulting fresh pages in for every block (the
    # command owns its process; the numbers do not change)
    keep_freed_memory()

    many = len(args.case) > 1
    out = Path(args.out) if args.out else None
    netcdf = out is not None and not many and out.suffix == ".nc"
    if out is not None and not many and out.suffix not in (".nc", ".zarr"):
        raise SomMcError(
            f"{args.out}: --out takes a netCDF file NAME.nc or a Zarr store NAME.zarr (or a "
            "folder when running several cases)"
        )
    if out is not None and many and out.suffix in (".nc", ".zarr"):
        raise SomMcError(
            f"{out}: with several cases --out is a folder (one NAME.zarr per case and summary.csv)"
        )
    if args.resume and (out is None or netcdf):
        raise SomMcError("--resume needs --out with a Zarr store (or a folder of them)")
    if netcdf and out is not None:
        from som_mc._io import check_writable

        if out.is_dir() and is_som_mc_store(out):
            raise SomMcError(f"{out}: is a Zarr store; give a file name ending in .nc")
        check_writable(out, overwrite=args.force)
    if args.target_mcse is not None and (args.resume or (out is not None and not netcdf)):
        raise SomMcError(
            "--target-mcse stops a run early, which a Zarr store sized for every draw cannot "
            "record; use --out NAME.nc or no --out"
        )
    labels = [Path(path).stem for path in args.case]
    for i, label in enumerate(labels):
        if label in labels[:i]:
            first = args.case[labels.index(label)]
            raise SomMcError(
                f"{first} and {args.case[i]} have the same file name {label!r}, which names "
                "their rows and stores; rename one"
            )
    cases = [
        evidence_case(load_case(path, catalog=args.catalog, strict=args.strict), args, path)
        for path in args.case
    ]
    stores: list[Path | None]
    table: Path | None = None
    if out is None or netcdf:
        stores = [None] * len(cases)
    elif many:
        if out.exists() and not out.is_dir():
            raise SomMcError(f"{out}: is a file; with several cases --out is a folder")
        if not out.exists() and not out.parent.is_dir():
            raise SomMcError(f"{out}: folder {out.parent} does not exist")
        stores = [out / f"{label}.zarr" for label in labels]
        table = out / "summary.csv"
        if table.exists() and not (args.force or args.resume):
            raise SomMcError(f"{table}: file exists; use --force to overwrite it")
    else:
        stores = [out]
    seed = normalize_seed(args.seed)  # one seed for every case: printed, repeatable
    specs = [
        RunSpec.make(
            case,
            draws=args.draws or 10_000,
            seed=seed,
            design=args.design,
            chunk_draws=args.chunk_draws or DEFAULT_CHUNK,
            keep_consequences=args.keep_consequences,
            quantiles=args.quantiles or DEFAULT_QUANTILES,
            target_mcse=args.target_mcse,
        )
        for case in cases
    ]
    if many and out is not None and not out.exists():
        out.mkdir()
    if out is not None and not netcdf:
        args.interrupt_hint = "; continue with the same command plus --resume"
    locks = _lock_outputs([*stores, out if netcdf else None])
    # the summary rows that exact-quantile runs keep, faulted in on the idle core while the
    # kernels load (fault_in_ahead); joined before the draws
    ahead = fault_in_ahead(
        int(1.1 * sum(_kept_rows_bytes(s) for s in specs)) if args.executor == "local" else 0
    )
    if any(use_compiled(s.draws) for s in specs) and kernels_cached():
        # Load the compiled kernels from numba's cache now, as the run would, and freeze
        # what that made with the imports: else the collector's first pass after the draws
        # walks all of it (≈ 20 ms). (An empty cache compiles in run_many, with its notice.)
        gc.disable()
        warm_up(specs[0].model())
        settle_imports()
    if ahead is not None:
        ahead.join()
    bar, progress = progress_bar(sum(s.draws for s in specs), args.quiet)
    try:
        results = run_many(
            specs,
            stores,
            keep_draws=netcdf,
            executor=args.executor,
            scheduler=args.scheduler,
            workers=args.workers,
            overwrite=args.force,
            resume=args.resume,
            progress=progress,
            compile_notice=True,
        )
        if netcdf and out is not None:
            draws = results[0].draws
            assert draws is not None
            save_results(draws, out, overwrite=args.force)
    finally:
        if bar is not None:
            bar.close()
        locks.close()
    return _print(args, results, labels, table, out)


def _kept_rows_bytes(spec: RunSpec) -> int:
    """Bytes of the summary rows a local run of `spec` keeps for exact quantiles (else 0).

    One row per summary cell (the layout of :func:`som_mc.stats.summary.segments`) and draw,
    float64, for runs with exact quantiles on the compiled kernels.
    """
    from som_mc.engine.kernel import use_compiled
    from som_mc.stats.summary import segments

    if spec.quantile_method != "exact" or not use_compiled(spec.draws):
        return 0
    n_rows = segments(spec.model().n_years, len(spec.case.actors) + 1)["per_participant"][1]
    return n_rows * spec.draws * 8


def _lock_outputs(paths: list[Path | None]) -> contextlib.ExitStack:
    """Take the lock of every output (one writer per output; see som_mc._io.output_lock)."""
    from som_mc._io import output_lock

    locks = contextlib.ExitStack()
    try:
        for path in paths:
            if path is not None:
                locks.enter_context(output_lock(path))
    except BaseException:
        locks.close()
        raise
    return locks


def _print(
    args: argparse.Namespace,
    results: list[Any],
    labels: list[str],
    table: Path | None,
    out: Path | None,
) -> int:
    from som_mc.case import input_provenance
    from som_mc.present.tables import (
        combined_rows,
        combined_table,
        summary_json,
        summary_table,
        write_csv,
    )

    summaries = [r.summary for r in results]
    provs = [input_provenance(r.spec.case) for r in results]
    by_case = dict(zip(labels, summaries, strict=True))
    if table is not None:
        write_csv(table, combined_rows(by_case), overwrite=True)
    saved = [str(r.store) for r in results if r.store is not None]
    if out is not None and out.suffix == ".nc":
        saved = [str(out)]
    if args.json:
        if len(results) > 1:
            _dump(
                {
                    "cases": [
                        {**summary_json(s), "case_file": str(p), "provenance": v.as_dict()}
                        for p, s, v in zip(args.case, summaries, provs, strict=True)
                    ],
                    "combined": combined_rows(by_case),
                }
            )
        else:
            _dump({**summary_json(summaries[0]), "provenance": provs[0].as_dict()})
        if saved:
            print("som-mc: results saved in " + ", ".join(saved), file=sys.stderr)
        return 0
    if len(results) > 1:
        print(combined_table(by_case))
        print("\nKilder:")
        for label, prov in zip(labels, provs, strict=True):
            print(f"  {label}: {prov.line()}")
        if out is None:
            print("\n(Tilføj --out MAPPE for at gemme alle træk: én NAVN.zarr pr. case.)")
    else:
        print(summary_table(summaries[0]))
        print(f"\nKilder: {provs[0].line()}")
    if saved:
        print("\nResultater gemt i " + ", ".join(saved))
    if table is not None:
        print(f"Samlet oversigt i {table}")
    return 0
