"""``som-mc report``: the beslutningsnotat as self-contained HTML (and PDF, Excel, figures)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from som_mc.cli.options import add_catalog, add_design, add_draws, add_force, add_seed
from som_mc.cli.update import add_prior, evidence_case
from som_mc.types import DEFAULT_DESIGN

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "report",
        help="beslutningsnotat: self-contained HTML memo (and PDF, Excel tables, figures)",
        description="Simulate one or more cases (or read saved results files) and write a "
        "decision memo as one self-contained HTML file: conclusion for the aktør that bears "
        "the costs and for the public sector in total, caveats (with the case's [evidence]), "
        "results per aktør, what the result depends on (tornado, switching values, the case's "
        "[[scenarios]] run with the same seed, value of information from the run's draws when "
        "there are at least 1000), and method. With several cases the first is the basis and the "
        "others are compared with it draw by draw (common random numbers).",
    )
    p.add_argument("case", metavar="CASE", nargs="+", help="case file(s) (TOML or workbook)")
    add_catalog(p)
    add_prior(p)
    add_draws(p)
    add_seed(p)
    add_design(p)
    p.add_argument(
        "--results",
        metavar="FILE.nc",
        nargs="+",
        help="report on results files saved by 'som-mc run --out', one per CASE, in order",
    )
    p.add_argument(
        "--actor",
        metavar="AKTØR",
        help="the aktør the memo leads with (default: the one with the largest costs)",
    )
    p.add_argument("--out", metavar="FILE.html", help="HTML file (default report_<case>.html)")
    p.add_argument("--pdf", metavar="FILE.pdf", help="also print the memo to PDF (Chromium)")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the tables to a workbook")
    p.add_argument("--figures", metavar="DIR", help="also save every figure as PNG and SVG")
    p.add_argument("--lang", choices=["da", "en"], default="da", help="language (default da)")
    add_force(p)
    # None: not given (refused with --results); the defaults are applied in `command`
    p.set_defaults(func=command, draws=None, design=None)


def command(args: argparse.Namespace) -> int:
    """Write the memo (and, if asked, the PDF, the workbook and figures)."""
    from som_mc._io import atomic_write_text, check_writable
    from som_mc.case import load_case_file as load_case
    from som_mc.errors import SomMcError
    from som_mc.present.report import (
        EvidenceInfo,
        find_chromium,
        prepare_report,
        render_html,
        report_figures,
        save_figures,
        write_pdf,
        write_xlsx,
    )
    from som_mc.results import load_results
    from som_mc.results.schema import check_against_case
    from som_mc.run import simulate
    from som_mc.sampling import normalize_seed

    case_files = list(args.case)
    out = Path(args.out) if args.out else Path(f"report_{Path(case_files[0]).stem}.html")
    pdf = Path(args.pdf) if args.pdf else None
    xlsx = Path(args.xlsx) if args.xlsx else None
    figures = Path(args.figures) if args.figures else None
    outputs = [p for p in (out, pdf, xlsx) if p is not None]
    resolved = [p.resolve() for p in outputs]
    if len(set(resolved)) < len(resolved):
        raise SomMcError(
            f"{outputs[-1]}: --out, --pdf and --xlsx name the same file; give each its own name"
        )
    inputs = [Path(f).resolve() for f in [*case_files, *(args.results or [])]]
    for path in outputs:
        if path.resolve() in inputs:
            raise SomMcError(f"{path}: is an input of this command; choose another output name")
        check_writable(path, overwrite=args.force)
    if args.results:
        given = [
            flag
            for flag, value in (
                ("--draws", args.draws),
                ("--seed", args.seed),
                ("--design", args.design),
            )
            if value is not None
        ]
        if given:
            raise SomMcError(
                f"{', '.join(given)} {'has' if len(given) == 1 else 'have'} no effect with "
                "--results (the results files hold their own draws, seed and design)"
            )
    if args.results and len(args.results) != len(case_files):
        raise SomMcError(
            f"--results: {len(args.results)} file(s) for {len(case_files)} case(s); give one "
            "results file per case, in the same order"
        )
    if pdf is not None and find_chromium() is None:
        raise SomMcError(
            f"{pdf}: --pdf needs headless Chromium, which is not installed; install the Debian "
            "package 'chromium' (apt-get install chromium)"
        )
    raw = [load_case(f, catalog=args.catalog, strict=args.strict) for f in case_files]
    cases = [evidence_case(c, args, f) for c, f in zip(raw, case_files, strict=True)]
    evidence = None
    if raw[0].evidence is not None:  # the basis' opfølgning, for the Forbehold box
        from som_mc.case.evidence import apply_evidence

        evidence = EvidenceInfo(
            None if args.prior else apply_evidence(raw[0], file=case_files[0]),
            prior=bool(args.prior),
            source=raw[0].evidence.source,
        )
    if args.results:
        runs = [
            check_against_case(load_results(f), c, source=f)
            for f, c in zip(args.results, cases, strict=True)
        ]
    else:
        seed = normalize_seed(args.seed)  # one seed for every case: common random numbers
        runs = [
            simulate(
                c,
                draws=10_000 if args.draws is None else args.draws,
                seed=seed,
                design=DEFAULT_DESIGN if args.design is None else args.design,
                keep_consequences=True,
            )
            for c in cases
        ]
    data = prepare_report(
        cases[0],
        runs[0],
        case_file=case_files[0],
        actor=args.actor,
        alternatives=[
            (c, r, f) for c, r, f in zip(cases[1:], runs[1:], case_files[1:], strict=True)
        ],
        evidence=evidence,
    )
    html = render_html(data, lang=args.lang)
    if figures is not None:
        save_figures(report_figures(data, lang=args.lang), figures, overwrite=args.force)
    atomic_write_text(out, html, overwrite=args.force)
    print(f"Notat gemt i {out} (seed {runs[0].attrs['seed']})")
    if pdf is not None:
        write_pdf(html, pdf, overwrite=args.force)
        print(f"PDF gemt i {pdf}")
    if xlsx is not None:
        write_xlsx(data, xlsx, lang=args.lang, overwrite=args.force)
        print(f"Regneark gemt i {xlsx}")
    if figures is not None:
        print(f"Figurer (PNG og SVG) gemt i {figures}")
    return 0
