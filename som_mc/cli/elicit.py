"""``som-mc elicit``: a distribution from an expert's quantiles (SHELF-style fit)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def _judgement(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected pNN=VALUE such as p10=0.15 or p97_5=0.6 (or a bound: low=0); got {text!r}"
        )
    try:
        return key.strip(), float(value.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{key}: expected a number; got {value!r}") from None


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "elicit",
        help="fit a distribution to an expert's quantiles (p10=… p50=… p90=…)",
        description="Fit FAMILY to judged quantiles by least squares on the CDF (SHELF's "
        "approach) and print the parameters, the achieved quantiles and the TOML to paste.",
    )
    p.add_argument("family", metavar="FAMILY", help="beta, pert, gamma, lognormal, normal, …")
    p.add_argument(
        "quantile", nargs="+", type=_judgement, metavar="pNN=VALUE",
        help="judged quantiles, e.g. p10=0.15 p50=0.25 p90=0.40 (bounds such as low=0 too)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable fit on stdout")
    p.add_argument("--figure", metavar="FILE.png", help="save the density with the judgements")
    p.add_argument("--force", action="store_true", help="overwrite an existing --figure")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Fit and print."""
    import tomli_w

    from som_mc._io import atomic_write, check_writable
    from som_mc.distributions import fit_quantiles
    from som_mc.distributions._toml import from_toml
    from som_mc.errors import SomMcError

    if args.figure:
        check_writable(args.figure, overwrite=args.force)
    table: dict[str, Any] = {"dist": args.family, **dict(args.quantile)}
    dist = from_toml(table)  # validates keys and values with the one-line errors
    if dist.elicited is None:  # type: ignore[attr-defined]
        raise SomMcError(f"{args.family}: not a family that can be fitted to quantiles")
    fixed = dict(dist.elicited.fixed)  # type: ignore[attr-defined]
    judged = dict(dist.elicited.judged)  # type: ignore[attr-defined]
    fit = fit_quantiles(args.family, judged, **fixed)
    payload = fit.as_dict()
    if args.json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        params = ", ".join(f"{k} = {v:.6g}" for k, v in fit.parameters.items())
        print(f"{args.family}: {params}")
        for p, x in sorted(fit.quantiles.items()):
            print(f"  P{100 * p:g}: bedømt {judged[p]:.6g}, opnået {x:.6g}")
        print(f"Største afvigelse i sandsynlighed: {fit.max_abs_error:.2g}")
        items = ", ".join(
            f"{k} = {tomli_w.dumps({'v': v}).split('=', 1)[1].strip()}"
            for k, v in fit.distribution.to_toml().items()
        )
        print(f"TOML: {{ {items} }}")
    if args.figure:
        import numpy as np
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4))
        ax = fig.subplots()
        d: Any = fit.distribution
        lo, hi = d.ppf(np.array([0.001, 0.999]))
        grid = np.linspace(lo, hi, 400)
        density = d.pdf(grid) if hasattr(d, "pdf") else d._scipy().pdf(grid)
        ax.plot(grid, density, color="#0072B2")
        for p, v in judged.items():
            ax.axvline(v, color="#D55E00", linestyle="--", linewidth=1)
            ax.annotate(f"P{100 * p:g}", (v, 0), textcoords="offset points", xytext=(3, 3))
        ax.set_ylabel("Tæthed")
        ax.ticklabel_format(useLocale=False)
        fmt = str(args.figure).rsplit(".", 1)[-1].lower()
        atomic_write(args.figure, lambda tmp: fig.savefig(tmp, dpi=150, format=fmt),
                     overwrite=args.force)
    return 0
