"""Command-line interface: ``som-mc``.

One small module per subcommand, shared options defined once (:mod:`som_mc.cli.options`),
and one boundary (:func:`main`) where library errors become one line on stderr and exit
status 2. Subcommands import the library only when they run, so ``som-mc --help`` is fast.
Nothing here does arithmetic.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from som_mc._version import __version__
from som_mc.cli import (
    catalog,
    compare,
    elicit,
    report,
    run,
    sensitivity,
    update,
    validate,
    voi,
    workbook,
)
from som_mc.cli.options import EXIT_USAGE, Parser, cli_message
from som_mc.errors import SomMcError

__all__ = ["build_parser", "main"]

def build_parser() -> Parser:
    """Return the ``som-mc`` argument parser (every subcommand registered)."""
    parser = Parser(
        prog="som-mc",
        description="Probabilistic SØM: Monte Carlo budget forecasts for investeringscases.",
    )
    parser.add_argument("--version", action="version", version=f"som-mc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (validate, run, sensitivity, compare, report, elicit, workbook, catalog):
        module.register(sub)
    for module in (update, voi):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``som-mc``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SomMcError as exc:
        print(f"som-mc: error: {cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        hint = getattr(args, "interrupt_hint", "")
        print(f"som-mc: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `som-mc run ... --json | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
