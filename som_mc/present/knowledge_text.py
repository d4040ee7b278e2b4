"""Danish text and table rows for value of information (``som-mc voi``)."""

from __future__ import annotations

from typing import Any

from som_mc.model import TOTAL
from som_mc.present.format import format_kr, format_pct

__all__ = ["voi_rows", "voi_text"]


def _actor(actor: str) -> str:
    return "I alt" if actor == TOTAL else actor.capitalize()


def _label(result: Any, name: str, width: int = 48) -> str:
    label = str(result.labels.get(name, name))
    return label if len(label) <= width else label[: width - 1] + "…"


def voi_text(result: Any, *, top: int = 10) -> str:
    """Return the ranking "hvad er mest værd at vide mere om?" per aktør, in kroner.

    Parameters
    ----------
    result : som_mc.sensitivity.voi.VoiResult
        Output of :func:`~som_mc.sensitivity.voi.voi_analysis`.
    top : int
        Inputs and groups shown per aktør.

    Returns
    -------
    str
        Several lines of Danish text.
    """
    lines = [
        f"Værdi af information: {result.case_name}",
        "Beslutning: invester, hvis det forventede nettoresultat over perioden er > 0 "
        f"({result.n_draws} træk).",
    ]
    for actor, voi in result.actors.items():
        choice = "invester" if voi.expected_net > 0 else "invester ikke"
        lines += [
            "",
            f"{_actor(actor)}: forventet nettoresultat {format_kr(voi.expected_net)} -> {choice}; "
            f"risiko for at det er det forkerte valg {format_pct(voi.p_loss)}",
            f"  EVPI (perfekt viden om alt): {format_kr(voi.evpi)} (± {format_kr(voi.evpi_se)})",
        ]
        ranked = voi.ranking()
        rows = [r for r in ranked if r[1] >= 0.5][:top]
        rest = len(ranked) - len(rows)
        if voi.evpi <= 0 or not rows:
            lines.append("  Ingen usikkerhed ændrer beslutningen: mere viden har ingen værdi her.")
            continue
        lines.append("  Hvad er mest værd at vide mere om?")
        width = min(48, max(len(_label(result, r[0])) for r in rows))
        for i, (name, value, se) in enumerate(rows, 1):
            label = _label(result, name)
            share = value / voi.evpi if voi.evpi > 0 else 0.0
            kind = " (gruppe)" if name in voi.groups else ""
            lines.append(
                f"  {i:>2}. {label:<{width}}  {format_kr(value):>14} (± {format_kr(se)}), "
                f"{format_pct(share)} af EVPI{kind}"
            )
        if rest:
            lines.append(f"  (de øvrige {rest} input og grupper: under 1 kr. hver)")
    if result.warnings:
        lines += ["", *(f"Advarsel: {w}" for w in result.warnings)]
    lines += [
        "",
        "EVPPI: hvad det højst er værd at betale for at kende inputtet præcist, før der "
        "besluttes (kr.; ± er standardfejl).",
    ]
    return "\n".join(lines)


def voi_rows(result: Any) -> list[dict[str, Any]]:
    """Return the records for ``voi.csv``: aktør, input (or group), label, EVPPI, se, EVPI."""
    rows: list[dict[str, Any]] = []
    for actor, voi in result.actors.items():
        rows.append(
            {
                "actor": actor,
                "input": "(alle)",
                "label": "EVPI",
                "kind": "evpi",
                "value_kr": voi.evpi,
                "se_kr": voi.evpi_se,
            }
        )
        for name, value, se in voi.ranking():
            rows.append(
                {
                    "actor": actor,
                    "input": name,
                    "label": result.labels.get(name, name),
                    "kind": "group" if name in voi.groups else "input",
                    "value_kr": value,
                    "se_kr": se,
                }
            )
    return rows
