"""The memo's sections as plain strings and numbers.

Conclusion, caveats, results per aktør, what the result depends on, and alternatives.

Every function takes a :class:`~som_mc.present.report._data.ReportData` and a language and
returns text that is not yet escaped (the template escapes it). A section whose data is not
available returns None (or an empty list) and is left out of the memo.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from som_mc.case import case_inputs
from som_mc.model import NOT_WITHIN_HORIZON, TOTAL
from som_mc.present.report._data import ReportData
from som_mc.present.report._text import Lang, Numbers, text
from som_mc.stats.summary import quantile_index

__all__ = [
    "actor_label",
    "alternatives_section",
    "caveats_section",
    "conclusion",
    "drivers_section",
    "evidence_sentences",
    "results_section",
    "scenario_tables",
    "voi_section",
]

#: Inputs shown per table in "Hvad afhænger resultatet af".
DRIVERS_TOP = 10

_DEFINITE = {
    "da": {"kommune": "kommunen", "region": "regionen", "stat": "staten"},
    "en": {"kommune": "the kommune", "region": "the region", "stat": "the state"},
}


def actor_label(actor: str, lang: Lang, *, definite: bool = False) -> str:
    """Name of an aktør in text: ``kommunen`` (definite), ``Kommune`` (heading), ``I alt``."""
    t = text(lang)
    if actor == TOTAL:
        return t["public_total"] if definite else t["total"]
    if definite:
        return _DEFINITE[lang].get(actor, actor)
    return actor[:1].upper() + actor[1:] if actor in _DEFINITE["da"] else actor


def _q(da: xr.DataArray, p: float) -> float:
    return float(da.isel(quantile=quantile_index(da, p)))


def _period(data: ReportData, lang: Lang) -> str:
    years = data.summary.year.values
    return text(lang)["period"].format(first=int(years[0]), last=int(years[-1]))


def _year(year: int, lang: Lang) -> str:
    return text(lang)["never"] if int(year) == NOT_WITHIN_HORIZON else str(int(year))


def conclusion(data: ReportData, lang: Lang = "da") -> list[str]:
    """Three to five plain sentences from the numbers, the memo's aktør first.

    Sentences: the aktør's expected nettoresultat with its 90 % interval, P(> 0) and probable
    tilbagebetalingsår; the same for the public sector in total; that the gain falls to other
    aktører (when the aktør loses and the total gains); what the total hinges on (the input
    with the largest tornado swing); the discounted total (when the rate is above 0); and per
    alternative its paired difference for the aktør and P(bedst).
    """
    t, num = text(lang), Numbers(lang)
    s = data.summary
    actor = data.actor
    who = actor_label(actor, lang, definite=True)
    a, tot = s.sel(actor=actor), s.sel(actor=TOTAL)
    be = int(a.break_even_median)

    def group(*values: float) -> list[str]:
        ref = max(abs(v) for v in values)
        return [num.mkr(v, ref) for v in values]

    mean, p5, p95 = group(
        float(a.horizon_mean), _q(a.horizon_quantile, 0.05), _q(a.horizon_quantile, 0.95)
    )
    first = t["c_actor"].format(
        actor=who,
        mean=mean,
        period=_period(data, lang),
        p5=p5,
        p95=p95,
        p=num.pct(float(a.horizon_p_positive)),
    )
    payback = (
        t["c_no_payback"].format(actor=who)
        if be == NOT_WITHIN_HORIZON
        else t["c_payback"].format(actor=who, year=be)
    )
    out = [first, payback]
    be_tot = int(tot.break_even_median)
    mean, p5, p95 = group(
        float(tot.horizon_mean), _q(tot.horizon_quantile, 0.05), _q(tot.horizon_quantile, 0.95)
    )
    out.append(
        t["c_total"].format(
            mean=mean,
            p5=p5,
            p95=p95,
            p=num.pct(float(tot.horizon_p_positive)),
            payback=t["c_total_no_payback"]
            if be_tot == NOT_WITHIN_HORIZON
            else t["c_total_payback"].format(year=be_tot),
        )
    )
    if float(a.horizon_mean) < 0 < float(tot.horizon_mean):
        out.append(t["c_others"].format(actor=who))
    if data.tornado is not None and data.tornado.sizes["input"]:
        tor = data.tornado.sel(actor=TOTAL)
        i = int(np.argmax(tor.swing.values))
        low, high = group(float(tor.result.values[i][0]), float(tor.result.values[i][1]))
        out.append(
            t["c_hinges"].format(
                input=_lower_first(str(data.tornado.label.values[i])), low=low, high=high
            )
        )
    switch = _switch_sentence(data, lang)
    if switch is not None:
        out.append(switch)
    rate = float(data.case.discount_rate)
    if rate > 0:
        out.append(t["c_discounted"].format(rate=num.rate(rate), mean=num.mkr(float(tot.pv_mean))))
    cmp = data.comparison
    if cmp is not None:
        sel = cmp.sel(actor=actor)
        base = str(cmp.case.values[0])
        lo, hi = quantile_index(cmp, 0.05), quantile_index(cmp, 0.95)
        for i in range(1, cmp.sizes["case"]):
            diff = float(sel.difference_mean.values[i])
            d_abs, d5, d95 = group(
                abs(diff),
                float(sel.difference_quantile.values[lo, i]),
                float(sel.difference_quantile.values[hi, i]),
            )
            out.append(
                t["c_alternative"].format(
                    alt=str(cmp.case.values[i]),
                    actor=who,
                    diff=d_abs,
                    direction=t["more"] if diff >= 0 else t["less"],
                    base=base,
                    p5=d5,
                    p95=d95,
                    p_best=num.pct(float(sel.p_best.values[i])),
                )
            )
    return [sentence.replace("kr..", "kr.") for sentence in out]


def _lower_first(label: str) -> str:
    """``Succesrate`` -> ``succesrate`` (keeps names like ``Omkostning: X`` readable)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def caveats_section(data: ReportData, lang: Lang = "da") -> dict[str, Any]:
    """Build the Forbehold box: provenance, variance share, correlations, causality, evidence.

    Returns
    -------
    dict
        ``n_uncertain``, ``n_uncertain_flagged``, ``n_fixed``, ``n_fixed_flagged``,
        ``share`` (float or None) and ``items`` (the sentences), ``evidence`` (sentences).
    """
    t, num = text(lang), Numbers(lang)
    prov = data.provenance
    unc = [p for p in prov if p.uncertain]
    fix = [p for p in prov if not p.uncertain]
    unc_flag = [p for p in unc if p.status != "sourced"]
    fix_flag = [p for p in fix if p.status != "sourced"]
    items = []
    if unc_flag or fix_flag:
        items.append(
            t["caveat_inputs"].format(
                n_flag=len(unc_flag), n_unc=len(unc), n_fix_flag=len(fix_flag), n_fix=len(fix)
            )
        )
    else:
        items.append(t["caveat_inputs_none"])
    share = None
    if data.variance is not None and unc_flag:
        flagged = {p.name for p in unc_flag}
        v = data.variance.share.sel(actor=TOTAL)
        share = float(sum(float(v.sel(input=n)) for n in v.input.values if str(n) in flagged))
        items.append(t["caveat_variance"].format(share=num.pct(share)))
    corr = data.case.correlations
    if corr:
        labels = {s.name: s.label for s in case_inputs(data.case)}
        listed = "; ".join(
            f"{labels.get(c.inputs[0], c.inputs[0])} ~ {labels.get(c.inputs[1], c.inputs[1])} "
            f"({num.value(c.rank)})"
            for c in corr
        )
        items.append(t["caveat_corr"].format(n=len(corr), list=listed))
    else:
        items.append(t["caveat_corr_none"])
    items.append(t["caveat_causal"])
    return {
        "n_uncertain": len(unc),
        "n_uncertain_flagged": len(unc_flag),
        "n_fixed": len(fix),
        "n_fixed_flagged": len(fix_flag),
        "share": share,
        "items": items,
        "evidence": evidence_sentences(data, lang),
    }


def _cell(num: Numbers, mean: float, lo: float, hi: float) -> dict[str, str]:
    return {"mean": num.number(mean), "iv": f"{num.number(lo)} – {num.number(hi)}"}


def results_section(data: ReportData, lang: Lang = "da") -> dict[str, Any]:
    """Build the table of results per aktør: columns are the aktører (the memo's first) and I alt.

    Returns
    -------
    dict
        ``columns`` (``{"label", "lead", "is_total"}``), ``blocks`` (one per discounting: a
        ``title`` and ``rows`` of ``{"label", "cells", "kind"}``; a cell is ``{"mean", "iv"}``
        or ``{"text"}``), ``intro``.
    """
    t, num = text(lang), Numbers(lang)
    s = data.summary
    b = data.breakdown
    actors = [data.actor, *(a for a in data.case.actors if a != data.actor), TOTAL]
    columns = [
        {"label": actor_label(a, lang), "lead": a == data.actor, "is_total": a == TOTAL}
        for a in actors
    ]
    rate = float(data.case.discount_rate)
    blocks = []
    for disc in ("none", "discounted") if rate > 0 else ("none",):
        rows: list[dict[str, Any]] = []
        for measure, key in (("cost", "row_cost"), ("value", "row_value"), ("net", "row_net")):
            cells = []
            for a in actors:
                if b is not None:
                    sel = b.sel(measure=measure, actor=a, discounting=disc)
                    cells.append(
                        _cell(
                            num,
                            float(sel["mean"]),
                            _q(sel.value_quantile, 0.05),
                            _q(sel.value_quantile, 0.95),
                        )
                    )
            rows.append({"label": t[key], "cells": cells, "kind": measure})
        prefix = "horizon" if disc == "none" else "pv"
        rows.append(
            {
                "label": t["row_p_positive"],
                "kind": "p",
                "cells": [
                    {"text": num.pct(float(s[f"{prefix}_p_positive"].sel(actor=a)))} for a in actors
                ],
            }
        )
        if disc == "none":
            rows.append(
                {
                    "label": t["row_payback"],
                    "kind": "payback",
                    "cells": [
                        {"text": _year(int(s.break_even_median.sel(actor=a)), lang)} for a in actors
                    ],
                }
            )
            rows.append(
                {
                    "label": t["row_per_participant"],
                    "kind": "pp",
                    "cells": [
                        {"text": num.number(float(s.per_participant_mean.sel(actor=a)))}
                        for a in actors
                    ],
                }
            )
        title = t["undiscounted"] if disc == "none" else t["discounted"].format(rate=num.rate(rate))
        blocks.append({"title": title, "rows": rows, "discounted": disc != "none"})
    return {
        "columns": columns,
        "blocks": blocks,
        "intro": t["results_intro"].format(period=_period(data, lang), year=data.case.price_year),
        "discounted": rate > 0,
    }


def _switch_row(data: ReportData, j: int, actor: str, lang: Lang) -> dict[str, Any] | None:
    """One switching value (input `j`, `actor`) as text, or None when it does not exist.

    The assumed interval is the one :func:`som_mc.sensitivity.switching_values` reports
    (``low``/``high``: the distribution's support); ``within`` says whether the value lies
    in it and ``percentile`` where.
    """
    t, num = text(lang), Numbers(lang)
    sv = data.switching
    assert sv is not None
    cell = sv.isel(input=j).sel(actor=actor)
    value = float(cell.switching_value)
    if not math.isfinite(value):
        return None
    direction = int(cell.direction)
    text_v = num.value(value)
    bound = ""
    if direction > 0:
        bound = t["sv_at_least"].format(v="").strip()
        text_v = t["sv_at_least"].format(v=text_v)
    elif direction < 0:
        bound = t["sv_at_most"].format(v="").strip()
        text_v = t["sv_at_most"].format(v=text_v)
    has_range = "low" in sv and "within" in sv
    lo = float(sv.low.values[j]) if has_range else -math.inf
    hi = float(sv.high.values[j]) if has_range else math.inf
    outside = has_range and not bool(cell.within)
    # positive over the whole assumed interval: the needed side contains it
    safe = outside and ((direction > 0 and value < lo) or (direction < 0 and value > hi))
    base = float(sv.base_value.values[j]) if "base_value" in sv else math.nan
    pct = float(cell.percentile) if "percentile" in sv else math.nan
    pct_text = t["sv_percentile"].format(pct=num.pct(pct)) if math.isfinite(pct) else ""
    # probability of falling on the wrong side of the value (where the result is negative)
    wrong = pct if direction > 0 else 1 - pct if direction < 0 else math.nan
    return {
        "label": str(sv.label.values[j]),
        "actor": actor_label(actor, lang),
        "value": text_v,
        "number": value,
        "number_text": num.value(value),
        "bound": bound,
        "direction": direction,
        "assumed": f"{num.value(base)} ({num.value(lo)} – {num.value(hi)})" if has_range else "–",
        "lo": num.value(lo),
        "hi": num.value(hi),
        "base": num.value(base),
        "p_wrong": num.pct(wrong) if math.isfinite(wrong) else "–",
        "outside": outside,
        "safe": safe,
        "warn": outside and not safe,
        "verdict": t["sv_inside"].format(pct=pct_text).replace(" ()", "")
        if not outside
        else (t["sv_outside_safe"] if safe else t["sv_outside"]),
    }


def _switch_sentence(data: ReportData, lang: Lang) -> str | None:
    """Konklusion: the switching value of the input the memo's aktør depends on most."""
    sv, tor = data.switching, data.tornado
    if sv is None or tor is None or not tor.sizes["input"] or data.actor not in sv.actor:
        return None
    t = text(lang)
    name = str(tor.input.values[int(np.argmax(tor.swing.sel(actor=data.actor).values))])
    names = [str(n) for n in sv.input.values]
    if name not in names:
        return None
    row = _switch_row(data, names.index(name), data.actor, lang)
    if row is None or not row["bound"]:
        return None
    if not row["outside"]:
        where = t["c_switch_inside"].format(base=row["base"], pct=row["p_wrong"])
    elif row["safe"]:
        where = t["c_switch_safe"].format(lo=row["lo"], hi=row["hi"])
    else:
        where = t["c_switch_outside"].format(lo=row["lo"], hi=row["hi"])
    return t["c_switch"].format(
        actor=actor_label(data.actor, lang, definite=True),
        input=_lower_first(row["label"]),
        bound=row["bound"],
        v=row["number_text"],
        where=where,
    )


def drivers_section(data: ReportData, lang: Lang = "da") -> dict[str, Any] | None:
    """Tornado rows for the memo's aktør and the total, switching values, scenarios and VOI.

    Returns
    -------
    dict or None
        ``tornado`` (``{"actors": [...], "rows": [{"label", "cells": ["low – high", ...]}]}``),
        ``switching`` (rows or an empty list, None when not computed), ``scenarios`` (or
        None), ``voi`` (or None). None when the case has no uncertain input.
    """
    if data.tornado is None:
        return None
    t, num = text(lang), Numbers(lang)
    tor = data.tornado
    shown = [data.actor, TOTAL]
    order = np.argsort(-tor.swing.sel(actor=TOTAL).values, kind="stable")[:DRIVERS_TOP]
    tornado_rows = []
    for i in order:
        cells = []
        for a in shown:
            low, high = (float(v) for v in tor.result.sel(actor=a).values[i])
            cells.append(f"{num.number(low)} – {num.number(high)}")
        tornado_rows.append({"label": str(tor.label.values[i]), "cells": cells})
    out: dict[str, Any] = {
        "tornado": {
            "actors": [t["tornado_head"].format(actor=actor_label(a, lang)) for a in shown],
            "rows": tornado_rows,
        },
        "switching": None,
        "scenarios": None,
        "voi": None,
    }
    sv = data.switching
    if sv is not None:
        rank = {str(n): k for k, n in enumerate(tor.input.values)}
        rows = []
        for j in sorted(
            range(sv.sizes["input"]), key=lambda j: rank.get(str(sv.input.values[j]), 10**6)
        ):
            for a in sv.actor.values:
                row = _switch_row(data, j, str(a), lang)
                if row is not None:
                    rows.append(row)
        out["switching"] = rows[: 2 * DRIVERS_TOP]
    out["scenarios"] = scenario_tables(data, lang)
    out["voi"] = voi_section(data, lang)
    return out


def scenario_tables(data: ReportData, lang: Lang = "da") -> dict[str, Any] | None:
    """Build the scenario table per shown aktør (the memo's, then I alt).

    Every number is read from :attr:`ReportData.scenarios`
    (:func:`som_mc.sensitivity.scenario_analysis`); None without scenarios.
    """
    sc = data.scenarios
    if sc is None:
        return None
    t, num = text(lang), Numbers(lang)
    tables = []
    for actor in (a for a in (data.actor, TOTAL) if a in sc.actor.values):
        sel = sc.sel(actor=actor)
        rows = []
        for i, label in enumerate(sc.scenario.values):
            r = sel.isel(scenario=i)
            row: dict[str, Any] = {
                "label": str(label),
                "description": str(sc.description.values[i]),
                "is_basis": i == 0,
                "deterministic": num.number(float(r.deterministic)),
                "mean": num.number(float(r["mean"])),
                "interval": f"{num.number(float(r.p05))} – {num.number(float(r.p95))}",
                "p_positive": num.pct(float(r.p_positive)),
                "payback": _year(int(r.break_even_median), lang),
                "diff": None,
            }
            if i > 0:
                row["diff"] = {
                    "mean": num.number(float(r.difference_mean)),
                    "pm": num.number(2 * float(r.difference_mcse)),
                    "iv": f"{num.number(float(r.difference_p05))} – "
                    f"{num.number(float(r.difference_p95))}",
                }
            rows.append(row)
        tables.append({"actor": actor_label(actor, lang), "rows": rows})
    return {
        "intro": t["sc_intro"],
        "tables": tables,
        "draws": int(sc.attrs.get("draws", 0)),
        "seed": sc.attrs.get("seed"),
    }


def voi_section(data: ReportData, lang: Lang = "da") -> dict[str, Any] | None:
    """Build "hvad er mest værd at vide mere om": EVPI and the largest EVPPIs for the aktør.

    Every number is read from :attr:`ReportData.voi` (:class:`som_mc.sensitivity.voi.VoiResult`).
    Returns ``{"note": …}`` when the run has too few draws, None when left out.
    """
    t, num = text(lang), Numbers(lang)
    if data.voi is None:
        if data.voi_note == "few_draws":
            from som_mc.sensitivity.voi import MIN_DRAWS

            return {
                "note": t["voi_few_draws"].format(
                    min=num.number(MIN_DRAWS), n=num.number(data.results.sizes["draw"])
                )
            }
        return None
    res = data.voi
    if data.actor not in res.actors:
        return None
    who = actor_label(data.actor, lang, definite=True)
    lead = res.actors[data.actor]
    total = res.actors.get(TOTAL)
    ranking = lead.ranking()

    def total_of(name: str) -> tuple[float, float] | None:
        if total is None:
            return None
        if name in total.evppi:
            return total.evppi[name], total.evppi_se[name]
        if name in total.groups:
            return total.groups[name], total.groups_se[name]
        return None

    from som_mc.sensitivity.voi import ALL_INPUTS

    displays = {c.name: c.display for c in data.case.consequences}

    def label_of(name: str) -> str:
        if name == ALL_INPUTS and name in lead.groups:
            return t["voi_all"]
        if name.startswith("konsekvens:") and name in lead.groups:
            key = name.split(":", 1)[1]
            return t["voi_group"].format(name=_lower_first(displays.get(key, key)))
        return res.labels.get(name, name)

    rows: list[dict[str, Any]] = []
    rest = 0
    for name, value, se in lead.ranking():
        tv = total_of(name)
        if value < 0.5 and (tv is None or tv[0] < 0.5):
            rest += name not in lead.groups
            continue
        if len(rows) == DRIVERS_TOP:
            continue
        rows.append(
            {
                "name": name,
                "label": label_of(name),
                "is_group": name in lead.groups,
                "value": num.kr(value),
                "se": num.kr(2 * se),
                "total": num.kr(tv[0]) if tv else "–",
                "total_se": num.kr(2 * tv[1]) if tv else "–",
            }
        )
    singles = [r for r in ranking if r[0] not in lead.groups and r[1] >= 0.5]
    sentences = [
        t["voi_intro2"].format(
            actor=who,
            net=num.kr(lead.expected_net),
            disc=t["voi_disc"] if float(data.case.discount_rate) > 0 else "",
            decision=t["voi_invest"] if lead.expected_net > 0 else t["voi_not_invest"],
            p_loss=num.pct(lead.p_loss),
        )
    ]
    if singles:
        top = singles[0]
        sentences.append(
            t["voi_evpi"].format(
                evpi=num.kr(lead.evpi),
                actor=who,
                top=_lower_first(label_of(top[0])),
                value=num.kr(top[1]),
            )
        )
    else:
        sentences.append(t["voi_evpi_only"].format(evpi=num.kr(lead.evpi), actor=who))
    if rest:
        sentences.append(t["voi_rest"].format(n=rest))
    cost = data.breakdown
    if cost is not None:
        scale = abs(float(cost["mean"].sel(measure="cost", actor=data.actor, discounting="none")))
        if scale > 0 and lead.evpi < 0.01 * scale:
            sentences.append(t["voi_small"])
    return {
        "note": None,
        "sentences": [x.replace("kr..", "kr.") for x in sentences],
        "actor": actor_label(data.actor, lang),
        "total": actor_label(TOTAL, lang) if total is not None else None,
        "evpi": num.kr(lead.evpi),
        "evpi_se": num.kr(2 * lead.evpi_se),
        "rows": rows,
        "draws": res.n_draws,
    }


def evidence_sentences(data: ReportData, lang: Lang = "da") -> list[str]:
    """Sentences on the evidence (opfølgning) the case was updated with, for Forbehold."""
    info = data.evidence
    if info is None:
        return []
    t, num = text(lang), Numbers(lang)
    if info.prior or info.update is None:
        return [t["ev_prior"]]
    from som_mc.case.evidence import update_summary

    labels = {s.name: s.label for s in case_inputs(data.case)}
    summary = update_summary(info.update)
    out = []
    for name, item in summary["inputs"].items():
        obs, prior, post = item["observed"], item["prior"], item["posterior"]
        label = labels.get(name, name)
        if "trials" in obs:
            s_, n_ = int(obs["successes"]), int(obs["trials"])
            out.append(
                t["ev_rate"].format(
                    s=s_,
                    n=n_,
                    obs=num.pct(s_ / n_) if n_ else "–",
                    prior=num.pct(prior["mean"]),
                    prior_p5=num.pct(prior["p5"]),
                    prior_p95=num.pct(prior["p95"]),
                    post=num.pct(post["mean"]),
                    post_p5=num.pct(post["p5"]),
                    post_p95=num.pct(post["p95"]),
                )
            )
            pred = item.get("predictive")
            if pred is not None and not pred["p5"] <= s_ <= pred["p95"]:
                out.append(t["ev_rate_surprise"].format(s=s_, p5=pred["p5"], p95=pred["p95"]))
        elif "participants" in obs:
            out.append(
                t["ev_participants"].format(
                    label=label, v=num.value(float(obs["participants"])),
                    prior=num.value(prior["mean"]),
                )
            )  # fmt: skip
        elif "amount" in obs:
            out.append(
                t["ev_cost"].format(
                    label=label, v=num.kr(float(obs["amount"])), prior=num.kr(prior["mean"])
                )
            )
    for a, b in summary["dropped_correlations"]:
        out.append(t["ev_dropped"].format(a=labels.get(a, a), b=labels.get(b, b)))
    if info.source.strip():
        out.append(t["ev_source"].format(source=info.source.strip()))
    return out


def _years_diff(value: float, lang: Lang) -> str:
    t = text(lang)
    if math.isinf(value):
        return t["alt_years_inf_later"] if value > 0 else t["alt_years_inf_earlier"]
    return t["alt_years"].format(n=int(value)) if value else t["alt_years"].format(n=0)


def alternatives_section(data: ReportData, lang: Lang = "da") -> dict[str, Any] | None:
    """Build the comparison of alternatives per aktør (None without alternatives).

    Returns
    -------
    dict or None
        ``intro``, ``cases`` (``{"label", "name"}``), ``tables`` (one per aktør, the memo's
        first, then I alt and the others: ``{"actor", "rows"}``; each row has the
        alternative's expected result, the paired difference with its 90 % interval (and
        discounted when the rate is above 0), P(better than the basis), P(bedst), expected
        rank, tilbagebetalingsår and its paired difference), ``results`` (the per-aktør
        table of each alternative, as :func:`results_section`).
    """
    cmp = data.comparison
    if cmp is None:
        return None
    t, num = text(lang), Numbers(lang)
    labels = [str(c) for c in cmp.case.values]
    lo, hi = quantile_index(cmp, 0.05), quantile_index(cmp, 0.95)
    discounted = float(data.case.discount_rate) > 0 and "difference_pv_mean" in cmp
    order = [data.actor, TOTAL, *(a for a in data.case.actors if a != data.actor)]
    tables = []
    for actor in order:
        sel = cmp.sel(actor=actor)
        rows = []
        for i, label in enumerate(labels):
            row: dict[str, Any] = {
                "label": label,
                "is_basis": i == 0,
                "expected": _cell(
                    num,
                    float(sel.horizon_mean.values[i]),
                    float(sel.horizon_quantile.values[lo, i]),
                    float(sel.horizon_quantile.values[hi, i]),
                ),
                "p_best": num.pct(float(sel.p_best.values[i])),
                "rank": num.number(float(sel.expected_rank.values[i]), 1),
                "payback": _year(int(sel.break_even_median.values[i]), lang),
            }
            if i == 0:
                row |= {"diff": None, "diff_pv": None, "p_better": "", "payback_diff": ""}
            else:
                row |= {
                    "diff": _cell(
                        num,
                        float(sel.difference_mean.values[i]),
                        float(sel.difference_quantile.values[lo, i]),
                        float(sel.difference_quantile.values[hi, i]),
                    ),
                    "diff_pv": _cell(
                        num,
                        float(sel.difference_pv_mean.values[i]),
                        float(sel.difference_pv_quantile.values[lo, i]),
                        float(sel.difference_pv_quantile.values[hi, i]),
                    )
                    if discounted
                    else None,
                    "p_better": num.pct(float(sel.difference_p_positive.values[i])),
                    "payback_diff": _years_diff(
                        float(sel.break_even_difference_median.values[i]), lang
                    ),
                }
            rows.append(row)
        tables.append({"actor": actor_label(actor, lang), "rows": rows})
    return {
        "intro": t["alt_intro"].format(base=labels[0]),
        "cases": [
            {"label": label, "name": str(cmp.case_name.values[i])} for i, label in enumerate(labels)
        ],
        "tables": tables,
        "discounted": discounted,
        "results": [
            {"label": alt.label, "table": results_section(alt, lang)} for alt in data.alternatives
        ],
    }
