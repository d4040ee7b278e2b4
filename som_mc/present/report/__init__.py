"""The beslutningsnotat: a self-contained HTML report and an Excel export of a case's run.

Examples
--------
>>> import som_mc
>>> from som_mc.present.report import prepare_report, render_html
>>> case = som_mc.load_case("cases/housing_first.toml")  # doctest: +SKIP
>>> data = prepare_report(case, som_mc.simulate(case, draws=2000, seed=1))  # doctest: +SKIP
>>> html = render_html(data, lang="da")  # doctest: +SKIP
"""

from som_mc.present.report._build import (
    REPORT_QUANTILES,
    ReportData,
    input_source,
    prepare_report,
    report_context,
    report_figures,
    save_figures,
)
from som_mc.present.report._html import render_html
from som_mc.present.report._text import LANGS, Lang
from som_mc.present.report._xlsx import write_xlsx

__all__ = [
    "LANGS",
    "REPORT_QUANTILES",
    "Lang",
    "ReportData",
    "input_source",
    "prepare_report",
    "render_html",
    "report_context",
    "report_figures",
    "save_figures",
    "write_xlsx",
]
