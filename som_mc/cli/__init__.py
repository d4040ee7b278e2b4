"""Command-line interface: ``som-mc``.

One small module per subcommand, shared options defined once (:mod:`som_mc.cli.options`),
and one boundary (:func:`main`) where library errors become one line on stderr and exit
status 2. Subcommands import the library only when they run, so ``som-mc --help`` is fast.
Nothing here does arithmetic.

The boundary also turns SIGTERM into the same clean stop as Ctrl-C (temporary files are
removed), keeps library warnings off stderr (every printed number is checked finite
instead), and reports an unexpected exception as one line naming it a bug (exit 70; set
``SOM_MC_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Sequence
from types import FrameType

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

__all__ = ["EXIT_BUG", "build_parser", "entry", "main"]

#: Exit status of an unexpected exception (a bug in som_mc, not in the input).
EXIT_BUG = 70


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


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` removes its temporary files."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    from som_mc._io import remove_active_parts

    remove_active_parts()  # first: the exception below may land where it is swallowed
    signal.signal(signal.SIGTERM, _exit_now)
    raise _Terminated


def _exit_now(signum: int, frame: FrameType | None) -> None:
    from som_mc._io import remove_active_parts

    remove_active_parts()
    os._exit(143)


def entry() -> None:
    """Console entry point (``som-mc``, ``python -m som_mc.cli``): run :func:`main` and exit.

    A command's process ends as soon as its output is written, so once the output is flushed
    and the exit handlers have run (temporary folders, worker processes, logging), it leaves
    without Python's tear-down of every loaded module: that costs 0,2–0,9 s after numba,
    xarray and matplotlib are loaded, and changes nothing a user sees. Threads still running
    at this point would be ended too; every command joins its own before returning.
    """
    import atexit

    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. `som-mc run ... --json | head`
        status = status or 1
    except (OSError, ValueError):  # stdout closed by the caller
        pass
    atexit._run_exitfuncs()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``som-mc``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(os.environ.get("SOM_MC_DEBUG"))
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test thread)
        pass
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.simplefilter("ignore")
            import som_mc

            if som_mc.NUMBA_CACHE_NOTE:
                print(f"som-mc: note: {som_mc.NUMBA_CACHE_NOTE}", file=sys.stderr)
            return int(args.func(args))
    except SomMcError as exc:
        print(f"som-mc: error: {cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except _Terminated:
        print("som-mc: terminated; no partial output left", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        hint = getattr(args, "interrupt_hint", "")
        print(f"som-mc: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `som-mc run ... --json | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except MemoryError:
        print(
            "som-mc: error: out of memory; use fewer --draws (or --out NAME.zarr to stream "
            "the draws to disk)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except RecursionError:
        print("som-mc: error: input nested too deeply to read", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"som-mc: error: {where}{exc.strerror or cli_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if debug:
            raise
        print(
            f"som-mc: internal error (a bug in som_mc, please report it): "
            f"{type(exc).__name__}: {cli_message(exc)} (SOM_MC_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_BUG
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
