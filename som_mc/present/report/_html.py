"""The self-contained HTML report (Jinja2, autoescaped, figures embedded as base64 PNG)."""

from __future__ import annotations

from importlib.resources import files

import jinja2

from som_mc.present.report._build import (
    ReportData,
    figure_png_base64,
    report_context,
    report_figures,
)
from som_mc.present.report._sections import actor_label
from som_mc.present.report._text import Lang

__all__ = ["render_html"]

_CAPTIONS = ("fan", "yearly", "distribution", "break_even")


def _template() -> jinja2.Template:
    template = files("som_mc.present.report").joinpath("templates", "report.html.j2")
    source = template.read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(source)


def render_html(data: ReportData, *, lang: Lang = "da") -> str:
    """Render the beslutningsnotat as one self-contained HTML document.

    Parameters
    ----------
    data : ReportData
        Output of :func:`som_mc.present.report.prepare_report`.
    lang : {"da", "en"}
        Language of the text and figure labels.

    Returns
    -------
    str
        HTML with every figure embedded as a ``data:`` URI, no scripts and no external
        resources. All text from the case file is HTML-escaped.
    """
    ctx = report_context(data, lang=lang)
    figs = report_figures(data, lang=lang)
    t = ctx["t"]

    def fig(name: str, caption: str) -> dict[str, str]:
        return {"name": name, "png": figure_png_base64(figs[name]), "caption": caption}

    ctx["figures"] = [fig(name, t[f"fig_{name}"]) for name in _CAPTIONS]
    ctx["tornado_png"] = figure_png_base64(figs["tornado"]) if "tornado" in figs else None
    who = actor_label(data.actor, lang) if data.actor else t["total"]
    ctx["waterfalls"] = []
    definite = actor_label(data.actor, lang, definite=True) if data.actor else t["public_total"]
    for key, label in (("actor", definite), ("total", t["public_total"])):
        for sfx, what in (("", ""), ("_pv", " " + t["discounted_note"])):
            if f"waterfall_{key}{sfx}" in figs:
                caption = t["waterfall_caption"].format(actor=label) + what
                ctx["waterfalls"].append(fig(f"waterfall_{key}{sfx}", caption))
    ctx["tornado_figures"] = [
        fig(name, t["tornado_caption"].format(actor=label))
        for name, label in (("tornado_actor", who), ("tornado", t["total"]))
        if name in figs
    ]
    ctx["voi_figures"] = (
        [fig("voi_actor", t["fig_voi"].format(actor=actor_label(data.actor, lang, definite=True)))]
        if "voi_actor" in figs
        else []
    )
    ctx["compare_figures"] = [
        fig(name, t["alt_fig"].format(actor=label))
        for name, label in (("compare_actor", who), ("compare_total", t["total"]))
        if name in figs
    ]
    ctx["appendix_intro"] = t["appendix_intro"].format(n=len(ctx["inputs"]))
    ctx["catalog_intro"] = t["catalog_intro"].format(n=len(ctx["catalog"]))
    return _template().render(ctx)
