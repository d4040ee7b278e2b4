"""Comparing cases with common random numbers: library, CLI and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tomli_w
import xarray as xr
from conftest import CASES_DIR, minimal_case
from matplotlib.patches import Polygon

import som_mc
from som_mc import load_case, parse_case, simulate
from som_mc.case import Case, case_to_dict
from som_mc.cli import main
from som_mc.present.comparison import comparison_json, comparison_table
from som_mc.present.plotting import comparison_figure, plot_compare_bands, plot_paired_difference
from som_mc.run.compare import ComparisonError, check_aligned, compare, unique_labels

HOUSING = CASES_DIR / "housing_first.toml"


@pytest.fixture(scope="module")
def housing() -> Case:
    return load_case(HOUSING)


def more_participants(case: Case) -> Case:
    """Housing First with 10 % more deltagere in every cohort (same input names)."""
    data = case_to_dict(case)
    data["name"] = "Housing First, 10 % flere deltagere"
    data["participants"]["per_year"] = [
        {"dist": "discrete_uniform", "low": 35, "high": 44},  # was 32..40
        44,  # was 40
        44,
    ]
    return parse_case(data)


@pytest.fixture(scope="module")
def variant(housing: Case) -> Case:
    return more_participants(housing)


@pytest.fixture(autouse=True)
def _no_open_figures():
    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert not leaked, "a plot function left a pyplot figure open"


# -- the paired difference ----------------------------------------------------------------


def test_self_comparison_is_exactly_zero_in_every_draw(housing):
    cmp = compare([housing, housing], draws=3000, seed=11)
    assert list(cmp.case.values) == [housing.name, f"{housing.name} (2)"]
    diff = cmp.difference.values
    assert diff.shape == (3000, 2, 4)
    assert np.array_equal(diff, np.zeros_like(diff))
    assert np.array_equal(cmp.horizon_net_result.values[:, 0], cmp.horizon_net_result.values[:, 1])
    assert np.array_equal(cmp.difference_mean.values, np.zeros((2, 4)))
    assert np.array_equal(cmp.difference_mcse.values, np.zeros((2, 4)))
    # every draw is a tie: P(best) and the rank are split evenly
    np.testing.assert_array_equal(cmp.p_best.values, 0.5)
    np.testing.assert_array_equal(cmp.expected_rank.values, 1.5)
    np.testing.assert_array_equal(cmp.break_even_p_same.values, 1.0)
    np.testing.assert_array_equal(cmp.break_even_difference_median.values, 0.0)
    assert list(cmp.shared_inputs.values) == list(cmp.uncertain_inputs.values) == [9, 9]


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_self_comparison_is_exactly_zero_with_other_designs(housing, design):
    cmp = compare([housing, housing], draws=1000, seed=3, design=design)
    assert np.array_equal(cmp.difference.values, np.zeros_like(cmp.difference.values))


def test_common_random_numbers_shrink_the_standard_error(housing, variant):
    """SE of the mean paired difference, CRN vs independent streams.

    Measured with 20.000 draws, seed 2024 (total over the horizon): the mean difference is
    2.770.938 kr. with CRN (2.785.719 kr. independent); its standard error is 7.306 kr. with
    common random numbers and 108.817 kr. with independent streams, a ratio of 14,9. Seeds
    0, 1, 2, 3, 99 and 12345 give ratios between 14,7 and 14,9, so ``ratio >= 5`` is robust.
    """
    draws = 20_000
    crn = compare([housing, variant], draws=draws, seed=2024)
    ind = compare([housing, variant], draws=draws, seed=2024, common_random_numbers=False)
    se_crn = float(crn.difference_mcse.sel(case=variant.name, actor="total"))
    se_ind = float(ind.difference_mcse.sel(case=variant.name, actor="total"))
    ratio = se_ind / se_crn
    message = (
        f"SE of the mean difference: CRN {se_crn:,.0f} kr., independent {se_ind:,.0f} kr., "
        f"ratio {ratio:.1f}"
    )
    print(message)
    assert ratio >= 5, message
    # MCSE is sd(paired difference) / sqrt(n)
    diff = crn.difference.sel(case=variant.name, actor="total").values
    assert se_crn == pytest.approx(diff.std(ddof=1) / np.sqrt(draws), rel=1e-12)
    # both estimate the same expected difference
    m_crn = float(crn.difference_mean.sel(case=variant.name, actor="total"))
    m_ind = float(ind.difference_mean.sel(case=variant.name, actor="total"))
    assert abs(m_crn - m_ind) < 4 * np.hypot(se_crn, se_ind)
    assert crn.attrs["common_random_numbers"] == 1 and ind.attrs["common_random_numbers"] == 0
    assert list(ind.shared_inputs.values) == [9, 0]


def test_common_random_numbers_are_the_single_runs(housing, variant):
    cmp = compare([housing, variant], draws=2000, seed=7, design="lhs")
    for label, case in ((housing.name, housing), (variant.name, variant)):
        ds = simulate(case, draws=2000, seed=7, design="lhs")
        expected = ds.net_result.cumsum("year").isel(year=-1).transpose("draw", "actor").values
        got = cmp.horizon_net_result.sel(case=label).values[:, :3]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-6)
    ind = compare(
        [housing, variant], draws=2000, seed=7, design="lhs", common_random_numbers=False
    )
    own = simulate(housing, draws=2000, seed=7, design="lhs").net_result.sum("year").values
    assert not np.allclose(ind.horizon_net_result.values[:, 0, :3], own)


def test_output_is_deterministic_for_a_seed(housing, variant):
    a = compare([housing, variant], draws=1500, seed=5, design="lhs")
    b = compare([housing, variant], draws=1500, seed=5, design="lhs")
    xr.testing.assert_identical(a, b)
    c = compare([housing, variant], draws=1500, seed=6, design="lhs")
    assert not np.array_equal(a.horizon_net_result.values, c.horizon_net_result.values)
    d = compare([housing, variant], draws=1500, seed=5, common_random_numbers=False)
    e = compare([housing, variant], draws=1500, seed=5, common_random_numbers=False)
    xr.testing.assert_identical(d, e)


def test_statistics_match_the_draws(housing, variant):
    cmp = compare([housing, variant, housing], draws=4000, seed=1, labels=["a", "b", "c"])
    h = cmp.horizon_net_result.sel(actor="total").values  # (draw, case)
    np.testing.assert_allclose(cmp.horizon_mean.sel(actor="total"), h.mean(axis=0))
    d = h[:, 1] - h[:, 0]
    sel = cmp.sel(case="b", actor="total")
    assert float(sel.difference_p_positive) == pytest.approx((d > 0).mean())
    np.testing.assert_allclose(
        sel.difference_quantile.values, np.quantile(d, [0.05, 0.25, 0.5, 0.75, 0.95])
    )
    # P(best) sums to 1 for every actor (a and c tie in every draw: their share is split)
    np.testing.assert_allclose(cmp.p_best.sum("case"), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cmp.expected_rank.sum("case"), 6.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cmp.p_best.sel(case="a"), cmp.p_best.sel(case="c"))
    best_b = (h[:, 1] > h[:, 0]).mean()
    assert float(cmp.p_best.sel(case="b", actor="total")) == pytest.approx(best_b)
    assert float(cmp.p_best.sel(case="a", actor="total")) == pytest.approx((1 - best_b) / 2)
    se = float(cmp.p_best_se.sel(case="b", actor="total"))
    assert se == pytest.approx(np.sqrt(best_b * (1 - best_b) / 4000))


# -- alignment: a hand-checkable case -----------------------------------------------------


def small_a() -> Case:
    """2025–2027; kommune NR 700, 500, 0; stat 500, 250, 0 (see conftest.minimal_case)."""
    return parse_case(minimal_case(name="A"))


def small_b() -> Case:
    """2026–2028, actors kommune + kommune_social; NR kommune 1000, 500, 0; social -300, 0, 0."""
    data = minimal_case(
        name="B",
        start_year=2026,
        actors=["kommune", "kommune_social"],
        costs=[{"name": "opstart", "actor": "kommune_social", "kind": "one_off", "amount": 300}],
    )
    data["consequences"][0]["price"] = {"kommune": 100}
    return parse_case(data)


def test_misaligned_cases_raise_a_clear_error():
    with pytest.raises(ComparisonError) as info:
        compare([small_a(), small_b()], draws=10, seed=0)
    assert str(info.value) == (
        "case 'A' and case 'B' differ in start_year (2025 vs 2026) and actors (only case 'A' "
        "has region, stat; only case 'B' has kommune_social); pass align=\"union\" to compare "
        "them over the union of years and actors (missing years and actors count as 0)"
    )
    shorter = parse_case(minimal_case(name="C", horizon_years=2))
    with pytest.raises(ComparisonError) as info:
        check_aligned([small_a(), shorter], names=["a.toml", "c.toml"], option="--align union")
    assert str(info.value) == (
        "a.toml and c.toml differ in horizon_years (3 vs 2); pass --align union to compare "
        "them over the union of years (missing years count as 0)"
    )


def test_actor_order_does_not_matter():
    a = small_a()
    b = parse_case(minimal_case(name="B", actors=["stat", "region", "kommune"]))
    cmp = compare([a, b], draws=5, seed=0)
    assert list(cmp.actor.values) == ["kommune", "region", "stat", "total"]
    assert np.array_equal(cmp.difference.values, np.zeros_like(cmp.difference.values))


def test_align_union_by_hand():
    cmp = compare([small_a(), small_b()], draws=4, seed=0, align="union")
    assert list(cmp.year.values) == [2025, 2026, 2027, 2028]
    assert list(cmp.actor.values) == ["kommune", "region", "stat", "kommune_social", "total"]
    assert list(cmp.first_year.values) == [2025, 2026]
    assert list(cmp.last_year.values) == [2027, 2028]
    assert cmp.attrs["align"] == "union"
    horizon = cmp.horizon_net_result.isel(draw=0)
    np.testing.assert_allclose(horizon.sel(case="A"), [1200, 0, 750, 0, 1950])
    np.testing.assert_allclose(horizon.sel(case="B"), [1500, 0, 0, -300, 1200])
    np.testing.assert_allclose(cmp.difference_mean.sel(case="B"), [300, 0, -750, -300, -750])
    total = cmp.cumulative_quantile.sel(quantile=0.5, actor="total")
    np.testing.assert_allclose(total.sel(case="A"), [1200, 1950, 1950, 1950])
    np.testing.assert_allclose(total.sel(case="B"), [0, 700, 1200, 1200])
    # break-even within each case's own years; kommune_social never breaks even in B
    be = cmp.break_even_median
    assert int(be.sel(case="A", actor="total")) == 2025
    assert int(be.sel(case="B", actor="total")) == 2026
    assert int(be.sel(case="B", actor="kommune_social")) == -1
    assert float(cmp.break_even_difference_median.sel(case="B", actor="total")) == 1.0
    assert float(cmp.break_even_difference_median.sel(case="B", actor="kommune_social")) == np.inf
    assert float(cmp.break_even_p_later.sel(case="B", actor="kommune_social")) == 1.0
    np.testing.assert_array_equal(cmp.p_best.sel(actor="total"), [1.0, 0.0])
    np.testing.assert_array_equal(cmp.expected_rank.sel(actor="total"), [1.0, 2.0])
    payload = comparison_json(cmp)
    assert payload["results"]["kommune_social"]["B"]["difference"]["break_even"] == {
        "median_years": None,
        "p_earlier": 0.0,
        "p_same": 0.0,
        "p_later": 1.0,
    }
    assert payload["results"]["total"]["B"]["break_even"]["median_year"] == 2026
    json.dumps(payload)  # plain JSON types only


def test_price_years_must_agree_even_with_union():
    other = parse_case(minimal_case(name="P", price_year=2023))
    with pytest.raises(ComparisonError, match=r"differ in price_year \(2024 vs 2023\)"):
        compare([small_a(), other], draws=10, seed=0, align="union")


def test_bad_arguments():
    a = small_a()
    with pytest.raises(ComparisonError, match="at least two cases; received 1"):
        compare([a], draws=10, seed=0)
    with pytest.raises(ComparisonError, match="labels must be distinct; repeated: x"):
        compare([a, a], draws=10, seed=0, labels=["x", "x"])
    with pytest.raises(ComparisonError, match=r"one label per case \(2\); received 1"):
        compare([a, a], draws=10, seed=0, labels=["x"])
    with pytest.raises(ComparisonError, match="align must be None or one of 'union'"):
        compare([a, a], draws=10, seed=0, align="intersection")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="draws must be a positive whole number"):
        compare([a, a], draws=0, seed=0)
    assert unique_labels(["a", "a", "a (2)", "b"]) == ["a", "a (2)", "a (2) (2)", "b"]


# -- shared streams -----------------------------------------------------------------------


def _uncertain_case(name: str, consequence: str) -> Case:
    data = minimal_case(
        name=name, success_rate={"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.6}
    )
    data["consequences"][0]["name"] = consequence
    data["consequences"][0]["price"]["kommune"] = {"dist": "normal", "mean": 100, "sd": 10}
    return parse_case(data)


def test_declared_shared_inputs_get_the_same_draws():
    a, b = _uncertain_case("A", "herberg"), _uncertain_case("B", "shelter")
    plain = compare([a, b], draws=2000, seed=4)
    assert np.abs(plain.difference.sel(case="B").values).max() > 0  # the prices differ
    assert list(plain.shared_inputs.values) == [2, 1]  # success_rate only
    shared = {"consequences.shelter.price.kommune": "consequences.herberg.price.kommune"}
    cmp = compare([a, b], draws=2000, seed=4, shared=shared)
    assert np.array_equal(cmp.difference.values, np.zeros_like(cmp.difference.values))
    assert list(cmp.shared_inputs.values) == [2, 2]
    assert "consequences.shelter.price.kommune = " in cmp.attrs["shared"]


def test_bad_shared_declarations():
    a, b = _uncertain_case("A", "herberg"), _uncertain_case("B", "shelter")
    with pytest.raises(
        ComparisonError, match=r"did you mean 'consequences\.shelter\.price\.kommune'"
    ):
        compare([a, b], draws=10, seed=0, shared={"consequences.shelter.price.kommun": "x"})
    with pytest.raises(ComparisonError, match="no effect with the sobol design"):
        compare([a, b], draws=10, seed=0, design="sobol", shared={"success_rate": "x"})
    with pytest.raises(ComparisonError, match="need common random numbers"):
        compare([a, b], draws=10, seed=0, common_random_numbers=False, shared={"a": "b"})
    with pytest.raises(ComparisonError, match="would share one stream and get identical draws"):
        compare(
            [a, b], draws=10, seed=0, shared={"success_rate": "consequences.herberg.price.kommune"}
        )


# -- tables -------------------------------------------------------------------------------


def test_table_shows_the_comparison(housing, variant):
    cmp = compare([housing, variant], draws=2000, seed=1, labels=["hf", "flere"])
    text = comparison_table(cmp)
    assert text.startswith(
        "Sammenligning af 2 investeringscases — Monte Carlo, 2.000 træk (random, seed 1), "
        "fælles tilfældige tal, kr. i 2024-priser"
    )
    for needle in ("I alt\n", "kommune\n", "P(forskel > 0)", "P(bedst)", "Forv. rang", "basis"):
        assert needle in text
    row = next(line for line in text.splitlines() if line.startswith("flere"))
    mean = float(cmp.difference_mean.sel(case="flere", actor="total"))
    assert som_mc.present.format.format_number(mean) in row


# -- CLI ----------------------------------------------------------------------------------


def _write(path: Path, data: dict[str, Any]) -> str:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return str(path)


def _labelled_variant(tmp_path: Path) -> str:
    """The variant as a file named otherwise than its label (cases are named by label/name)."""
    data = case_to_dict(more_participants(load_case(HOUSING)))
    data["label"] = "flere"
    return _write(tmp_path / "variant_fil.toml", data)


def test_cli_compare_table(tmp_path, capsys):
    variant_file = _labelled_variant(tmp_path)
    code = main(["compare", str(HOUSING), variant_file, "--draws", "2000", "--seed", "3"])
    assert code == 0
    out = capsys.readouterr().out
    base = load_case(HOUSING).name  # no label: the case's name, never the file name
    assert "Monte Carlo, 2.000 træk (random, seed 3), fælles tilfældige tal" in out
    assert f"case − {base} i samme træk" in out
    assert f"\n{base} " in out and "\nflere " in out
    assert "housing_first" not in out and "variant_fil" not in out


def test_cli_json_is_deterministic_and_matches_the_library(tmp_path, capsys):
    variant_file = _labelled_variant(tmp_path)
    argv = ["compare", str(HOUSING), variant_file, "--draws", "1500", "--seed", "8", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["files"] == [str(HOUSING), variant_file]
    base = load_case(HOUSING).name
    assert [c["label"] for c in first["cases"]] == [base, "flere"]
    cmp = compare(
        [load_case(HOUSING), load_case(variant_file)],
        draws=1500,
        seed=8,
        labels=[base, "flere"],
    )
    total = first["results"]["total"]["flere"]
    assert total["difference"]["mean"] == float(
        cmp.difference_mean.sel(case="flere", actor="total")
    )
    assert total["p_best"] == float(cmp.p_best.sel(case="flere", actor="total"))
    assert first["seed"] == 8 and first["common_random_numbers"] is True


def test_cli_misaligned_cases_exit_2(tmp_path, capsys):
    a = _write(tmp_path / "a.toml", minimal_case(horizon_years=3))
    b = _write(tmp_path / "b.toml", minimal_case(horizon_years=2))
    code = main(["compare", a, b, "--draws", "10", "--seed", "0"])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"som-mc: error: {a} and {b} differ in horizon_years (3 vs 2); pass --align union to "
        "compare them over the union of years (missing years count as 0)\n"
    )
    assert (
        main(["compare", a, b, "--draws", "10", "--seed", "0", "--align", "union", "--json"]) == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["align"] == "union" and payload["years"] == [2025, 2026, 2027]


def test_cli_missing_file_and_other_errors_exit_2(tmp_path, capsys):
    missing = str(tmp_path / "nope.toml")
    assert main(["compare", str(HOUSING), missing, "--seed", "0"]) == 2
    assert capsys.readouterr().err == f"som-mc: error: {missing}: file not found; check the path\n"
    assert main(["compare", str(HOUSING), "--seed", "0"]) == 2
    assert capsys.readouterr().err == (
        "som-mc: error: compare needs at least two cases; received 1\n"
    )
    assert main(["compare", str(HOUSING), str(HOUSING), "--share", "nonsense"]) == 2
    assert capsys.readouterr().err.startswith("som-mc: error: --share expects INPUT=STREAM")
    fig = tmp_path / "fig.txt"
    assert main(["compare", str(HOUSING), str(HOUSING), "--figure", str(fig)]) == 2
    assert capsys.readouterr().err == (
        f"som-mc: error: {fig}: unknown figure format '.txt'; end the name in .png, .svg or .pdf\n"
    )
    with pytest.raises(SystemExit) as info:
        main(["compare", str(HOUSING), str(HOUSING), "--align", "intersection"])
    assert info.value.code == 2
    assert "invalid choice: 'intersection'" in capsys.readouterr().err


def test_cli_figure_never_overwritten_without_force(tmp_path, capsys):
    fig = tmp_path / "cmp.png"
    argv = ["compare", str(HOUSING), str(HOUSING), "--draws", "300", "--seed", "1"]
    assert main([*argv, "--figure", str(fig)]) == 0
    assert f"Figur gemt i {fig}" in capsys.readouterr().out
    assert fig.read_bytes().startswith(b"\x89PNG")
    before = fig.read_bytes()
    assert main([*argv, "--figure", str(fig)]) == 2
    assert capsys.readouterr().err == (
        f"som-mc: error: {fig}: file exists; use --force to overwrite it\n"
    )
    assert fig.read_bytes() == before
    assert main([*argv, "--figure", str(fig), "--force"]) == 0


# -- plots --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three(housing, variant) -> xr.Dataset:
    return compare([housing, variant, housing], draws=1000, seed=2, labels=["hf", "flere", "hf2"])


def test_plot_compare_bands(three):
    fig, ax = plt.subplots()
    try:
        assert plot_compare_bands(three, ax=ax) is ax
        # one median line per case, plus the zero line
        assert len(ax.lines) == 3 + 1
        medians = ax.lines[:3]
        np.testing.assert_allclose(medians[1].get_xdata(), three.year.values)
        np.testing.assert_allclose(
            medians[1].get_ydata(),
            three.cumulative_quantile.sel(quantile=0.5, case="flere", actor="total").values,
        )
        # a 50 % and a 90 % band per case
        assert len(ax.collections) == 2 * 3
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["hf", "flere", "hf2"]
        assert ax.get_xlabel() == "År"
        assert ax.get_ylabel() == "Akkumuleret nettoresultat (kr.)"
        assert ax.yaxis.get_major_formatter()(1234567, 0) == "1.234.567"
        assert len({line.get_color() for line in medians}) == 3
    finally:
        plt.close(fig)


def test_plot_paired_difference(three):
    ax = plot_paired_difference(three, actor="kommune")
    # one filled histogram per case other than the baseline
    polygons = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(polygons) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["flere − hf", "hf2 − hf"]
    zero = ax.lines[-1]
    assert list(zero.get_xdata()) == [0, 0]
    assert ax.get_xlabel() == "Forskel i nettoresultat (kr.)"
    assert ax.xaxis.get_major_formatter()(-2500000, 0) == "-2.500.000"
    assert "kommune" in ax.get_title()


def test_comparison_figure_has_both_panels(three):
    fig = comparison_figure(three)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "Akkumuleret nettoresultat (kr.)"
    assert fig.axes[1].get_xlabel() == "Forskel i nettoresultat (kr.)"


def test_lhs_keeps_inputs_coupled_when_their_distribution_changes():
    """With lhs a succesrate with another mean still pairs draw by draw, unlike 'random'."""
    import inspect

    from scipy.stats import spearmanr

    from som_mc.distributions import Beta
    from som_mc.run.compare import compare
    from som_mc.sampling import sample_block

    assert inspect.signature(compare).parameters["design"].default == "random"  # one default
    base, variant = Beta(alpha=38.0, beta=62.0), Beta(alpha=32.0, beta=68.0)

    def last_draws(dist, design):  # the end of a block, where any drift has accumulated
        x = sample_block([dist], ["success_rate"], seed=5, block=0, size=16384, design=design)
        return x[-1000:, 0]

    lhs = spearmanr(last_draws(base, "lhs"), last_draws(variant, "lhs")).statistic
    rnd = spearmanr(last_draws(base, "random"), last_draws(variant, "random")).statistic
    assert lhs > 0.9999
    assert rnd < 0.5  # NumPy's rejection samplers drift apart: why lhs is the default
