"""``som-mc template`` and ``som-mc convert``: a case as an Excel workbook and back."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from som_mc.cli.options import add_catalog, add_force

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the subcommands to the parser."""
    p = sub.add_parser(
        "template",
        help="write an Excel workbook to fill in as a case (optionally from a case file)",
        description="Write a workbook with one sheet per part of a case (Indsats, Deltagere, "
        "Udfald, Omkostninger, Konsekvenser, Korrelationer, Scenarier, Evidens) and a Danish "
        "Vejledning. Every command that takes a case file reads the filled-in .xlsx as well.",
    )
    p.add_argument("out", metavar="OUT.xlsx", help="the workbook to write")
    p.add_argument("--from", dest="source", metavar="CASE", help="fill it from this case file")
    add_force(p)
    p.set_defaults(func=template)
    p = sub.add_parser(
        "convert",
        help="convert a case between TOML and Excel (.toml <-> .xlsx)",
        description="Convert a case file between TOML and an Excel workbook, both ways; the "
        "converted case has the same case hash. TOML comments are not carried over.",
    )
    p.add_argument("src", metavar="IN", help="case file (.toml or .xlsx)")
    p.add_argument("dst", metavar="OUT", help="file to write (.xlsx or .toml)")
    add_catalog(p)
    add_force(p)
    p.set_defaults(func=convert)


def template(args: argparse.Namespace) -> int:
    """Write the template (or a case) as a workbook."""
    import tomllib

    from som_mc.case import write_workbook
    from som_mc.errors import CaseFileError, SomMcError

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise SomMcError(f"{out}: a template is an Excel workbook; end the name in .xlsx")
    data = None
    if args.source:
        src = Path(args.source)
        if src.suffix.lower() != ".toml":
            raise SomMcError(f"{src}: --from takes a TOML case file; use 'convert' for .xlsx")
        try:
            data = tomllib.loads(src.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CaseFileError(f"cannot read the case file ({exc})", file=str(src)) from None
    write_workbook(out, data, overwrite=args.force)
    print(f"Skabelon gemt i {out}" + (f" (fra {args.source})" if args.source else ""))
    return 0


def convert(args: argparse.Namespace) -> int:
    """Convert between TOML and xlsx, checking that the result reads as the same case."""
    from som_mc.case import case_hash, convert, load_case_file
    from som_mc.errors import SomMcError

    # only valid cases are converted; the warnings are the source's (printed once)
    before = load_case_file(args.src, catalog=args.catalog, strict=args.strict)
    convert(args.src, args.dst, overwrite=args.force)
    after = load_case_file(args.dst, catalog=args.catalog, warn=lambda line: None)
    if case_hash(after) != case_hash(before):
        raise SomMcError(f"{args.dst}: the converted case differs from {args.src} (a bug)")
    print(f"{args.src} -> {args.dst} (samme case, SHA-256 {case_hash(after)[:12]}…)")
    return 0
