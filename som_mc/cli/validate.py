"""``som-mc validate``: check case files and report problems, one line each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from som_mc.cli.options import EXIT_USAGE, add_catalog, cli_message

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser("validate", help="check case files and report problems")
    p.add_argument("case", nargs="+", metavar="CASE", help="case file(s) (TOML)")
    add_catalog(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Validate every case file; exit 2 if any fails."""
    from som_mc.case import input_provenance, uncertain_inputs
    from som_mc.case import load_case_file as load_case
    from som_mc.errors import SomMcError

    failed = 0
    for path in args.case:
        try:
            case = load_case(path, catalog=args.catalog, strict=args.strict)
        except SomMcError as exc:
            print(f"som-mc: error: {cli_message(exc)}", file=sys.stderr)
            failed += 1
            continue
        n_uncertain = len(uncertain_inputs(case))
        print(
            f"OK: {path}: {case.name!r} — {case.n_cohorts} optag, "
            f"{len(case.costs)} omkostningsposter, {len(case.consequences)} konsekvenser, "
            f"{n_uncertain} usikre input"
        )
        print(f"    Kilder: {input_provenance(case).line()}")
    return EXIT_USAGE if failed else 0
