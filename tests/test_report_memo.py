"""The beslutningsnotat's own numbers and sections: cost bearer, per-aktør breakdown,
waterfall, provenance, conclusion, discounting, alternatives, xlsx, PDF and the browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from markupsafe import escape
from openpyxl import load_workbook

import som_mc
from som_mc.case import case_to_dict, parse_case
from som_mc.cli import main
from som_mc.errors import SomMcError
from som_mc.present.plotting.results import plot_horizon_distribution, plot_waterfall
from som_mc.present.report import (
    actor_breakdown,
    comparison_from_results,
    cost_bearer,
    input_provenance,
    line_contributions,
    prepare_report,
    render_html,
    report_figures,
    save_figures,
    variance_shares,
    write_pdf,
    write_xlsx,
)
from som_mc.present.report._sections import conclusion
from som_mc.present.report._text import Numbers
from tests.conftest import CASES_DIR, minimal_case

AARHUS = CASES_DIR / "aarhus_alkohol.toml"
DRAWS = 1000
CHROMIUM = shutil.which("chromium")
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")
SHOTS = Path("/tmp/som_mc_memo_shots")


def _variant(case, *, rate: float | None = None, cheaper: bool = False, label: str | None = None):
    data = case_to_dict(case)
    if rate is not None:
        data["discount_rate"] = rate
    if cheaper:
        data["name"] = "Fremskudt alkoholbehandling, billigere forløb"
        data["costs"][0]["amount"] = {"dist": "pert", "low": 10000, "mode": 14000, "high": 20000}
    if label is not None:
        data["label"] = label
    return parse_case(data)


@pytest.fixture(scope="module")
def aarhus():
    case = som_mc.load_case(AARHUS)
    results = som_mc.simulate(case, draws=DRAWS, seed=11, keep_consequences=True)
    return case, results


@pytest.fixture(scope="module")
def two_case(aarhus):
    base, _ = aarhus
    a = _variant(base, rate=0.035, label="Basis")
    b = _variant(base, rate=0.035, cheaper=True, label="Billigere")
    ra = som_mc.simulate(a, draws=DRAWS, seed=11)
    rb = som_mc.simulate(b, draws=DRAWS, seed=11)
    data = prepare_report(a, ra, alternatives=[(b, rb)])
    return a, b, ra, rb, data, render_html(data)


# --- numbers -------------------------------------------------------------------------------


def test_cost_bearer():
    assert cost_bearer(som_mc.load_case(AARHUS)) == "kommune"
    assert cost_bearer(som_mc.load_case(CASES_DIR / "recidivism.toml")) == "stat"
    data = minimal_case()
    data["costs"] = [
        {"name": "a", "actor": "kommune", "kind": "one_off", "amount": 100},
        {"name": "b", "actor": "region", "kind": "one_off", "amount": 150},
        {"name": "c", "actor": "region", "kind": "one_off", "amount": 500, "saved": True},
    ]
    assert cost_bearer(parse_case(data)) == "region"  # saved costs are not borne
    data["costs"] = []
    assert cost_bearer(parse_case(data)) == "kommune"  # no costs: the first aktør


def test_actor_breakdown_matches_the_draws(aarhus):
    case, ds = aarhus
    b = actor_breakdown(ds)
    cost = ds.cost.sum("year")
    for actor in case.actors:
        sel = b.sel(actor=actor, discounting="none")
        assert float(sel["mean"].sel(measure="cost")) == pytest.approx(
            float(cost.sel(actor=actor).mean()), rel=1e-12
        )
        assert float(sel.value_quantile.sel(measure="value", quantile=0.95)) == pytest.approx(
            float(np.quantile(ds.consequence_value.sum("year").sel(actor=actor), 0.95)),
            rel=1e-9,
        )
    summary = som_mc.summarize(ds)
    net = b.sel(measure="net", discounting="none")["mean"]
    np.testing.assert_allclose(net.values, summary.horizon_mean.values, rtol=1e-12)
    # rate 0: discounted equals undiscounted
    np.testing.assert_array_equal(
        b["mean"].sel(discounting="discounted").values, b["mean"].sel(discounting="none").values
    )


def test_discounted_breakdown_is_the_runs_present_value(aarhus):
    case, _ = aarhus
    disc = _variant(case, rate=0.035)
    ds = som_mc.simulate(disc, draws=400, seed=2)
    b = actor_breakdown(ds)
    pv = ds.net_result_pv
    np.testing.assert_allclose(
        b["mean"].sel(measure="net", discounting="discounted").values[:-1],
        pv.mean("draw").values,
        rtol=1e-10,
    )
    # hand check of one draw: cost discounted with (1 + r)^-t
    factor = 1.035 ** -np.arange(ds.sizes["year"])
    np.testing.assert_allclose(ds.discount_factor.values, factor, rtol=1e-12)


def test_line_contributions_add_up(aarhus):
    case, ds = aarhus
    lc = line_contributions(case, ds)
    assert lc is not None
    net = ds.net_result.sum("year").transpose("draw", "actor").values
    summed = lc.contribution.sum("item").transpose("draw", "actor").values
    scale = float(np.abs(net).max())
    np.testing.assert_allclose(summed[:, :-1], net, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(summed[:, -1], net.sum(axis=1), rtol=0, atol=1e-9 * scale)
    # a cost line by hand: opstart is a one-off kommune cost in year 0
    opstart = lc.contribution.sel(item="costs.opstart", actor="kommune").values
    drawn = ds.inputs.sel(input="costs.opstart.amount").values
    np.testing.assert_allclose(opstart, -drawn, rtol=1e-12)
    # without kept consequences the kernel on the drawn inputs gives the same numbers
    plain = som_mc.simulate(case, draws=DRAWS, seed=11)
    again = line_contributions(case, plain)
    assert again is not None
    np.testing.assert_allclose(again.contribution.values, lc.contribution.values, rtol=1e-12)


def test_line_contributions_with_noise_need_kept_consequences():
    data = minimal_case(success_rate={"dist": "beta", "mean": 0.5, "sd": 0.1})
    data["outcome"] = {"noise": True}
    case = parse_case(data)
    assert line_contributions(case, som_mc.simulate(case, draws=200, seed=1)) is None
    kept = som_mc.simulate(case, draws=200, seed=1, keep_consequences=True)
    assert line_contributions(case, kept) is not None


def test_input_provenance_rules():
    data = minimal_case(source="")
    data["costs"] = [
        {"name": "a", "actor": "kommune", "kind": "one_off", "amount": 1, "source": ""},
        {"name": "b", "actor": "kommune", "kind": "one_off", "amount": 1,
         "source": "illustrative"},
        {"name": "c", "actor": "kommune", "kind": "one_off", "amount": 1,
         "source": "https://www.sm.dk/x"},
        {"name": "d", "actor": "kommune", "kind": "one_off", "amount": 1,
         "source": "prices/x: https://a.dk; hjem/y: illustrative"},
    ]  # fmt: skip
    case = parse_case(data)
    prov = {p.name: p.status for p in input_provenance(case)}
    assert prov["costs.a.amount"] == "unsourced"
    assert prov["costs.b.amount"] == "illustrative"
    assert prov["costs.c.amount"] == "sourced"
    assert prov["costs.d.amount"] == "sourced"  # names a source (som_mc.catalog.is_sourced)
    assert prov["success_rate"] == "unsourced"  # the case names no source
    # one definition: sourced exactly when som_mc.case.input_provenance says so
    spine = {p.name: p.sourced for p in som_mc.case.input_provenance(case)}
    assert {n: st == "sourced" for n, st in prov.items()} == spine
    over = input_provenance(parse_case(data), status_of={"costs.a.amount": "sourced"})
    assert {p.name: p.status for p in over}["costs.a.amount"] == "sourced"
    # catalog entries: the entry's own source decides
    aarhus = {p.name: p.status for p in input_provenance(som_mc.load_case(AARHUS))}
    assert aarhus["success_rate"] == "sourced"  # Aarhus' published succesrate
    assert aarhus["costs.opstart.amount"] == "illustrative"


def test_variance_shares(aarhus):
    _, ds = aarhus
    v = variance_shares(ds)
    assert v is not None
    np.testing.assert_allclose(v.share.sum("input").values, 1.0, rtol=1e-12)
    # one uncertain input carries all the variance
    case = parse_case(minimal_case(success_rate={"dist": "beta", "mean": 0.5, "sd": 0.1}))
    one = variance_shares(som_mc.simulate(case, draws=400, seed=1))
    assert one is not None
    assert float(one.share.sel(input="success_rate", actor="total")) == pytest.approx(1.0)


# --- the memo ------------------------------------------------------------------------------


def test_conclusion_leads_with_the_cost_bearer(aarhus):
    case, ds = aarhus
    data = prepare_report(case, ds)
    sentences = conclusion(data)
    assert 3 <= len(sentences) <= 5
    s = data.summary
    num = Numbers("da")
    kommune = float(s.horizon_mean.sel(actor="kommune"))
    assert sentences[0].startswith("For kommunen er det forventede nettoresultat ")
    assert num.mkr(kommune) in sentences[0]
    assert num.pct(float(s.horizon_p_positive.sel(actor="kommune"))) in sentences[0]
    year = int(s.break_even_median.sel(actor="kommune"))
    assert sentences[1] == f"Indsatsen er sandsynligvis tilbagebetalt for kommunen i {year}."
    assert sentences[2].startswith("For den offentlige sektor i alt")
    top = str(
        data.tornado.label.values[int(np.argmax(data.tornado.swing.sel(actor="total").values))]
    )
    assert any(top.split(":")[0].lower() in x.lower() for x in sentences)
    region = conclusion(prepare_report(case, ds, actor="region", switching=False))
    assert region[0].startswith("For regionen ")
    with pytest.raises(SomMcError, match="'amt' is not an aktør"):
        prepare_report(case, ds, actor="amt")


@pytest.mark.parametrize(
    ("amount", "total_value", "verdict"),
    [
        # kommune earns 3 × 100 kr. per success, the total 3 × 150 kr.; 10 deltagere; the
        # succesrate is PERT(0,3; 0,5; 0,7): the assumed interval is [0,3; 0,7]
        (1200, 1200 / 4500, "uden for det antagne interval: positivt i hele intervallet"),
        (3300, 3300 / 4500, "⚠ uden for det antagne interval: et positivt resultat kræver"),
        (2600, 2600 / 4500, "inden for det antagne interval ("),
    ],
)
def test_switching_values_by_hand(amount, total_value, verdict):
    from som_mc.present.report._sections import drivers_section
    from som_mc.sensitivity import switching_values

    data = minimal_case(success_rate={"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.7})
    data["costs"][0]["amount"] = amount
    data["consequences"][0]["profile"] = [-2, -1]
    data["consequences"][0]["price"] = {"kommune": 100, "stat": 50}
    case = parse_case(data)
    memo = prepare_report(case, som_mc.simulate(case, draws=200, seed=1))
    sv = switching_values(case, actors=["kommune", "total"])
    assert float(sv.switching_value.sel(input="success_rate", actor="total")) == pytest.approx(
        total_value, rel=1e-9
    )
    num = Numbers("da")
    rows = drivers_section(memo)["switching"]
    total = next(r for r in rows if r["actor"] == "I alt")
    assert total["value"] == f"mindst {num.value(total_value)}"
    assert total["verdict"].startswith(verdict)
    kommune = [r for r in rows if r["actor"] == "Kommune"]
    kommune_value = amount / 3000  # searched on the succesrate's whole range [0, 1]
    if kommune_value <= 1:
        assert kommune[0]["value"] == f"mindst {num.value(kommune_value)}"
    else:
        assert kommune == []  # no zero within [0, 1]
    # Konklusion: the kommune's switching value of its top input (the only one)
    sentences = [x for x in conclusion(memo) if "tjener sig hjem" in x]
    if kommune_value > 1:
        assert sentences == []
    else:
        assert sentences[0].startswith(
            "Indsatsen tjener sig hjem for kommunen ved succesrate på mindst "
            f"{num.value(kommune_value)}"
        )
        if kommune_value > 0.7:
            assert "uden for det antagne interval (0,3 – 0,7)" in sentences[0]
        else:
            assert "casen regner med 0,5;" in sentences[0]


def test_memo_sections_and_forbehold_counts(aarhus):
    case, ds = aarhus
    data = prepare_report(case, ds)
    page = render_html(data)
    prov = data.provenance
    n_unc = sum(p.uncertain for p in prov)
    n_flag = sum(p.uncertain and p.status != "sourced" for p in prov)
    n_fix = sum(not p.uncertain for p in prov)
    n_fix_flag = sum(not p.uncertain and p.status != "sourced" for p in prov)
    box = page[
        page.index('id="forbehold"') : page.index("</section>", page.index('id="forbehold"'))
    ]
    assert (
        f"{n_flag} af casens {n_unc} usikre inputs og {n_fix_flag} af dens {n_fix} faste "
        "værdier bygger på illustrative eller ikke kildebelagte tal." in box
    )
    assert (n_unc, n_flag) == (10, 9)  # all but Aarhus' published succesrate
    spine = som_mc.case.input_provenance(case)
    assert (n_unc, n_flag) == (spine.n_uncertain, spine.n_illustrative)
    assert "ikke kausale effektestimater" in box
    assert "ingen sammenhænge (korrelationer)" in box
    assert re.search(r"står for omkring \d+ % af usikkerheden", box)
    # no English or technical words in the decision sections (the method section keeps them)
    decision = page[: page.index('<section id="method"')]
    text = re.sub(r"<[^>]+>", " ", decision)
    for word in ("Break-even", "break-even", "illustrative numbers", "random", "MCSE", "Tornado,"):
        assert word not in text.replace("illustrative eller", ""), word
    assert "MCSE" in page[page.index('<section id="method"') :]
    # rate 0: no discounted block
    assert 'class="discounted"' not in page


def test_discounted_results_when_rate_positive(two_case):
    *_, data, page = two_case
    assert 'tbody class="discounted"' in page
    assert "Tilbagediskonteret med 3,5 % om året" in page
    num = Numbers("da")
    pv = float(data.summary.pv_mean.sel(actor="total"))
    net = data.breakdown["mean"].sel(measure="net", actor="total", discounting="discounted")
    assert float(net) == pytest.approx(pv, rel=1e-10)
    table = page[page.index('id="results-table"') :]
    assert f'<div class="m">{num.number(float(net))}</div>' in table
    sentence = "Tilbagediskonteret med 3,5 % om året er det forventede nettoresultat i alt"
    assert f"{sentence} {num.mkr(pv)}" in page  # "… mio. kr." ends the sentence
    assert 'id="fig-waterfall_actor_pv"' in page


def test_comparison_from_results_equals_compare(aarhus):
    base, _ = aarhus
    cheaper = _variant(base, cheaper=True)
    cmp = som_mc.compare([base, cheaper], draws=600, seed=3, design="lhs")
    runs = [som_mc.simulate(c, draws=600, seed=3, design="lhs") for c in (base, cheaper)]
    mine = comparison_from_results([base, cheaper], runs, list(cmp.case.values))
    for var in (
        "difference_mean",
        "difference_quantile",
        "p_best",
        "expected_rank",
        "break_even_median",
        "break_even_difference_median",
        "cumulative_quantile",
    ):
        np.testing.assert_array_equal(mine[var].values, cmp[var].values, err_msg=var)  # fmt: skip
    other_seed = som_mc.simulate(cheaper, draws=600, seed=4, design="lhs")
    with pytest.raises(SomMcError, match="seed 4 differs"):
        comparison_from_results([base, cheaper], [runs[0], other_seed], ["a", "b"])


def test_two_case_memo(two_case):
    _, b, _, _, data, page = two_case
    cmp = data.comparison
    assert list(cmp.case.values) == ["Basis", "Billigere"]  # labels, not names or files
    section = page[page.index('<section id="alternatives"') :]
    assert "<strong>Basis</strong>" in section and "<strong>Billigere</strong>" in section
    assert str(escape(b.name)) in section
    assert 'id="difference-table-1"' in section
    first = section[section.index('id="difference-table-1"') :]
    first = first[: first.index("</table>")]
    num = Numbers("da")
    diff = float(cmp.difference_mean.sel(actor="kommune").values[1])
    assert f'<div class="m">{num.number(diff)}</div>' in first
    assert num.pct(float(cmp.p_best.sel(actor="kommune").values[1])) in first
    assert "Forskel i tilbagebetalingsår" in first
    assert 'id="fig-compare_actor"' in section and 'id="fig-compare_total"' in section
    assert re.search(r"Billigere giver kommunen [\d,.]+ (mio\. )?kr\. mere end Basis", page)
    # cheaper costs: better for the kommune in (nearly) every draw
    assert float(cmp.difference_p_positive.sel(actor="kommune").values[1]) > 0.95


def test_figures_have_danish_axes(aarhus):
    case, ds = aarhus
    data = prepare_report(case, ds, switching=False)
    ax = plot_waterfall(data.contributions, actor="kommune")
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any(re.fullmatch(r"[−-]?\d{1,3}(\.\d{3})+", t) for t in ticks), ticks
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "Nettoresultat" and len(labels) == 7
    ax = plot_horizon_distribution(ds)
    ax.figure.canvas.draw()
    shares = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert shares and all(t.endswith(" %") and "." not in t for t in shares), shares


def test_figures_folder_is_created(aarhus, tmp_path):
    case, ds = aarhus
    figs = report_figures(prepare_report(case, ds, switching=False))
    paths = save_figures(figs, tmp_path / "fig")
    assert (tmp_path / "fig" / "waterfall_actor.svg") in paths
    assert all(p.exists() for p in paths)


# --- escaping ------------------------------------------------------------------------------


def _hostile():
    data = minimal_case(
        name="<script>alert('navn')</script>",
        label='=HYPERLINK("x")<b>',
        target_group="<img src=x onerror=alert(1)>",
        success_rate={"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.7},
    )
    data["costs"][0]["label"] = "<u>opstart</u> & =cmd"
    data["consequences"][0]["label"] = "@SUM(A1) <herberg>"
    return parse_case(data)


def test_hostile_text_escaped_in_memo_svg_and_xlsx(tmp_path):
    case = _hostile()
    other = parse_case({**case_to_dict(case), "label": "+alt<i>"})
    ds = som_mc.simulate(case, draws=300, seed=0)
    data = prepare_report(
        case, ds, alternatives=[(other, som_mc.simulate(other, draws=300, seed=0))]
    )
    page = render_html(data)
    for raw in ("<script", "<u>", "<b>", "<i>", "<herberg>", "<img src=x"):
        assert raw not in page
    assert "&lt;u&gt;opstart&lt;/u&gt; &amp; =cmd" in page
    assert "=HYPERLINK(&#34;x&#34;)&lt;b&gt;" in page
    paths = save_figures(report_figures(data), tmp_path / "fig")
    svg = (tmp_path / "fig" / "waterfall_total.svg").read_text("utf-8")
    assert "<u>" not in svg and "&lt;u&gt;opstart" in svg
    assert "<herberg>" not in svg and "&lt;herberg&gt;" in svg
    assert paths
    book = load_workbook(write_xlsx(data, tmp_path / "b.xlsx"))
    seen = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.append(cell.value)
    assert '=HYPERLINK("x")<b>' in seen and "+alt<i>" in seen
    if CHROMIUM and PDFTOTEXT:  # the PDF shows the text as text
        pdf = write_pdf(page, tmp_path / "h.pdf")
        cmd = [PDFTOTEXT, str(pdf), "-"]
        shown = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        shown = re.sub(r"\s+", " ", shown)
        assert "<script>alert('navn')</script>" in shown
        assert "<u>opstart</u>" in shown, shown[-3000:]
        assert "<herberg>" in shown


# --- CLI -----------------------------------------------------------------------------------


def _write_case(path: Path, case) -> str:
    path.write_text(tomli_w.dumps(case_to_dict(case)), encoding="utf-8")
    return str(path)


def test_cli_two_cases_and_results(tmp_path, capsys, aarhus):
    base, _ = aarhus
    fa = _write_case(tmp_path / "fil_a.toml", _variant(base, label="Basis"))
    fb = _write_case(tmp_path / "fil_b.toml", _variant(base, cheaper=True, label="Billigere"))
    out, book, figs = tmp_path / "n.html", tmp_path / "n.xlsx", tmp_path / "figs"
    argv = ["report", fa, fb, "--draws", "300", "--seed", "5", "--out", str(out)]
    assert main([*argv, "--xlsx", str(book), "--figures", str(figs)]) == 0
    page = out.read_text("utf-8")
    section = page[page.index('<section id="alternatives"') : page.index('<section id="method"')]
    assert "fil_a" not in section and "fil_b" not in section  # labelled by the cases
    assert "<strong>Billigere</strong>" in section
    assert f"som-mc report {fa} {fb} --draws 300 --seed 5" in page
    assert "Sammenligning" in load_workbook(book).sheetnames
    assert (figs / "compare_total.png").exists()
    # the same memo from saved results files
    nca, ncb = tmp_path / "a.nc", tmp_path / "b.nc"
    for f, nc in ((fa, nca), (fb, ncb)):
        assert main(["run", f, "--draws", "300", "--seed", "5", "--out", str(nc)]) == 0
    out2 = tmp_path / "m.html"
    assert main(["report", fa, fb, "--results", str(nca), str(ncb), "--out", str(out2)]) == 0
    capsys.readouterr()
    again = out2.read_text("utf-8")
    pick = re.compile(r'id="difference-table-1">.*?</table>', re.S)
    assert pick.search(again).group(0) == pick.search(page).group(0)
    # errors: one line each
    assert main(["report", fa, fb, "--results", str(nca), "--out", str(tmp_path / "x.html")]) == 2
    assert "give one results file per case" in capsys.readouterr().err
    assert (
        main(["report", fa, "--actor", "amt", "--draws", "100", "--out", str(tmp_path / "y.html")])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'amt' is not an aktør" in err


# --- scenarios, value of information, evidence ---------------------------------------------

SCENARIOS = CASES_DIR / "scenarios" / "aarhus_alkohol_scenarier.toml"
OPFOELGNING = CASES_DIR / "aarhus_alkohol_opfoelgning.toml"


@pytest.fixture(scope="module")
def scenario_memo():
    case = som_mc.load_case(SCENARIOS)
    ds = som_mc.simulate(case, draws=DRAWS, seed=21, design="random", keep_consequences=True)
    data = prepare_report(case, ds, case_file=str(SCENARIOS))
    return case, ds, data, render_html(data)


def test_scenario_table_equals_scenario_analysis(scenario_memo, tmp_path):
    from som_mc.sensitivity import scenario_analysis

    case, _, data, page = scenario_memo
    sc = scenario_analysis(case, draws=DRAWS, seed=21, design="lhs", actors=["kommune", "total"])
    assert data.actor == "kommune"
    for var in ("deterministic", "mean", "p05", "p95", "p_positive", "difference_mean"):
        np.testing.assert_array_equal(data.scenarios[var].values, sc[var].values)
    num = Numbers("da")
    for k, actor in enumerate(("kommune", "total"), start=1):
        table = page[page.index(f'id="scenario-table-{k}"') :]
        table = table[: table.index("</table>")]
        rows = table.split('<tr class="scenario-row')[1:]
        assert len(rows) == sc.sizes["scenario"] == 4
        for i, row in enumerate(rows):
            r = sc.sel(actor=actor).isel(scenario=i)
            assert str(escape(str(sc.scenario.values[i]))) in row
            assert f'<td class="num">{num.number(float(r.deterministic))}</td>' in row
            assert f'<div class="m">{num.number(float(r["mean"]))}</div>' in row
            assert f"{num.number(float(r.p05))} – {num.number(float(r.p95))}" in row
            assert num.pct(float(r.p_positive)) in row
            if i:
                pm = f"{num.number(float(r.difference_mean))} ± "
                assert pm + num.number(2 * float(r.difference_mcse)) in row
    decision = re.sub(r"<[^>]+>", " ", page[: page.index('<section id="method"')])
    assert "MCSE" not in decision
    assert "MCSE" in page[page.index('<section id="method"') :]
    # the workbook carries the same numbers
    book = load_workbook(write_xlsx(data, tmp_path / "s.xlsx"))
    rows = list(book["Scenarier"].iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in rows] == pytest.approx(
        [float(sc["mean"].sel(actor=a).values[i]) for a in ("kommune", "total") for i in range(4)],
        rel=1e-14,
    )
    voi = list(book["Værdi af viden"].iter_rows(min_row=2, values_only=True))
    assert voi[0][:2] == ("kommune", "Værdien af at kende alt præcist (EVPI)")
    assert voi[0][3] == pytest.approx(data.voi.actors["kommune"].evpi, rel=1e-14)


def test_voi_section_equals_voi_analysis(scenario_memo):
    from som_mc.sensitivity.voi import voi_analysis

    case, _, data, page = scenario_memo
    ref = voi_analysis(case, draws=DRAWS, seed=21, actors=["kommune", "total"])
    lead, mine = ref.actors["kommune"], data.voi.actors["kommune"]
    assert mine.evpi == ref.actors["kommune"].evpi
    assert mine.ranking() == lead.ranking()
    num = Numbers("da")
    section = page[page.index('<h3 id="voi"') : page.index('<section id="method"')]
    assert "Hvad er mest værd at vide mere om?" in section
    assert f"Værdien af at kende alt præcist (EVPI) er {num.kr(lead.evpi)} for kommunen" in section
    top = next(r for r in lead.ranking() if r[0] not in lead.groups)
    assert f"{num.kr(top[1])}" in section and str(escape(ref.labels[top[0]])) in section
    assert 'id="fig-voi_actor"' in section
    # too few draws: a note instead
    small = parse_case(minimal_case(success_rate={"dist": "beta", "mean": 0.5, "sd": 0.1}))
    few = render_html(prepare_report(small, som_mc.simulate(small, draws=300, seed=1)))
    assert "Værdien af viden kræver mindst 1.000 træk; beregningen har 300." in few


def test_english_memo_has_the_new_sections(scenario_memo):
    *_, data, _ = scenario_memo
    page = render_html(data, lang="en")
    for text in (
        "Scenarios",
        "What is most worth knowing more about?",
        "Switching values",
        "The intervention pays for itself for the kommune",
        "Difference from basis",
    ):
        assert text in page, text  # fmt: skip
    for text in ("Scenarier", "Værdien af viden", "Nulpunkt", "tjener sig hjem", "Forskel til"):
        assert text not in page, text


def test_evidence_in_forbehold(tmp_path, capsys):
    out = tmp_path / "opf.html"
    argv = ["report", str(OPFOELGNING), "--draws", "300", "--seed", "2", "--out", str(out)]
    assert main(argv) == 0
    page = out.read_text("utf-8")
    box = page[page.index('id="forbehold"') : page.index('<section id="results"')]
    assert "Succesraten bygger på en opfølgning: 14 af 45 deltagere havde succes (31 %)." in box
    from som_mc.case.evidence import apply_evidence, update_summary

    post = update_summary(apply_evidence(som_mc.load_case(OPFOELGNING)))["inputs"]["success_rate"]
    num = Numbers("da")
    assert f"med opfølgningen er den {num.pct(post['posterior']['mean'])}" in box
    assert "det realiserede beløb, 235.000 kr., er brugt" in box
    assert "--prior" not in page
    prior = tmp_path / "prior.html"
    assert main([*argv[:-1], str(prior), "--prior"]) == 0
    page = prior.read_text("utf-8")
    box = page[page.index('id="forbehold"') : page.index('<section id="results"')]
    assert "bruger antagelserne fra før opfølgningen (--prior)" in box
    assert "14 af 45" not in box
    assert "--seed 2 --design" in page and "--prior" in page[page.index('<section id="method"') :]
    capsys.readouterr()


def test_compare_labels_by_case_not_file(tmp_path, capsys):
    import json

    a = minimal_case(name="Første indsats", label="Første")
    b = minimal_case(name="Anden indsats")
    fa, fb = tmp_path / "fil_a.toml", tmp_path / "fil_b.toml"
    fa.write_text(tomli_w.dumps(a), encoding="utf-8")
    fb.write_text(tomli_w.dumps(b), encoding="utf-8")
    assert main(["compare", str(fa), str(fb), "--draws", "100", "--seed", "1", "--json"]) == 0
    text = capsys.readouterr().out
    assert "fil_a" not in text.replace(str(fa), "") and "fil_b" not in text.replace(str(fb), "")
    assert "Første" in json.dumps(json.loads(text), ensure_ascii=False)
    assert "Anden indsats" in text


# --- PDF -----------------------------------------------------------------------------------


def _pdf_tools() -> None:
    if CHROMIUM is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    if PDFTOTEXT is None or PDFINFO is None:
        pytest.skip("pdftotext not installed: apt-get install poppler-utils")


def test_pdf(two_case, tmp_path):
    _pdf_tools()
    *_, data, page = two_case
    pdf = write_pdf(page, tmp_path / "notat.pdf")
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2  # A4

    def page_text(i: int) -> str:
        cmd = [PDFTOTEXT, "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    texts = [page_text(i) for i in range(1, pages + 1)]
    first = re.sub(r"\s+", " ", texts[0])
    assert "Konklusion" in first and "Forbehold" in first
    assert "For kommunen er det forventede nettoresultat" in first
    # every major section starts on a new page, in order: conclusion (with Forbehold),
    # results, drivers, alternatives, method
    heads = ["Resultater pr. aktør", "Hvad afhænger resultatet af", "Alternativer",
             "Metode og forudsætninger"]  # fmt: skip
    starts = []
    for head in heads:
        hits = [i for i, tx in enumerate(texts) if tx.strip().startswith(head)]
        assert hits, head
        starts.append(hits[0])
    assert starts == sorted(starts) and starts[0] == 1
    assert pages >= len(heads) + 1 and pages <= 30
    results = re.sub(r"\s+", " ", texts[1])
    for row in ("Omkostninger", "Værdi af konsekvenser", "Nettoresultat", "Kommune", "I alt"):
        assert row in results
    num = Numbers("da")
    assert num.number(float(data.summary.horizon_mean.sel(actor="kommune"))) in results
    # never overwrite without force; a missing program is one clear line
    with pytest.raises(SomMcError, match="file exists"):
        write_pdf(page, pdf)
    with pytest.raises(SomMcError, match="cannot start"):
        write_pdf(page, tmp_path / "x.pdf", chromium=str(tmp_path / "nope"))
    assert not (tmp_path / "x.pdf").exists()


def test_pdf_without_chromium_is_one_line(tmp_path, monkeypatch, capsys):
    import som_mc.present.report._pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "find_chromium", lambda: None)
    monkeypatch.setattr("som_mc.present.report.find_chromium", lambda: None)
    with pytest.raises(SomMcError, match="Debian package 'chromium'"):
        pdf_mod.write_pdf("<html></html>", tmp_path / "x.pdf")
    out = tmp_path / "n.html"
    argv = [
        "report",
        str(AARHUS),
        "--draws",
        "100",
        "--out",
        str(out),
        "--pdf",
        str(tmp_path / "n.pdf"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Debian package 'chromium'" in err
    assert not out.exists()  # nothing written


# --- headless Chromium ---------------------------------------------------------------------

_CHECK = """<script>
window.addEventListener("load", () => {
  const bad = [...document.images].filter(i => !i.complete || i.naturalWidth === 0);
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  const h2 = [...document.querySelectorAll("h2")].map(h => h.textContent.trim()).join("|");
  document.body.setAttribute("data-check",
    "broken=" + bad.length + ";overflow=" + wide + ";h2=" + h2);
});
</script></body>"""


def _browse(tmp_path: Path, page: str, width: int, name: str) -> str:
    report = tmp_path / f"{name}.html"
    report.write_text(page.replace("</body>", _CHECK), encoding="utf-8")
    common = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},2400",
        "--virtual-time-budget=5000", "--hide-scrollbars",
    ]  # fmt: skip
    run = subprocess.run(
        [*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=180
    )
    match = re.search(r'data-check="([^"]*)"', run.stdout)
    assert match, run.stderr[-2000:]
    SHOTS.mkdir(exist_ok=True)
    clean = tmp_path / f"{name}_clean.html"
    clean.write_text(page, encoding="utf-8")
    subprocess.run(
        [*common, f"--screenshot={SHOTS / f'{name}.png'}", clean.as_uri()],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    return match.group(1)


@pytest.mark.parametrize("width", [1280, 390])
def test_chromium_memo_widths(two_case, tmp_path, width):
    if CHROMIUM is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    *_, page = two_case
    check = _browse(tmp_path, page, width, f"two_case_{width}")
    assert "broken=0;overflow=false;" in check, check
    heads = check.split("h2=")[1].split("|")
    assert heads == [
        "Konklusion", "Forbehold", "Resultater pr. aktør", "Hvad afhænger resultatet af",
        "Alternativer", "Metode og forudsætninger",
    ]  # fmt: skip


@pytest.mark.parametrize("width", [1280, 390])
def test_chromium_scenario_memo_widths(scenario_memo, tmp_path, width):
    if CHROMIUM is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    *_, page = scenario_memo
    check = _browse(tmp_path, page, width, f"scenarios_{width}")
    assert "broken=0;overflow=false;" in check, check
