"""``som-mc voi``: value of information -- what is it worth knowing more about."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from som_mc.cli.options import add_catalog, add_force, add_json, add_seed, positive_int
from som_mc.cli.update import add_prior, evidence_case

__all__ = ["register"]


def _group(text: str) -> tuple[str, list[str]]:
    name, sep, inputs = text.partition("=")
    if not sep or not name.strip() or not inputs.strip():
        raise argparse.ArgumentTypeError(
            "expected NAME=INPUT[,INPUT...] such as 'Priser=consequences.*.price.*' "
            f"(input names or fnmatch patterns); got {text!r}"
        )
    return name.strip(), [p.strip() for p in inputs.split(",") if p.strip()]


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "voi",
        help="værdi af information: EVPI og EVPPI pr. input (hvad er mest værd at vide mere om?)",
        description="Expected value of perfect (EVPI) and partial perfect information (EVPPI, "
        "per input and group) for the decision 'invest if the expected nettoresultat > 0', "
        "per aktør and in total, from a Monte Carlo run (regression estimator of Strong & "
        "Oakley, with standard errors).",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML)")
    add_catalog(p)
    add_prior(p)
    p.add_argument("--actor", metavar="A", help="only this aktør (or 'total')")
    p.add_argument(
        "--draws",
        type=positive_int,
        default=20_000,
        metavar="N",
        help="Monte Carlo draws (default 20000; at least 1000)",
    )
    add_seed(p)
    p.add_argument(
        "--group",
        type=_group,
        action="append",
        metavar="NAME=IN1,IN2",
        help="EVPPI of a group of inputs learnt together (repeatable)",
    )
    add_json(p, "EVPI and EVPPI per aktør")
    p.add_argument("--out", metavar="DIR", help="write voi.json, voi.csv and EVPPI figures here")
    add_force(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Run the analysis and print (and write) it."""
    from som_mc.case import load_case_file
    from som_mc.present.knowledge_text import voi_rows, voi_text
    from som_mc.sampling import normalize_seed
    from som_mc.sensitivity.voi import voi_analysis

    out = Path(args.out) if args.out else None
    if out is not None:
        from som_mc._io import check_writable
        from som_mc.errors import OutputError

        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: is a file; --out takes a folder")
        out.mkdir(parents=True, exist_ok=True)
        for name in ("voi.json", "voi.csv", "evppi.png", "evppi.svg"):
            check_writable(out / name, overwrite=args.force)
    loaded = load_case_file(args.case, catalog=args.catalog, strict=args.strict)
    case = evidence_case(loaded, args, args.case)
    seed = normalize_seed(args.seed)
    result = voi_analysis(
        case,
        draws=args.draws,
        seed=seed,
        groups=dict(args.group or []),
        actors=[args.actor] if args.actor else None,
    )
    if out is not None:
        from som_mc._io import atomic_write_text
        from som_mc.present.plotting.knowledge import evppi_figure, save_figure
        from som_mc.present.tables import write_csv

        payload = {**result.as_dict(), "_meta": _meta(result)}
        atomic_write_text(
            out / "voi.json",
            json.dumps(payload, ensure_ascii=False, indent=2) + "\n",
            overwrite=args.force,
        )
        write_csv(out / "voi.csv", voi_rows(result), overwrite=args.force)
        actor = args.actor or "total"
        fig = evppi_figure(result, actor=actor)
        for ext in ("png", "svg"):
            save_figure(fig, out / f"evppi.{ext}", overwrite=args.force)
    if args.json:
        json.dump(result.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        print(f"som-mc: seed {seed}, {result.n_draws} træk", file=sys.stderr)
    else:
        print(voi_text(result))
        print(f"(seed {seed})")
    for w in result.warnings:
        print(f"som-mc: advarsel: {w}", file=sys.stderr)
    return 0


def _meta(result: Any) -> dict[str, Any]:
    return {
        "case_name": result.case_name,
        "draws": result.n_draws,
        "seed": result.seed,
        "decision": "invest if expected nettoresultat > 0",
        "groups": {k: list(v) for k, v in result.groups.items()},
        "warnings": list(result.warnings),
    }
