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
    prepare_report,
    report_context,
    report_figures,
    save_figures,
)
from som_mc.present.report._compare import comparison_from_results
from som_mc.present.report._data import Alternative, EvidenceInfo, ReportData
from som_mc.present.report._html import render_html
from som_mc.present.report._memo import (
    InputProvenance,
    actor_breakdown,
    cost_bearer,
    input_provenance,
    input_source,
    line_contributions,
    variance_shares,
)
from som_mc.present.report._pdf import find_chromium, write_pdf
from som_mc.present.report._text import LANGS, Lang
from som_mc.present.report._xlsx import write_xlsx

__all__ = [
    "LANGS",
    "REPORT_QUANTILES",
    "Alternative",
    "EvidenceInfo",
    "InputProvenance",
    "Lang",
    "ReportData",
    "actor_breakdown",
    "comparison_from_results",
    "cost_bearer",
    "find_chromium",
    "input_provenance",
    "input_source",
    "line_contributions",
    "prepare_report",
    "render_html",
    "report_context",
    "report_figures",
    "save_figures",
    "variance_shares",
    "write_pdf",
    "write_xlsx",
]
