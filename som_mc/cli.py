"""Command-line interface: ``som-mc``.

One small function per subcommand; library errors become one line on stderr and exit
status 2. Nothing here does arithmetic.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from som_mc._version import __version__
from som_mc.case import load_case
from som_mc.catalog import CATALOG_ENV, KIND_LABELS
from som_mc.deterministic import deterministic
from som_mc.errors import SomMcError
from som_mc.inputs import uncertain_inputs
from som_mc.results import save_results
from som_mc.sampling import BLOCK_SIZE, DESIGNS
from som_mc.simulate import DEFAULT_CHUNK, simulate
from som_mc.summary import DEFAULT_QUANTILES, summarize, summarize_stream
from som_mc.tables import deterministic_json, deterministic_table, summary_json, summary_table

if TYPE_CHECKING:
    from som_mc.catalog import Catalog

__all__ = ["main"]

EXIT_USAGE = 2
#: Runs with at least this many draws show a progress bar on stderr (when it is a terminal).
PROGRESS_MIN_DRAWS = 200_000
#: Runs with more draws and no --out are summarised chunk by chunk (flat memory).
STREAM_ABOVE = 250_000


def _cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.case:
        try:
            case = load_case(path, catalog=args.catalog)
        except SomMcError as exc:
            print(f"som-mc: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        n_uncertain = len(uncertain_inputs(case))
        print(
            f"OK: {path}: {case.name!r} — {case.n_cohorts} optag, "
            f"{len(case.costs)} omkostningsposter, {len(case.consequences)} konsekvenser, "
            f"{n_uncertain} usikre input"
        )
    return EXIT_USAGE if failed else 0


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


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


def _progress_bar(total: int, quiet: bool) -> tuple[Any, Callable[[int], None]]:
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


def _scaled(args: argparse.Namespace) -> bool:
    """Whether a run goes through som_mc.scale (Dask, Zarr store, resume)."""
    zarr_out = args.out is not None and Path(args.out).suffix == ".zarr"
    return args.executor == "dask" or zarr_out or args.resume or len(args.case) > 1


def _cmd_run(args: argparse.Namespace) -> int:
    if args.scheduler and args.executor != "dask":
        raise SomMcError("--scheduler needs --executor dask")
    if args.workers is not None and args.executor != "dask":
        raise SomMcError("--workers needs --executor dask")
    if _scaled(args):
        return _run_scaled(args)
    case = load_case(args.case[0], catalog=args.catalog)
    if args.deterministic:
        mc_only = [
            flag
            for flag, used in (
                ("--out", args.out),
                ("--target-mcse", args.target_mcse is not None),
                ("--keep-consequences", args.keep_consequences),
            )
            if used
        ]
        if mc_only:
            raise SomMcError(
                f"{', '.join(mc_only)} applies to Monte Carlo runs only; drop --deterministic "
                "or the option"
            )
        ds = deterministic(case, point=args.point)
        if args.json:
            json.dump(deterministic_json(ds), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            print(deterministic_table(ds))
        return 0
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.suffix != ".nc" or args.out.endswith(("/", os.sep)) or out.is_dir():
            raise SomMcError(
                f"{args.out}: --out takes a netCDF file NAME.nc (or a Zarr store NAME.zarr, "
                "or a folder when running several cases)"
            )
        if out.exists() and not args.force:
            raise SomMcError(f"{out}: file exists; use --force to overwrite it")
        if not out.parent.exists():
            raise SomMcError(f"{out}: folder {out.parent} does not exist")
    bar, progress = _progress_bar(args.draws, args.quiet)
    stream = out is None and args.target_mcse is None and args.draws > STREAM_ABOVE
    try:
        if stream:
            summary = summarize_stream(
                case,
                draws=args.draws,
                seed=args.seed,
                design=args.design,
                quantiles=args.quantiles,
                progress=progress,
            )
        else:
            ds = simulate(
                case,
                draws=args.draws,
                seed=args.seed,
                design=args.design,
                target_mcse=args.target_mcse,
                keep_consequences=args.keep_consequences,
                progress=progress,
            )
            summary = summarize(ds, quantiles=args.quantiles)
            if out is not None:
                save_results(ds, out, overwrite=args.force)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        payload = summary_json(summary)
        payload["results_file"] = str(out) if out is not None else None
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary_table(summary))
        if out is not None:
            print(f"\nResultater gemt i {out}")
    return 0


def _run_scaled(args: argparse.Namespace) -> int:
    """Chunked runs via som_mc.scale: one or many cases, local or Dask, maybe Zarr stores."""
    from som_mc.scale import RunSpec, run_many
    from som_mc.tables import combined_rows, combined_table

    many = len(args.case) > 1
    unsupported = [
        flag
        for flag, used in (
            ("--deterministic", args.deterministic),
            ("--target-mcse", args.target_mcse is not None),
        )
        if used
    ]
    if unsupported:
        what = "several cases" if many else "--executor dask, Zarr stores and --resume"
        raise SomMcError(
            f"{', '.join(unsupported)} does not work with {what}; run one case locally"
        )
    out = Path(args.out) if args.out else None
    if args.resume and out is None:
        raise SomMcError("--resume needs --out (the Zarr store or folder of the run to continue)")
    if out is not None and not many and out.suffix != ".zarr":
        raise SomMcError(
            f"{out}: chunked runs (--executor dask, --resume) write a Zarr store; use "
            "--out NAME.zarr (netCDF .nc is for in-memory local runs)"
        )
    if out is not None and many and out.suffix in (".nc", ".zarr"):
        raise SomMcError(
            f"{out}: with several cases --out is a folder (one NAME.zarr per case and summary.csv)"
        )
    cases = [load_case(path, catalog=args.catalog) for path in args.case]
    labels = [Path(path).stem for path in args.case]
    for i, label in enumerate(labels):
        if label in labels[:i]:
            first = args.case[labels.index(label)]
            raise SomMcError(
                f"{first} and {args.case[i]} have the same file name {label!r}, which names "
                "their rows and stores; rename one"
            )
    stores: list[Path | None]
    if out is None:
        stores = [None] * len(cases)
    elif many:
        if out.exists() and not out.is_dir():
            raise SomMcError(f"{out}: is a file; with several cases --out is a folder")
        if not out.exists():
            if not out.parent.exists():
                raise SomMcError(f"{out}: folder {out.parent} does not exist")
            out.mkdir()
        stores = [out / f"{label}.zarr" for label in labels]
        table = out / "summary.csv"
        if table.exists() and not (args.force or args.resume):
            raise SomMcError(f"{table}: file exists; use --force to overwrite it")
    else:
        stores = [out]
    specs = [
        RunSpec.make(
            case,
            draws=args.draws,
            seed=args.seed,
            design=args.design,
            chunk_draws=args.chunk_draws,
            keep_consequences=args.keep_consequences,
        )
        for case in cases
    ]
    bar, progress = _progress_bar(args.draws * len(cases), args.quiet)
    try:
        summaries = run_many(
            specs,
            stores,
            executor=args.executor,
            scheduler=args.scheduler,
            workers=args.workers,
            quantiles=args.quantiles,
            overwrite=args.force,
            resume=args.resume,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    by_case = dict(zip(labels, summaries, strict=True))
    if many and out is not None:
        _write_combined_csv(out / "summary.csv", combined_rows(by_case))
    if args.json:
        if many:
            payload: Any = {
                "cases": [
                    {**summary_json(s), "case_file": str(p), "results_store": str(st or "")}
                    for p, s, st in zip(args.case, summaries, stores, strict=True)
                ],
                "combined": combined_rows(by_case),
            }
        else:
            payload = summary_json(summaries[0])
            payload["results_file"] = str(out) if out is not None else None
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if many:
        print(combined_table(by_case))
        if out is None:
            print("\n(Tilføj --out MAPPE for at gemme alle træk: én NAVN.zarr pr. case.)")
    else:
        print(summary_table(summaries[0]))
    stored = [str(s) for s in stores if s is not None]
    if stored:
        print("\nResultater gemt i " + ", ".join(stored))
    if many and out is not None:
        print(f"Samlet oversigt i {out / 'summary.csv'}")
    return 0


def _write_combined_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    import csv

    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


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
        raise argparse.ArgumentTypeError(f"expected 0 <= low < high <= 100; got {text!r}")
    return lo, hi


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from som_mc.sensitivity_files import run_sensitivity

    case = load_case(args.case, catalog=args.catalog)
    out = Path(args.out) if args.out else Path(f"sensitivity_{Path(args.case).stem}")
    report = run_sensitivity(
        case,
        out,
        method=args.method,
        levels=args.levels,
        relative=None if args.relative is None else args.relative / 100.0,
        groups=dict(args.group or []),
        n_base=args.n_base,
        draws=args.draws,
        seed=args.seed,
        force=args.force,
    )
    print(report)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from som_mc.compare import (
        check_aligned,
        compare,
        comparison_json,
        comparison_table,
        unique_labels,
    )

    figure = Path(args.figure) if args.figure else None
    if figure is not None:
        if figure.exists() and not args.force:
            raise SomMcError(f"{figure}: file exists; use --force to overwrite it")
        if not figure.parent.exists():
            raise SomMcError(f"{figure}: folder {figure.parent} does not exist")
        from matplotlib.figure import Figure

        formats = Figure().canvas.get_supported_filetypes()
        if figure.suffix.lstrip(".").lower() not in formats:
            raise SomMcError(
                f"{figure}: unknown figure format {figure.suffix or '(none)'!r}; "
                "end the name in .png, .svg or .pdf"
            )
    shared: dict[str, str] = {}
    for text in args.share or []:
        name, sep, stream = text.partition("=")
        if not sep or not name.strip() or not stream.strip():
            raise SomMcError(
                "--share expects INPUT=STREAM such as "
                "'consequences.shelter.price.kommune=consequences.herberg.price.kommune'; "
                f"got {text!r}"
            )
        shared[name.strip()] = stream.strip()
    cases = [load_case(path, catalog=args.catalog) for path in args.case]
    check_aligned(cases, names=args.case, align=args.align, option="--align union")
    cmp = compare(
        cases,
        draws=args.draws,
        seed=args.seed,
        design=args.design,
        labels=unique_labels([Path(path).stem for path in args.case]),
        align=args.align,
        common_random_numbers=not args.independent,
        shared=shared,
    )
    if args.json:
        payload = comparison_json(cmp)
        payload["files"] = list(args.case)
        payload["figure"] = str(figure) if figure is not None else None
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(comparison_table(cmp))
    if figure is not None:
        from som_mc.plotting.compare import comparison_figure

        comparison_figure(cmp).savefig(figure, dpi=150)
        if not args.json:
            print(f"\nFigur gemt i {figure}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from som_mc.report import (
        prepare_report,
        render_html,
        report_figures,
        save_figures,
        write_xlsx,
    )
    from som_mc.results import load_results

    out = Path(args.out) if args.out else Path(f"report_{Path(args.case).stem}.html")
    xlsx = Path(args.xlsx) if args.xlsx else None
    figures = Path(args.figures) if args.figures else None
    for path in (out, xlsx):
        if path is None:
            continue
        if path.exists() and not args.force:
            raise SomMcError(f"{path}: file exists; use --force to overwrite it")
        if not path.parent.exists():
            raise SomMcError(f"{path}: folder {path.parent} does not exist")
    if figures is not None and not figures.is_dir():
        raise SomMcError(f"{figures}: folder does not exist; create it first")
    case = load_case(args.case, catalog=args.catalog)
    if args.results:
        ds = load_results(args.results)
    else:
        ds = simulate(case, draws=args.draws, seed=args.seed, design=args.design)
    data = prepare_report(case, ds, case_file=args.case)
    html = render_html(data, lang=args.lang)
    if figures is not None:
        save_figures(report_figures(data, lang=args.lang), figures, force=args.force)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    print(f"Rapport gemt i {out} (seed {ds.attrs['seed']})")
    if xlsx is not None:
        write_xlsx(data, xlsx, lang=args.lang)
        print(f"Regneark gemt i {xlsx}")
    if figures is not None:
        print(f"Figurer (PNG og SVG) gemt i {figures}")
    return 0


def _catalog(args: argparse.Namespace) -> Catalog:
    from som_mc.catalog import load_catalog

    return load_catalog(args.catalog)


def _cmd_catalog_list(args: argparse.Namespace) -> int:
    from som_mc._catalog_text import catalog_table

    catalog = _catalog(args)
    entries = [e for e in catalog if args.kind is None or e.kind == args.kind]
    illustrative = sum(e.source == "illustrative" for e in entries)
    print(
        f"Katalog: {catalog.root} — {len(entries)} poster, heraf {illustrative} "
        "illustrative (ikke fra en offentlig kilde)\n"
    )
    print(catalog_table(entries))
    return 0


def _cmd_catalog_show(args: argparse.Namespace) -> int:
    from som_mc._catalog_text import entry_text, file_text

    catalog = _catalog(args)
    name = args.name.removeprefix("catalog:")
    if name in catalog:
        print(entry_text(catalog, catalog.entries[name]))
        return 0
    in_file = catalog.in_file(name)
    if in_file:
        print(file_text(catalog, name, in_file))
        return 0
    raise SomMcError(catalog.unknown_message(name))


def _cmd_catalog_search(args: argparse.Namespace) -> int:
    from som_mc._catalog_text import catalog_table

    catalog = _catalog(args)
    hits = catalog.search(args.word)
    if not hits:
        print(f"Ingen poster i {catalog.root} matcher {args.word!r}.")
        return 1
    print(f"{len(hits)} poster matcher {args.word!r}:\n")
    print(catalog_table(hits))
    return 0


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="som-mc",
        description="Probabilistic SØM: Monte Carlo budget forecasts for investeringscases.",
    )
    parser.add_argument("--version", action="version", version=f"som-mc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # Shared by every command that reads case files or the catalog.
    shared = _Parser(add_help=False)
    shared.add_argument(
        "--catalog",
        metavar="DIR",
        default=None,
        help=f"distribution catalog folder for 'catalog:' references (default: ${CATALOG_ENV}, "
        "else the repository's distributions/)",
    )

    p = sub.add_parser("validate", parents=[shared], help="check case files and report problems")
    p.add_argument("case", nargs="+", metavar="CASE", help="case file(s) (TOML)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "run",
        parents=[shared],
        help="run one or more cases",
        description="Monte Carlo (or --deterministic) run of a case. Several cases, "
        "--executor dask, a Zarr --out or --resume run chunk by chunk (som_mc.scale).",
    )
    p.add_argument("case", metavar="CASE", nargs="+", help="case file(s) (TOML)")
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic SØM calculation on point values (no simulation)",
    )
    p.add_argument(
        "--point",
        choices=["mean", "median", "mode"],
        default="mean",
        help="point value of each input for --deterministic (default: mean)",
    )
    p.add_argument("--draws", type=_positive_int, default=10_000, help="draws (default 10000)")
    p.add_argument(
        "--seed", type=_seed, default=None, help="seed (default: fresh, printed in the output)"
    )
    p.add_argument("--design", choices=DESIGNS, default="random", help="sampling design")
    p.add_argument(
        "--target-mcse",
        type=_positive_float,
        default=None,
        metavar="KR",
        help="add blocks of draws until the MCSE of the total net result is below KR "
        "(--draws is then the cap)",
    )
    p.add_argument(
        "--out",
        metavar="PATH",
        help="write every draw: FILE.nc (netCDF, in memory), STORE.zarr (streamed, chunked "
        "along draw) or, with several cases, a folder of NAME.zarr stores and summary.csv",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument(
        "--executor",
        choices=["local", "dask"],
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
        type=_positive_int,
        default=None,
        help="worker processes of the local Dask cluster (default: one per CPU)",
    )
    p.add_argument(
        "--chunk-draws",
        type=_positive_int,
        default=DEFAULT_CHUNK,
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
        default=list(DEFAULT_QUANTILES),
        metavar="PCTS",
        help="percentiles to report, e.g. 5,10,50,90,95 (default; 5, 50 and 95 always)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser(
        "sensitivity",
        parents=[shared],
        help="følsomhedsanalyser: tornado, switching values, Sobol indices",
        description="One-way (tornado, spider, switching values) and global (Sobol, rank) "
        "sensitivity of the cumulative nettoresultat. Writes CSV and JSON tables and PNG "
        "and SVG figures to --out.",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
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
        type=_positive_float,
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
        type=_positive_int,
        default=4096,
        help="Sobol base samples, a power of two (default 4096)",
    )
    p.add_argument(
        "--draws",
        type=_positive_int,
        default=10_000,
        help="Monte Carlo draws for the rank measures (default 10000)",
    )
    p.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(func=_cmd_sensitivity)

    p = sub.add_parser(
        "compare",
        parents=[shared],
        help="compare cases with common random numbers",
        description="Run two or more cases with common random numbers (inputs with the same "
        "name get the same draws) and report each case, the paired difference from the first "
        "case, P(bedst), the expected ranking and the break-even year.",
    )
    p.add_argument(
        "case", nargs="+", metavar="CASE", help="case files (TOML); the first is the baseline"
    )
    p.add_argument("--draws", type=_positive_int, default=10_000, help="draws (default 10000)")
    p.add_argument(
        "--seed", type=_seed, default=None, help="seed (default: fresh, printed in the output)"
    )
    p.add_argument(
        "--design",
        choices=DESIGNS,
        default="lhs",
        help="sampling design (default lhs: keeps common random numbers when an input's "
        "distribution differs between the cases)",
    )
    p.add_argument(
        "--align",
        choices=["union"],
        default=None,
        help="compare cases that differ in years or actors over the union of both "
        "(missing years and actors count as 0)",
    )
    p.add_argument(
        "--share",
        action="append",
        metavar="INPUT=STREAM",
        help="let INPUT draw from the stream of the input named STREAM (the same quantity "
        "under another name; repeatable)",
    )
    p.add_argument(
        "--independent",
        action="store_true",
        help="run each case with its own seed (no common random numbers; for comparison)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable comparison on stdout")
    p.add_argument("--figure", metavar="FILE.png", help="save a comparison figure (total) to FILE")
    p.add_argument("--force", action="store_true", help="overwrite an existing --figure file")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "report",
        parents=[shared],
        help="beslutningsnotat: self-contained HTML report (and Excel tables)",
        description="Simulate a case (or read a saved results file) and write a decision memo "
        "as one self-contained HTML file: headline, per-aktør table, figures, tornado, "
        "assumptions appendix and method notes.",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
    p.add_argument("--draws", type=_positive_int, default=10_000, help="draws (default 10000)")
    p.add_argument("--seed", type=_seed, default=None, help="seed (default: fresh, in the report)")
    p.add_argument("--design", choices=DESIGNS, default="random", help="sampling design")
    p.add_argument(
        "--results",
        metavar="FILE.nc",
        help="report on a results file saved by 'som-mc run --out' (made from CASE)",
    )
    p.add_argument("--out", metavar="FILE.html", help="HTML file (default report_<case>.html)")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the tables to a workbook")
    p.add_argument("--figures", metavar="DIR", help="also save every figure as PNG and SVG")
    p.add_argument("--lang", choices=["da", "en"], default="da", help="language (default da)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "catalog",
        help="the distribution catalog: list, show and search entries",
        description="Browse the distribution catalog (SØM's vidensdatabase in probabilistic "
        "form): named, sourced målgrupper, konsekvenser, enhedspriser, succesrater and "
        'omkostninger that case files use with uses = "catalog:NAME".',
    )
    csub = p.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    c = csub.add_parser("list", parents=[shared], help="list the entries")
    c.add_argument(
        "--kind", choices=list(KIND_LABELS), default=None, help="only entries of this kind"
    )
    c.set_defaults(func=_cmd_catalog_list)
    c = csub.add_parser("show", parents=[shared], help="show one entry (or one file's entries)")
    c.add_argument("name", metavar="NAME", help="entry name, e.g. hjemloeshed/herberg")
    c.set_defaults(func=_cmd_catalog_show)
    c = csub.add_parser(
        "search",
        parents=[shared],
        help="find entries by a word in their name, label, description, source or note",
    )
    c.add_argument("word", metavar="WORD", help="text to look for (case-insensitive)")
    c.set_defaults(func=_cmd_catalog_search)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``som-mc``; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SomMcError as exc:
        print(f"som-mc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        resumable = getattr(args, "func", None) is _cmd_run and out is not None and _scaled(args)
        hint = "; continue with the same command plus --resume" if resumable else ""
        print(f"som-mc: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `som-mc run ... --json | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
