"""Plain NumPy Monte Carlo of the reference workload, written without som_mc.

This is the script an analyst would write instead of using som_mc: it reads
``benchmarks/reference.toml`` with :mod:`tomllib`, maps each distribution table to a
``numpy.random.Generator`` call, draws binomial successes (and drop-off thinning, when the
case sets a drop-off rate), does the SØM arithmetic vectorised over draws and summarises the
cumulative nettoresultat per year, per aktør and in total: mean, sd, MCSE, P5/P10/P50/P90/P95
(``np.quantile``) and P(> 0).

Draws are processed in chunks of 100,000. Means and sds are merged across chunks exactly
(Chan et al.'s pairwise update of mean and sum of squared deviations). For the quantiles the
per-draw cumulative results of every chunk are kept (draws x years x (aktører + total), float64:
320 MB at 1,000,000 draws) and ``np.quantile`` runs once over all of them.

Only what ``reference.toml`` uses is supported (anything else stops with an error):
distributions fixed (plain number or ``dist = "fixed"``), triangular, pert, normal, lognormal
(mu/sigma, mean/sd or median/p95), poisson and discrete_uniform; ``horizon_mode = "calendar"``;
cost kinds one_off, yearly, per_participant (with ``schedule`` and ``saved``); consequences for
successes (no ``applies_to = "participants"``), profile entries that are numbers or
distributions, a ``scale`` factor and per-aktør prices; no correlations, no catalog references.

Usage::

    python benchmarks/numpy_baseline.py --draws 100000 --seed 1 [--json] [--case FILE]

Other scripts can load it by path (``importlib.util.spec_from_file_location``) and call
``run(draws, seed)``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_CASE = HERE / "reference.toml"
CHUNK = 100_000
QUANTILES = (0.05, 0.10, 0.50, 0.90, 0.95)
TOTAL = "total"
Z95 = NormalDist().inv_cdf(0.95)


class UnsupportedCaseError(ValueError):
    """The case uses a feature this script does not implement."""


# --------------------------------------------------------------------------------------------
# Distributions: TOML table -> sampler(rng, n) -> float64 array of n draws
# --------------------------------------------------------------------------------------------


@dataclass
class Input:
    """One scalar input: fixed (``value``) or uncertain (``dist`` table)."""

    name: str
    value: float | None = None
    dist: dict[str, Any] | None = None

    @property
    def uncertain(self) -> bool:
        return self.dist is not None


def _keys(
    table: dict[str, Any], name: str, required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    keys = set(table) - {"dist"}
    missing = required - keys
    extra = keys - required - optional
    if missing or extra:
        raise UnsupportedCaseError(
            f"{name}: {table['dist']} needs {sorted(required)}"
            + (f" (optional {sorted(optional)})" if optional else "")
            + f", got {sorted(keys)}"
        )


def make_input(name: str, spec: Any) -> Input:
    """Turn a TOML scalar (number or distribution table) into an :class:`Input`."""
    if isinstance(spec, bool):
        raise UnsupportedCaseError(
            f"{name}: expected a number or a distribution table, got {spec!r}"
        )
    if isinstance(spec, int | float):
        return Input(name, value=float(spec))
    if not isinstance(spec, dict) or "dist" not in spec:
        raise UnsupportedCaseError(
            f"{name}: expected a number or a distribution table, got {spec!r}"
        )
    kind = spec["dist"]
    if kind == "fixed":
        _keys(spec, name, {"value"})
        return Input(name, value=float(spec["value"]))
    if kind in ("triangular", "pert"):
        _keys(
            spec,
            name,
            {"low", "mode", "high"},
            frozenset({"shape"}) if kind == "pert" else frozenset(),
        )
        if not spec["low"] <= spec["mode"] <= spec["high"] or spec["low"] == spec["high"]:
            raise UnsupportedCaseError(f"{name}: {kind} needs low <= mode <= high and low < high")
    elif kind == "normal":
        _keys(spec, name, {"mean", "sd"})
    elif kind == "lognormal":
        forms = [{"mu", "sigma"}, {"mean", "sd"}, {"median", "p95"}]
        if set(spec) - {"dist"} not in forms:
            raise UnsupportedCaseError(
                f"{name}: lognormal needs one of mu/sigma, mean/sd, median/p95"
            )
    elif kind == "poisson":
        _keys(spec, name, {"mean"})
    elif kind == "discrete_uniform":
        _keys(spec, name, {"low", "high"})
    else:
        raise UnsupportedCaseError(
            f"{name}: distribution {kind!r} is not supported by this script "
            "(fixed, triangular, pert, normal, lognormal, poisson, discrete_uniform)"
        )
    return Input(name, dist=dict(spec))


def draw(inp: Input, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw `n` values of an input (a constant array when it is fixed)."""
    if inp.dist is None:
        assert inp.value is not None
        return np.full(n, inp.value)
    d = inp.dist
    kind = d["dist"]
    if kind == "triangular":
        return rng.triangular(d["low"], d["mode"], d["high"], n)
    if kind == "pert":
        low, mode, high = d["low"], d["mode"], d["high"]
        shape = d.get("shape", 4.0)
        a = 1.0 + shape * (mode - low) / (high - low)
        b = 1.0 + shape * (high - mode) / (high - low)
        return low + (high - low) * rng.beta(a, b, n)
    if kind == "normal":
        return rng.normal(d["mean"], d["sd"], n)
    if kind == "lognormal":
        if "mu" in d:
            mu, sigma = d["mu"], d["sigma"]
        elif "mean" in d:
            sigma2 = math.log1p((d["sd"] / d["mean"]) ** 2)
            mu, sigma = math.log(d["mean"]) - 0.5 * sigma2, math.sqrt(sigma2)
        else:
            mu, sigma = math.log(d["median"]), math.log(d["p95"] / d["median"]) / Z95
        return rng.lognormal(mu, sigma, n)
    if kind == "poisson":
        return rng.poisson(d["mean"], n).astype(np.float64)
    if kind == "discrete_uniform":
        return rng.integers(d["low"], d["high"], n, endpoint=True).astype(np.float64)
    raise AssertionError(kind)  # make_input rejected everything else


# --------------------------------------------------------------------------------------------
# The case, as plain arrays
# --------------------------------------------------------------------------------------------


@dataclass
class Consequence:
    name: str
    profile: list[Input]
    scale: Input
    prices: list[Input | None]  # per actor; None = the actor pays nothing


@dataclass
class Cost:
    name: str
    actor: int
    sign: float  # +1, or -1 for sparede omkostninger
    amount: Input
    share: np.ndarray  # (C, T): cohort c pays N_c * amount * share[c, t] in year t
    fixed: np.ndarray  # (T,): amount * fixed[t] in year t (one_off / yearly)


@dataclass
class Case:
    name: str
    actors: list[str]
    years: list[int]
    horizon: int
    discount: np.ndarray  # (T,)
    delay: int  # effect year = intake year + delay
    success: Input
    participants: list[Input]
    noise: bool
    dropoff: Input
    costs: list[Cost]
    consequences: list[Consequence]
    inputs: list[Input] = field(default_factory=list)
    profile: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (K, T), fixed Δq

    @property
    def uncertain(self) -> list[Input]:
        return [i for i in self.inputs if i.uncertain]


def _check_keys(table: dict[str, Any], where: str, allowed: set[str]) -> None:
    extra = set(table) - allowed
    if extra:
        raise UnsupportedCaseError(
            f"{where}: keys {sorted(extra)} are not supported by this script"
        )


def load(path: Path) -> Case:
    """Read a case file into plain arrays (only the features of reference.toml)."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    _check_keys(
        raw,
        "top level",
        {
            "name", "description", "target_group", "price_year", "start_year", "horizon_years",
            "horizon_mode", "discount_rate", "actors", "source", "success_rate",
            "participants", "outcome", "costs", "consequences",
        },
    )  # fmt: skip
    if raw.get("horizon_mode", "calendar") != "calendar":
        raise UnsupportedCaseError("horizon_mode: only 'calendar' is supported by this script")
    horizon = int(raw["horizon_years"])
    actors = list(raw.get("actors", ["kommune", "region", "stat"]))
    rate = float(raw.get("discount_rate", 0.0))
    years = [int(raw["start_year"]) + t for t in range(horizon)]

    part = raw["participants"]
    _check_keys(part, "participants", {"per_year", "course_years"})
    delay = math.ceil(float(part.get("course_years", 1.0))) - 1
    participants = [make_input(f"participants[{c}]", p) for c, p in enumerate(part["per_year"])]
    n_cohorts = len(participants)
    outcome = raw.get("outcome", {})
    _check_keys(outcome, "outcome", {"noise", "dropoff_rate"})
    success = make_input("success_rate", raw["success_rate"])
    dropoff = make_input("dropoff_rate", outcome.get("dropoff_rate", 0.0))

    costs = []
    for i, line in enumerate(raw.get("costs", [])):
        where = f"costs[{i}]"
        _check_keys(
            line,
            where,
            {"name", "label", "actor", "kind", "amount", "saved", "year", "years", "schedule",
             "source"},
        )  # fmt: skip
        if "uses" in line:
            raise UnsupportedCaseError(f"{where}: catalog references are not supported")
        kind = line["kind"]
        share = np.zeros((n_cohorts, horizon))
        fixed = np.zeros(horizon)
        if kind == "one_off":
            fixed[int(line.get("year", 0))] = 1.0
        elif kind == "yearly":
            fixed[list(line.get("years", range(n_cohorts)))] = 1.0
        elif kind == "per_participant":
            for c in range(n_cohorts):
                for j, s in enumerate(line.get("schedule", [1.0])):
                    if c + j < horizon:
                        share[c, c + j] = s
        else:
            raise UnsupportedCaseError(f"{where}.kind: {kind!r} is not supported")
        costs.append(
            Cost(
                name=line["name"],
                actor=actors.index(line["actor"]),
                sign=-1.0 if line.get("saved", False) else 1.0,
                amount=make_input(f"costs.{line['name']}.amount", line["amount"]),
                share=share,
                fixed=fixed,
            )
        )

    consequences = []
    for i, cons in enumerate(raw.get("consequences", [])):
        where = f"consequences[{i}]"
        _check_keys(cons, where, {"name", "label", "unit", "profile", "scale", "price", "source",
                                  "applies_to"})  # fmt: skip
        if cons.get("applies_to", "successes") != "successes":
            raise UnsupportedCaseError(f"{where}.applies_to: only 'successes' is supported")
        if not isinstance(cons["price"], dict):
            raise UnsupportedCaseError(f"{where}.price: catalog references are not supported")
        name = cons["name"]
        unknown = set(cons["price"]) - set(actors)
        if unknown:
            raise UnsupportedCaseError(f"{where}.price: undeclared actors {sorted(unknown)}")
        consequences.append(
            Consequence(
                name=name,
                profile=[
                    make_input(f"consequences.{name}.profile[{tau}]", q)
                    for tau, q in enumerate(cons["profile"])
                ],
                scale=make_input(f"consequences.{name}.scale", cons.get("scale", 1.0)),
                prices=[
                    make_input(f"consequences.{name}.price.{a}", cons["price"][a])
                    if a in cons["price"]
                    else None
                    for a in actors
                ],
            )
        )

    case = Case(
        name=raw["name"],
        actors=actors,
        years=years,
        horizon=horizon,
        discount=(1.0 + rate) ** -np.arange(horizon, dtype=np.float64),
        delay=delay,
        success=success,
        participants=participants,
        noise=bool(outcome.get("noise", False)),
        dropoff=dropoff,
        costs=costs,
        consequences=consequences,
    )
    case.profile = np.zeros((len(consequences), horizon))
    for k, cons in enumerate(consequences):
        for tau, entry in enumerate(cons.profile[:horizon]):
            if entry.value is not None:
                case.profile[k, tau] = entry.value
    case.inputs = [success, *participants, dropoff, *(c.amount for c in costs)]
    for k in consequences:
        case.inputs += [k.scale, *k.profile, *(p for p in k.prices if p is not None)]
    return case


# --------------------------------------------------------------------------------------------
# One chunk of draws
# --------------------------------------------------------------------------------------------


def simulate_chunk(case: Case, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw `n` Monte Carlo draws; return net (n, T, A) and its discounted sum pv (n, A)."""
    n_t, n_a = case.horizon, len(case.actors)
    n_c, n_k = len(case.participants), len(case.consequences)
    s = draw(case.success, rng, n)  # (n,)
    part = np.stack([draw(p, rng, n) for p in case.participants], axis=1)  # (n, C)
    dropoff = draw(case.dropoff, rng, n)
    amounts = np.stack([draw(c.amount, rng, n) for c in case.costs], axis=1) if case.costs else None
    # Profile Δq_k(τ) * scale_k, padded / cut to the horizon (τ >= T never lies within it).
    # Fixed entries come from case.profile in one broadcast; uncertain ones are drawn.
    scale = np.empty((n, n_k))
    price = np.zeros((n, n_k, n_a))
    uncertain_q = []
    for k, cons in enumerate(case.consequences):
        scale[:, k] = draw(cons.scale, rng, n)
        for tau, entry in enumerate(cons.profile[:n_t]):
            if entry.uncertain:
                uncertain_q.append((k, tau, draw(entry, rng, n)))
        for a, p in enumerate(cons.prices):
            if p is not None:
                price[:, k, a] = draw(p, rng, n)
    q = scale[:, :, None] * case.profile[None, :, :]
    for k, tau, values in uncertain_q:
        q[:, k, tau] = values * scale[:, k]

    # Successful persons per cohort and year since the effect year: (n, C, T).
    tau = np.arange(n_t)
    if case.noise:
        part = np.rint(part)  # binomial successes need whole numbers of deltagere
        first = rng.binomial(part.astype(np.int64), s[:, None]).astype(np.float64)
        if case.dropoff.uncertain or case.dropoff.value != 0.0:
            active = np.empty((n, n_c, n_t))
            active[:, :, 0] = first
            for t in range(1, n_t):  # binomial thinning: each success ends w.p. dropoff
                active[:, :, t] = rng.binomial(
                    active[:, :, t - 1].astype(np.int64), (1.0 - dropoff)[:, None]
                )
        else:
            active = np.broadcast_to(first[:, :, None], (n, n_c, n_t))
    else:
        active = (s[:, None] * part)[:, :, None] * (1.0 - dropoff)[:, None, None] ** tau

    # ΔE per successful person and year since the effect year: g[n, τ, a] = Σ_k q·p.
    g = np.einsum("nkt,nka->nta", q, price, optimize=True)
    delta_e = np.zeros((n, n_t, n_a))
    for c in range(n_c):
        e = c + case.delay  # effect year of cohort c; calendar mode: cut at year T-1
        if e < n_t:
            delta_e[:, e:, :] += active[:, c, : n_t - e, None] * g[:, : n_t - e, :]

    cost = np.zeros((n, n_t, n_a))
    for i, line in enumerate(case.costs):
        assert amounts is not None
        per_year = amounts[:, i, None] * (line.fixed + part @ line.share)  # (n, T)
        cost[:, :, line.actor] += line.sign * per_year
    net = -delta_e - cost
    return {"net": net, "pv": np.einsum("nta,t->na", net, case.discount)}


# --------------------------------------------------------------------------------------------
# Summary across chunks
# --------------------------------------------------------------------------------------------


class Moments:
    """Exact running mean and sum of squared deviations (pairwise merge of chunks)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.n = 0
        self.mean = np.zeros(shape)
        self.m2 = np.zeros(shape)
        self.positive = np.zeros(shape)

    def add(self, x: np.ndarray) -> None:
        m = x.shape[0]
        mean_b = x.mean(axis=0)
        m2_b = ((x - mean_b) ** 2).sum(axis=0)
        total = self.n + m
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (m / total)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * m / total)
        self.positive += (x > 0).sum(axis=0)
        self.n = total

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else np.zeros_like(self.m2)


def _actor_table(case: Case, mom: Moments, quant: np.ndarray | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    sd = mom.sd
    for a, actor in enumerate([*case.actors, TOTAL]):
        row: dict[str, Any] = {
            "mean": mom.mean[..., a].tolist(),
            "mcse": (sd[..., a] / math.sqrt(mom.n)).tolist(),
            "sd": sd[..., a].tolist(),
            "p_positive": (mom.positive[..., a] / mom.n).tolist(),
        }
        if quant is not None:
            row["quantiles"] = {
                f"P{round(100 * q)}": quant[i, ..., a].tolist() for i, q in enumerate(QUANTILES)
            }
        out[actor] = row
    return out


def run(draws: int, seed: int, case_path: str | Path = DEFAULT_CASE) -> dict[str, Any]:
    """Run the baseline; return the summary with timings (``elapsed_s`` is the total)."""
    t0 = time.perf_counter()
    case = load(Path(case_path))
    rng = np.random.default_rng(seed)
    n_t, n_a = case.horizon, len(case.actors) + 1
    cum_all = np.empty((draws, n_t, n_a))
    mom = Moments((n_t, n_a))
    mom_pv = Moments((n_a,))
    t_sim = t_sum = 0.0
    for start in range(0, draws, CHUNK):
        n = min(CHUNK, draws - start)
        ta = time.perf_counter()
        out = simulate_chunk(case, rng, n)
        tb = time.perf_counter()
        net = out["net"]
        net_t = np.concatenate([net, net.sum(axis=2, keepdims=True)], axis=2)
        cum = np.cumsum(net_t, axis=1, out=cum_all[start : start + n])
        mom.add(cum)
        pv = out["pv"]
        mom_pv.add(np.concatenate([pv, pv.sum(axis=1, keepdims=True)], axis=1))
        t_sim += tb - ta
        t_sum += time.perf_counter() - tb
    tq = time.perf_counter()
    quant = np.quantile(cum_all, QUANTILES, axis=0)  # (Q, T, A + 1)
    t_quant = time.perf_counter() - tq
    elapsed = time.perf_counter() - t0
    return {
        "case": case.name,
        "draws": draws,
        "seed": seed,
        "chunk": CHUNK,
        "uncertain_inputs": len(case.uncertain),
        "uncertain_input_names": [i.name for i in case.uncertain],
        "years": case.years,
        "cumulative": _actor_table(case, mom, quant),
        "discounted_horizon": {
            a: {"mean": float(mom_pv.mean[i]), "sd": float(mom_pv.sd[i])}
            for i, a in enumerate([*case.actors, TOTAL])
        },
        "timings_s": {
            "simulate": t_sim,
            "moments": t_sum,
            "quantiles": t_quant,
            "total": elapsed,
        },
        "elapsed_s": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", default=str(DEFAULT_CASE))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        res = run(args.draws, args.seed, args.case)
    except UnsupportedCaseError as exc:
        print(f"numpy_baseline: {args.case}: {exc}", file=sys.stderr)
        return 2
    tm = res["timings_s"]
    print(
        f"numpy baseline: {res['draws']:,} draws, seed {res['seed']}, "
        f"{res['uncertain_inputs']} uncertain inputs; simulate {tm['simulate']:.2f} s, "
        f"moments {tm['moments']:.2f} s, quantiles {tm['quantiles']:.2f} s, "
        f"total {tm['total']:.2f} s",
        file=sys.stderr if args.json else sys.stdout,
    )
    if args.json:
        out = {k: v for k, v in res.items() if k != "uncertain_input_names"}
        print(json.dumps(out, indent=2))
        return 0
    last = -1
    print(f"{res['case']}: cumulative nettoresultat over the horizon ({res['years'][last]}), kr.")
    print(f"{'aktør':<10}{'mean':>14}{'sd':>14}{'P5':>14}{'P50':>14}{'P95':>14}{'P(>0)':>8}")
    for actor, row in res["cumulative"].items():
        q = row["quantiles"]
        print(
            f"{actor:<10}{row['mean'][last]:>14,.0f}{row['sd'][last]:>14,.0f}"
            f"{q['P5'][last]:>14,.0f}{q['P50'][last]:>14,.0f}{q['P95'][last]:>14,.0f}"
            f"{row['p_positive'][last]:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
