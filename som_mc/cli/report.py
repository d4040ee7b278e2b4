"""``som-mc report``: the beslutningsnotat as self-contained HTML (and Excel tables)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from som_mc.cli.options import add_catalog, add_design, add_draws, add_force, add_seed

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "report",
        help="beslutningsnotat: self-contained HTML report (and Excel tables)",
        description="Simulate a case (or read a saved results file) and write a decision memo "
        "as one self-contained HTML file: headline, per-aktør table, figures, tornado, "
        "assumptions appendix and method notes.",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
    add_catalog(p)
    add_draws(p)
    add_seed(p)
    add_design(p)
    p.add_argument(
        "--results",
        metavar="FILE.nc",
        help="report on a results file saved by 'som-mc run --out' (made from CASE)",
    )
    p.add_argument("--out", metavar="FILE.html", help="HTML file (default report_<case>.html)")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the tables to a workbook")
    p.add_argument("--figures", metavar="DIR", help="also save every figure as PNG and SVG")
    p.add_argument("--lang", choices=["da", "en"], default="da", help="language (default da)")
    add_force(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Write the memo (and, if asked, the workbook and figures)."""
    from som_mc._io import atomic_write_text, check_writable
    from som_mc.case import load_case_file as load_case
    from som_mc.errors import SomMcError
    from som_mc.present.report import (
        prepare_report,
        render_html,
        report_figures,
        save_figures,
        write_xlsx,
    )
    from som_mc.results import load_results
    from som_mc.results.schema import check_against_case
    from som_mc.run import simulate

    out = Path(args.out) if args.out else Path(f"report_{Path(args.case).stem}.html")
    xlsx = Path(args.xlsx) if args.xlsx else None
    figures = Path(args.figures) if args.figures else None
    outputs = [p for p in (out, xlsx) if p is not None]
    resolved = [p.resolve() for p in outputs]
    if len(set(resolved)) < len(resolved):
        raise SomMcError(f"{xlsx}: --out and --xlsx name the same file; give two names")
    for path in outputs:
        if path.resolve() in (Path(args.case).resolve(), *(
            [Path(args.results).resolve()] if args.results else []
        )):
            raise SomMcError(f"{path}: is an input of this command; choose another output name")
        check_writable(path, overwrite=args.force)
    if args.results and (args.seed is not None):
        raise SomMcError("--seed has no effect with --results (the results file has its seed)")
    case = load_case(args.case, catalog=args.catalog)
    if args.results:
        ds = check_against_case(load_results(args.results), case, source=args.results)
    else:
        ds = simulate(case, draws=args.draws, seed=args.seed, design=args.design)
    data = prepare_report(case, ds, case_file=args.case)
    html = render_html(data, lang=args.lang)
    if figures is not None:
        save_figures(report_figures(data, lang=args.lang), figures, overwrite=args.force)
    atomic_write_text(out, html, overwrite=args.force)
    print(f"Rapport gemt i {out} (seed {ds.attrs['seed']})")
    if xlsx is not None:
        write_xlsx(data, xlsx, lang=args.lang, overwrite=args.force)
        print(f"Regneark gemt i {xlsx}")
    if figures is not None:
        print(f"Figurer (PNG og SVG) gemt i {figures}")
    return 0
