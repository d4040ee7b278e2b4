"""Tests of evidence (opfølgning): the binomial posterior, [evidence] and ``som-mc update``."""

from __future__ import annotations

import json
import math
import pickle
import tomllib

import numpy as np
import pytest
import xarray as xr
from conftest import CASES_DIR, minimal_case
from scipy import integrate, special, stats

from som_mc.case import load_case, parse_case
from som_mc.case.evidence import EVIDENCE_NOTE, apply_evidence, resolve_evidence
from som_mc.cli import main
from som_mc.distributions import (
    PERT,
    Beta,
    BinomialPosterior,
    Fixed,
    Mixture,
    Triangular,
    TruncatedNormal,
    Uniform,
    binomial_posterior,
    from_toml,
    prior_predictive,
)
from som_mc.errors import CaseFileError, DistributionError
from som_mc.run import simulate
from som_mc.sampling import sample_block

EXAMPLE = CASES_DIR / "aarhus_alkohol_opfoelgning.toml"
Q = np.linspace(0.001, 0.999, 499)

# (alpha, beta, successes, trials): ordinary, a U-shaped prior with no successes, all
# successes, and a large trial whose likelihood is much narrower than the prior.
CONJUGATE = [(2.0, 6.0, 14, 45), (0.5, 0.5, 0, 10), (3.0, 2.0, 20, 20), (2.0, 3.0, 300, 1000)]


# -- the posterior distribution --------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "s", "n"), CONJUGATE)
def test_beta_binomial_posterior_is_the_closed_form(a, b, s, n):
    post = binomial_posterior(Beta(alpha=a, beta=b), s, n)
    assert post == Beta(alpha=a + s, beta=b + n - s)
    assert post.mean() == pytest.approx((a + s) / (a + b + n), rel=1e-12)
    var = (a + s) * (b + n - s) / ((a + b + n) ** 2 * (a + b + n + 1))
    assert post.std() == pytest.approx(math.sqrt(var), rel=1e-12)


@pytest.mark.parametrize(("a", "b", "s", "n"), CONJUGATE)
def test_grid_posterior_of_a_beta_prior_equals_the_conjugate_one(a, b, s, n):
    grid = BinomialPosterior(prior=Beta(alpha=a, beta=b), successes=s, trials=n)
    exact = stats.beta(a + s, b + n - s)
    x = np.linspace(0.0005, 0.9995, 999)
    np.testing.assert_allclose(grid.cdf(x), exact.cdf(x), atol=1e-6)
    np.testing.assert_allclose(grid.ppf(Q), exact.ppf(Q), atol=1e-6)
    assert grid.mean() == pytest.approx(exact.mean(), abs=1e-8)
    assert grid.std() == pytest.approx(exact.std(), abs=1e-8)
    inner = x[(x > 0.01) & (x < 0.99)]
    np.testing.assert_allclose(grid.pdf(inner), exact.pdf(inner), rtol=1e-6, atol=1e-6)


def _quad_posterior(prior_pdf, lo, hi, s, n, breaks=()):
    """Reference posterior by adaptive quadrature of prior density x likelihood."""

    def lik(p):
        return p**s * (1 - p) ** (n - s)

    points = sorted({*breaks, s / n})
    z = integrate.quad(lambda p: prior_pdf(p) * lik(p), lo, hi, points=points, limit=200)[0]

    def cdf(x):
        return (
            integrate.quad(
                lambda p: prior_pdf(p) * lik(p),
                lo,
                x,
                points=[q for q in points if q < x],
                limit=200,
            )[0]
            / z
        )

    mean = integrate.quad(lambda p: p * prior_pdf(p) * lik(p), lo, hi, points=points)[0] / z
    m2 = integrate.quad(lambda p: p * p * prior_pdf(p) * lik(p), lo, hi, points=points)[0] / z
    return cdf, mean, math.sqrt(m2 - mean**2)


@pytest.mark.parametrize(
    ("prior", "breaks"),
    [
        (PERT(low=0.1, most_likely=0.3, high=0.5), ()),
        (Triangular(low=0.05, most_likely=0.2, high=0.6), (0.2,)),
        (Uniform(low=0.2, high=0.7), ()),
        (TruncatedNormal(mu=0.35, sigma=0.1, low=0.0, high=1.0), ()),
        (Beta(alpha=2.0, beta=3.0, low=0.1, high=0.6), ()),
    ],
    ids=lambda p: getattr(p, "kind", ""),
)
def test_grid_posterior_of_other_bounded_priors_matches_quadrature(prior, breaks):
    s, n = 14, 45
    post = binomial_posterior(prior, s, n)
    assert isinstance(post, BinomialPosterior)
    lo, hi = prior.support()
    cdf, mean, sd = _quad_posterior(lambda p: float(prior._scipy().pdf(p)), lo, hi, s, n, breaks)
    assert post.mean() == pytest.approx(mean, abs=1e-7)
    assert post.std() == pytest.approx(sd, abs=1e-7)
    for x in np.linspace(lo, hi, 13)[1:-1]:
        assert float(post.cdf(x)) == pytest.approx(cdf(x), abs=1e-6)
    # ppf inverts cdf and stays inside the prior's support
    q = np.linspace(0.0, 1.0, 101)
    xs = post.ppf(q)
    assert np.all((xs >= lo) & (xs <= hi))
    np.testing.assert_allclose(post.cdf(xs[1:-1]), q[1:-1], atol=1e-9)


def test_grid_posterior_of_a_beta_mixture_is_the_reweighted_mixture():
    """Mixture of betas: the posterior is a mixture of the updated betas, weights w_i B_i'/B_i."""
    comps = [Beta(alpha=8.0, beta=20.0), Beta(alpha=3.0, beta=3.0)]
    w = np.array([0.6, 0.4])
    s, n = 14, 45
    post = binomial_posterior(Mixture(components=comps, weights=w), s, n)
    log_w = np.log(w) + np.array(
        [
            special.betaln(c.alpha + s, c.beta + n - s) - special.betaln(c.alpha, c.beta)
            for c in comps
        ]
    )
    w_post = np.exp(log_w - log_w.max())
    w_post /= w_post.sum()
    exact = [stats.beta(c.alpha + s, c.beta + n - s) for c in comps]
    x = np.linspace(0.01, 0.99, 197)
    expected_cdf = sum(wi * e.cdf(x) for wi, e in zip(w_post, exact, strict=True))
    np.testing.assert_allclose(post.cdf(x), expected_cdf, atol=1e-6)
    mean = sum(wi * e.mean() for wi, e in zip(w_post, exact, strict=True))
    m2 = sum(wi * (e.var() + e.mean() ** 2) for wi, e in zip(w_post, exact, strict=True))
    assert post.mean() == pytest.approx(mean, abs=1e-8)
    assert post.std() == pytest.approx(math.sqrt(m2 - mean**2), abs=1e-8)


def test_sequential_updates_pool_the_observations():
    prior = PERT(low=0.1, most_likely=0.3, high=0.5)
    twice = binomial_posterior(binomial_posterior(prior, 6, 20), 8, 25)
    assert twice == binomial_posterior(prior, 14, 45)
    beta = binomial_posterior(binomial_posterior(Beta(alpha=2.0, beta=5.0), 6, 20), 8, 25)
    assert beta == Beta(alpha=16.0, beta=36.0)


def test_a_fixed_prior_is_not_updated():
    assert binomial_posterior(Fixed(value=0.3), 14, 45) == Fixed(value=0.3)


def test_posterior_round_trips_through_toml_and_pickle():
    post = binomial_posterior(PERT(low=0.1, most_likely=0.3, high=0.5), 14, 45)
    table = post.to_toml()
    assert table == {
        "dist": "binomial_posterior",
        "prior": {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.5, "shape": 4.0},
        "successes": 14,
        "trials": 45,
    }
    assert from_toml(table) == post
    again = pickle.loads(pickle.dumps(post))
    assert again == post
    np.testing.assert_array_equal(again.ppf(Q), post.ppf(Q))


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_posterior_is_sampled_in_every_design(design):
    post = binomial_posterior(Triangular(low=0.05, most_likely=0.2, high=0.6), 14, 45)
    other = Uniform(low=0.0, high=1.0)
    x = sample_block([post, other], ["a", "b"], seed=3, block=0, size=4096, design=design)
    mcse = post.std() / math.sqrt(4096)
    assert abs(x[:, 0].mean() - post.mean()) < 4 * mcse
    assert stats.kstest(x[:, 0], post.cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"successes": 5, "trials": 4}, "successes"),
        ({"successes": -1, "trials": 4}, "successes"),
        ({"successes": 1.5, "trials": 4}, "successes"),
        ({"successes": 1, "trials": -4}, "trials"),
    ],
)
def test_bad_observations_are_refused(kwargs, param):
    with pytest.raises(DistributionError) as err:
        BinomialPosterior(prior=Uniform(low=0.0, high=1.0), **kwargs)
    assert err.value.param == param


def test_priors_that_cannot_be_updated_are_refused():
    with pytest.raises(DistributionError, match=r"not within \[0, 1\]"):
        BinomialPosterior(prior=Uniform(low=0.5, high=2.0), successes=1, trials=2)
    with pytest.raises(DistributionError, match="continuous distribution"):
        BinomialPosterior(
            prior=from_toml({"dist": "empirical", "values": [0.2, 0.3]}), successes=1, trials=2
        )


def test_prior_predictive_of_a_beta_prior_is_beta_binomial():
    lo, hi, pmf = prior_predictive(Beta(alpha=4.0, beta=8.0), 45)
    exact = stats.betabinom(45, 4.0, 8.0)
    np.testing.assert_allclose(pmf, exact.pmf(np.arange(46)), rtol=0, atol=1e-7)
    assert (lo, hi) == (int(exact.ppf(0.05)), int(exact.ppf(0.95)))


# -- [evidence] in a case ---------------------------------------------------------------------


def _with_evidence(evidence, **overrides):
    data = minimal_case(**overrides)
    data["evidence"] = evidence
    return data


def test_example_case_posterior():
    case = load_case(EXAMPLE)
    up = apply_evidence(case)
    assert up.case.evidence is None
    assert up.case.catalog_uses == case.catalog_uses != ()  # provenance kept
    rate = next(u for u in up.inputs if u.name == "success_rate")
    assert rate.observed["successes"] == 14 and rate.observed["trials"] == 45
    assert up.case.success_rate == binomial_posterior(case.success_rate, 14, 45)
    assert up.case.participants.per_year[:2] == [Fixed(value=58.0), Fixed(value=64.0)]
    assert up.case.participants.per_year[2:] == case.participants.per_year[2:]
    opstart = next(c for c in up.case.costs if c.name == "opstart")
    assert opstart.amount == Fixed(value=235000.0)


def test_per_cohort_counts_pool_and_participants_become_fixed():
    ev = {"success_rate": {"successes": [3, 4], "trials": [10, 12]}, "participants": [9, 11]}
    data = _with_evidence(
        ev,
        success_rate={"dist": "beta", "alpha": 2.0, "beta": 2.0},
        participants={"per_year": [{"dist": "poisson", "mean": 10}] * 3},
        horizon_years=4,
    )
    up = apply_evidence(parse_case(data))
    assert up.case.success_rate == Beta(alpha=9.0, beta=17.0)
    assert up.case.participants.per_year == [
        Fixed(value=9.0),
        Fixed(value=11.0),
        from_toml({"dist": "poisson", "mean": 10}),
    ]


def test_yearly_cost_line_is_split_into_realised_years_and_the_rest():
    costs = [
        {
            "name": "drift",
            "actor": "kommune",
            "kind": "yearly",
            "years": [0, 1, 2],
            "amount": {"dist": "pert", "low": 80, "mode": 100, "high": 150},
        },
    ]
    data = _with_evidence({"costs": {"drift": [120.0]}}, costs=costs)
    up = apply_evidence(parse_case(data))
    lines = {c.name: c for c in up.case.costs}
    assert set(lines) == {"drift_realiseret_2025", "drift"}
    realised = lines["drift_realiseret_2025"]
    assert (realised.kind, realised.year, realised.amount) == ("one_off", 0, Fixed(value=120.0))
    assert lines["drift"].years == [1, 2]
    assert lines["drift"].amount == PERT(low=80, most_likely=100, high=150)
    # the posterior case's cost in year 0 is the realised amount, later years unchanged
    ds = simulate(up.case, draws=200, seed=1)
    cost = ds.cost.sel(actor="kommune")
    prior = simulate(parse_case(minimal_case(costs=costs)), draws=200, seed=1)
    assert np.all(cost.isel(year=0).values == 120.0)
    xr.testing.assert_equal(
        cost.isel(year=slice(1, None)), prior.cost.sel(actor="kommune").isel(year=slice(1, None))
    )


def test_correlations_with_inputs_that_became_fixed_are_dropped():
    costs = [
        {
            "name": "opstart",
            "actor": "kommune",
            "kind": "one_off",
            "amount": {"dist": "uniform", "low": 200, "high": 400},
        }
    ]
    data = _with_evidence(
        {"costs": {"opstart": 310}},
        costs=costs,
        success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
        correlations=[{"inputs": ["success_rate", "costs.opstart.amount"], "rank": 0.5}],
    )
    up = apply_evidence(parse_case(data))
    assert up.dropped_correlations == (("success_rate", "costs.opstart.amount"),)
    assert up.case.correlations == []


def test_prior_flag_runs_the_case_as_before_the_evidence():
    case = load_case(EXAMPLE)
    before, note = resolve_evidence(case, prior=True)
    assert before.evidence is None and before.success_rate == case.success_rate
    assert "prior" in (note or "")
    after, note = resolve_evidence(case)
    assert note == EVIDENCE_NOTE
    assert after == apply_evidence(case).case


@pytest.mark.parametrize(
    ("evidence", "key", "text"),
    [
        (
            {"success_rate": {"successes": 50, "trials": 45}},
            "evidence.success_rate.successes",
            "cannot exceed",
        ),
        (
            {"success_rate": {"successes": -1, "trials": 45}},
            "evidence.success_rate.successes",
            ">= 0",
        ),
        (
            {"success_rate": {"successes": 1.5, "trials": 45}},
            "evidence.success_rate.successes",
            "whole number",
        ),
        (
            {"success_rate": {"successes": [1, 2], "trials": [3]}},
            "evidence.success_rate.trials",
            "same length",
        ),
        (
            {"success_rate": {"successes": [1, 5], "trials": [3, 4]}},
            "evidence.success_rate.successes[1]",
            "cannot exceed",
        ),
        (
            {"success_rate": {"successes": [1, 1], "trials": [3, 4]}},
            "evidence.success_rate.successes",
            "cohorts",
        ),
        ({"participants": [10, 12]}, "evidence.participants", "intake years"),
        ({"participants": [-3]}, "evidence.participants[0]", ">= 0"),
        ({"costs": {"drift": 3}}, "evidence.costs.drift", "unknown cost line"),
        ({"costs": {"opstart": [3]}}, "evidence.costs.opstart", "one number"),
        ({"costs": {"opstart": -3}}, "evidence.costs.opstart", ">= 0"),
        ({"succes_rate": {"successes": 1, "trials": 2}}, "evidence.succes_rate", "did you mean"),
    ],
)
def test_evidence_errors_name_the_key_path_on_one_line(evidence, key, text):
    with pytest.raises(CaseFileError) as err:
        parse_case(_with_evidence(evidence), file="case.toml")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"case.toml: {key}: "), message
    assert text in message


# -- som-mc update ----------------------------------------------------------------------------


def test_update_json_has_prior_posterior_and_observed(capsys):
    assert main(["update", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rate = data["inputs"]["success_rate"]
    assert set(rate["prior"]) >= {"mean", "sd"}
    assert set(rate["posterior"]) >= {"mean", "sd", "p5", "p95"}
    assert rate["observed"]["successes"] == 14 and rate["observed"]["trials"] == 45
    post = apply_evidence(load_case(EXAMPLE)).case.success_rate
    assert rate["posterior"]["mean"] == pytest.approx(post.mean(), rel=1e-12)
    assert rate["posterior"]["p95"] == pytest.approx(float(post.ppf(0.95)), rel=1e-12)
    assert data["inputs"]["participants[0]"]["posterior"]["mean"] == 58.0


def test_update_text_shows_the_prior_predictive_check(capsys):
    assert main(["update", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    lo, hi, _ = prior_predictive(load_case(EXAMPLE).success_rate, 45)
    assert f"forventet antal succeser {lo}–{hi}" in out
    assert "observeret 14 af 45" in out


def test_update_writes_a_posterior_case_that_runs_like_the_posterior(tmp_path, capsys):
    out = tmp_path / "post.toml"
    assert main(["update", str(EXAMPLE), "--out", str(out)]) == 0
    written = load_case(out)
    assert written.evidence is None
    assert "evidence" not in tomllib.loads(out.read_text(encoding="utf-8"))
    posterior = apply_evidence(load_case(EXAMPLE)).case
    assert written.success_rate == posterior.success_rate
    a = simulate(written, draws=500, seed=7)
    b = simulate(posterior, draws=500, seed=7)
    np.testing.assert_array_equal(a.net_result.values, b.net_result.values)
    # never overwritten without --force, and never the case file itself
    capsys.readouterr()
    assert main(["update", str(EXAMPLE), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and err.count("\n") == 1
    assert main(["update", str(EXAMPLE), "--out", str(out), "--force"]) == 0
    assert main(["update", str(EXAMPLE), "--out", str(EXAMPLE), "--force"]) == 2


def test_update_never_writes_through_a_symlink(tmp_path, capsys):
    target = tmp_path / "target.toml"
    target.write_text("x = 1\n", encoding="utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    assert main(["update", str(EXAMPLE), "--out", str(link)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["update", str(EXAMPLE), "--out", str(link), "--force"]) == 0
    assert target.read_text(encoding="utf-8") == "x = 1\n"  # the link's target untouched
    assert not link.is_symlink() and load_case(link).evidence is None


def test_update_without_evidence_is_one_line_error(capsys):
    assert main(["update", str(CASES_DIR / "cool_kids.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "evidence" in err


def test_run_uses_the_posterior_and_says_so(capsys):
    assert main(["run", str(EXAMPLE), "--draws", "500", "--seed", "1", "--json"]) == 0
    captured = capsys.readouterr()
    assert EVIDENCE_NOTE in captured.err
    post = json.loads(captured.out)
    assert main(["run", str(EXAMPLE), "--draws", "500", "--seed", "1", "--json", "--prior"]) == 0
    captured = capsys.readouterr()
    assert "prior" in captured.err and EVIDENCE_NOTE not in captured.err
    assert json.loads(captured.out) != post


# -- odds and ends: text, price conversion, the results' input record, figures ----------------


def test_dist_text_renders_nested_tables():
    from som_mc.present.catalog_text import dist_text

    pool = Mixture(
        components=[Beta(alpha=2.0, beta=6.0), PERT(low=0.1, most_likely=0.3, high=0.5)],
        weights=[0.6, 0.4],
    )
    assert dist_text(pool) == (
        "mixture(components = [beta(alpha = 2, beta = 6); pert(low = 0,1, mode = 0,3, "
        "high = 0,5, shape = 4)], weights = [0,6; 0,4])"
    )
    post = binomial_posterior(pool, 14, 45)
    assert dist_text(post).startswith("binomial_posterior(prior = mixture(")
    assert dist_text(post).endswith("successes = 14, trials = 45)")


def test_price_conversion_scales_each_expert_of_a_mixture():
    from som_mc.catalog import scale_distribution
    from som_mc.distributions import LogNormal

    pool = Mixture(
        components=[LogNormal(mu=8.0, sigma=0.3), PERT(low=1500, most_likely=2000, high=4000)],
        weights=[0.3, 0.7],
    )
    scaled = scale_distribution(pool, 1.1)
    assert isinstance(scaled, Mixture) and scaled.weights == pool.weights
    assert scaled.mean() == pytest.approx(1.1 * pool.mean(), rel=1e-12)
    assert scaled.std() == pytest.approx(1.1 * pool.std(), rel=1e-12)
    np.testing.assert_allclose(scaled.ppf(Q), 1.1 * pool.ppf(Q), rtol=1e-9)
    with pytest.raises(ValueError, match="share"):
        scale_distribution(binomial_posterior(Uniform(low=0.0, high=1.0), 1, 2), 1.1)


def test_results_record_the_elicitation_of_each_input():
    case = load_case(EXAMPLE)
    ds = simulate(case, draws=100, seed=1)
    record = json.loads(str(ds.input_elicitation.sel(input="success_rate").values))
    expert_a, expert_b = record["components"]
    assert expert_b is None  # given by its parameters
    assert expert_a["judged"] == {"p10": 0.2, "p50": 0.3, "p90": 0.42}
    fitted = case.success_rate.components[0]
    assert expert_a["parameters"] == fitted.to_toml()
    assert expert_a["quantiles"]["p50"] == pytest.approx(float(fitted.ppf(0.5)), rel=1e-12)
    assert str(ds.input_elicitation.sel(input="costs.opstart.amount").values) == ""


def test_prior_posterior_figure_has_danish_decimal_commas():
    from som_mc.present.plotting.knowledge import plot_prior_posterior

    case = load_case(EXAMPLE)
    post = apply_evidence(case).case.success_rate
    ax = plot_prior_posterior(case.success_rate, post, observed=14 / 45)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks)
    assert ax.get_ylabel() == "Tæthed"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Prior (før)",
        "Posterior (efter)",
        "Observeret andel",
    ]


def test_a_workbook_carries_evidence(tmp_path):
    # the Evidens sheet (tests/test_case_xlsx.py has the layout and the bad cells)
    from som_mc.case import case_hash, load_case_file

    out = tmp_path / "case.xlsx"
    assert main(["template", str(out), "--from", str(EXAMPLE)]) == 0
    assert case_hash(load_case_file(out)) == case_hash(load_case(EXAMPLE))
    assert load_case_file(out).evidence == load_case(EXAMPLE).evidence
