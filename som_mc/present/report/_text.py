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
        "break_even": "Sandsynligt tilbagebetalingsår",
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
        "be_median": "Tilbagebetalingsår",
        "figures": "Figurer",
        "fig_fan": "Akkumuleret nettoresultat pr. aktør og i alt: median, 50 %- og 90 %-interval.",
        "fig_yearly": "Nettoresultat pr. år og aktør: middelværdi med 90 %-interval (P5–P95).",
        "fig_distribution": "Fordeling af det samlede nettoresultat over perioden "
        "(histogram og kumuleret fordeling); den stiplede linje markerer 0.",
        "fig_break_even": "Fordeling af tilbagebetalingsåret for det samlede resultat.",
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
        "source_status": "Kildestatus",
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
        # --- the memo's sections ---
        "sec_conclusion": "Konklusion",
        "sec_caveats": "Forbehold",
        "sec_results": "Resultater pr. aktør",
        "sec_drivers": "Hvad afhænger resultatet af",
        "sec_alternatives": "Alternativer",
        "sec_method": "Metode og forudsætninger",
        "period": "perioden {first}–{last}",
        "actor_def": "{actor}",
        "public_total": "den offentlige sektor i alt",
        "c_actor": "For {actor} er det forventede nettoresultat {mean} over {period} "
        "(90 %-interval {p5} til {p95}), og sandsynligheden for et positivt resultat er {p}.",
        "c_payback": "Indsatsen er sandsynligvis tilbagebetalt for {actor} i {year}.",
        "c_no_payback": "Indsatsen er sandsynligvis ikke tilbagebetalt for {actor} inden for "
        "perioden.",
        "c_total": "For den offentlige sektor i alt er det forventede nettoresultat {mean} "
        "(90 %-interval {p5} til {p95}) med {p} sandsynlighed for et positivt resultat; "
        "{payback}.",
        "c_total_payback": "det sandsynlige tilbagebetalingsår er {year}",
        "c_total_no_payback": "indsatsen er sandsynligvis ikke tilbagebetalt inden for perioden",
        "c_others": "Gevinsten tilfalder altså især andre offentlige aktører end {actor}.",
        "c_hinges": "Resultatet i alt afhænger mest af {input}: med denne størrelse i den lave "
        "og den høje ende af sit sandsynlige spænd bliver det {low} og {high}.",
        "c_discounted": "Tilbagediskonteret med {rate} om året er det forventede "
        "nettoresultat i alt {mean}.",
        "c_alternative": "{alt} giver {actor} {diff} {direction} end {base} (90 %-interval "
        "{p5} til {p95}); sandsynligheden for at {alt} er det bedste alternativ for {actor} er "
        "{p_best}.",
        "more": "mere",
        "less": "mindre",
        "caveat_inputs": "{n_flag} af casens {n_unc} usikre inputs og {n_fix_flag} af dens "
        "{n_fix} faste værdier bygger på illustrative eller ikke kildebelagte tal.",
        "caveat_inputs_none": "Alle casens inputs har en angivet kilde.",
        "caveat_variance": "Disse usikre inputs står for omkring {share} af usikkerheden "
        "(variansen) i nettoresultatet i alt.",
        "caveat_corr_none": "Inputs antages at være indbyrdes uafhængige; casen angiver ingen "
        "sammenhænge (korrelationer) mellem dem.",
        "caveat_corr": "Casen antager {n} sammenhænge (rangkorrelationer) mellem inputs: {list}.",
        "caveat_causal": "SØM's konsekvensestimater er ikke kausale effektestimater: de "
        "beskriver forskellen i offentlige udgifter mellem borgere med og uden succes, ikke "
        "nødvendigvis hvad indsatsen selv forårsager.",
        "caveat_evidence": "Evidens brugt i beregningen:",
        "caveat_illustrative_list": "Inputs med illustrative eller ikke kildebelagte tal",
        "status_illustrative": "illustrativt",
        "status_unsourced": "ingen kilde",
        "status_sourced": "kildebelagt",
        "row_cost": "Omkostninger",
        "row_value": "Værdi af konsekvenser",
        "row_net": "Nettoresultat",
        "row_p_positive": "Sandsynlighed for positivt resultat",
        "row_payback": "Tilbagebetalingsår (sandsynligt)",
        "row_per_participant": "Nettoresultat pr. deltager",
        "undiscounted": "Ikke tilbagediskonteret",
        "discounted": "Tilbagediskonteret med {rate} om året",
        "results_intro": "Beløb i kr. over {period} i {year}-priser. Hver celle viser den "
        "forventede værdi og under den 90 %-intervallet. Nettoresultat = værdi af "
        "konsekvenser − omkostninger; positivt er godt for de offentlige budgetter.",
        "waterfall_caption": "Fra omkostninger til nettoresultat for {actor}: hver "
        "omkostningspost og konsekvens med forventet bidrag og 90 %-interval; den sidste søjle "
        "er nettoresultatet. Intervallerne for de enkelte poster kan ikke lægges sammen.",
        "tornado_caption": "{actor}: nettoresultatet, når én størrelse ad gangen sættes lavt "
        "og højt i sit sandsynlige spænd (10 %- og 90 %-fraktil) og de øvrige holdes på deres "
        "forventede værdi.",
        "drivers_intro": "Hvilke størrelser flytter resultatet mest? Hver størrelse sættes "
        "lavt og højt inden for sit sandsynlige spænd, mens de øvrige holdes på deres forventede "
        "værdi.",
        "switching": "Nulpunkter: hvornår skifter resultatet fortegn?",
        "switching_intro": "Den værdi af en størrelse, hvor det forventede nettoresultat er "
        "0, når de øvrige holdes på deres forventede værdi; den søges i hele størrelsens "
        "mulige spænd. Ligger nulpunktet uden for det antagne interval (de værdier, casens "
        "fordeling tillader), skifter resultatet ikke fortegn inden for det antagne: markeret "
        "med ⚠, når et positivt resultat kræver en værdi, casen ikke regner med.",
        "switching_none": "Ingen enkelt størrelse kan alene få resultatet til at skifte fortegn "
        "inden for sit mulige spænd.",
        "sv_input": "Størrelse",
        "sv_actor": "For",
        "sv_value": "Nulpunkt",
        "sv_assumed": "Antaget: middel (interval)",
        "sv_at_least": "mindst {v}",
        "sv_at_most": "højst {v}",
        "sv_outside": "⚠ uden for det antagne interval: et positivt resultat kræver en værdi, "
        "casen ikke regner med",
        "sv_outside_safe": "uden for det antagne interval: positivt i hele intervallet",
        "sv_inside": "inden for det antagne interval ({pct}): fortegnet kan skifte",
        "sv_verdict": "Vurdering",
        "scenarios": "Scenarier",
        "sc_scenario": "Scenarie",
        "voi": "Hvad er mest værd at vide mere om",
        "voi_intro": "Forventet værdi af at kende en størrelse præcist, før der besluttes "
        "(for {actor}).",
        "voi_value": "Værdi af viden",
        "alt_intro": "{base} er basis. Forskelle er parvise: hvert alternativ minus basis i "
        "samme simulerede forløb (fælles tilfældige tal), så kun den reelle forskel tæller.",
        "alt_case": "Alternativ",
        "alt_expected": "Forventet nettoresultat",
        "alt_diff": "Forskel fra basis",
        "alt_diff_pv": "Forskel, tilbagediskonteret",
        "alt_p_better": "Sandsynlighed for at være bedre end basis",
        "alt_p_best": "Sandsynlighed for at være bedst",
        "alt_rank": "Forventet placering",
        "alt_payback": "Tilbagebetalingsår",
        "alt_payback_diff": "Forskel i tilbagebetalingsår",
        "alt_basis": "basis",
        "alt_years": "{n:+d} år",
        "alt_years_inf_later": "tilbagebetales ikke",
        "alt_years_inf_earlier": "kun dette tilbagebetales",
        "alt_fig": "{actor}: akkumuleret nettoresultat for hvert alternativ (median, 50 %- og "
        "90 %-interval) og den parvise forskel fra basis.",
        "method_caveat": "Andelen af variansen er beregnet med standardiserede "
        "rangregressionskoefficienter (kvadreret og normeret) fra kørslens egne træk; den er et "
        "skøn, der ser bort fra samspil mellem inputs.",
        "method_waterfall": "Omkostningsposterne i vandfaldet er genberegnet for hvert træk ud fra "
        "de trukne inputs med casens egne omkostningstabeller; konsekvensernes værdi kommer fra "
        "kørslen. Posterne summer til kørslens omkostninger og værdier i hvert træk.",
        "mio": "mio. kr.",
        "tornado_head": "{actor}: lavt – højt",
        "discounted_note": "Tilbagediskonteret med casens diskonteringsrente.",
        "c_switch": "Indsatsen tjener sig hjem for {actor} ved {input} på {bound} {v}{where}.",
        "c_switch_inside": " (casen regner med {base}; {pct} sandsynlighed for at ligge på den "
        "forkerte side)",
        "c_switch_outside": ", uden for det antagne interval ({lo} – {hi})",
        "c_switch_safe": "; det er uden for det antagne interval ({lo} – {hi}), så resultatet "
        "er positivt i hele intervallet",
        "sv_percentile": "{pct}-fraktilen",
        "sc_intro": "Casens scenarier beregnet med de samme tilfældige tal som basis, så "
        "forskellen til basis kun skyldes scenariets ændring. Beløb i kr. over perioden.",
        "sc_description": "Beskrivelse",
        "sc_deterministic": "Deterministisk",
        "sc_mean": "Gennemsnit",
        "sc_interval": "90 %-interval",
        "sc_p": "Sandsynlighed for positivt resultat",
        "sc_payback": "Tilbagebetalingsår",
        "sc_diff": "Forskel til basis",
        "sc_footnote": "Under gennemsnittet står 90 %-intervallet. ¹ ± er usikkerheden fra "
        "simuleringen på forskellen (to standardfejl, se Metode); intervallet under er "
        "forskellens 90 %-interval.",
        "voi_intro2": "Værdien af viden er, hvad det i gennemsnit er værd at kende en størrelse "
        "præcist, før der besluttes: med sikker viden kunne man undgå den forkerte beslutning. "
        "Med det, vi ved i dag, er det forventede{disc} nettoresultat for {actor} "
        "{net}, og beslutningen er derfor at {decision}; der er {p_loss} sandsynlighed for, at "
        "det viser sig at være forkert.",
        "voi_evpi": "Værdien af at kende alt præcist (EVPI) er {evpi} for {actor}. Mest værd "
        "at vide mere om er {top}: {value}.",
        "voi_evpi_only": "Værdien af at kende alt præcist (EVPI) er {evpi} for {actor}; ingen "
        "enkelt størrelse har alene en målbar værdi.",
        "voi_small": "Værdien af viden er lille i forhold til indsatsens størrelse: mere viden "
        "ændrer næppe beslutningen.",
        "voi_invest": "gennemføre indsatsen",
        "voi_all": "Alle usikre størrelser på én gang",
        "voi_disc": " tilbagediskonterede",
        "voi_rest": "De øvrige {n} størrelser har ingen målbar værdi af viden (under 1 kr.).",
        "voi_group": "Alle størrelser for {name}",
        "voi_not_invest": "lade være",
        "voi_se": "± usikkerhed¹",
        "voi_footnote": "¹ To standardfejl fra simuleringen og regressionen (se Metode). "
        "Grupper (fx alle input) viser værdien af at kende flere størrelser på én gang.",
        "voi_few_draws": "Værdien af viden kræver mindst {min} træk; beregningen har {n}. "
        "Kør med flere træk (--draws) for at få afsnittet med.",
        "fig_voi": "Værdien af at kende hver størrelse (og grupper af størrelser) præcist for "
        "{actor}, i kr.; den lodrette linje er værdien af at kende alt (EVPI).",
        "ev_rate": "Succesraten bygger på en opfølgning: {s} af {n} deltagere havde succes "
        "({obs}). Før opfølgningen var den forventede succesrate {prior} (90 %-interval "
        "{prior_p5} – {prior_p95}); med opfølgningen er den {post} (90 %-interval {post_p5} – "
        "{post_p95}).",
        "ev_rate_surprise": "Bemærk: {s} succeser ligger uden for det, casens antagelser "
        "forventede ({p5} – {p95}); tjek antagelserne.",
        "ev_participants": "{label}: det realiserede antal deltagere, {v}, er brugt "
        "(antaget {prior}).",
        "ev_cost": "{label}: det realiserede beløb, {v}, er brugt (antaget {prior}).",
        "ev_source": "Kilde for opfølgningen: {source}.",
        "ev_dropped": "Sammenhængen mellem {a} og {b} er fjernet, da en af dem nu er kendt.",
        "ev_prior": "Casefilen indeholder en opfølgning (evidens), men beregningen bruger "
        "antagelserne fra før opfølgningen (--prior).",
        "method_scenarios": "Scenarierne er beregnet med {draws} træk pr. scenarie "
        "(stikprøvedesign lhs, seed {seed}) og fælles tilfældige tal; ± i scenarietabellen er "
        "to gange Monte Carlo-standardfejlen (MCSE) på den parvise forskel.",
        "method_voi": "Værdien af viden (EVPI og EVPPI) er beregnet af kørslens egne {draws} "
        "træk på det tilbagediskonterede nettoresultat: EVPPI ved regression (splines) af "
        "nettoresultatet på størrelsen; ± er to standardfejl.",
        "method_switching": "Nulpunkterne søges i hele størrelsens meningsfulde spænd (en "
        "andel mellem 0 og 1, et beløb eller antal på mindst 0); det antagne interval er "
        "fordelingens udfaldsrum (afskåret ved fraktilen 10⁻⁶, hvor det er ubegrænset).",
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
        "break_even": "Probable payback year",
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
        "be_median": "Tilbagebetalingsår",
        "figures": "Figures",
        "fig_fan": "Cumulative net result per actor and in total: median, 50 % and 90 % bands.",
        "fig_yearly": "Net result per year and actor: mean with 90 % interval (P5–P95).",
        "fig_distribution": "Distribution of the total net result over the horizon "
        "(histogram and cumulative distribution); the dashed line marks 0.",
        "fig_break_even": "Distribution of the payback year of the total.",
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
        "source_status": "Source status",
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
        # --- the memo's sections ---
        "sec_conclusion": "Conclusion",
        "sec_caveats": "Caveats",
        "sec_results": "Results per actor",
        "sec_drivers": "What the result depends on",
        "sec_alternatives": "Alternatives",
        "sec_method": "Method and assumptions",
        "period": "{first}–{last}",
        "actor_def": "{actor}",
        "public_total": "the public sector in total",
        "c_actor": "For {actor} the expected net result is {mean} over {period} (90 % "
        "interval {p5} to {p95}), and the probability of a positive result is {p}.",
        "c_payback": "The intervention probably pays back for {actor} in {year}.",
        "c_no_payback": "The intervention probably does not pay back for {actor} within the "
        "horizon.",
        "c_total": "For the public sector in total the expected net result is {mean} (90 % "
        "interval {p5} to {p95}) with a {p} probability of a positive result; {payback}.",
        "c_total_payback": "the probable payback year is {year}",
        "c_total_no_payback": "it probably does not pay back within the horizon",
        "c_others": "The gain thus falls mainly to public actors other than {actor}.",
        "c_hinges": "The total result depends most on {input}: with it at the low and the high "
        "end of its probable range the result becomes {low} and {high}.",
        "c_discounted": "Discounted at {rate} a year, the expected total net result is {mean}.",
        "c_alternative": "{alt} gives {actor} {diff} {direction} than {base} (90 % interval "
        "{p5} to {p95}); the probability that {alt} is the best alternative for {actor} is "
        "{p_best}.",
        "more": "more",
        "less": "less",
        "caveat_inputs": "{n_flag} of the case's {n_unc} uncertain inputs and {n_fix_flag} of "
        "its {n_fix} fixed values rest on illustrative or unsourced numbers.",
        "caveat_inputs_none": "Every input of the case names a source.",
        "caveat_variance": "These uncertain inputs carry about {share} of the uncertainty "
        "(variance) of the total net result.",
        "caveat_corr_none": "Inputs are assumed independent; the case declares no correlations "
        "between them.",
        "caveat_corr": "The case assumes {n} rank correlations between inputs: {list}.",
        "caveat_causal": "SØM's consequence estimates are not causal effect estimates: they "
        "describe the difference in public spending between citizens with and without "
        "success, not necessarily what the intervention itself causes.",
        "caveat_evidence": "Evidence used in the calculation:",
        "caveat_illustrative_list": "Inputs with illustrative or unsourced numbers",
        "status_illustrative": "illustrative",
        "status_unsourced": "no source",
        "status_sourced": "sourced",
        "row_cost": "Costs",
        "row_value": "Value of consequences",
        "row_net": "Net result",
        "row_p_positive": "Probability of a positive result",
        "row_payback": "Payback year (probable)",
        "row_per_participant": "Net result per participant",
        "undiscounted": "Undiscounted",
        "discounted": "Discounted at {rate} a year",
        "results_intro": "Amounts in DKK over {period} at {year} prices. Each cell shows the "
        "expected value and below it the 90 % interval. Net result = value of consequences − "
        "costs; positive is good for public budgets.",
        "waterfall_caption": "From costs to net result for {actor}: each cost line and "
        "consequence with its expected contribution and 90 % interval; the last bar is the net "
        "result. The intervals of the single items do not add up.",
        "tornado_caption": "{actor}: the net result with one quantity at a time set low and "
        "high in its probable range (10 % and 90 % quantile) and the others at their expected "
        "values.",
        "drivers_intro": "Which quantities move the result most? Each is set low and high "
        "within its probable range while the others stay at their expected values.",
        "switching": "Switching values: when does the result change sign?",
        "switching_intro": "The value of a quantity at which the expected net result is 0 with "
        "the others at their expected values, searched over the quantity's whole possible "
        "range. Outside the assumed interval (the values the case's distribution allows) the "
        "result does not change sign within what is assumed: marked ⚠ when a positive result "
        "needs a value the case does not expect.",
        "switching_none": "No single quantity can change the sign of the result within its "
        "possible range.",
        "sv_input": "Quantity",
        "sv_actor": "For",
        "sv_value": "Switching value",
        "sv_assumed": "Assumed: mean (interval)",
        "sv_at_least": "at least {v}",
        "sv_at_most": "at most {v}",
        "sv_outside": "⚠ outside the assumed interval: a positive result needs a value the "
        "case does not expect",
        "sv_outside_safe": "outside the assumed interval: positive over the whole interval",
        "sv_inside": "inside the assumed interval ({pct}): the sign can change",
        "sv_verdict": "Assessment",
        "scenarios": "Scenarios",
        "sc_scenario": "Scenario",
        "voi": "What is most worth knowing more about",
        "voi_intro": "Expected value of knowing a quantity exactly before deciding (for {actor}).",
        "voi_value": "Value of information",
        "alt_intro": "{base} is the basis. Differences are paired: each alternative minus the "
        "basis in the same simulated course (common random numbers), so only the real "
        "difference counts.",
        "alt_case": "Alternative",
        "alt_expected": "Expected net result",
        "alt_diff": "Difference from basis",
        "alt_diff_pv": "Difference, discounted",
        "alt_p_better": "Probability of being better than the basis",
        "alt_p_best": "Probability of being best",
        "alt_rank": "Expected rank",
        "alt_payback": "Payback year",
        "alt_payback_diff": "Difference in payback year",
        "alt_basis": "basis",
        "alt_years": "{n:+d} years",
        "alt_years_inf_later": "does not pay back",
        "alt_years_inf_earlier": "only this pays back",
        "alt_fig": "{actor}: cumulative net result of each alternative (median, 50 % and 90 % "
        "interval) and the paired difference from the basis.",
        "method_caveat": "The share of variance comes from standardised rank regression "
        "coefficients (squared and normalised) on the run's own draws; it is an estimate that "
        "ignores interactions between inputs.",
        "method_waterfall": "The cost lines of the waterfall are recomputed for every draw from "
        "the drawn inputs with the case's own cost tables; the consequence values come from the "
        "run. The items add up to the run's costs and values in every draw.",
        "mio": "million DKK",
        "tornado_head": "{actor}: low – high",
        "discounted_note": "Discounted at the case's discount rate.",
        "c_switch": "The intervention pays for itself for {actor} with {input} of {bound} "
        "{v}{where}.",
        "c_switch_inside": " (the case expects {base}; a {pct} probability of falling on the "
        "wrong side)",
        "c_switch_outside": ", outside the assumed interval ({lo} – {hi})",
        "c_switch_safe": "; that is outside the assumed interval ({lo} – {hi}), so the result "
        "is positive over the whole interval",
        "sv_percentile": "the {pct} quantile",
        "sc_intro": "The case's scenarios computed with the same random numbers as the basis, "
        "so the difference from the basis comes only from the scenario's change. Amounts in "
        "DKK over the horizon.",
        "sc_description": "Description",
        "sc_deterministic": "Deterministic",
        "sc_mean": "Mean",
        "sc_interval": "90 % interval",
        "sc_p": "Probability of a positive result",
        "sc_payback": "Payback year",
        "sc_diff": "Difference from basis",
        "sc_footnote": "Below the mean is the 90 % interval. ¹ ± is the simulation uncertainty "
        "of the difference (two standard errors, see Method); the interval below is the "
        "difference's 90 % interval.",
        "voi_intro2": "The value of information is what it is worth on average to know a "
        "quantity exactly before deciding: with certain knowledge the wrong decision could be "
        "avoided. With what is known today the expected{disc} net result for {actor} is "
        "{net}, so the decision is to {decision}; there is a {p_loss} probability that this "
        "turns out wrong.",
        "voi_evpi": "The value of knowing everything exactly (EVPI) is {evpi} for {actor}. "
        "Most worth knowing more about is {top}: {value}.",
        "voi_evpi_only": "The value of knowing everything exactly (EVPI) is {evpi} for "
        "{actor}; no single quantity has a measurable value on its own.",
        "voi_small": "The value of information is small compared with the intervention: more "
        "knowledge is unlikely to change the decision.",
        "voi_invest": "carry out the intervention",
        "voi_all": "All uncertain quantities at once",
        "voi_disc": " discounted",
        "voi_rest": "The other {n} quantities have no measurable value of information (under "
        "1 DKK).",
        "voi_group": "All quantities of {name}",
        "voi_not_invest": "refrain",
        "voi_se": "± uncertainty¹",
        "voi_footnote": "¹ Two standard errors of the simulation and the regression (see "
        "Method). Groups (e.g. all inputs) show the value of knowing several quantities at once.",
        "voi_few_draws": "The value of information needs at least {min} draws; the calculation "
        "has {n}. Run with more draws (--draws) to include this part.",
        "fig_voi": "Value of knowing each quantity (and groups of quantities) exactly for "
        "{actor}, in DKK; the vertical line is the value of knowing everything (EVPI).",
        "ev_rate": "The success rate rests on a follow-up: {s} of {n} participants succeeded "
        "({obs}). Before the follow-up the expected success rate was {prior} (90 % interval "
        "{prior_p5} – {prior_p95}); with the follow-up it is {post} (90 % interval {post_p5} – "
        "{post_p95}).",
        "ev_rate_surprise": "Note: {s} successes lie outside what the case's assumptions "
        "expected ({p5} – {p95}); check the assumptions.",
        "ev_participants": "{label}: the realised number of participants, {v}, is used "
        "(assumed {prior}).",
        "ev_cost": "{label}: the realised amount, {v}, is used (assumed {prior}).",
        "ev_source": "Source of the follow-up: {source}.",
        "ev_dropped": "The correlation between {a} and {b} is dropped since one of them is now "
        "known.",
        "ev_prior": "The case file holds a follow-up (evidence), but the calculation uses the "
        "assumptions from before the follow-up (--prior).",
        "method_scenarios": "The scenarios use {draws} draws per scenario (sampling design "
        "lhs, seed {seed}) and common random numbers; ± in the scenario table is twice the "
        "Monte Carlo standard error (MCSE) of the paired difference.",
        "method_voi": "The value of information (EVPI and EVPPI) is computed from the run's "
        "own {draws} draws of the discounted net result: EVPPI by regression (splines) of the "
        "net result on the quantity; ± is two standard errors.",
        "method_switching": "Switching values are searched over the quantity's whole "
        "meaningful range (a share between 0 and 1, an amount or count of at least 0); the "
        "assumed interval is the distribution's support (cut at the 10⁻⁶ quantile where "
        "unbounded).",
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

    def mkr(self, value: float, ref: float | None = None) -> str:
        """Format an amount for running text: ``5,3 mio. kr.`` from a million up, else ``kr.``.

        `ref` (the largest amount of a group shown together) chooses the unit instead, so that
        an interval reads ``0,3 mio. kr. til 15,8 mio. kr.``.
        """
        size = abs(value) if ref is None else abs(ref)
        if math.isfinite(value) and size >= 1e6:
            unit = _TEXT[self.lang]["mio"]
            return f"{self.number(value / 1e6, 1)} {unit}"
        return self.kr(value)

    def rate(self, value: float) -> str:
        """Format a yearly rate: ``0.035`` -> ``3,5 %``."""
        return f"{self.value(100 * value)} %"

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
