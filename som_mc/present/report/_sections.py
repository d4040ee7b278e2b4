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
    "results_section",
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
        "evidence": list(data.evidence),
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


def _assumed(data: ReportData, name: str, num: Numbers) -> tuple[float, float, str]:
    """Return the input's 90 % interval and its text; (-inf, inf, "–") for a group of inputs."""
    spec = next((s for s in case_inputs(data.case) if s.name == name), None)
    if spec is None:
        return -math.inf, math.inf, "–"
    lo, hi = float(spec.dist.ppf(0.05)), float(spec.dist.ppf(0.95))
    return lo, hi, f"{num.value(float(spec.dist.mean()))} ({num.value(lo)} – {num.value(hi)})"


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
            name = str(sv.input.values[j])
            lo, hi, assumed = _assumed(data, name, num)
            for a in sv.actor.values:
                value = float(sv.switching_value.sel(actor=a).values[j])
                if not math.isfinite(value):
                    continue
                direction = int(sv.direction.sel(actor=a).values[j])
                text_v = num.value(value)
                if direction > 0:
                    text_v = t["sv_at_least"].format(v=text_v)
                elif direction < 0:
                    text_v = t["sv_at_most"].format(v=text_v)
                outside = not lo <= value <= hi
                # positive over the whole assumed interval: the needed side contains it
                safe = (direction > 0 and value < lo) or (direction < 0 and value > hi)
                rows.append(
                    {
                        "label": str(sv.label.values[j]),
                        "actor": actor_label(str(a), lang),
                        "value": text_v,
                        "assumed": assumed,
                        "outside": outside,
                        "warn": outside and not safe,
                        "verdict": t["sv_inside"]
                        if not outside
                        else (t["sv_outside_safe"] if safe else t["sv_outside"]),
                    }
                )
        out["switching"] = rows[: 2 * DRIVERS_TOP]
    if data.scenarios:
        out["scenarios"] = {
            "actors": [actor_label(a, lang) for a in shown],
            "rows": [
                {
                    "label": sc.label,
                    "cells": [
                        _cell(
                            num,
                            float(sc.summary.horizon_mean.sel(actor=a)),
                            _q(sc.summary.horizon_quantile.sel(actor=a), 0.05),
                            _q(sc.summary.horizon_quantile.sel(actor=a), 0.95),
                        )
                        for a in shown
                    ],
                }
                for sc in data.scenarios
            ],
        }
    if data.voi is not None:
        v = data.voi.evppi.sel(actor=data.actor)
        order_v = np.argsort(-v.values, kind="stable")[:DRIVERS_TOP]
        out["voi"] = {
            "intro": t["voi_intro"].format(actor=actor_label(data.actor, lang, definite=True)),
            "rows": [
                {"label": str(data.voi.label.values[i]), "value": num.kr(float(v.values[i]))}
                for i in order_v
            ],
        }
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
