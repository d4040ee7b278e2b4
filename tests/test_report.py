"""The beslutningsnotat: HTML report, Excel export, result plots and the report CLI."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer
from openpyxl import load_workbook

import som_mc
from som_mc.case import case_inputs, parse_case
from som_mc.cli import main
from som_mc.errors import SomMcError
from som_mc.present.format import format_pct
from som_mc.present.plotting.results import (
    fan_figure,
    plot_break_even,
    plot_fan,
    plot_horizon_distribution,
    plot_yearly,
)
from som_mc.present.report import (
    REPORT_QUANTILES,
    input_source,
    prepare_report,
    render_html,
    report_context,
    write_xlsx,
)
from som_mc.present.report._text import Numbers
from som_mc.stats import summarize
from tests.conftest import CASES_DIR, minimal_case

CASE_FILES = sorted(CASES_DIR.glob("*.toml"))
DRAWS = 2000
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module", params=CASE_FILES, ids=lambda p: p.stem)
def rendered(request):
    case = som_mc.load_case(request.param)
    data = prepare_report(
        case, som_mc.simulate(case, draws=DRAWS, seed=1), case_file=str(request.param)
    )
    return data, render_html(data)


@pytest.fixture(scope="module")
def small():
    case = som_mc.load_case(CASES_DIR / "housing_first.toml")
    results = som_mc.simulate(case, draws=DRAWS, seed=3)
    return case, results, summarize(results, quantiles=REPORT_QUANTILES)


def _hostile_case():
    data = minimal_case(
        name="<script>alert('navn')</script>",
        description="<b>fed</b> & <i>kursiv</i>",
        target_group="<img src=x onerror=alert(1)>",
        source="</td><script>alert('kilde')</script>",
        success_rate={"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.7},
    )
    data["costs"][0]["label"] = "<u>opstart</u>"
    data["costs"][0]["source"] = "<iframe src='https://example.org'>"
    data["consequences"][0]["label"] = "\"herberg\" <ophold> & 'døgn'"
    return parse_case(data)


# --- the HTML report for every example case -------------------------------------------------


def test_headline_equals_summary(rendered):
    data, page = rendered
    s = data.summary.sel(actor="total")
    ctx = report_context(data)
    head = ctx["headline"]
    assert head["mean"] == pytest.approx(float(s.horizon_mean), rel=0, abs=0)
    assert head["p5"] == float(s.horizon_quantile.sel(quantile=0.05))
    assert head["p95"] == float(s.horizon_quantile.sel(quantile=0.95))
    assert head["p_positive"] == float(s.horizon_p_positive)
    assert head["break_even"] == int(s.break_even_median)
    num = Numbers("da")
    assert f'id="headline-mean">{num.kr(float(s.horizon_mean))}<' in page
    assert f'id="headline-p5">{num.kr(head["p5"])}<' in page
    assert f'id="headline-p95">{num.kr(head["p95"])}<' in page
    assert f'id="headline-p-positive">{num.pct(head["p_positive"])}<' in page
    assert re.search(r'id="headline-mean">-?[\d.]+ kr\.<', page)  # Danish "1.234.567 kr."
    # the summary of the report is that of the run
    assert data.summary.attrs["n_draws"] == DRAWS
    assert f'id="method-seed">{data.summary.attrs["seed"]}<' in page
    assert data.summary.attrs["case_sha256"] in page


def test_every_input_in_appendix(rendered):
    data, page = rendered
    appendix = page[page.index('id="appendix"') :]
    specs = case_inputs(data.case)
    assert appendix.count('<tr class="input-row') == len(specs)
    for spec in specs:
        assert f"<code>{escape(spec.key)!s}</code>" in appendix
        assert str(escape(spec.label)) in appendix
        src = input_source(data.case, spec)
        if src:
            assert str(escape(src)) in appendix


def test_per_actor_table_and_sections(rendered):
    data, page = rendered
    table = page[
        page.index('id="results-table"') : page.index("</table>", page.index('id="results-table"'))
    ]
    for actor in data.case.actors:
        assert f">{escape(actor.capitalize())!s}</th>" in table
    assert ">I alt</th>" in table
    starts = [
        page.index(f'<section id="{s}"')
        for s in ("conclusion", "caveats", "results", "drivers", "method")
    ]
    assert starts == sorted(starts)  # the memo's order
    assert 'id="appendix"' in page[starts[-1] :]
    for fig in (
        "fan",
        "yearly",
        "distribution",
        "break_even",
        "tornado",
        "tornado_actor",
        "waterfall_actor",
        "waterfall_total",
    ):
        assert f'id="fig-{fig}"' in page


def test_self_contained(rendered):
    data, page = rendered
    assert "<script" not in page.lower()
    # no external resource (a cited source URL in the text is fine: sourced catalog entries
    # name their public page, and the appendix shows it as plain text)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*[\"']?\s*(?:https?:)?//", page, re.I)
    srcs = re.findall(r'<img src="([^"]*)"', page)
    # four result figures, two waterfalls, two tornados and the value of information (when
    # some input has a value of at least 1 kr. for the memo's aktør)
    voi = data.voi is not None and any(r[1] >= 0.5 for r in data.voi.actors[data.actor].ranking())
    assert ('id="fig-voi_actor"' in page) == voi
    assert len(srcs) == 8 + voi
    for src in srcs:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"


def test_case_text_is_escaped():
    case = _hostile_case()
    page = render_html(prepare_report(case, som_mc.simulate(case, draws=200, seed=0)))
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert "<iframe" not in page and "<u>" not in page and "<b>fed" not in page
    assert "&lt;script&gt;alert(&#39;navn&#39;)&lt;/script&gt;" in page
    assert "&lt;iframe src=&#39;https://example.org&#39;&gt;" in page
    assert "&#34;herberg&#34; &lt;ophold&gt; &amp; &#39;døgn&#39;" in page


def test_english(small):
    case, results, _ = small
    page = render_html(prepare_report(case, results), lang="en")
    assert '<html lang="en">' in page
    assert "Decision memo" in page and "Appendix: assumptions" in page
    assert re.search(r'id="headline-mean">DKK -?[\d,]+<', page)
    assert "Beslutningsnotat" not in page


def test_results_from_another_case_are_refused(small):
    _, results, _ = small
    other = som_mc.load_case(CASES_DIR / "cool_kids.toml")
    with pytest.raises(SomMcError, match="simulated from another case"):
        prepare_report(other, results)


def test_number_formats():
    da, en = Numbers("da"), Numbers("en")
    assert da.kr(1234567.4) == "1.234.567 kr."
    assert en.kr(-1234567.4) == "DKK -1,234,567"
    assert da.pct(0.253) == "25 %" and da.pct(0.996) == "99,6 %"
    assert da.value(0.15) == "0,15" and da.value(333333.3333) == "333.333"
    assert en.value(0.000123456) == "0.0001235"
    with pytest.raises(ValueError, match="lang must be 'da' or 'en'; received 'sv'"):
        Numbers("sv")  # type: ignore[arg-type]


# --- Excel -----------------------------------------------------------------------------------


def test_xlsx(small, tmp_path):
    case, results, _ = small
    data = prepare_report(case, results)
    path = write_xlsx(data, tmp_path / "book.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Pr. år", "Akkumuleret", "Aktører", "Input", "Metode", "Pr. aktør", "Konklusion",
        "Forbehold", "Værdi af viden",
    ]  # fmt: skip
    ws = wb["Pr. år"]
    header = [c.value for c in ws[1]]
    assert header == [
        "Aktør", "År", "Middelværdi (kr.)", "MCSE (kr.)", "P5 (kr.)", "P50 (kr.)", "P95 (kr.)",
        "P(> 0)",
    ]  # fmt: skip
    n_years, n_actors = data.summary.sizes["year"], data.summary.sizes["actor"]
    assert ws.max_row == 1 + n_years * n_actors
    row = [c.value for c in ws[2]]
    first = data.summary.sel(actor=case.actors[0]).isel(year=0)
    assert row[0] == case.actors[0] and row[1] == int(data.summary.year[0])
    assert row[2] == pytest.approx(float(first.yearly_mean))
    assert row[4] == pytest.approx(float(first.yearly_quantile.sel(quantile=0.05)))
    assert row[7] == pytest.approx(float(first.yearly_p_positive))
    assert ws["C2"].number_format == '#,##0 "kr."' and ws["H2"].number_format == "0%"
    last = [c.value for c in wb["Aktører"][1 + n_actors]]
    assert last[0] == "I alt"
    assert last[1] == pytest.approx(float(data.summary.horizon_mean.sel(actor="total")))
    inputs = wb["Input"]
    assert inputs.max_row == 1 + len(case_inputs(case))
    assert {r[1].value for r in inputs.iter_rows(min_row=2)} == {s.key for s in case_inputs(case)}
    en = load_workbook(write_xlsx(data, tmp_path / "en.xlsx", lang="en"))
    assert en.sheetnames[0] == "Per year" and en["Per year"]["A1"].value == "Actor"


# --- plots ---------------------------------------------------------------------------------


def test_plot_fan(small):
    _, _, summary = small
    ax = plot_fan(summary, actor="kommune")
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polys) == 2  # 90 % and 50 % bands
    assert len(ax.lines) == 2  # median and zero line
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(),
        summary.cumulative_quantile.sel(actor="kommune", quantile=0.5).values,
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["90 %-interval", "50 %-interval", "Median"]
    assert ax.get_title() == "Akkumuleret nettoresultat: kommune"
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if abs(t.get_position()[1]) >= 1e6]
    assert any(re.fullmatch(r"−?\d{1,3}(\.\d{3})+", t.replace("-", "−")) for t in ticks)
    # without P25/P75 only the 90 % band
    ax = plot_fan(summarize(small[1]), lang="en")
    assert len(ax.collections) == 1 and ax.get_xlabel() == "Year"


def test_fan_figure_one_axes_per_actor(small):
    _, _, summary = small
    fig = fan_figure(summary)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == summary.sizes["actor"]
    assert visible[-1].get_title().endswith("I alt")


def test_plot_yearly(small):
    _, _, summary = small
    ax = plot_yearly(summary)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    actors = summary.sizes["actor"] - 1
    assert len(bars) == actors
    assert len(ax.patches) == actors * summary.sizes["year"]
    heights = [p.get_height() for p in bars[0].patches]
    np.testing.assert_allclose(heights, summary.yearly_mean.isel(actor=0).values)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        str(a) for a in summary.actor.values[:-1]
    ]


def test_plot_horizon_distribution(small):
    _, results, summary = small
    ax = plot_horizon_distribution(results, bins=40)
    assert len(ax.patches) == 40
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.0)
    texts = [t.get_text() for t in ax.texts]
    p = float(summary.horizon_p_positive.sel(actor="total"))
    assert texts == [f"P(> 0) = {format_pct(p)}"]
    assert ax.lines[0].get_xdata()[0] == 0  # the zero line
    cdf_ax = next(a for a in ax.figure.axes if a is not ax)
    assert cdf_ax.lines[0].get_ydata()[-1] == pytest.approx(1.0)


def test_plot_break_even(small):
    _, _, summary = small
    ax = plot_break_even(summary)
    assert len(ax.patches) == summary.sizes["year"] + 1
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.0)
    assert ax.get_xticklabels()[-1].get_text() == "Ikke inden\nfor perioden"


# --- CLI -----------------------------------------------------------------------------------


def test_cli_report(tmp_path, capsys):
    case_file = str(CASES_DIR / "cool_kids.toml")
    out, book, figs = tmp_path / "r.html", tmp_path / "r.xlsx", tmp_path / "fig"
    figs.mkdir()
    argv = ["report", case_file, "--draws", "500", "--seed", "4", "--out", str(out)]
    assert main([*argv, "--xlsx", str(book), "--figures", str(figs)]) == 0
    assert "Notat gemt i" in capsys.readouterr().out
    page = out.read_text("utf-8")
    assert 'id="method-seed">4<' in page and "--draws 500 --seed 4" in page
    assert book.exists()
    assert {p.name for p in figs.iterdir()} >= {"fan.png", "fan.svg", "tornado.svg"}
    # never overwrite without --force
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"som-mc: error: {out}: file exists; use --force to overwrite it"
    assert main([*argv, "--force", "--lang", "en"]) == 0
    assert "Decision memo" in out.read_text("utf-8")


def test_cli_report_from_results(tmp_path, capsys):
    case_file = str(CASES_DIR / "housing_first.toml")
    nc = tmp_path / "res.nc"
    assert main(["run", case_file, "--draws", "300", "--seed", "9", "--out", str(nc)]) == 0
    out = tmp_path / "r.html"
    assert main(["report", case_file, "--results", str(nc), "--out", str(out)]) == 0
    assert 'id="method-draws">300<' in out.read_text("utf-8")
    other = str(CASES_DIR / "cool_kids.toml")
    assert main(["report", other, "--results", str(nc), "--out", str(out), "--force"]) == 2
    assert "simulated from another case" in capsys.readouterr().err


# --- headless Chromium ---------------------------------------------------------------------

_CHECK = """<script>
window.addEventListener("load", () => {
  const bad = [...document.images].filter(i => !i.complete || i.naturalWidth === 0);
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  document.body.setAttribute("data-check",
    "images=" + document.images.length + ";broken=" + bad.length + ";overflow=" + wide);
});
</script></body>"""


def _chromium(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2000", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000", *extra, url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_chromium_renders_report(rendered, tmp_path):
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    data, page = rendered
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    run = _chromium(tmp_path, report.as_uri(), f"--screenshot={shot}")
    assert shot.exists(), run.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1280  # IHDR width
    assert "CONSOLE" not in run.stderr, run.stderr[-2000:]
    assert "ERR_FILE_NOT_FOUND" not in run.stderr
    # a copy with a checking script: every image decoded, nothing wider than 1280 px
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _CHECK), encoding="utf-8")
    run = _chromium(tmp_path, probe.as_uri(), "--dump-dom")
    match = re.search(r'data-check="([^"]*)"', run.stdout)
    assert match, run.stderr[-2000:]
    n_images = 8 + ('id="fig-voi_actor"' in page)  # the value of information's bar chart
    assert data.voi is not None  # DRAWS >= 1000: the memo has it
    assert match.group(1) == f"images={n_images};broken=0;overflow=false"
