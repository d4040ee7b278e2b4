"""Sourced catalog entries, the official price index and the Aarhus example case.

The sourced numbers come from public Danish pages (their URL is the entry's ``source``, the
quote and the derivation are in its ``note``). These tests check the form of every sourced
entry, recompute the price index's yearly levels from the shipped monthly table, check the
arithmetic of derived entries against the published numbers, and run the Aarhus case.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import CASES_DIR, ROOT, minimal_case

from som_mc import CaseFileError, deterministic, load_case, parse_case
from som_mc.catalog import ILLUSTRATIVE, Catalog, PriceEntry, load_catalog
from som_mc.errors import CatalogError

CATALOG_DIR = ROOT / "distributions"
CATALOG = load_catalog(CATALOG_DIR)
INDEX_FILE = CATALOG_DIR / "price_index.toml"


_URL = re.compile(r"https?://\S+")
_QUOTE = re.compile(r'"[^"]{4,}"')

SOURCED = [e.name for e in CATALOG if e.source != ILLUSTRATIVE]


# ---------------------------------------------------------------------------------------------
# Sourced entries
# ---------------------------------------------------------------------------------------------


def test_enough_sourced_entries_with_a_url():
    with_url = [n for n in SOURCED if _URL.search(CATALOG.get(n).source)]
    assert len(with_url) >= 25
    assert set(SOURCED) == set(with_url)  # a source without a URL is not a source


@pytest.mark.parametrize("name", SOURCED)
def test_sourced_entry_has_url_and_quote(name):
    entry = CATALOG.get(name)
    note = str(getattr(entry.data, "note", ""))
    assert _URL.search(entry.source), f"{name}: source {entry.source!r} has no http(s) URL"
    assert _QUOTE.search(note), f"{name}: note has no quoted passage"


def test_illustrative_entries_say_so():
    for entry in CATALOG:
        if entry.source == ILLUSTRATIVE:
            assert not _URL.search(entry.source)
            assert str(entry.data.note).strip()


def _total(name: str) -> float:
    data = CATALOG.get(name).data
    assert isinstance(data, PriceEntry)
    return sum(d.mean() for d in data.price.values())


@pytest.mark.parametrize(
    ("name", "monthly"),
    [  # published monthly satser (bm.dk), turned into weekly prices by × 12 / 52
        ("prices/kontanthjaelp_uge_2023_forsoerger", 15874),
        ("prices/kontanthjaelp_uge_2023_andre", 11944),
        ("prices/kontanthjaelp_uge_2024_forsoerger", 16382),
        ("prices/kontanthjaelp_uge_2024_andre", 12326),
        ("prices/kontanthjaelp_uge_2014_forsoerger", 14203),
        ("prices/kontanthjaelp_uge_2014_andre", 10689),
        ("prices/uddannelseshjaelp_uge_2016_udeboende", 6010),
        ("prices/uddannelseshjaelp_uge_2016_hjemmeboende", 2590),
        ("prices/foertidspension_uge_2015_enlige", 17925),
        ("prices/foertidspension_uge_2015_andre", 15236),
    ],
)
def test_weekly_benefit_is_the_monthly_sats(name, monthly):
    data = CATALOG.get(name).data
    weekly = monthly * 12 / 52
    assert _total(name) == pytest.approx(weekly, abs=0.02)  # each share rounded to øre
    assert data.price["kommune"].mean() == pytest.approx(0.8 * weekly, abs=0.01)
    assert f"{monthly:,}".replace(",", ".") in data.note


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("prices/kf_gennemsnit_doegn_2015", 1469),
        ("prices/kf_lukket_faengsel_doegn_2015", 1878),
        ("prices/kf_koebenhavns_faengsler_doegn_2015", 1574),
        ("prices/kf_aabent_faengsel_doegn_2015", 1321),
        ("prices/kf_arresthus_doegn_2015", 1199),
        ("prices/kf_pension_doegn_2015", 1197),
        ("prices/kf_fodlaenke_doegn_2015", 392),
        ("prices/almen_praksis_kontakt_2022", 352 + 110),
        ("prices/specialklasse_uge", 4638),
        ("prices/saerlig_plads_psykiatri_doegn_2019", 3959),
        ("prices/saerlig_plads_psykiatri_doegn_2022", 4165),
    ],
)
def test_published_unit_prices_unchanged(name, published):
    assert _total(name) == published


@pytest.mark.parametrize(
    ("name", "percent"),
    [
        ("prices/kommuneskat_2018", 24.913),
        ("prices/kommuneskat_2022", 24.982),
        ("prices/kommuneskat_2023", 25.018),
        ("prices/kommuneskat_2025", 25.068),
        ("prices/kommuneskat_2026", 25.049),
    ],
)
def test_kommuneskat_is_the_published_rate(name, percent):
    data = CATALOG.get(name).data
    assert data.price_year is None
    assert data.price["kommune"].mean() == pytest.approx(-percent / 100, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "low", "mode", "high"),
    [  # a published range is used as it is; a "ca." point gets a stated ±20 % PERT
        ("udsatte_boern/mst_forloeb", 135000, 150000, 168000),
        ("udsatte_boern/pmto_gruppeforloeb", 11000, 14000, 18000),
        ("udsatte_boern/cft_forloeb", 0.8 * 22000, 22000, 1.2 * 22000),
        ("psykiske_lidelser/rr2_adhd_forloeb", 0.8 * 22000, 22000, 1.2 * 22000),
        ("boern_angst/cool_kids_chilled_sbst", 0.8 * 11500, 11500, 1.2 * 11500),
        ("hjemloeshed/icm_bostoette_unge", round(0.8 * 134081), 134081, round(1.2 * 134081)),
    ],
)
def test_cost_ranges(name, low, mode, high):
    amount = CATALOG.get(name).data.amount.to_toml()
    assert amount["dist"] == "pert"
    assert (amount["low"], amount["mode"], amount["high"]) == pytest.approx((low, mode, high))


@pytest.mark.parametrize(
    ("name", "rate", "n"),
    [  # published succesrate; sd = binomial standard error among the published n (som_mc choice)
        ("alkohol/aarhus_fremskudt", 0.33, 245),
        ("boern_angst/cool_kids_ikast_brande", 0.26, 55),
        ("hjemloeshed/guldborgsund_skaeve_boliger", 0.80, 10),
    ],
)
def test_published_success_rates(name, rate, n):
    value = CATALOG.get(name).data.value
    assert value.mean() == pytest.approx(rate)
    assert value.std() == pytest.approx(math.sqrt(rate * (1 - rate) / n), abs=6e-4)


def test_other_published_success_rates():
    assert CATALOG.get("unge_eftervaern/tus_ikke_i_uddannelse").data.value.mean() == 0.30
    assert CATALOG.get("unge_eftervaern/tus_i_uddannelse").data.value.mean() == 0.40
    ips = CATALOG.get("psykiske_lidelser/ips_job_uddannelse").data.value
    assert ips.mean() == pytest.approx(0.591 - 0.465)


# ---------------------------------------------------------------------------------------------
# The official price index
# ---------------------------------------------------------------------------------------------


def _shipped_months() -> dict[int, dict[int, float]]:
    """The monthly table as shipped, read with tomllib (not with som_mc)."""
    table = tomllib.loads(INDEX_FILE.read_text(encoding="utf-8"))["price_index"]
    assert "values" not in table
    out: dict[int, dict[int, float]] = {}
    for key, levels in table["monthly"].items():
        year, _, first = key.partition("-")
        start = int(first) if first else 1
        out[int(year)] = {start + i: level for i, level in enumerate(levels)}
    return out


def test_index_source_is_the_dst_table():
    entry = CATALOG.get("price_index")
    assert entry.source.startswith(
        "https://www.dst.dk/da/Statistik/emner/oekonomi/prisindeks/nettoprisindeks"
    )
    assert "updated 10.7.2024" in entry.source
    months = _shipped_months()
    assert sorted(months) == list(range(2014, 2025))
    assert sorted(months[2014]) == list(range(6, 13)) and sorted(months[2024]) == list(range(1, 7))
    assert months[2015][1] == 98.7 and months[2022][12] == 116.0 and months[2024][6] == 118.8


def test_index_yearly_levels_are_means_of_twelve_months():
    months = _shipped_months()
    means = {y: sum(m.values()) / 12 for y, m in months.items() if len(m) == 12}
    assert sorted(means) == list(range(2015, 2024))
    assert means[2015] == pytest.approx(100.0)  # 2015 = 100
    for a, b in itertools.product(means, repeat=2):
        assert CATALOG.price_factor(a, b) == pytest.approx(means[b] / means[a], rel=1e-12)
    assert CATALOG.price_factor(2015, 2023) == pytest.approx(1.18041666666, rel=1e-9)


@pytest.mark.parametrize("year", [2014, 2024])
def test_incomplete_year_is_a_clear_error(year):
    n = len(_shipped_months()[year])
    assert n < 12
    for args in ((2020, year), (year, 2020)):
        with pytest.raises(KeyError) as info:
            CATALOG.price_factor(*args)
        message = info.value.args[0]
        assert str(INDEX_FILE.relative_to(ROOT)) in message or str(INDEX_FILE) in message
        assert f"no yearly level for {year}: only {n} of 12 months are published" in message
        assert "years with a level: 2015..2023" in message
    assert CATALOG.price_factor(year, year) == 1.0  # nothing to convert


def test_incomplete_year_in_a_case_is_one_line():
    case = minimal_case(price_year=2024, horizon_years=10)
    case["consequences"] = [{"uses": "catalog:kriminalitet/faengselsdage"}]
    with pytest.raises(CaseFileError) as info:
        parse_case(case, file="case.toml", catalog=CATALOG)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("case.toml: consequences[0].price: cannot convert price of ")
    assert "prices.faengselsdoegn.price_year = 2015" in message
    assert "only 6 of 12 months are published (2024-01..2024-06)" in message
    # in 2023 prices the same entry converts with the computed yearly levels
    case["price_year"] = 2023
    price = parse_case(case, catalog=CATALOG).consequences[0].price["stat"]
    assert price.mean() == pytest.approx(
        CATALOG.price_factor(2015, 2023) * (1199 + 4 * 1469 + 1899) / 6
    )


INDEX_HEAD = """
[price_index]
label = "Test"
unit = "indeks"
source = "illustrative"
note = "test"
"""


def _index_catalog(tmp_path: Path, body: str) -> Catalog:
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "price_index.toml").write_text(INDEX_HEAD + body, encoding="utf-8")
    return load_catalog(folder)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[price_index.monthly]\n"2023-13" = [1.0]\n', "monthly keys are a year such as"),
        ('[price_index.monthly]\n"2023-11" = [1.0, 2.0, 3.0]\n', "allowed 1 to 2 (up to December)"),
        ('[price_index.monthly]\n"2023" = [1.0]\n"2023-06" = [1.0]\n', "year 2023 appears twice"),
        (
            '[price_index.monthly]\n"2023" = [1.0, -2.0]\n',
            "finite numbers > 0; received -2.0 for 2023-02",
        ),
        ('values = { "2023" = 1.0 }\n[price_index.monthly]\n"2023" = [1.0]\n', "received both"),
        ("", "received neither"),
    ],
)
def test_bad_monthly_index(tmp_path, body, expected):
    with pytest.raises(CatalogError) as info:
        _index_catalog(tmp_path, body)
    message = str(info.value)
    assert "\n" not in message and "price_index.toml: price_index" in message
    assert expected in message


def test_monthly_index_from_a_later_first_month(tmp_path):
    months = ", ".join(["100.0"] * 12)
    catalog = _index_catalog(
        tmp_path, f'[price_index.monthly]\n"2019-07" = [90.0, 90.0]\n"2020" = [{months}]\n'
    )
    index = catalog.get("price_index").data
    assert index.months(2019) == {7: 90.0, 8: 90.0} and index.years == [2020]
    with pytest.raises(KeyError, match=r"only 2 of 12 months are published \(2019-07..2019-08\)"):
        catalog.price_factor(2019, 2020)


# ---------------------------------------------------------------------------------------------
# Aarhus: fremskudt alkoholbehandling
# ---------------------------------------------------------------------------------------------


def test_aarhus_published_per_deltager_identity():
    # Published: "ca. 15,6 mio. kr., svarende til knap 64.000 kr. pr. deltager", 245 borgere.
    # Arithmetic on the published numbers only (not a claim that our inputs reproduce it).
    per_deltager = 15_600_000 / 245
    assert per_deltager == pytest.approx(63_673.47, abs=0.01)
    assert 63_000 < per_deltager < 64_000  # "knap 64.000": just under 64.000


def test_aarhus_case_loads_and_runs():
    case = load_case(CASES_DIR / "aarhus_alkohol.toml")
    assert case.horizon_years == 10
    assert sum(n.mean() for n in case.participants.per_year) == pytest.approx(245)
    assert len(case.participants.per_year) == 4
    assert case.success_rate.mean() == pytest.approx(0.33)
    det = deterministic(case)
    assert np.all(np.isfinite(det.net_result.values))
    assert np.isfinite(float(det.cumulative_net_result.sum("actor").values[-1]))
    used = {u.entry for u in case.catalog_uses}
    assert {"alkohol/aarhus_fremskudt", "prices/kontanthjaelp_uge_2024_andre"} <= used
