"""Options shared by several subcommands, each defined once (value parsers and flags).

Only the standard library and :mod:`som_mc.types` are imported here, so that building the
parser (and ``som-mc --help``) is fast.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from som_mc.types import DEFAULT_DESIGN, DESIGNS

__all__ = [
    "EXIT_USAGE",
    "Parser",
    "add_catalog",
    "add_design",
    "add_draws",
    "add_force",
    "add_json",
    "add_quiet",
    "add_seed",
    "add_strict",
    "cli_message",
    "positive_float",
    "positive_int",
]

EXIT_USAGE = 2


#: How library parameters read on the command line (the library names its own parameters).
_OPTION_TEXT = (
    ("pass overwrite=True to replace them", "use --force to overwrite them"),
    ("pass overwrite=True to replace it", "use --force to overwrite it"),
    ("overwrite=True", "--force"),
    ("resume=True", "--resume"),
    ("executor='dask'", "--executor dask"),
    ("scheduler=", "--scheduler"),
    ("workers=", "--workers"),
    ("target_mcse", "--target-mcse"),
    ("chunk_draws", "--chunk-draws"),
)


def cli_message(exc: BaseException) -> str:
    """Render a library error as the one line the command prints (flags, not parameters)."""
    text = " ".join(str(exc).split())  # one line, whatever the message held
    for library, flag in _OPTION_TEXT:
        text = text.replace(library, flag)
    return text


class Parser(argparse.ArgumentParser):
    """Argument errors as one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print `message` as one line and exit with status 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    """Parse a whole number >= 1 (``_`` separators allowed)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def seed_value(text: str) -> int:
    """Parse a seed: a whole number >= 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """Parse a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def add_catalog(parser: argparse.ArgumentParser, *, cases: bool = True) -> None:
    """``--catalog DIR``: the distribution catalog for ``catalog:`` references.

    With `cases` (every command that loads a case file) also ``--strict``.
    """
    parser.add_argument(
        "--catalog",
        metavar="DIR",
        default=None,
        help="distribution catalog folder for 'catalog:' references (default: $SOM_MC_CATALOG, "
        "else the repository's distributions/)",
    )
    if cases:
        add_strict(parser)


def add_strict(parser: argparse.ArgumentParser) -> None:
    """``--strict``: warnings about a case file (e.g. ``amount = 42.500``) become errors."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings about a case file as errors (exit 2), e.g. amount = 42.500, "
        "which TOML reads as 42,5",
    )


def add_draws(parser: argparse.ArgumentParser, what: str = "Monte Carlo draws") -> None:
    """``--draws N`` (default 10000)."""
    parser.add_argument(
        "--draws", type=positive_int, default=10_000, metavar="N", help=f"{what} (default 10000)"
    )


def add_seed(parser: argparse.ArgumentParser) -> None:
    """``--seed S``: without it a fresh seed is drawn and printed (every command alike)."""
    parser.add_argument(
        "--seed",
        type=seed_value,
        default=None,
        metavar="S",
        help="seed, a whole number >= 0 (default: a fresh seed, printed in the output)",
    )


def add_design(parser: argparse.ArgumentParser) -> None:
    """``--design``: the sampling design (one default for every command)."""
    parser.add_argument(
        "--design",
        choices=DESIGNS,
        default=DEFAULT_DESIGN,
        help=f"sampling design (default {DEFAULT_DESIGN}; lhs keeps common random numbers "
        "paired when an input's distribution differs between compared cases)",
    )


def add_force(parser: argparse.ArgumentParser) -> None:
    """``--force``: replace existing output files."""
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bar."""
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_json(parser: argparse.ArgumentParser, what: str = "summary") -> None:
    """``--json``: machine-readable output on stdout."""
    parser.add_argument("--json", action="store_true", help=f"machine-readable {what} on stdout")
