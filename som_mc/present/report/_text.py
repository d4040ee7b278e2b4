"""Report wording in Danish and English, and number formatting per language."""

from __future__ import annotations

import math
from typing import Literal

from som_mc.present.format import format_number

__all__ = ["LANGS", "Lang", "Numbers", "text"]

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")

_TEXT: dict[str, dict[str, str]] = {
    "da": {
        "title": "Beslutningsnotat",
        "subtitle": "Probabilistisk SØM-beregning (Monte Carlo) af det budgetøkonomiske "
        "nettoresultat",
        "target_group": "Målgruppe",
        "prices": "Kr. i {year}-priser",
        "headline": "Hovedresultat",
        "expected": "Forventet nettoresultat i alt over perioden {first}–{last}",
        "interval90": "90 %-interval",
        "p_positive": "Sandsynlighed for at nettoresultatet er positivt",
        "break_even": "Sandsynligt break-even-år (median)",
        "never": "ikke inden for perioden",
        "per_actor": "Nettoresultat pr. aktør over perioden",
        "actor": "Aktør",
        "total": "I alt",
        "mean": "Middelværdi",
        "mcse": "MCSE",
        "p5": "P5",
        "p50": "P50 (median)",
        "p95": "P95",
        "p_pos_short": "P(> 0)",
        "per_participant": "Pr. deltager",
        "be_median": "Break-even (median)",
        "figures": "Figurer",
        "fig_fan": "Akkumuleret nettoresultat pr. aktør og i alt: median, 50 %- og 90 %-interval.",
        "fig_yearly": "Nettoresultat pr. år og aktør: middelværdi med 90 %-interval (P5–P95).",
        "fig_distribution": "Fordeling af det samlede nettoresultat over perioden "
        "(histogram og kumuleret fordeling); den stiplede linje markerer 0.",
        "fig_break_even": "Fordeling af break-even-året for det samlede resultat.",
        "sensitivity": "Følsomhedsanalyse",
        "sens_intro": "Tornado: det samlede nettoresultat, når ét input ad gangen sættes til "
        "sin {lo}- og {hi}-percentil og de øvrige holdes på middelværdien "
        "(basisresultat {base}). De {n} inputs med størst udsving.",
        "input": "Input",
        "result_low": "Resultat, lavt input",
        "result_high": "Resultat, højt input",
        "swing": "Udsving",
        "no_uncertain": "Casen har ingen usikre inputs; der er ingen følsomhed at vise.",
        "appendix": "Bilag: antagelser",
        "appendix_intro": "Alle {n} inputs i casefilen med fordeling, basisværdi "
        "(middelværdi) og kilde.",
        "name": "Navn i casefilen",
        "distribution": "Fordeling",
        "base": "Basisværdi",
        "source": "Kilde",
        "no_source": "(ingen kilde angivet)",
        "catalog": "Poster fra fordelingskataloget",
        "catalog_intro": "Casefilen henter {n} poster fra som_mc's fordelingskatalog "
        "(distributions/). Beløb i et andet prisår end casens er omregnet med katalogets "
        "prisindeks (faktor).",
        "catalog_entry": "Katalogpost",
        "catalog_kind": "Art",
        "catalog_used_by": "Bruges af",
        "price_year": "Prisår",
        "price_factor": "Faktor",
        "method": "Metode og reproducerbarhed",
        "draws": "Antal træk",
        "seed": "Seed",
        "design": "Stikprøvedesign",
        "mcse_total": "MCSE af forventet nettoresultat i alt",
        "quantiles": "Kvantiler",
        "case_hash": "Casefilens SHA-256",
        "versions": "Versioner",
        "reproduce": "Genskab rapporten",
        "method_note": "Hvert input trækkes fra sin fordeling i hvert træk; nettoresultatet "
        "beregnes efter SØM (NR = −ΔE − K, positivt er godt for de offentlige budgetter). "
        "MCSE er Monte Carlo-standardfejlen på middelværdien (sd/√n). Samme casefil og samme "
        "seed giver de samme tal.",
        "exact": "eksakte",
        "histogram": "fra histogram",
    },
    "en": {
        "title": "Decision memo",
        "subtitle": "Probabilistic SØM calculation (Monte Carlo) of the public-budget net result",
        "target_group": "Target group",
        "prices": "DKK at {year} prices",
        "headline": "Headline",
        "expected": "Expected total net result over {first}–{last}",
        "interval90": "90 % interval",
        "p_positive": "Probability that the net result is positive",
        "break_even": "Probable break-even year (median)",
        "never": "not within the horizon",
        "per_actor": "Net result per actor over the horizon",
        "actor": "Actor",
        "total": "Total",
        "mean": "Mean",
        "mcse": "MCSE",
        "p5": "P5",
        "p50": "P50 (median)",
        "p95": "P95",
        "p_pos_short": "P(> 0)",
        "per_participant": "Per participant",
        "be_median": "Break-even (median)",
        "figures": "Figures",
        "fig_fan": "Cumulative net result per actor and in total: median, 50 % and 90 % bands.",
        "fig_yearly": "Net result per year and actor: mean with 90 % interval (P5–P95).",
        "fig_distribution": "Distribution of the total net result over the horizon "
        "(histogram and cumulative distribution); the dashed line marks 0.",
        "fig_break_even": "Distribution of the break-even year of the total.",
        "sensitivity": "Sensitivity analysis",
        "sens_intro": "Tornado: the total net result with one input at a time at its {lo} and "
        "{hi} percentile and the others at their means (base result {base}). The {n} inputs "
        "with the largest swing.",
        "input": "Input",
        "result_low": "Result, low input",
        "result_high": "Result, high input",
        "swing": "Swing",
        "no_uncertain": "The case has no uncertain inputs; there is no sensitivity to show.",
        "appendix": "Appendix: assumptions",
        "appendix_intro": "All {n} inputs of the case file with distribution, base value "
        "(mean) and source.",
        "name": "Name in the case file",
        "distribution": "Distribution",
        "base": "Base value",
        "source": "Source",
        "no_source": "(no source given)",
        "catalog": "Entries from the distribution catalog",
        "catalog_intro": "The case file takes {n} entries from som_mc's distribution catalog "
        "(distributions/). Amounts in another price year than the case's were converted with "
        "the catalog's price index (factor).",
        "catalog_entry": "Catalog entry",
        "catalog_kind": "Kind",
        "catalog_used_by": "Used by",
        "price_year": "Price year",
        "price_factor": "Factor",
        "method": "Method and reproducibility",
        "draws": "Draws",
        "seed": "Seed",
        "design": "Sampling design",
        "mcse_total": "MCSE of the expected total net result",
        "quantiles": "Quantiles",
        "case_hash": "SHA-256 of the case file",
        "versions": "Versions",
        "reproduce": "Reproduce this report",
        "method_note": "Every input is drawn from its distribution in every draw; the net "
        "result follows SØM (NR = −ΔE − K, positive is good for public budgets). MCSE is the "
        "Monte Carlo standard error of the mean (sd/√n). The same case file and seed give the "
        "same numbers.",
        "exact": "exact",
        "histogram": "from histograms",
    },
}


def text(lang: Lang) -> dict[str, str]:
    """Return the report's wording in `lang` (``"da"`` or ``"en"``)."""
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'da' or 'en'; received {lang!r}")
    return _TEXT[lang]


class Numbers:
    """Number formatting for one language: Danish ``1.234.567 kr.``, English ``DKK 1,234,567``.

    Parameters
    ----------
    lang : {"da", "en"}
        Language.
    """

    def __init__(self, lang: Lang) -> None:
        text(lang)  # validates
        self.lang = lang

    def number(self, value: float, decimals: int = 0) -> str:
        """Format a number with the language's separators."""
        da = format_number(value, decimals)
        if self.lang == "da":
            return da
        return da.replace(".", "\x00").replace(",", ".").replace("\x00", ",")

    def kr(self, value: float) -> str:
        """Format an amount in kroner."""
        if self.lang == "da":
            return f"{self.number(value)} kr."
        return f"DKK {self.number(value)}"

    def pct(self, value: float) -> str:
        """Format a share as a percentage (whole per cent, one decimal below 1 % and above 99 %)."""
        decimals = 1 if 0 < value < 0.01 or 0.99 < value < 1 else 0
        return f"{self.number(100 * value, decimals)} %"

    def value(self, value: float) -> str:
        """Format an input value: whole numbers exactly, others to four significant digits."""
        if not math.isfinite(value):
            return "–"
        if value == int(value) and abs(value) < 1e15:
            return self.number(value)
        decimals = max(0, min(8, 3 - math.floor(math.log10(abs(value)))))
        out = self.number(value, decimals)
        sep = "," if self.lang == "da" else "."
        if sep in out:
            out = out.rstrip("0").rstrip(sep)
        return out
