"""Golden summaries: small, stored results of the example cases, recomputed by the tests.

A golden summary is a JSON file with the deterministic result per aktør and year and a Monte
Carlo summary of the cumulative nettoresultat over the horizon (mean, P5/P50/P95,
P(nettoresultat > 0)) at a fixed number of draws and seed. ``tests/test_golden.py``
recomputes every example case in ``cases/`` and compares with ``cases/expected/``.

Regenerating is deliberate: the files are user-visible data, so this module never
overwrites an existing golden file unless asked to (``--force``), and it prints what
changed::

    python -m som_mc.golden cases/*.toml --out cases/expected            # new files only
    python -m som_mc.golden cases/*.toml --out cases/expected --force    # replace, with a diff
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from som_mc.case import Case, load_case
from som_mc.engine.deterministic import deterministic
from som_mc.errors import SomMcError
from som_mc.model import TOTAL
from som_mc.run import simulate
from som_mc.sampling._designs import Design
from som_mc.stats.summary import quantile_index, summarize

__all__ = [
    "GOLDEN_DESIGN",
    "GOLDEN_DRAWS",
    "GOLDEN_SEED",
    "compare_golden",
    "golden_summary",
    "main",
]

#: Monte Carlo settings of every golden summary.
GOLDEN_DRAWS = 4_000
GOLDEN_SEED = 1
GOLDEN_DESIGN: Design = "random"

_DETERMINISTIC_VARS = ("cost", "consequence_value", "net_result")
_QUANTILES = (0.05, 0.50, 0.95)


def golden_summary(case: Case) -> dict[str, Any]:
    """Compute the golden summary of a case.

    Parameters
    ----------
    case : Case
        A validated case.

    Returns
    -------
    dict
        ``{"case_name", "deterministic": {"point", "years", "actors", "cost",
        "consequence_value", "net_result"}, "monte_carlo": {"draws", "seed", "design",
        "cumulative_net_result_horizon": {actor: {"mean", "p5", "p50", "p95",
        "p_positive"}}}}``; money in kroner at the case's price year, per aktør a list over
        the years. A case with ``[evidence]`` is summarised with its posterior inputs, as
        ``som-mc run`` does.
    """
    from som_mc.case.evidence import apply_evidence

    case = apply_evidence(case).case
    det = deterministic(case, point="mean")
    actors = [str(a) for a in det.actor.values]
    det_out: dict[str, Any] = {
        "point": "mean",
        "years": [int(y) for y in det.year.values],
        "actors": actors,
    }
    for var in _DETERMINISTIC_VARS:
        det_out[var] = {
            actor: [float(v) for v in det[var].sel(actor=actor).values] for actor in actors
        }
    ds = simulate(case, draws=GOLDEN_DRAWS, seed=GOLDEN_SEED, design=GOLDEN_DESIGN)
    s = summarize(ds, quantiles=_QUANTILES)
    horizon: dict[str, dict[str, float]] = {}
    for actor in [*actors, TOTAL]:
        a = s.sel(actor=actor)
        row = {"mean": float(a.horizon_mean)}
        for q in _QUANTILES:
            row[f"p{round(100 * q)}"] = float(
                a.horizon_quantile.isel(quantile=quantile_index(a.horizon_quantile, q))
            )
        row["p_positive"] = float(a.horizon_p_positive)
        horizon[actor] = row
    return {
        "case_name": case.name,
        "deterministic": det_out,
        "monte_carlo": {
            "draws": GOLDEN_DRAWS,
            "seed": GOLDEN_SEED,
            "design": GOLDEN_DESIGN,
            "cumulative_net_result_horizon": horizon,
        },
    }


def _section(path: str) -> str:
    """Return the top-level key of a leaf's path (``deterministic`` of ``deterministic.cost…``)."""
    return path.split(".", 1)[0].split("[", 1)[0]


def _leaves(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, data


def compare_golden(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    rtol: float,
    atol: float,
) -> list[str]:
    """List the differences between two golden summaries.

    Numbers are equal when ``|a - e| <= atol + rtol * max(|e|, scale)``, where ``scale`` is
    the largest magnitude of the expected numbers in the same top-level section
    (``deterministic``, ``monte_carlo``): a net result is a difference of larger sums (value
    minus cost), so a last-bit change of a term (NumPy's SIMD ``exp`` or ``log`` on another
    CPU) moves a net result near zero by more than `rtol` of itself, never by more than
    `rtol` of the section. Everything else (text, whole numbers, keys, list lengths) must
    match exactly.

    Parameters
    ----------
    expected, actual : Mapping
        Golden summaries (:func:`golden_summary` or a stored JSON file).
    rtol, atol : float
        Relative and absolute tolerance for floating-point numbers.

    Returns
    -------
    list of str
        One line per difference (``path: expected …, got …``); empty when they agree.
    """
    exp = dict(_leaves(expected))
    act = dict(_leaves(actual))
    problems = [f"{path}: missing (expected {exp[path]!r})" for path in exp if path not in act]
    problems += [f"{path}: unexpected (got {act[path]!r})" for path in act if path not in exp]
    scale: dict[str, float] = {}
    for path, e in exp.items():
        if isinstance(e, float) and math.isfinite(e):
            section = _section(path)
            scale[section] = max(scale.get(section, 0.0), abs(e))
    for path, e in exp.items():
        if path not in act:
            continue
        a = act[path]
        if isinstance(e, float) or isinstance(a, float):
            if not (
                isinstance(a, int | float)
                and isinstance(e, int | float)
                and math.isclose(
                    a, e, rel_tol=rtol, abs_tol=atol + rtol * scale.get(_section(path), 0.0)
                )
            ):
                problems.append(f"{path}: expected {e!r}, got {a!r}")
        elif a != e:
            problems.append(f"{path}: expected {e!r}, got {a!r}")
    return problems


def golden_path(case_file: str | Path, out: str | Path) -> Path:
    """Golden file of a case file: ``out/<stem>.json``."""
    return Path(out) / f"{Path(case_file).stem}.json"


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write golden summaries; never overwrite an existing one without ``--force``.

    Returns the exit status (2 when a file exists and ``--force`` was not given, or a case
    is invalid).
    """
    parser = argparse.ArgumentParser(
        prog="python -m som_mc.golden",
        description="Write golden summaries of case files (deterministic result and a Monte "
        f"Carlo summary at {GOLDEN_DRAWS} draws, seed {GOLDEN_SEED}).",
    )
    parser.add_argument("case", nargs="+", metavar="CASE", help="case files (TOML)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder of the JSON files")
    parser.add_argument(
        "--force", action="store_true", help="replace existing golden files (prints a diff)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"som_mc.golden: error: {out}: folder does not exist", file=sys.stderr)
        return 2
    status = 0
    for case_file in args.case:
        path = golden_path(case_file, out)
        if path.exists() and not args.force:
            print(
                f"som_mc.golden: error: {path} exists; pass --force to replace it",
                file=sys.stderr,
            )
            status = 2
            continue
        try:
            data = golden_summary(load_case(case_file))
        except SomMcError as exc:
            print(f"som_mc.golden: error: {exc}", file=sys.stderr)
            status = 2
            continue
        if path.exists():
            old = json.loads(path.read_text(encoding="utf-8"))
            diff = compare_golden(old, data, rtol=0.0, atol=0.0)
            print(f"{path}: {len(diff)} value(s) changed")
            for line in diff[:20]:
                print(f"  {line}")
            if len(diff) > 20:
                print(f"  … and {len(diff) - 20} more")
        else:
            print(f"{path}: written")
        path.write_text(_dump(data), encoding="utf-8")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
