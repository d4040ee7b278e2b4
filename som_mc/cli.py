"""Command-line interface: ``som-mc``.

One small function per subcommand; library errors become one line on stderr and exit
status 2. Nothing here does arithmetic.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from som_mc._version import __version__
from som_mc.case import load_case
from som_mc.deterministic import deterministic
from som_mc.errors import SomMcError
from som_mc.tables import deterministic_json, deterministic_table

__all__ = ["main"]

EXIT_USAGE = 2


def _cmd_validate(args: argparse.Namespace) -> int:
    for path in args.case:
        case = load_case(path)
        print(
            f"OK: {path}: {case.name!r} — {case.n_cohorts} optag, "
            f"{len(case.costs)} omkostningsposter, {len(case.consequences)} konsekvenser"
        )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    case = load_case(args.case)
    if not args.deterministic:
        raise SomMcError("Monte Carlo runs are not available yet; use --deterministic")
    ds = deterministic(case, point=args.point)
    if args.json:
        json.dump(deterministic_json(ds), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(deterministic_table(ds))
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="som-mc",
        description="Probabilistic SØM: Monte Carlo budget forecasts for investeringscases.",
    )
    parser.add_argument("--version", action="version", version=f"som-mc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check case files and report problems")
    p.add_argument("case", nargs="+", metavar="CASE", help="case file(s) (TOML)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("run", help="run a case")
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
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
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=_cmd_run)
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
        print("som-mc: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
