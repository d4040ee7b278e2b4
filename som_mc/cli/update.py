"""``som-mc update``: update a case with its ``[evidence]`` (opfølgning) and show what changed.

Also home of the ``--prior`` flag and the evidence note shared by ``run``, ``report`` and
``sensitivity``: a case with ``[evidence]`` is simulated with its posterior inputs, and the
command says so on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from som_mc.cli.options import add_catalog, add_force, add_json

if TYPE_CHECKING:
    from som_mc.case import Case

__all__ = ["add_prior", "evidence_case", "register"]


def add_prior(parser: argparse.ArgumentParser) -> None:
    """``--prior``: ignore the case's ``[evidence]`` (run it as before the evidence)."""
    parser.add_argument(
        "--prior",
        action="store_true",
        help="ignore the case's [evidence] table: use the inputs as they were before the "
        "evidence (default: the posterior)",
    )


def evidence_case(case: Case, args: argparse.Namespace, file: str | None = None) -> Case:
    """Return the case to simulate (posterior unless ``--prior``) and say which on stderr."""
    from som_mc.case.evidence import resolve_evidence

    out, note = resolve_evidence(case, prior=bool(getattr(args, "prior", False)), file=file)
    if note is not None:
        where = f" ({file})" if file else ""
        print(f"som-mc: {note}{where}", file=sys.stderr)
    return out


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "update",
        help="opdatér en case med [evidence]: prior mod posterior",
        description="Update the case's inputs with its [evidence] table (binomial likelihood "
        "for the succesrate, realised participants and costs): print prior vs posterior and "
        "the prior-predictive check, and optionally write the posterior case (--out).",
    )
    p.add_argument("case", metavar="CASE", help="case file (TOML) with an [evidence] table")
    add_catalog(p)
    add_json(p, "prior and posterior")
    p.add_argument("--out", metavar="NEW.toml", help="write the posterior case to this file")
    add_force(p)
    p.set_defaults(func=command)


def _num(value: float) -> str:
    from som_mc.present.format import format_number

    if abs(value) >= 1000:
        return format_number(value)
    return format_number(value, 3 if abs(value) < 10 else 2)


def _line(label: str, m: dict[str, float]) -> str:
    return (
        f"  {label:<10} middel {_num(m['mean']):>10}  sd {_num(m['sd']):>9}  "
        f"P5–P95 {_num(m['p5'])}–{_num(m['p95'])}"
    )


def command(args: argparse.Namespace) -> int:
    """Print prior vs posterior; write the posterior case with --out."""
    import tomli_w

    from som_mc._io import atomic_write_text, check_writable
    from som_mc.case import case_to_dict, load_case_file
    from som_mc.case.evidence import apply_evidence, update_summary
    from som_mc.case.inputs import case_inputs
    from som_mc.errors import CaseFileError

    file = str(args.case)
    if args.out:
        if Path(args.out).resolve() == Path(args.case).resolve():
            raise CaseFileError(
                "--out is the case file itself; write the posterior case to a new file "
                "(the evidence would otherwise be lost)",
                file=file,
            )
        check_writable(args.out, overwrite=args.force)
    case = load_case_file(args.case, catalog=args.catalog, strict=args.strict)
    if case.evidence is None:
        raise CaseFileError(
            "the case has no [evidence] table; add e.g. [evidence] success_rate = "
            "{ successes = 14, trials = 45 } (see cases/README.md)",
            file=file,
            key="evidence",
        )
    update = apply_evidence(case, file=file)
    summary = update_summary(update)
    if args.out:
        header = (
            f"# Posterior case written by som-mc update from {Path(args.case).name}: the inputs\n"
            "# below include the evidence of its [evidence] table (do not update it again).\n"
        )
        data = case_to_dict(update.case)
        note = f"posterior fra [evidence] i {Path(args.case).name}"
        data["source"] = f"{data['source']}; {note}" if data.get("source") else note
        atomic_write_text(args.out, header + tomli_w.dumps(data), overwrite=args.force)
        summary["out"] = str(args.out)
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    labels = {spec.name: spec.label for spec in case_inputs(case)}
    print(f"Opdatering med [evidence]: {case.name}")
    for name, item in summary["inputs"].items():
        label = labels.get(name, name)
        print(f"{label} ({name})")
        print(_line("prior", item["prior"]))
        print(_line("posterior", item["posterior"]))
        obs = item["observed"]
        if "trials" in obs:
            pred = item["predictive"]
            print(
                f"  prior-prædiktiv kontrol: forventet antal succeser {pred['p5']}–{pred['p95']} "
                f"(90 %); observeret {obs['successes']} af {obs['trials']}"
            )
            if not pred["p5"] <= obs["successes"] <= pred["p95"]:
                print("  bemærk: observationen ligger uden for det forventede; tjek prioren")
        else:
            print("  realiseret værdi: fastlagt i posterior-casen")
    for a, b in summary["dropped_correlations"]:
        print(f"Korrelation {a} ~ {b} fjernet (et af inputtene er nu kendt)")
    if args.out:
        print(f"Posterior-case skrevet til {args.out}")
    return 0
