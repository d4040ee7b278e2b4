"""The distribution catalog: its content, error messages, references from cases, price
conversion, provenance and the `som-mc catalog` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CASES_DIR, ROOT, minimal_case

from som_mc import CaseFileError, case_hash, deterministic, load_case, parse_case
from som_mc.catalog import (
    ILLUSTRATIVE,
    ConsequenceEntry,
    CostEntry,
    PriceEntry,
    SuccessRateEntry,
    default_catalog_dir,
    is_money_unit,
    load_catalog,
    scale_distribution,
)
from som_mc.cli import main
from som_mc.distributions import PERT, Beta, Fixed, LogNormal, from_toml
from som_mc.errors import CatalogError
from som_mc.run import simulate

CATALOG_DIR = ROOT / "distributions"
CATALOG = load_catalog(CATALOG_DIR)

INDEX = """
[price_index]
label = "Testindeks"
unit = "indeks"
source = "illustrative"
note = "test"
values = { "2015" = 100.0, "2024" = 119.0 }
"""


def _catalog(tmp_path: Path, **files: str) -> Path:
    """A catalog folder with the test index and the given files (stem = text)."""
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "price_index.toml").write_text(INDEX, encoding="utf-8")
    for stem, text in files.items():
        (folder / f"{stem}.toml").write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# Content: every entry validates and can be used
# ---------------------------------------------------------------------------------------------


def test_repository_catalog_content():
    kinds = {e.kind for e in CATALOG}
    assert kinds == {"target_group", "consequence", "price", "success_rate", "cost", "price_index"}
    groups = {e.name for e in CATALOG if e.kind == "target_group"}
    assert groups >= {
        "hjemloeshed",
        "misbrug",
        "kriminalitet",
        "boern_angst",
        "boern_anbragte",
        "psykiske_lidelser",
    }
    assert default_catalog_dir().resolve() == CATALOG_DIR.resolve()


def _usable_year(data) -> int:
    """A case price year the entry's amounts convert to.

    2024 (the example cases' year) when its amounts are in 2024 prices (or have no price
    year); otherwise 2023, the last year with all 12 months of the official nettoprisindeks
    (2024 has only January-June, so nothing converts to or from it).
    """
    years = {getattr(data, "price_year", None)}
    if isinstance(data, ConsequenceEntry):
        years.add(CATALOG.get(data.price).price_year)
    return 2024 if years - {None} <= {2024} else 2023


@pytest.mark.parametrize("name", CATALOG.names())
def test_every_entry_is_sourced_and_usable(name):
    entry = CATALOG.get(name)
    data = entry.data
    assert entry.source.strip()
    if entry.source == ILLUSTRATIVE:
        assert data.note.strip(), "an illustrative entry explains itself in a note"
    if entry.kind != "target_group":
        assert entry.unit
    if isinstance(data, PriceEntry):  # a price of a krone is a share without a price year
        assert (entry.price_year is None) == is_money_unit(entry.unit)
    if isinstance(data, CostEntry):
        assert entry.price_year is not None
    reference = f"catalog:{name}"
    case = minimal_case(horizon_years=10, price_year=_usable_year(data))
    if isinstance(data, ConsequenceEntry):
        case["consequences"] = [{"uses": reference}]
        case["participants"]["course_years"] = 2.0
        resolved = parse_case(case, catalog=CATALOG)
        assert resolved.consequences[0].unit == data.unit
        assert resolved.consequences[0].source.startswith(f"{name}: ")
        assert [u.entry for u in resolved.catalog_uses] == [name, data.price]
    elif isinstance(data, SuccessRateEntry):
        case["success_rate"] = {"uses": reference}
        assert parse_case(case, catalog=CATALOG).success_rate == data.value
    elif isinstance(data, CostEntry):
        case["costs"] = [{"uses": reference, "actor": "kommune"}]
        assert parse_case(case, catalog=CATALOG).costs[0].kind == data.kind


def test_sourced_numbers_are_the_published_ones():
    prison = CATALOG.get("prices/kf_lukket_faengsel_doegn_2015").data
    assert prison.price["stat"] == Fixed(value=1878) and prison.price_year == 2015
    herberg = CATALOG.get("prices/herberg_doegn").data
    assert sum(d.mean() for d in herberg.price.values()) > 1100
    dsi = CATALOG.get("kriminalitet/dsi_mentor").data.value
    assert (
        dsi.mean() == pytest.approx(0.38)
        and "160 of 420" in CATALOG.get("kriminalitet/dsi_mentor").source
    )
    profile = CATALOG.get("kriminalitet/faengselsdage").data.profile
    assert sum(d.mean() for d in profile) == -245


# ---------------------------------------------------------------------------------------------
# Bad catalog files: one line naming file, key path, what was received and what is allowed
# ---------------------------------------------------------------------------------------------

PRICE = """
[prices.x]
label = "X"
unit = "døgn"
price_year = 2024
price = { kommune = 100 }
source = "illustrative"
note = "n"
"""


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        (
            'unit = "døgn"',
            'unti = "døgn"',
            "prices.x.unti",
            "unknown key 'unti' (did you mean 'unit'?); allowed keys here: label,",
        ),
        (
            "price_year = 2024\n",
            "",
            "prices.x.price_year",
            "an amount in kroner needs price_year (the year of its price level)",
        ),
        (
            'source = "illustrative"',
            'source = "illustrative: made up"',
            "prices.x.source",
            "an illustrative number has source exactly 'illustrative' (put the details in "
            "'note'); received 'illustrative: made up'",
        ),
        ('note = "n"', 'note = ""', "prices.x.note", "needs a 'note'"),
        (
            "price = { kommune = 100 }",
            'price = { kommune = { dist = "pert", low = 5, mode = 1, high = 9 } }',
            "prices.x.price.kommune.low",
            "pert: low (5.0) must be <= mode (1.0)",
        ),
        ("price_year = 2024", 'price_year = "2024"', "prices.x.price_year", "expected a whole"),
        ("[prices.x]", "[prices.X-1]", "prices.X-1", "entry keys are lower-case letters"),
    ],
)
def test_bad_catalog_file_messages(tmp_path, old, new, key, expected):
    assert old in PRICE
    folder = _catalog(tmp_path, bad=PRICE.replace(old, new))
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / 'bad.toml'}: {key}: ")
    assert expected in message


CONSEQUENCE = """
[consequences.c]
label = "C"
unit = "døgn"
profile = [-1]
price = "bad/x"
source = "https://example.org/study"
"""


@pytest.mark.parametrize(
    ("old", "new", "key", "expected"),
    [
        (
            'price = "bad/x"',
            'price = "bad/y"',
            "consequences.c.price",
            "unknown price entry 'bad/y' (did you mean 'bad/x'?)",
        ),
        (
            'unit = "døgn"\nprofile',
            'unit = "uger"\nprofile',
            "consequences.c.unit",
            "unit 'uger' does not match the unit 'døgn' of price entry 'bad/x'",
        ),
        ('price = "bad/x"', 'price = "price_index"', "consequences.c.price", "not a price"),
        (
            'unit = "døgn"\nprofile',
            'unit = "døgn"\nprice_year = 2024\nprofile',
            "consequences.c.price_year",
            "only a profile in kroner has a price_year",
        ),
    ],
)
def test_bad_cross_references(tmp_path, old, new, key, expected):
    folder = _catalog(tmp_path, bad=PRICE + CONSEQUENCE.replace(old, new))
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    assert str(info.value).startswith(f"{folder / 'bad.toml'}: {key}: ")
    assert expected in str(info.value)


def test_catalog_folder_errors(tmp_path, monkeypatch):
    with pytest.raises(CatalogError, match="catalog folder does not exist"):
        load_catalog(tmp_path / "none")
    with pytest.raises(CatalogError, match="no catalog files"):
        load_catalog(tmp_path)
    (tmp_path / "broken.toml").write_text("x = [", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"broken\.toml: malformed TOML"):
        load_catalog(tmp_path)
    monkeypatch.setenv("SOM_MC_CATALOG", str(tmp_path / "none"))
    with pytest.raises(CatalogError, match=r"SOM_MC_CATALOG=.*folder does not exist"):
        default_catalog_dir()


# ---------------------------------------------------------------------------------------------
# References from case files
# ---------------------------------------------------------------------------------------------


def test_uses_with_local_overrides():
    case = minimal_case(horizon_years=5)
    case["consequences"] = [
        {"uses": "catalog:hjemloeshed/herberg", "label": "Herberg (lokal)", "profile": [-10, -5]},
        {
            "name": "egen",
            "unit": "døgn",
            "profile": [-1],
            "price": "catalog:prices/herberg_doegn",
        },
        {"uses": "catalog:hjemloeshed/kontanthjaelp", "price": {"kommune": 2000}},
    ]
    resolved = parse_case(case, catalog=CATALOG)
    herberg, own, kontant = resolved.consequences
    entry = CATALOG.get("hjemloeshed/herberg").data
    assert herberg.name == "herberg" and herberg.label == "Herberg (lokal)"
    assert [d.mean() for d in herberg.profile] == [-10, -5]
    assert herberg.scale == entry.scale and herberg.unit == "døgn"
    assert herberg.price == CATALOG.get("prices/herberg_doegn").data.price
    assert own.price == herberg.price and own.source.startswith("prices/herberg_doegn: ")
    assert kontant.price == {"kommune": Fixed(value=2000)}
    used = [(u.entry, u.used_by) for u in resolved.catalog_uses]
    assert used == [
        ("hjemloeshed/herberg", "consequences[0]"),
        ("prices/herberg_doegn", "consequences[0].price"),
        ("prices/herberg_doegn", "consequences[1].price"),
        ("hjemloeshed/kontanthjaelp", "consequences[2]"),
    ]  # the overridden price of kontanthjaelp is not recorded


@pytest.mark.parametrize(
    ("where", "value", "key", "expected"),
    [
        (
            "consequence",
            "catalog:hjemloeshed/herbeg",
            "consequences[0].uses",
            "unknown catalog entry 'hjemloeshed/herbeg' (did you mean 'hjemloeshed/herberg'?)",
        ),
        (
            "consequence",
            "hjemloeshed/herberg",
            "consequences[0].uses",
            "expected a catalog reference such as 'catalog:hjemloeshed/herberg'; received "
            "'hjemloeshed/herberg'",
        ),
        (
            "consequence",
            "catalog:prices/herberg_doegn",
            "consequences[0].uses",
            "catalog entry 'prices/herberg_doegn' is a enhedspris (price), but a konsekvens "
            "(consequence) is needed here",
        ),
        (
            "success_rate",
            "catalog:boern_angst/cool_kid",
            "success_rate.uses",
            "(did you mean 'boern_angst/cool_kids'?)",
        ),
        ("cost", "catalog:hjemloeshed/herberg", "costs[0].uses", "is a konsekvens"),
    ],
)
def test_bad_references(where, value, key, expected):
    case = minimal_case()
    if where == "consequence":
        case["consequences"] = [{"uses": value}]
    elif where == "success_rate":
        case["success_rate"] = {"uses": value}
    else:
        case["costs"] = [{"uses": value}]
    with pytest.raises(CaseFileError) as info:
        parse_case(case, file="case.toml", catalog=CATALOG)
    assert str(info.value).startswith(f"case.toml: {key}: ")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_success_rate_reference_takes_no_other_keys():
    case = minimal_case(success_rate={"uses": "catalog:boern_angst/cool_kids", "mode": 0.3})
    with pytest.raises(CaseFileError, match=r"success_rate\.mode: a catalog succesrate table"):
        parse_case(case, file="case.toml", catalog=CATALOG)


def test_case_without_references_never_reads_a_catalog(tmp_path):
    case = parse_case(minimal_case(), catalog=tmp_path / "does-not-exist")
    assert case.catalog_uses == ()


def test_case_hash_follows_the_catalog(tmp_path):
    copy = tmp_path / "distributions"
    shutil.copytree(CATALOG_DIR, copy)
    case_file = CASES_DIR / "housing_first.toml"
    before = case_hash(load_case(case_file, catalog=copy))
    assert before == case_hash(load_case(case_file))
    text = (copy / "hjemloeshed.toml").read_text(encoding="utf-8")
    (copy / "hjemloeshed.toml").write_text(
        text.replace("profile = [-120, -110,", "profile = [-121, -110,"), encoding="utf-8"
    )
    changed = load_case(case_file, catalog=copy)
    assert case_hash(changed) != before
    assert changed.consequences[0].profile[0] == Fixed(value=-121)


# ---------------------------------------------------------------------------------------------
# Price conversion
# ---------------------------------------------------------------------------------------------

OLD_PRICE = """
[prices.doegn]
label = "Døgn, 2015-priser"
unit = "døgn"
price_year = 2015
price = { kommune = 1000, stat = { dist = "pert", low = 1000, mode = 1200, high = 1500 } }
source = "illustrative"
note = "test"

[consequences.ophold]
label = "Døgn"
unit = "døgn"
profile = [-2]
price = "test/doegn"
source = "illustrative"
note = "test"

[consequences.indkomst]
label = "Indkomst"
unit = "kr. lønindkomst"
price_year = 2015
profile = [1000, { dist = "triangular", low = 0, mode = 1000, high = 2000 }]
price = "test/skat"
source = "illustrative"
note = "test"

[prices.skat]
label = "Skat"
unit = "kr. lønindkomst"
price = { stat = -0.5 }
source = "illustrative"
note = "test"

[costs.forloeb]
label = "Forløb"
unit = "kr. pr. deltager"
price_year = 2015
actor = "kommune"
kind = "per_participant"
amount = 10000
source = "illustrative"
note = "test"
"""


def test_price_conversion_by_hand(tmp_path):
    folder = _catalog(tmp_path, test=OLD_PRICE)
    case = minimal_case(price_year=2024, costs=[{"uses": "catalog:test/forloeb"}])
    case["consequences"] = [{"uses": "catalog:test/ophold"}, {"uses": "catalog:test/indkomst"}]
    resolved = parse_case(case, catalog=folder)
    doegn, indkomst = resolved.consequences
    # 2015 -> 2024: factor 119 / 100 = 1.19
    assert doegn.price["kommune"] == Fixed(value=1190.0)
    assert doegn.price["stat"] == PERT(low=1190.0, most_likely=1428.0, high=1785.0)
    assert indkomst.profile[0] == Fixed(value=1190.0)  # a money profile is converted
    assert indkomst.price == {"stat": Fixed(value=-0.5)}  # a share per krone is not
    assert resolved.costs[0].amount == Fixed(value=11900.0)
    factors = {u.entry: u.price_factor for u in resolved.catalog_uses}
    assert factors["test/ophold"] is None and factors["test/skat"] is None
    assert factors["test/doegn"] == pytest.approx(1.19)
    assert factors["test/forloeb"] == pytest.approx(1.19)
    # 10 deltagere, s = 0.5: 5 successes; year 0 kommune: 5 * 2 døgn * 1190 kr. - 10 * 11900 kr.
    det = deterministic(resolved)
    assert float(det.net_result.sel(actor="kommune").values[0]) == pytest.approx(
        5 * 2 * 1190.0 - 10 * 11900.0
    )
    # same price year: not converted at all
    same = parse_case({**case, "price_year": 2015}, catalog=folder)
    assert same.consequences[0].price["kommune"] == Fixed(value=1000.0)


def test_missing_index_year_is_an_error(tmp_path):
    folder = _catalog(tmp_path, test=OLD_PRICE)
    case = minimal_case(price_year=2030)
    case["consequences"] = [{"uses": "catalog:test/ophold"}]
    with pytest.raises(CaseFileError) as info:
        parse_case(case, file="case.toml", catalog=folder)
    message = str(info.value)
    assert message.startswith("case.toml: consequences[0].price: cannot convert price of ")
    assert f"({folder / 'test.toml'}: prices.doegn.price_year = 2015)" in message
    assert "has no value for 2030 (it covers 2015..2024)" in message
    # overriding the price locally needs no conversion
    case["consequences"][0]["price"] = {"kommune": 1}
    assert parse_case(case, catalog=folder).consequences[0].price == {"kommune": Fixed(value=1)}


def test_repository_index_factor():
    # the official index is monthly: yearly levels are means of 12 months, and 2024 (January to
    # June only) has none (tests/test_catalog_sources.py recomputes every year from the file)
    index = CATALOG.get("price_index").data
    assert CATALOG.price_factor(2015, 2023) == index.level(2023) / index.level(2015)
    assert index.level(2023) == pytest.approx(sum(index.months(2023).values()) / 12)
    assert CATALOG.price_factor(2024, 2024) == 1.0
    with pytest.raises(KeyError, match="only 6 of 12 months are published"):
        CATALOG.price_factor(2015, 2024)


def test_scale_distribution():
    lognormal = LogNormal.from_median_p95(2500, 4000)
    assert scale_distribution(lognormal, 1.19).mean() == pytest.approx(1.19 * lognormal.mean())
    beta = Beta(alpha=2, beta=3)
    assert scale_distribution(beta, 2.0).mean() == pytest.approx(2 * beta.mean())
    assert scale_distribution(beta, 1.0) is beta
    with pytest.raises(ValueError, match="counts things"):
        scale_distribution(from_toml({"dist": "poisson", "mean": 3}), 1.1)
    pert = scale_distribution(PERT(low=1, most_likely=2, high=4), 2.0)
    assert pert == PERT(low=2, most_likely=4, high=8)


# ---------------------------------------------------------------------------------------------
# Provenance and report
# ---------------------------------------------------------------------------------------------


def test_provenance_lists_catalog_entries():
    case = load_case(CASES_DIR / "housing_first.toml")
    ds = simulate(case, draws=64, seed=3)
    entries = json.loads(ds.attrs["catalog_entries"])
    herberg = next(e for e in entries if e["entry"] == "hjemloeshed/herberg")
    assert herberg == {
        "entry": "hjemloeshed/herberg",
        "kind": "consequence",
        "used_by": "consequences[0]",
        "source": "illustrative",
        "price_year": None,
        "price_factor": None,
        "file": "hjemloeshed.toml",
        "fields": ["consequences[0].scale", "consequences[0].profile"],
    }
    price = next(e for e in entries if e["entry"] == "prices/herberg_doegn")
    assert price["price_year"] == 2024 and price["price_factor"] == 1.0
    assert price["fields"] == ["consequences[0].price"]
    assert json.loads(deterministic(case).attrs["catalog_entries"]) == entries
    assert (
        json.loads(simulate(parse_case(minimal_case()), draws=8, seed=1).attrs["catalog_entries"])
        == []
    )


def test_report_appendix_shows_catalog_entries():
    from som_mc.present.report import prepare_report, render_html

    case = load_case(CASES_DIR / "recidivism.toml")
    data = prepare_report(case, simulate(case, draws=200, seed=2))
    page = render_html(data)
    assert "Poster fra fordelingskataloget" in page
    assert page.count('class="catalog-row"') == len(case.catalog_uses)
    assert "kriminalitet/dsi_mentor" in page and "160 of 420 deltagere" in page


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def test_cli_catalog_list(capsys):
    assert main(["catalog", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Katalog: {CATALOG_DIR}")
    assert "Navn" in out and "Kilde" in out
    assert "hjemloeshed/herberg" in out and "konsekvens" in out
    assert main(["catalog", "list", "--kind", "price"]) == 0
    out = capsys.readouterr().out
    assert "prices/faengselsdoegn" in out and "hjemloeshed/herberg " not in out


def test_cli_catalog_show(capsys):
    assert main(["catalog", "show", "prices/faengselsdoegn"]) == 0
    out = capsys.readouterr().out
    assert "Art:          enhedspris" in out
    assert "stat: pert(low = 1.199, mode = 1.469, high = 1.899, shape = 4)" in out
    assert "2015-priser" in out and "Kriminalforsorgen" in out
    assert main(["catalog", "show", "catalog:hjemloeshed"]) == 0
    out = capsys.readouterr().out
    assert "Effektmål:" in out and "hjemloeshed/herberg" in out
    assert main(["catalog", "show", "prices"]) == 0
    assert "prices.toml —" in capsys.readouterr().out
    assert main(["catalog", "show", "prices/herberg_doegm"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "som-mc: error: unknown catalog entry 'prices/herberg_doegm' "
        "(did you mean 'prices/herberg_doegn'?)"
    )


def test_cli_catalog_search(capsys):
    assert main(["catalog", "search", "KRIMINALFORSORGEN"]) == 0
    out = capsys.readouterr().out
    assert "prices/faengselsdoegn" in out and "hjemloeshed" not in out
    assert main(["catalog", "search", "ingen-saadan-post"]) == 1
    assert "Ingen poster" in capsys.readouterr().out


def test_cli_catalog_option_and_env(tmp_path, capsys, monkeypatch):
    folder = _catalog(tmp_path, test=OLD_PRICE)
    assert main(["catalog", "list", "--catalog", str(folder)]) == 0
    assert "test/doegn" in capsys.readouterr().out
    monkeypatch.setenv("SOM_MC_CATALOG", str(folder))
    assert main(["catalog", "show", "test/forloeb"]) == 0
    assert "kr. pr. deltager" in capsys.readouterr().out
    # a case that uses the repository's catalog fails clearly against another one
    assert main(["validate", str(CASES_DIR / "housing_first.toml")]) == 2
    err = capsys.readouterr().err
    assert "success_rate.uses: unknown catalog entry 'hjemloeshed/cti'" in err
    assert main(["catalog", "list", "--catalog", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"som-mc: error: {tmp_path / 'nope'}: catalog folder does not exist; check --catalog"
    )
    monkeypatch.delenv("SOM_MC_CATALOG")
    argv = ["run", str(CASES_DIR / "cool_kids.toml"), "--deterministic", "--json"]
    assert main([*argv, "--catalog", str(CATALOG_DIR)]) == 0
    assert json.loads(capsys.readouterr().out)
