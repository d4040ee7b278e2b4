"""Provenance of every input (sourced vs illustrative) and the warnings of the case loader.

The classification is checked input by input on a hand-built case whose inputs come from every
kind of origin (a sourced and an illustrative catalog entry, a local override with and without
its own ``source``, a case line marked illustrative); then the line and the list are followed
through ``validate``, ``run`` (text and ``--json``), the results file and ``catalog list``.
The second half checks the thousands-separator trap (``amount = 42.500``), the partial price
override and ``--strict``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import tomli_w
import xarray as xr
from conftest import CASES_DIR, ROOT, minimal_case

from som_mc import CaseFileError, load_case, parse_case
from som_mc.case import convert, input_provenance, load_case_file
from som_mc.case.lint import thousands_warnings
from som_mc.catalog import ILLUSTRATIVE, is_sourced, load_catalog
from som_mc.cli import build_parser, main

CATALOG = load_catalog(ROOT / "distributions")
AARHUS = CASES_DIR / "aarhus_alkohol.toml"


def _mixed_case() -> dict:
    """A case with one input of every origin."""
    return minimal_case(
        success_rate={"uses": "catalog:alkohol/aarhus_fremskudt"},  # sourced catalog entry
        costs=[
            {"uses": "catalog:alkohol/fremskudt_behandling"},  # illustrative catalog entry
            {
                "name": "egen",
                "actor": "kommune",
                "kind": "one_off",
                "amount": {"dist": "pert", "low": 100, "mode": 200, "high": 400},
                "source": "Kommunens budget 2025, konto 5.38",  # the case's own source
            },
            {
                "name": "gaet",
                "actor": "kommune",
                "kind": "one_off",
                "amount": {"dist": "pert", "low": 100, "mode": 200, "high": 400},
                "source": "illustrative: a guess",  # says it is illustrative
            },
            {
                "name": "tom",
                "actor": "kommune",
                "kind": "one_off",
                "amount": {"dist": "uniform", "low": 1, "high": 2},  # no source at all
            },
        ],
        consequences=[
            {
                "uses": "catalog:hjemloeshed/herberg",  # illustrative scale and price
                "profile": [{"dist": "normal", "mean": -5, "sd": 1}],  # local override ...
                "source": "Egen opgørelse af herbergsdøgn 2024",  # ... with its own source
            },
            {
                "uses": "catalog:hjemloeshed/herberg",
                "name": "herberg2",
                "profile": [{"dist": "normal", "mean": -5, "sd": 1}],  # local, no source
            },
        ],
    )


def test_each_input_is_classified_by_its_origin():
    case = parse_case(_mixed_case(), catalog=CATALOG)
    prov = {p.name: p for p in input_provenance(case)}
    expected = {  # name: (origin, entry, sourced)
        "success_rate": ("catalog", "alkohol/aarhus_fremskudt", True),
        "costs.fremskudt_behandling.amount": ("catalog", "alkohol/fremskudt_behandling", False),
        "costs.egen.amount": ("case", "", True),
        "costs.gaet.amount": ("case", "", False),
        "costs.tom.amount": ("case", "", False),
        "consequences.herberg.scale": ("catalog", "hjemloeshed/herberg", False),
        "consequences.herberg.profile[0]": ("case", "", True),
        "consequences.herberg.price.kommune": ("catalog", "prices/herberg_doegn", False),
        "consequences.herberg2.profile[0]": ("case", "", False),
        "consequences.herberg2.scale": ("catalog", "hjemloeshed/herberg", False),
        "consequences.herberg2.price.kommune": ("catalog", "prices/herberg_doegn", False),
    }
    for name, (origin, entry, sourced) in expected.items():
        p = prov[name]
        assert (p.origin, p.entry, p.sourced) == (origin, entry, sourced), name
        assert p.uncertain, name
    assert prov["consequences.herberg.profile[0]"].source == "Egen opgørelse af herbergsdøgn 2024"
    assert prov["consequences.herberg2.profile[0]"].source == ""  # not the catalog's source
    assert prov["success_rate"].source == CATALOG.get("alkohol/aarhus_fremskudt").source
    assert prov["costs.egen.amount"].kind == "cost"
    assert prov["consequences.herberg.price.kommune"].kind == "price"
    # fixed inputs are listed but not counted: 10 deltagere, drop-off 0, the stat's price 600
    assert not prov["participants[0]"].uncertain and not prov["participants[0]"].sourced
    assert not prov["consequences.herberg.price.stat"].uncertain
    result = input_provenance(case)
    assert result.n_uncertain == len(expected)
    illustrative = {p.name for p in result.illustrative}
    assert illustrative == {n for n, (_, _, s) in expected.items() if not s}
    assert result.n_illustrative == 8
    assert result.line() == "8 af 11 usikre input bygger på illustrative tal (ingen kilde)"


def test_line_when_everything_is_sourced_or_fixed():
    sourced = minimal_case(
        success_rate={"uses": "catalog:alkohol/aarhus_fremskudt"},
        costs=[],
    )
    assert input_provenance(parse_case(sourced, catalog=CATALOG)).line() == (
        "alle 1 usikre input har en kilde"
    )
    fixed = parse_case(minimal_case())  # every input a plain number, none with a source
    prov = input_provenance(fixed)
    assert prov.n_uncertain == 0
    n = len(prov.inputs)
    assert prov.line() == f"{n} af {n} input (alle faste) bygger på illustrative tal (ingen kilde)"


def test_is_sourced_is_the_one_definition():
    assert not is_sourced(ILLUSTRATIVE) and not is_sourced("") and not is_sourced("  ")
    assert not is_sourced("Illustrative (invented)") and not is_sourced("illustrative: x")
    assert is_sourced("https://bm.dk/satser") and is_sourced("Kommunens budget 2025")
    for entry in CATALOG:  # a catalog source is either a source with a URL or "illustrative"
        assert is_sourced(entry.source) == (entry.source != ILLUSTRATIVE)
        assert is_sourced(entry.source) == ("http" in entry.source), entry.name


def test_aarhus_counts():
    case = load_case(AARHUS)
    prov = input_provenance(case)
    # only the succesrate is uncertain and sourced (the kontanthjælp price is sourced but fixed)
    assert [p.name for p in prov.uncertain if p.sourced] == ["success_rate"]
    assert (prov.n_illustrative, prov.n_uncertain) == (prov.n_uncertain - 1, prov.n_uncertain)
    kontanthjaelp = [p for p in prov if p.entry == "prices/kontanthjaelp_uge_2024_andre"]
    assert kontanthjaelp and all(p.sourced and not p.uncertain for p in kontanthjaelp)


# ---------------------------------------------------------------------------------------------
# In every output
# ---------------------------------------------------------------------------------------------


def test_validate_and_run_print_the_line(capsys):
    line = input_provenance(load_case(AARHUS)).line()
    assert main(["validate", str(AARHUS)]) == 0
    assert f"Kilder: {line}" in capsys.readouterr().out
    assert main(["run", str(AARHUS), "--deterministic"]) == 0
    assert f"Kilder: {line}" in capsys.readouterr().out
    assert main(["run", str(AARHUS), "--draws", "512", "--seed", "4"]) == 0
    assert f"Kilder: {line}" in capsys.readouterr().out


def test_run_json_carries_the_list(capsys):
    prov = input_provenance(load_case(AARHUS))
    assert main(["run", str(AARHUS), "--draws", "512", "--seed", "4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["provenance"]
    assert doc["n_uncertain"] == prov.n_uncertain and doc["n_illustrative"] == prov.n_illustrative
    assert doc["line"] == prov.line()
    assert [p["name"] for p in doc["illustrative_inputs"]] == [p.name for p in prov.illustrative]
    assert all(not p["sourced"] for p in doc["illustrative_inputs"])
    assert main(["run", str(AARHUS), "--deterministic", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["provenance"] == doc


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_results_file_carries_the_list(tmp_path, suffix, capsys):
    out = tmp_path / f"a{suffix}"
    assert main(["run", str(AARHUS), "--draws", "512", "--seed", "4", "--out", str(out)]) == 0
    capsys.readouterr()
    ds = xr.open_zarr(out) if suffix == ".zarr" else xr.open_dataset(out)
    prov = input_provenance(load_case(AARHUS))
    assert ds.attrs["provenance_line"] == prov.line()
    assert int(ds.attrs["n_illustrative_inputs"]) == prov.n_illustrative
    assert int(ds.attrs["n_uncertain_inputs"]) == prov.n_uncertain
    listed = json.loads(ds.attrs["illustrative_inputs"])
    assert [p["name"] for p in listed] == [p.name for p in prov.illustrative]
    ds.close()


def test_catalog_list_filters(capsys):
    assert main(["catalog", "list", "--sourced"]) == 0
    sourced = capsys.readouterr().out
    assert main(["catalog", "list", "--illustrative"]) == 0
    illustrative = capsys.readouterr().out
    n_sourced = sum(is_sourced(e.source) for e in CATALOG)
    n_all = len(list(CATALOG))
    assert f"— {n_sourced} poster med en offentlig kilde" in sourced
    assert f"— {n_all - n_sourced} poster illustrative" in illustrative
    for entry in CATALOG:
        row = f"\n{entry.name} "
        assert (row in sourced) == is_sourced(entry.source), entry.name
        assert (row in illustrative) == (not is_sourced(entry.source)), entry.name
    with pytest.raises(SystemExit):
        main(["catalog", "list", "--sourced", "--illustrative"])


# ---------------------------------------------------------------------------------------------
# The thousands-separator trap, partial prices and --strict
# ---------------------------------------------------------------------------------------------

TRAP = """\
name = "Tusindtal"
target_group = "test"
description = "Koster 42.500 kr. i alt"   # 42.500 in a string and a comment: not a value
price_year = 2024
start_year = 2025
horizon_years = 3
success_rate = 0.330

[participants]
per_year = [10]

[[costs]]
name = "opstart"
actor = "kommune"
kind = "one_off"
amount = 42.500

[[costs]]
name = "forloeb"
actor = "kommune"
kind = "per_participant"
amount = { dist = "pert", low = 1.250, mode = 2000, high = 2.5e3 }

[[costs]]
name = "ok"
actor = "kommune"
kind = "one_off"
amount = 1.2500   # four decimals: a decimal number, not a thousands group

[[consequences]]
name = "herberg"
unit = "døgn"
profile = [-1.500, -1.0]   # not money: no warning
[consequences.price]
kommune = 600.000
stat = 0.250

[[consequences]]
name = "indkomst"
unit = "kr. lønindkomst"
profile = [
  10.000,
  20000,
]
price = { kommune = -0.25 }
"""


def _write(tmp_path: Path, text: str, name: str = "trap.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_thousands_warnings_name_each_money_key(tmp_path, capsys):
    path = _write(tmp_path, TRAP)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing goes through Python's warnings module
        case = load_case(path)
    assert case.costs[0].amount.mean() == 42.5  # TOML's reading, unchanged
    lines = capsys.readouterr().err.splitlines()
    keys = [line.split(": ")[3] for line in lines]
    assert keys == [
        "costs[0].amount",
        "costs[1].amount.low",
        "consequences[0].price.kommune",
        "consequences[1].profile[0]",
    ]
    assert lines[0] == (
        f"som-mc: warning: {path}: costs[0].amount: 42.500 is read as 42,5 kr. (in TOML a "
        "point is a decimal point); for 42.500 kr. write 42500 or 42_500"
    )
    assert "600.000 is read as 600 kr." in lines[2] and "write 600000 or 600_000" in lines[2]


def test_thousands_warning_on_a_plain_amount(tmp_path, capsys):
    case = minimal_case()
    case["costs"][0]["amount"] = 42.5
    text = tomli_w.dumps(case).replace("amount = 42.5", "amount = 42.500")
    assert "amount = 42.500" in text
    path = _write(tmp_path, text)
    load_case(path)
    assert capsys.readouterr().err == (
        f"som-mc: warning: {path}: costs[0].amount: 42.500 is read as 42,5 kr. (in TOML a "
        "point is a decimal point); for 42.500 kr. write 42500 or 42_500\n"
    )
    assert thousands_warnings(tomli_w.dumps(case), case) == []  # 42.5 is not a trap


def test_strict_makes_the_first_warning_an_error(tmp_path, capsys):
    path = _write(tmp_path, TRAP)
    with pytest.raises(CaseFileError) as info:
        load_case(path, strict=True)
    assert str(info.value).startswith(f"{path}: costs[0].amount: 42.500 is read as 42,5 kr.")
    assert str(info.value).endswith("(an error with --strict)")
    for argv in (["validate"], ["run", "--deterministic"]):
        assert main([*argv, "--strict", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"som-mc: error: {path}: costs[0].amount")
    assert main(["validate", str(path)]) == 0  # without --strict: warnings and OK
    captured = capsys.readouterr()
    assert captured.err.count("som-mc: warning:") == 4 and captured.out.startswith("OK:")


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "c.toml"],
        ["run", "c.toml"],
        ["sensitivity", "c.toml"],
        ["report", "c.toml"],
        ["compare", "a.toml", "b.toml"],
        ["convert", "c.toml", "c.xlsx"],
    ],
)
def test_every_case_command_takes_strict(argv):
    assert build_parser().parse_args([*argv, "--strict"]).strict is True
    assert build_parser().parse_args(argv).strict is False


PARTIAL = """\
name = "Delvis pris"
target_group = "test"
price_year = 2024
start_year = 2025
horizon_years = 3
success_rate = 0.5

[participants]
per_year = [10]

[[consequences]]
uses = "catalog:hjemloeshed/herberg"
profile = [-5]
price = { kommune = 300 }
"""


def test_partial_price_override_warns(tmp_path, capsys):
    herberg_price = CATALOG.get("prices/herberg_doegn").data.price
    assert set(herberg_price) == {"kommune", "stat"}  # the entry the case overrides
    path = _write(tmp_path, PARTIAL)
    load_case(path)
    err = capsys.readouterr().err
    assert err == (
        f"som-mc: warning: {path}: consequences[0].price: names only kommune, but the catalog "
        "price 'prices/herberg_doegn' it replaces also prices stat; a local price table "
        "replaces the whole entry, so those aktører get no price (name them too, with 0 if "
        "that is meant)\n"
    )
    full = _write(
        tmp_path, PARTIAL.replace("{ kommune = 300 }", "{ kommune = 300, stat = 0 }"), "f.toml"
    )
    load_case(full)
    assert capsys.readouterr().err == ""
    only_kommune = PARTIAL.replace("success_rate = 0.5", 'success_rate = 0.5\nactors = ["kommune"]')
    load_case(_write(tmp_path, only_kommune, "k.toml"))  # the stat is not an aktør of the case
    assert capsys.readouterr().err == ""
    with pytest.raises(CaseFileError, match=r"consequences\[0\]\.price: names only kommune"):
        load_case(path, strict=True)


def test_partial_price_warning_in_a_workbook_names_the_sheet(tmp_path, capsys):
    path = _write(tmp_path, PARTIAL)
    xlsx = tmp_path / "delvis.xlsx"
    convert(path, xlsx)
    lines: list[str] = []
    load_case_file(xlsx, warn=lines.append)
    assert capsys.readouterr().err == ""
    assert len(lines) == 1 and lines[0].startswith(f"{xlsx}: Konsekvenser")
    assert "names only kommune" in lines[0]
    with pytest.raises(CaseFileError, match=r"Konsekvenser.*names only kommune"):
        load_case_file(xlsx, strict=True)


def test_case_provenance_is_built_once_per_case_and_forgotten_with_it(monkeypatch):
    import gc

    from som_mc.results import schema

    calls: list[str] = []
    real = schema.provenance_attrs

    def counting(case):
        calls.append(case.name)
        return real(case)

    monkeypatch.setattr(schema, "provenance_attrs", counting)
    case = parse_case(minimal_case(name="Én gang"))
    first = schema.provenance(case, seed=1)
    second = schema.provenance(case, seed=2, draws=10)
    assert calls == ["Én gang"]
    assert first["seed"] == 1 and second["seed"] == 2 and second["draws"] == 10
    assert "draws" not in first  # each call its own dict: run settings never leak
    first["case_name"] = "changed"
    assert schema.provenance(case)["case_name"] == "Én gang"
    # a different case (even an equal one) is built afresh; a dropped case leaves no entry
    other = parse_case(minimal_case(name="Én gang"))
    assert schema.provenance(other)["provenance_line"] == second["provenance_line"]
    assert len(calls) == 2
    key = id(other)
    del other
    gc.collect()
    assert key not in schema._CASE_PROVENANCE
