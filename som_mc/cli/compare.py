"""``som-mc compare``: cases side by side with common random numbers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from som_mc.cli.options import (
    add_catalog,
    add_design,
    add_draws,
    add_force,
    add_json,
    add_seed,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "compare",
        help="compare cases with common random numbers",
        description="Run two or more cases with common random numbers (inputs with the same "
        "name get the same draws) and report each case, the paired difference from the first "
        "case, P(bedst), the expected ranking and the break-even year.",
    )
    p.add_argument(
        "case", nargs="+", metavar="CASE", help="case files (TOML); the first is the baseline"
    )
    add_catalog(p)
    add_draws(p)
    add_seed(p)
    add_design(p)
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
    add_json(p, "comparison")
    p.add_argument("--figure", metavar="FILE.png", help="save a comparison figure (total) to FILE")
    add_force(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Compare the cases and print the table (or JSON)."""
    from som_mc._io import atomic_write, check_writable
    from som_mc.case import load_case_file as load_case
    from som_mc.errors import SomMcError
    from som_mc.run.compare import check_aligned, compare, unique_labels

    figure = Path(args.figure) if args.figure else None
    if figure is not None:
        check_writable(figure, overwrite=args.force)
        if figure.suffix.lower() not in (".png", ".svg", ".pdf"):
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
    cases = [load_case(path, catalog=args.catalog, strict=args.strict) for path in args.case]
    check_aligned(cases, names=args.case, align=args.align, option="--align union")
    cmp = compare(
        cases,
        draws=args.draws,
        seed=args.seed,
        design=args.design,
        labels=unique_labels([c.label or c.name for c in cases]),
        align=args.align,
        common_random_numbers=not args.independent,
        shared=shared,
    )
    from som_mc.present.comparison import comparison_json, comparison_table

    if args.json:
        payload = comparison_json(cmp)
        payload["files"] = list(args.case)
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(comparison_table(cmp))
    if figure is not None:
        from som_mc.present.plotting.compare import comparison_figure

        fig = comparison_figure(cmp)
        fmt = figure.suffix.lstrip(".").lower()
        atomic_write(
            figure, lambda tmp: fig.savefig(tmp, dpi=150, format=fmt), overwrite=args.force
        )
        print(f"Figur gemt i {figure}", file=sys.stderr if args.json else sys.stdout)
    return 0
