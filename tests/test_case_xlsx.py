"""Case workbooks: template, TOML <-> xlsx round trips, cell-level errors, spreadsheet quirks."""

from __future__ import annotations

import copy
import datetime
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from conftest import CASES_DIR, minimal_case
from openpyxl.worksheet.worksheet import Worksheet

from som_mc.case import case_hash, load_case, parse_case
from som_mc.case.xlsx import (
    _number_text,
    _text_number,
    convert,
    load_case_file,
    read_workbook,
    write_workbook,
)
from som_mc.engine import deterministic
from som_mc.errors import CaseFileError, SomMcError

#: Every example case, those with [[scenarios]] and [evidence] included.
CASE_FILES = sorted(CASES_DIR.rglob("*.toml"))
assert any("[evidence]" in p.read_text(encoding="utf-8") for p in CASE_FILES)
assert any("[[scenarios]]" in p.read_text(encoding="utf-8") for p in CASE_FILES)

#: A case exercising every feature of the format (cases/README.md): every distribution
#: family and parameterisation, costs of every kind with saved costs and schedules, a
#: during-forløb consequence, per-year distributions in a profile, revenue items, catalog
#: references with overrides, correlations, outcome noise and drop-off, per_cohort horizon,
#: discounting and actors beyond the default.
FULL: dict[str, Any] = {
    "name": "Alle nøgler: =SUM(A1) er tekst",
    "label": "=Kort navn",
    "description": "Linje 1\nLinje 2 med 'citat' og \"anførsel\"",
    "target_group": "Aktivitetsparate kontanthjælpsmodtagere",
    "price_year": 2024,
    "start_year": 2025,
    "horizon_years": 10,
    "horizon_mode": "per_cohort",
    "discount_rate": 0.035,
    "actors": ["kommune", "kommune_beskaeftigelse", "region", "stat"],
    "success_rate": {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.3, "shape": 5.0},
    "source": "+illustrative",
    "participants": {
        "per_year": [
            {"dist": "discrete_uniform", "low": 40, "high": 50},
            {"dist": "poisson", "mean": 50},
            {"dist": "binomial", "n": 60, "p": 0.8},
            50,
        ],
        "course_years": 1.5,
    },
    "outcome": {
        "noise": True,
        "dropoff_rate": {"dist": "beta", "alpha": 2, "beta": 38},
    },
    "costs": [
        {
            "name": "opstart",
            "label": "Opstart og uddannelse",
            "actor": "kommune",
            "kind": "one_off",
            "year": 0,
            "amount": {"dist": "triangular", "low": 200000, "mode": 250000, "high": 400000},
            "source": "illustrative",
        },
        {
            "name": "drift",
            "actor": "kommune_beskaeftigelse",
            "kind": "yearly",
            "years": [0, 1, 2, 3],
            "amount": {"dist": "normal", "mean": 300000, "sd": 30000},
        },
        {
            "name": "mentor",
            "actor": "kommune",
            "kind": "per_participant",
            "schedule": [0.6, 0.4],
            "amount": {"dist": "lognormal", "median": 40000, "p95": 60000},
        },
        {
            "name": "sparet_aktivering",
            "actor": "kommune",
            "kind": "per_participant",
            "saved": True,
            "amount": 10000,
        },
        {"name": "evaluering", "actor": "stat", "kind": "one_off", "year": 2, "amount": 1234.5},
        {
            "name": "supervision",
            "actor": "region",
            "kind": "yearly",
            "amount": {"dist": "gamma", "shape": 4, "scale": 500},
            "saved": False,
        },
        {
            "name": "lognormal_mu",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "lognormal", "mu": 7.8, "sigma": 0.3},
        },
        {
            "name": "lognormal_mean",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "lognormal", "mean": 2600, "sd": 800},
        },
        {
            "name": "gamma_mean",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "gamma", "mean": 2000, "sd": 1000},
        },
        {
            "name": "fast",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "fixed", "value": 42},
        },
        {"uses": "catalog:hjemloeshed/cti_bostoette", "name": "bostoette", "schedule": [1.0]},
        {
            "name": "kvantiler",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "gamma", "p10": 1500, "p50": 2000, "p90": 2800},
        },
        {
            "name": "kvantiler_tekst",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "pert", "p5": 21000, "p50": 25000, "p95": 33000, "low": 20000},
        },
    ],
    "consequences": [
        {
            "name": "kontanthjaelp",
            "label": "Kontanthjælp",
            "unit": "uger",
            "profile": [-8, -10, -10, -10, -10, -10, -10, -10],
            "scale": {"dist": "normal", "mean": 1.0, "sd": 0.51},
            "price": {"kommune_beskaeftigelse": 2300, "stat": 700},
            "source": "illustrative",
        },
        {
            "name": "indkomstskat",
            "unit": "kr. lønindkomst",
            "profile": [
                {"dist": "pert", "low": 10000, "mode": 20000, "high": 40000},
                40000,
                {"dist": "empirical", "values": [45000.0, 50000.0, 1.234, 52000.5]},
                50000,
            ],
            "scale": {"dist": "truncnormal", "mean": 1.0, "sd": 0.51, "low": 0, "high": 3},
            "price": {"kommune": -0.23, "stat": -0.19},
        },
        {
            "name": "psykiatri",
            "unit": "kontakter",
            "profile": [-1.0, -0.8, -0.5],
            "scale": {"dist": "truncnormal", "mean": 1.0, "sd": 0.5, "low": 0},
            "price": {"region": {"dist": "gamma", "mean": 3000, "sd": 1000}},
        },
        {
            "name": "misbrug_under_forloeb",
            "unit": "forløb",
            "applies_to": "participants",
            "profile": [0.1, 0.05],
            "price": {"kommune": {"dist": "uniform", "low": 25000, "high": 35000}},
        },
        {
            "name": "beta_pris",
            "unit": "andel",
            "profile": [{"dist": "beta", "mean": 0.38, "sd": 0.05}],
            "price": {"stat": {"dist": "beta", "alpha": 2, "beta": 5, "low": 100, "high": 200}},
        },
        {"uses": "catalog:hjemloeshed/herberg"},
        {
            "uses": "catalog:hjemloeshed/somatik",
            "name": "somatik_lokal",
            "price": {"region": 8000},
        },
        {
            "name": "ekspertpulje_pris",
            "unit": "kontakter",
            "profile": [
                -1,
                {
                    "dist": "mixture",
                    "weights": [0.25, 0.75],
                    "components": [
                        {"dist": "normal", "mean": -1, "sd": 0.2},
                        {"dist": "uniform", "low": -2, "high": 0},
                    ],
                },
            ],
            "price": {
                "kommune": {"dist": "beta", "p10": 0.2, "p50": 0.3, "p90": 0.42},
                "stat": {
                    "dist": "mixture",
                    "weights": [0.5, 0.5],
                    "components": [
                        {"dist": "gamma", "mean": 3000, "sd": 1000},
                        {"dist": "lognormal", "median": 2500, "p95": 4000},
                    ],
                },
            },
        },
        {
            "name": "herberg_egen",
            "unit": "døgn",
            "profile": [-10, -5],
            "price": "catalog:prices/herberg_doegn",
        },
    ],
    "correlations": [
        {"inputs": ["success_rate", "consequences.kontanthjaelp.scale"], "rank": 0.5},
        {"inputs": ["costs.opstart.amount", "costs.drift.amount"], "rank": -0.3},
    ],
    "scenarios": [
        {
            "name": "Lav succesrate, dyr drift",
            "description": "Succesraten 15 %; driften +25 %",
            "overrides": {
                "success_rate": 0.15,
                "costs.opstart.amount": {"dist": "pert", "low": 2e5, "mode": 3e5, "high": 5e5},
            },
            "scale": {"costs.drift.amount": 1.25, "consequences.kontanthjaelp.price.stat": 0.8},
        },
        {
            "name": "=Stress",
            "stress": {
                "success_rate": {"below": 0.1},
                "consequences.kontanthjaelp.scale": {"above": 0.9},
                "costs.mentor.amount": {"above": 0.2, "below": 0.8},
            },
        },
        {
            "name": "Ekspertpulje og posterior",
            "overrides": {
                "success_rate": {
                    "dist": "mixture",
                    "weights": [0.5, 0.5],
                    "components": [
                        {"dist": "beta", "p10": 0.1, "p50": 0.2, "p90": 0.3},
                        {"dist": "uniform", "low": 0.1, "high": 0.4},
                    ],
                },
                "dropoff_rate": {
                    "dist": "binomial_posterior",
                    "prior": {"dist": "pert", "low": 0.0, "mode": 0.05, "high": 0.2},
                    "successes": 1,
                    "trials": 20,
                },
            },
        },
    ],
    "evidence": {
        "success_rate": {"successes": [4, 5], "trials": [20, 25], "source": "opfølgning 2027"},
        "participants": [45, 50],
        "costs": {"opstart": 235000, "drift": [290000, 310000.5]},
        "source": "illustrative",
    },
}


def _hash(data: dict[str, Any]) -> str:
    return case_hash(parse_case(data))


def _roundtrip(data: dict[str, Any] | None, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "case.xlsx"
    write_workbook(out, data, overwrite=True)
    return read_workbook(out)


def _header_col(ws: Worksheet, header: str, row: int = 1) -> int:
    for cell in ws[row]:
        if cell.value == header:
            return cell.column
    raise AssertionError(
        f"no header {header!r} in {ws.title} row {row}: {[c.value for c in ws[row]]}"
    )


def _kv_row(ws: Worksheet, key: str) -> int:
    for cell in ws["B"]:
        if cell.value == key:
            return cell.row
    raise AssertionError(f"no key {key!r} on {ws.title}")


def _edit(path: Path, edit) -> None:
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def _error(path: Path) -> CaseFileError:
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    return info.value


# --- round trips ------------------------------------------------------------------------------


def test_full_case_is_valid():
    case = parse_case(FULL)
    assert case.costs[-3].name == "bostoette"
    assert case.label == "=Kort navn" and case.scenarios and case.evidence is not None
    assert len(case.catalog_uses) >= 4


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_example_cases_round_trip(path, tmp_path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    back = _roundtrip(raw, tmp_path)
    assert back == raw
    assert _hash(back) == case_hash(load_case(path))
    assert case_hash(load_case_file(tmp_path / "case.xlsx")) == case_hash(load_case(path))


def test_full_case_round_trip(tmp_path):
    back = _roundtrip(FULL, tmp_path)
    assert back == FULL
    assert _hash(back) == _hash(FULL)


def test_resolved_case_round_trip(tmp_path):
    """A case written out in full (catalog references resolved) round-trips too."""
    from som_mc.case import case_to_dict

    plain = case_to_dict(parse_case(FULL))
    back = _roundtrip(plain, tmp_path)
    assert _hash(back) == _hash(FULL)


@pytest.mark.parametrize("path", [*CASE_FILES, None], ids=lambda p: p.stem if p else "full")
def test_convert_both_ways(path, tmp_path):
    if path is None:
        import tomli_w

        path = tmp_path / "full.toml"
        path.write_text(tomli_w.dumps(FULL), encoding="utf-8")
    xlsx = tmp_path / "case.xlsx"
    toml = tmp_path / "back.toml"
    convert(path, xlsx)
    convert(xlsx, toml)
    assert case_hash(load_case(toml)) == case_hash(load_case(path))
    assert case_hash(load_case_file(xlsx)) == case_hash(load_case(path))
    assert tomllib.loads(toml.read_text(encoding="utf-8")) == tomllib.loads(
        path.read_text(encoding="utf-8")
    )


def test_convert_refuses_other_suffixes_and_existing(tmp_path):
    src = CASE_FILES[0]
    with pytest.raises(CaseFileError, match=r"convert a \.toml case file to an \.xlsx"):
        convert(src, tmp_path / "x.toml")
    dst = tmp_path / "x.xlsx"
    dst.write_bytes(b"")
    with pytest.raises(CaseFileError, match=r"overwrite=True"):
        convert(src, dst)
    convert(src, dst, overwrite=True)
    assert read_workbook(dst) == tomllib.loads(src.read_text(encoding="utf-8"))


def test_catalog_references_resolve_like_toml(tmp_path):
    path = CASES_DIR / "cool_kids.toml"
    xlsx = tmp_path / "cool.xlsx"
    convert(path, xlsx)
    from_xlsx = load_case_file(xlsx)
    from_toml = load_case(path)
    assert from_xlsx == from_toml
    assert from_xlsx.catalog_uses == from_toml.catalog_uses


# --- the template -----------------------------------------------------------------------------


def test_template_reads_as_empty_case(tmp_path):
    out = tmp_path / "ny.xlsx"
    write_workbook(out)
    assert read_workbook(out) == {}
    err = _error(out)
    assert err.key is not None and err.key.startswith("Indsats!C2 (navn)")
    assert "required key is missing" in err.message


def test_template_layout(tmp_path):
    out = tmp_path / "ny.xlsx"
    write_workbook(out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Vejledning",
        "Indsats",
        "Deltagere",
        "Udfald",
        "Omkostninger",
        "Konsekvenser",
        "Korrelationer",
        "Scenarier",
        "Evidens",
        "Lister",
    ]
    assert wb["Lister"].sheet_state == "hidden"
    assert "Vejledning" in str(wb["Vejledning"]["A1"].value)
    costs = wb["Omkostninger"]
    assert costs.freeze_panes == "B2"
    heads = [c.value for c in costs[1]]
    for head in ("navn", "aktør", "type", "fordeling", "lav", "typisk", "høj", "katalog", "kilde"):
        assert head in heads
    lists = {str(dv.formula1) for dv in costs.data_validations.dataValidation}
    assert {"Lister!$A$2:$A$16", "Lister!$B$2:$B$4", "Lister!$C$2:$C$4"} <= lists
    assert costs.cell(row=2, column=1).value.startswith("#")  # the commented example
    assert costs.column_dimensions["A"].width > 8
    heads = [c.value for c in wb["Konsekvenser"][1]]
    assert {"parameter", "skalafaktor", "år 0", "år 9", "pris kommune", "pris stat"} <= set(heads)


def test_number_formats_are_danish_display(tmp_path):
    out = tmp_path / "c.xlsx"
    write_workbook(out, FULL)
    wb = openpyxl.load_workbook(out)
    ws = wb["Omkostninger"]
    row = 2  # opstart
    assert ws.cell(row=row, column=_header_col(ws, "lav")).number_format == "#,##0"
    ws = wb["Indsats"]
    value = _header_col(ws, "værdi")
    assert ws.cell(row=_kv_row(ws, "price_year"), column=value).number_format == "0"


# --- safety ------------------------------------------------------------------------------------


def test_no_formulas_from_user_text(tmp_path):
    data = minimal_case(name='=HYPERLINK("http://x")', source="@SUM(1)", target_group="-1+2")
    data["costs"][0]["label"] = "+cmd|' /C calc'!A0"
    data["consequences"][0]["unit"] = "=1+1"
    out = tmp_path / "c.xlsx"
    write_workbook(out, data)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
    assert read_workbook(out) == data


def test_overwrite_refused(tmp_path):
    out = tmp_path / "c.xlsx"
    write_workbook(out)
    with pytest.raises(SomMcError, match=r"already exists; pass overwrite=True"):
        write_workbook(out, minimal_case())
    assert read_workbook(out) == {}
    write_workbook(out, minimal_case(), overwrite=True)
    assert read_workbook(out) == minimal_case()
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]  # no temporary files left


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_refused(tmp_path):
    target = tmp_path / "real.xlsx"
    write_workbook(target)
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    for overwrite in (False, True):
        with pytest.raises(CaseFileError, match="symbolic link"):
            write_workbook(link, minimal_case(), overwrite=overwrite)
    dangling = tmp_path / "dangling.xlsx"
    dangling.symlink_to(tmp_path / "nowhere.xlsx")
    with pytest.raises(CaseFileError, match="symbolic link"):
        write_workbook(dangling)
    assert not (tmp_path / "nowhere.xlsx").exists()
    assert read_workbook(target) == {}
    with pytest.raises(CaseFileError, match="symbolic link"):
        convert(CASE_FILES[0], link, overwrite=True)


def test_unrepresentable_data_named_by_key(tmp_path):
    data = minimal_case()
    data["costs"][0]["amount"] = {"dist": "pert", "lo": 1}
    with pytest.raises(CaseFileError, match=r"costs\[0\]\.amount\.lo: .*unknown distribution"):
        write_workbook(tmp_path / "c.xlsx", data)
    with pytest.raises(CaseFileError, match=r"unknown key 'sucess_rate'"):
        write_workbook(tmp_path / "c.xlsx", {**minimal_case(), "sucess_rate": 1})
    assert not (tmp_path / "c.xlsx").exists()


def test_unknown_suffix(tmp_path):
    with pytest.raises(CaseFileError, match=r"expected a \.toml case file or an \.xlsx"):
        load_case_file(tmp_path / "case.ods")


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(CaseFileError, match="cannot read the workbook"):
        read_workbook(bad)
    with pytest.raises(CaseFileError, match="file not found"):
        read_workbook(tmp_path / "missing.xlsx")


# --- errors name sheet and cell -----------------------------------------------------------------


def _set_kv(sheet: str, key: str, header: str, value: Any):
    def edit(wb):
        ws = wb[sheet]
        ws.cell(row=_kv_row(ws, key), column=_header_col(ws, header)).value = value

    return edit


def _set_cost(header: str, value: Any, row: int = 2, **more: Any):
    def edit(wb):
        ws = wb["Omkostninger"]
        ws.cell(row=row, column=_header_col(ws, header)).value = value
        for h, v in more.items():
            ws.cell(row=row, column=_header_col(ws, {"vaerdi": "værdi"}.get(h, h))).value = v

    return edit


def _set_cons(header: str, value: Any, row: int = 2):
    def edit(wb):
        ws = wb["Konsekvenser"]
        ws.cell(row=row, column=_header_col(ws, header)).value = value

    return edit


def _set_deltagere(header: str, value: Any, row: int = 4):
    def edit(wb):
        ws = wb["Deltagere"]
        ws.cell(row=row, column=_header_col(ws, header, row=3)).value = value

    return edit


def _rename_header(sheet: str, old: str, new: str):
    def edit(wb):
        ws = wb[sheet]
        ws.cell(row=1, column=_header_col(ws, old)).value = new

    return edit


def _formula_cell(wb):
    ws = wb["Omkostninger"]
    ws.cell(row=2, column=_header_col(ws, "værdi")).value = "=100*3"


def _no_prices(wb):
    ws = wb["Konsekvenser"]
    for header in ("pris kommune", "pris stat"):
        ws.cell(row=2, column=_header_col(ws, header)).value = None


def _pert_success(wb):
    ws = wb["Indsats"]
    row = _kv_row(ws, "success_rate")
    ws.cell(row=row, column=_header_col(ws, "værdi")).value = None
    for header, value in (("fordeling", "pert"), ("lav", 0.5), ("typisk", 0.3), ("høj", 0.6)):
        ws.cell(row=row, column=_header_col(ws, header)).value = value


BAD_CELLS = [
    (
        _no_prices,
        "Konsekvenser!{pris kommune}2 (konsekvens 'herberg', priser)",
        "required key is missing",
    ),
    (
        _pert_success,
        "Indsats!{lav}12 (succesrate, lav = low)",
        "pert: low (0.5) must be <= mode (0.3)",
    ),
    (
        _set_cost("katalog", "catalog:hjemloeshed/cti_bostoete"),
        "Omkostninger!{katalog}2 (omkostning 'opstart', katalog)",
        "(did you mean 'hjemloeshed/cti_bostoette'?)",
    ),
    (
        _set_cons("pris kommune", "ca. 2300"),
        "Konsekvenser!{pris kommune}2 (konsekvens 'herberg', pris kommune)",
        "expected a number or a distribution; received 'ca. 2300'",
    ),
    (
        _set_kv("Indsats", "horizon_years", "værdi", "ti"),
        "Indsats!C8 (tidshorisont (år))",
        "expected a whole number; received 'ti'",
    ),
    (
        _set_kv("Indsats", "horizon_years", "værdi", 2.5),
        "Indsats!C8 (tidshorisont (år))",
        "expected a whole number; received 2.5",
    ),
    (
        _set_kv("Indsats", "success_rate", "værdi", 1.5),
        "Indsats!C12 (succesrate)",
        "a succesrate must lie in [0, 1]; received 1.5",
    ),
    (
        _set_kv("Indsats", "success_rate", "værdi", "26 %"),
        None,  # 26 % stored as text is 0.26: valid
        None,
    ),
    (
        _set_kv("Indsats", "horizon_mode", "værdi", "kalender"),
        "Indsats!C9 (horisont)",
        "expected one of 'calendar' or 'per_cohort'; received 'kalender'",
    ),
    (
        _set_kv("Indsats", "horizon_mode", "lav", 3),
        "Indsats!{lav}9 (horisont)",
        "horisont is a single value; write it in column 'værdi'",
    ),
    (
        _set_kv("Udfald", "outcome.noise", "værdi", "måske"),
        "Udfald!C2 (tilfældigt antal succeser)",
        "expected ja or nej; received 'måske'",
    ),
    (
        _set_cost("sparet", "måske"),
        "Omkostninger!E2 (omkostning 'opstart', sparet)",
        "expected ja or nej; received 'måske'",
    ),
    (
        _set_cost("fordeling", "perty", vaerdi=None),
        "Omkostninger!{fordeling}2 (omkostning 'opstart', beløb, fordeling)",
        "unknown fordeling 'perty' (did you mean 'pert'?)",
    ),
    (
        _set_cost("lav", 100),
        "Omkostninger!{lav}2 (omkostning 'opstart', beløb, lav = low)",
        "a parameter without a fordeling",
    ),
    (
        _set_cost("aktør", "komune"),
        "Omkostninger!C2 (omkostning 'opstart', aktør)",
        "unknown actor 'komune'; declared actors are kommune, region, stat",
    ),
    (
        _set_cost("værdi", datetime.datetime(2024, 3, 1)),
        "Omkostninger!{værdi}2 (omkostning 'opstart', beløb)",
        "received a date or time (2024-03-01 00:00:00); format the cell as a number",
    ),
    (
        _set_cost("betalingsår", "0; x"),
        "Omkostninger!G2 (omkostning 'opstart', betalingsår)",
        "expected a whole number; received 'x'",
    ),
    (
        _set_cost("betalingsår", "0; 1"),
        "Omkostninger!G2 (omkostning 'opstart', betalingsår)",
        "key 'years' does not apply to a cost line of kind 'one_off'",
    ),
    (
        _formula_cell,
        "Omkostninger!{værdi}2",
        "a formula (=100*3) without a computed value",
    ),
    (
        _set_deltagere("værdi", "1.234"),
        "Deltagere!{værdi}4 (optag 0)",
        "the text '1.234' can be read two ways",
    ),
    (
        _set_deltagere("værdi", -3),
        "Deltagere!{værdi}4 (optag 0)",
        "a number of participants must lie in [0, inf]",
    ),
    (
        _set_deltagere("optag (modelår)", 2),
        "Deltagere!A4 (optag 0)",
        "expected optag 0 here; received 2",
    ),
    (
        _set_cons("år 0", None),
        "Konsekvenser!{år 0}2 (konsekvens 'herberg', år 0)",
        "the profile has a gap at år 0",
    ),
    (
        _rename_header("Omkostninger", "kilde", "kidle"),
        "Omkostninger!{kidle}1",
        "unknown column 'kidle' (did you mean 'kilde'?)",
    ),
    (
        _set_cons("enhed", None),
        "Konsekvenser!C2 (konsekvens 'herberg', enhed)",
        "required key is missing",
    ),
]


@pytest.mark.parametrize(("edit", "key", "message"), BAD_CELLS)
def test_bad_cell_is_named(edit, key, message, tmp_path):
    out = tmp_path / "case.xlsx"
    write_workbook(out, minimal_case())
    headers: dict[str, str] = {}
    ws = openpyxl.load_workbook(out)[key.split("!")[0] if key else "Indsats"]
    for row in (1, 3):
        for cell in ws[row]:
            if isinstance(cell.value, str):
                headers.setdefault(cell.value, cell.column_letter)
    _edit(out, edit)
    if key is None:
        load_case_file(out)
        return
    err = _error(out)
    if "{kidle}" in key:
        headers["kidle"] = headers["kilde"]
    expected_key = key.format(**{h: headers[h] for h in headers if "{" + h + "}" in key})
    assert err.key is not None and err.key.startswith(expected_key), err.key
    assert message in err.message
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"{out}: {err.key}: ")


def test_bad_cell_in_vertical_group(tmp_path):
    out = tmp_path / "case.xlsx"
    data = minimal_case()
    data["consequences"][0]["price"]["kommune"] = {
        "dist": "pert",
        "low": 90,
        "mode": 100,
        "high": 120,
    }
    write_workbook(out, data)
    wb = openpyxl.load_workbook(out)
    ws = wb["Konsekvenser"]
    param = _header_col(ws, "parameter")
    rows = {ws.cell(row=r, column=param).value: r for r in range(2, ws.max_row + 1)}
    assert list(rows) == ["værdi", "fordeling", "lav", "typisk", "høj"]
    col = _header_col(ws, "pris kommune")
    ws.cell(row=rows["lav"], column=col).value = 130
    wb.save(out)
    err = _error(out)
    letter = openpyxl.utils.get_column_letter(col)
    assert (
        err.key
        == f"Konsekvenser!{letter}{rows['lav']} (konsekvens 'herberg', pris kommune, lav = low)"
    )
    assert "low (130.0) must be <= mode (100.0)" in err.message


# --- an edited workbook gives the expected result ----------------------------------------------


def test_edited_succesrate_changes_result_like_edited_toml(tmp_path):
    path = CASES_DIR / "housing_first.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    xlsx = tmp_path / "hf.xlsx"
    write_workbook(xlsx, raw)
    edited = copy.deepcopy(raw)
    edited["success_rate"] = {"dist": "triangular", "low": 0.2, "mode": 0.35, "high": 0.5}

    def edit(wb):
        ws = wb["Indsats"]
        row = _kv_row(ws, "success_rate")
        ws.cell(row=row, column=_header_col(ws, "katalog")).value = None
        for header, value in (
            ("fordeling", "triangular"),
            ("lav", 0.2),
            ("typisk", 0.35),
            ("høj", 0.5),
        ):
            ws.cell(row=row, column=_header_col(ws, header)).value = value

    _edit(xlsx, edit)
    from_xlsx = load_case_file(xlsx)
    from_toml = parse_case(edited)
    assert case_hash(from_xlsx) == case_hash(from_toml)
    a, b = deterministic(from_xlsx), deterministic(from_toml)
    np.testing.assert_array_equal(a["net_result"].values, b["net_result"].values)
    before = deterministic(load_case(path))
    assert not np.allclose(a["net_result"].values, before["net_result"].values)


# --- what spreadsheet programs produce -----------------------------------------------------------


def test_numbers_stored_as_text(tmp_path):
    out = tmp_path / "c.xlsx"
    write_workbook(out, minimal_case())

    def edit(wb):
        ws = wb["Indsats"]
        value = _header_col(ws, "værdi")
        for key, text in (
            ("price_year", "2024"),
            ("success_rate", "0,5"),
            ("horizon_years", " 3 "),
        ):
            cell = ws.cell(row=_kv_row(ws, key), column=value)
            cell.value = text
            cell.data_type = "s"
        ws = wb["Omkostninger"]
        ws.cell(row=2, column=_header_col(ws, "værdi")).value = "300"
        ws = wb["Konsekvenser"]
        ws.cell(row=2, column=_header_col(ws, "pris kommune")).value = "1.000,0"
        ws.cell(row=2, column=_header_col(ws, "år 1")).value = "-1,0"
        ws.cell(row=2, column=_header_col(ws, "pris stat")).value = "5,0e1"
        ws.cell(row=2, column=_header_col(ws, "år 0")).value = "\u22122"  # Unicode minus

    _edit(out, edit)
    data = read_workbook(out)
    assert data["price_year"] == 2024 and data["horizon_years"] == 3
    assert data["success_rate"] == 0.5
    assert data["consequences"][0]["price"] == {"kommune": 1000.0, "stat": 50.0}
    assert data["consequences"][0]["profile"] == [-2, -1.0]
    expected = minimal_case()
    expected["consequences"][0]["price"] = {"kommune": 1000, "stat": 50}
    assert _hash(data) == _hash(expected)


def test_empty_rows_blank_columns_merged_cells_and_sheet_order(tmp_path):
    data = minimal_case()
    data["costs"].append({"name": "drift", "actor": "kommune", "kind": "yearly", "amount": 50})
    out = tmp_path / "c.xlsx"
    write_workbook(out, data)

    def edit(wb):
        ws = wb["Omkostninger"]
        ws.insert_cols(3)  # an extra blank column
        ws.insert_rows(1)  # a title row above the header
        ws["A1"] = "Omkostninger i Minimal"
        ws.merge_cells("A1:F1")
        aktor = _header_col(ws, "aktør", row=2)
        ws.cell(row=4, column=aktor).value = None
        ws.merge_cells(start_row=3, end_row=4, start_column=aktor, end_column=aktor)
        for r in range(5, 40):  # formatted but empty trailing rows
            ws.cell(row=r, column=1).value = "   "
            ws.cell(row=r, column=2).number_format = "0.00"
        ind = wb["Indsats"]
        beskrivelse = _kv_row(ind, "description")
        value = _header_col(ind, "værdi")
        ind.cell(row=beskrivelse, column=value).value = "Lang tekst"
        ind.merge_cells(
            start_row=beskrivelse, end_row=beskrivelse, start_column=value, end_column=value + 4
        )
        wb.move_sheet("Korrelationer", offset=-5)
        wb.move_sheet("Indsats", offset=5)
        wb["Konsekvenser"]["Z1"] = "note: kilde tjekket"
        wb["Konsekvenser"]["Z2"] = "ok"

    _edit(out, edit)
    back = read_workbook(out)
    assert back == {**data, "description": "Lang tekst"}


def test_formula_with_cached_value_is_read(tmp_path):
    """LibreOffice and Excel store the last computed value beside a formula."""
    out = tmp_path / "c.xlsx"
    write_workbook(out, minimal_case())
    _edit(out, _formula_cell)
    # Simulate a spreadsheet program's save: put the cached value into the sheet XML.
    import zipfile

    src = zipfile.ZipFile(out)
    items = {n: src.read(n) for n in src.namelist()}
    src.close()
    sheet = next(n for n, b in items.items() if n.startswith("xl/worksheets/") and b"100*3" in b)
    items[sheet] = items[sheet].replace(b"<f>100*3</f><v></v>", b"<f>100*3</f><v>300</v>")
    if b"<v>300</v>" not in items[sheet]:
        items[sheet] = items[sheet].replace(b"<f>100*3</f>", b"<f>100*3</f><v>300</v>")
    with zipfile.ZipFile(out, "w") as dst:
        for n, b in items.items():
            dst.writestr(n, b)
    assert read_workbook(out)["costs"][0]["amount"] == 300


def test_comment_rows_are_skipped(tmp_path):
    out = tmp_path / "c.xlsx"
    write_workbook(out, minimal_case())

    def edit(wb):
        ws = wb["Omkostninger"]
        ws.insert_rows(2)
        ws["A2"] = "# ikke med endnu"
        ws.cell(row=2, column=_header_col(ws, "værdi")).value = "ca. 10"

    _edit(out, edit)
    assert read_workbook(out) == minimal_case()


# --- numbers as text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234", 1234),
        ("-12", -12),
        ("1234.5", 1234.5),
        ("1234,5", 1234.5),
        ("-0,23", -0.23),
        ("0.125", 0.125),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("12.345.678", 12345678),
        ("1,234,567", 1234567),
        ("1 234 567", 1234567),
        ("2\u00a0300", 2300),
        ("26 %", 0.26),
        ("1e6", 1e6),
        ("\u22120,5", -0.5),
        (" 7 ", 7),
    ],
)
def test_text_number(text, value):
    assert _text_number(text) == value


@pytest.mark.parametrize(
    "text", ["1.234", "1,234", "-12.500", "ca. 2300", "2.300 kr.", "1,2,3", "", "nan", "inf"]
)
def test_text_number_refused(text):
    with pytest.raises(ValueError):
        _text_number(text)


@pytest.mark.parametrize("x", [0.6, 1.234, 123.456, 1e-05, 52000.5, 3, -0.23, 1234567.891])
def test_number_text_reads_back_exactly(x):
    assert _text_number(_number_text(x)) == x


def _set_corr(row: dict[int, Any]):
    def edit(wb):
        ws = wb["Korrelationer"]
        for col, value in row.items():
            ws.cell(row=2, column=col).value = value

    return edit


def _unknown_indsats_key(wb):
    ws = wb["Indsats"]
    row = ws.max_row + 1
    ws.cell(row=row, column=1).value = "tidshorisont"
    ws.cell(row=row, column=2).value = "horizon_yeers"
    ws.cell(row=row, column=3).value = 3


MORE_BAD_CELLS = [
    (
        _set_cost("type", "engang"),
        "Omkostninger!D2 (omkostning 'opstart', type)",
        "expected one of 'one_off', 'yearly' or 'per_participant'; received 'engang'",
    ),
    (
        _set_corr({1: "success_rate", 2: "consequences.herberg.price.kommune", 3: "stærk"}),
        "Korrelationer!C2 (korrelation 1, rangkorrelation)",
        "expected a number; received 'stærk'",
    ),
    (
        _set_corr({1: "success_rate", 2: "consequences.herberg.price.kommune", 3: 1.5}),
        "Korrelationer!C2 (korrelation 1, rangkorrelation)",
        "expected a number < 1.0; received 1.5",
    ),
    (
        _set_corr({1: "sucess_rate", 2: "consequences.herberg.price.kommune", 3: 0.5}),
        "Korrelationer!A2 (korrelation 1, input 1)",
        "unknown input 'sucess_rate' (did you mean 'success_rate'?)",
    ),
    (
        _unknown_indsats_key,
        "Indsats!B14",
        "unknown key 'horizon_yeers' (did you mean 'horizon_years'?)",
    ),
]


@pytest.mark.parametrize(("edit", "key", "message"), MORE_BAD_CELLS)
def test_more_bad_cells_are_named(edit, key, message, tmp_path):
    # uncertain inputs, so that a correlation between them is allowed
    data = minimal_case(success_rate={"dist": "beta", "mean": 0.5, "sd": 0.1})
    data["consequences"][0]["price"]["kommune"] = {"dist": "normal", "mean": 100, "sd": 10}
    out = tmp_path / "case.xlsx"
    write_workbook(out, data)
    _edit(out, edit)
    err = _error(out)
    assert err.key == key and message in err.message
    assert "\n" not in str(err) and str(err).startswith(f"{out}: {key}: ")


def test_a_case_key_without_a_sheet_is_refused_by_name(tmp_path, monkeypatch):
    # A part of the case format the workbook cannot hold yet (a future [[prognoser]], say)
    # is one clear line, never dropped silently.
    import som_mc.case.xlsx as xlsx

    known = xlsx._format_keys
    monkeypatch.setattr(
        xlsx, "_format_keys", lambda where: known(where) | ({"prognoser"} if not where else set())
    )
    data = {**minimal_case(), "prognoser": [{"name": "lav"}]}
    with pytest.raises(CaseFileError) as info:
        write_workbook(tmp_path / "c.xlsx", data)
    assert str(info.value) == (
        "<case>: prognoser: cannot be written to a workbook: 'prognoser' is part of the case "
        "format but has no sheet yet; keep this case as TOML (converting would drop it)"
    )
    assert not (tmp_path / "c.xlsx").exists()
    monkeypatch.setattr(
        xlsx, "_format_keys", lambda where: known(where) | ({"evidence"} if where else set())
    )
    data = minimal_case()
    data["costs"][0]["evidence"] = {"grade": "B"}
    with pytest.raises(CaseFileError, match=r"costs\[0\]\.evidence: .*'evidence' is part of"):
        write_workbook(tmp_path / "c.xlsx", data)


# --- LibreOffice -----------------------------------------------------------------------------

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_workbooks_saved_by_libreoffice_read_the_same(tmp_path):
    """Every example case and the empty template, re-saved by LibreOffice Calc (headless)."""
    src = tmp_path / "src"
    src.mkdir()
    for path in CASE_FILES:
        write_workbook(src / f"{path.stem}.xlsx", tomllib.loads(path.read_text(encoding="utf-8")))
    write_workbook(src / "template.xlsx", None)
    write_workbook(src / "full.xlsx", FULL)  # scenarios, evidence, mixtures as text, quantiles
    out = tmp_path / "out"
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            *sorted(str(p) for p in src.glob("*.xlsx")),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for path in CASE_FILES:
        saved = out / f"{path.stem}.xlsx"
        assert saved.read_bytes() != (src / saved.name).read_bytes()  # really re-written
        assert case_hash(load_case_file(saved)) == case_hash(load_case(path)), path.stem
    assert read_workbook(out / "template.xlsx") == read_workbook(src / "template.xlsx")
    assert read_workbook(out / "full.xlsx") == FULL
    assert _hash(read_workbook(out / "full.xlsx")) == _hash(FULL)
    saved = openpyxl.load_workbook(out / "full.xlsx")
    assert saved["Scenarier"]["A2"].value == "Lav succesrate, dyr drift"
    assert saved["Evidens"]["A4"].value == "succesrate"


def test_edited_succesrate_gives_the_hand_computed_result(tmp_path):
    # 10 deltagere, profile -2 and -1 herbergsdøgn per success (both years inside the 3-year
    # horizon), price 100 (kommune) + 50 (stat), one-off cost 300 (kommune). With succesrate s
    # the net result is 10·s·(2 + 1)·(100, 0, 50) - (300, 0, 0) per aktør.
    out = tmp_path / "c.xlsx"
    write_workbook(out, minimal_case())

    def expected(s: float) -> list[float]:
        return [10 * s * 3 * 100 - 300, 0.0, 10 * s * 3 * 50]

    before = deterministic(load_case_file(out)).net_result.sum("year").values
    np.testing.assert_allclose(before, expected(0.5), rtol=1e-12)
    _edit(out, _set_kv("Indsats", "success_rate", "værdi", 0.3))
    after = deterministic(load_case_file(out)).net_result.sum("year").values
    np.testing.assert_allclose(after, expected(0.3), rtol=1e-12)  # 600, 0, 450
    _edit(out, _set_kv("Indsats", "success_rate", "værdi", "30 %"))  # typed as text
    np.testing.assert_array_equal(deterministic(load_case_file(out)).net_result.sum("year"), after)


# --- Scenarier and Evidens ---------------------------------------------------------------------


def _scenario_case() -> dict[str, Any]:
    data = minimal_case(success_rate={"dist": "beta", "mean": 0.5, "sd": 0.1})
    data["scenarios"] = [
        {"name": "Lav", "description": "Succesraten 20 %", "overrides": {"success_rate": 0.2}},
        {"name": "Dyr", "scale": {"costs.opstart.amount": 1.5}},
        {"name": "Stress", "stress": {"success_rate": {"below": 0.1}}},
    ]
    data["evidence"] = {
        "success_rate": {"successes": 3, "trials": 10},
        "participants": [9],
        "costs": {"opstart": 310},
    }
    return data


def _cells(sheet: str, **cells: Any):
    def edit(wb):
        for ref, value in cells.items():
            wb[sheet][ref] = value

    return edit


def test_scenario_and_evidence_layout(tmp_path):
    out = tmp_path / "c.xlsx"
    write_workbook(out, _scenario_case())
    wb = openpyxl.load_workbook(out)
    ws = wb["Scenarier"]
    heads = [c.value for c in ws[1]]
    assert heads[:7] == ["scenarie", "beskrivelse", "ændring", "input", "faktor", "under", "over"]
    assert "fordeling som tekst" in heads and ws.freeze_panes == "B2"
    assert [ws[f"A{r}"].value for r in (2, 3, 4)] == ["Lav", "Dyr", "Stress"]
    assert [ws[f"C{r}"].value for r in (2, 3, 4)] == ["override", "skalering", "stress"]
    assert (ws["H2"].value, ws["E3"].value, ws["F4"].value) == (0.2, 1.5, 0.1)
    lists = {str(dv.formula1): str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert lists["Lister!$G$2:$G$4"].startswith("C2:")  # ændring
    assert lists["Lister!$H$2:$H$10"].startswith("D2:")  # the case's nine input names
    names = [wb["Lister"][f"H{r}"].value for r in range(2, 11)]
    assert names[:5] == [
        "success_rate",
        "participants[0]",
        "dropoff_rate",
        "costs.opstart.amount",
        "consequences.herberg.scale",
    ]
    assert names[-1] == "consequences.herberg.price.stat"
    assert [wb["Lister"][f"G{r}"].value for r in (2, 3, 4)] == ["override", "skalering", "stress"]
    ev = wb["Evidens"]
    assert ev.freeze_panes == "B4" and ev["A1"].value == "kilde (hele evidensen)"
    assert [c.value for c in ev[3]][:4] == ["observation", "optag", "omkostning", "år nr."]
    assert [ev[f"A{r}"].value for r in (4, 5, 6)] == ["succesrate", "deltagere", "omkostning"]
    assert ev["B4"].value is None  # pooled over cohorts: numbers, not lists
    lists = {str(dv.formula1) for dv in ev.data_validations.dataValidation}
    assert {"Lister!$I$2:$I$4", "Lister!$J$2:$J$2"} <= lists
    assert read_workbook(out) == _scenario_case()


def test_template_has_commented_examples_for_new_sheets(tmp_path):
    out = tmp_path / "ny.xlsx"
    write_workbook(out)
    wb = openpyxl.load_workbook(out)
    assert wb["Scenarier"]["A2"].value.startswith("#")
    assert wb["Evidens"]["A4"].value.startswith("#")
    assert _kv_row(wb["Indsats"], "label") == 3
    guide = " ".join(str(c.value) for c in wb["Vejledning"]["A"] if c.value)
    for text in ("Scenarier: følsomhedsscenarier", "Evidens: hvad en opfølgning", "kort navn"):
        assert text in guide
    assert "fordeling som tekst" in guide and '{ dist = "mixture"' in guide
    assert read_workbook(out) == {}


def test_edited_scenarios_and_evidence_read_as_the_edited_case(tmp_path):
    out = tmp_path / "c.xlsx"
    data = _scenario_case()
    data["participants"]["per_year"] = [10, 12]
    write_workbook(out, data)
    _edit(
        out,
        _cells(
            "Scenarier",
            A5=None,  # a row without a name continues the scenario above
            C5="erstat",  # Danish synonym of override
            D5="costs.opstart.amount",
            I5="pert",
            J5=250,
            K5="300",
            L5="400,5",
            A6="Samlet",
            B6="To ændringer",
            C6="skalering",
            D6="costs.opstart.amount",
            E6="0,9",
            A7="Samlet",
            C7="stress",
            D7="success_rate",
            G7=0.8,
        ),
    )
    _edit(out, _cells("Evidens", B4=0, B7=1, A7="succesrate", E7=2, F7=5, I4="opfølgning"))
    data = read_workbook(out)
    assert data["scenarios"][2] == {
        "name": "Stress",
        "overrides": {
            "costs.opstart.amount": {"dist": "pert", "low": 250, "mode": 300, "high": 400.5}
        },
        "stress": {"success_rate": {"below": 0.1}},
    }
    assert data["scenarios"][3] == {
        "name": "Samlet",
        "description": "To ændringer",
        "scale": {"costs.opstart.amount": 0.9},
        "stress": {"success_rate": {"above": 0.8}},
    }
    assert data["evidence"]["success_rate"] == {
        "successes": [3, 2],
        "trials": [10, 5],
        "source": "opfølgning",
    }
    case = load_case_file(out)
    assert [s.name for s in case.scenarios or []] == ["Lav", "Dyr", "Stress", "Samlet"]


SCENARIO_BAD_CELLS = [
    (
        _cells("Scenarier", C2="erstatning"),
        "Scenarier!C2 (scenarie 'Lav', ændring)",
        "expected one of override, skalering, stress; received 'erstatning'",
    ),
    (
        _cells("Scenarier", D2="sucess_rate"),
        "Scenarier!D2 (scenarie 'Lav', override sucess_rate)",
        "unknown input 'sucess_rate' (did you mean 'success_rate'?)",
    ),
    (
        _cells("Scenarier", D2=None),
        "Scenarier!D2 (scenarie 'Lav', input)",
        "expected an input name (e.g. success_rate) for the override",
    ),
    (
        _cells("Scenarier", H2="ca. 0,2"),
        "Scenarier!H2 (scenarie 'Lav', override success_rate)",
        "expected a number or a distribution; received 'ca. 0,2'",
    ),
    (
        _cells("Scenarier", H2=1.5),
        "Scenarier!D2 (scenarie 'Lav', override success_rate)",
        "must lie in [0, 1]; the scenario gives 1.5",
    ),
    (
        _cells("Scenarier", H2=None),
        "Scenarier!D2 (scenarie 'Lav', input)",
        "an override of 'success_rate' without a value",
    ),
    (
        _cells("Scenarier", E2=2),
        "Scenarier!E2 (scenarie 'Lav', faktor)",
        "'faktor' does not apply to ændring 'override'",
    ),
    (
        _cells("Scenarier", H3=2),
        "Scenarier!H3 (scenarie 'Dyr')",
        "a value or distribution does not apply to ændring 'skalering'",
    ),
    (
        _cells("Scenarier", E3=0),
        "Scenarier!E3 (scenarie 'Dyr', skalering costs.opstart.amount, faktor)",
        "expected a factor > 0 (1.25 = +25 %)",
    ),
    (
        _cells("Scenarier", E3="x"),
        "Scenarier!E3 (scenarie 'Dyr', skalering costs.opstart.amount, faktor)",
        "expected a number; received 'x'",
    ),
    (
        _cells("Scenarier", F4=1.5),
        "Scenarier!F4 (scenarie 'Stress', stress success_rate, under)",
        "expected a number <= 1.0; received 1.5",
    ),
    (
        _cells("Scenarier", F4=None),
        "Scenarier!D4 (scenarie 'Stress', stress success_rate)",
        "expected below = P",
    ),
    (
        _cells("Scenarier", A4="Lav"),
        "Scenarier!A4 (scenarie 'Lav')",
        "duplicate scenario name 'Lav'",
    ),
    (
        _cells("Scenarier", A3="Lav", B3="En anden beskrivelse"),
        "Scenarier!B3 (scenarie 'Lav', beskrivelse)",
        "a second beskrivelse for scenarie 'Lav'",
    ),
    (
        _cells("Scenarier", C3=None),
        "Scenarier!C3 (scenarie 'Dyr', ændring)",
        "a change without 'ændring'; choose override, skalering, stress",
    ),
    (
        _cells("Scenarier", C4="override", F4=None, AC4="{ dist = mixture }"),
        "Scenarier!AC4 (scenarie 'Stress', override success_rate, fordeling som tekst)",
        "expected a distribution as an inline TOML table",
    ),
    (
        _cells("Evidens", E4=12),
        "Evidens!E4 (evidens, succesrate, succeser)",
        "successes (12) cannot exceed trials (10)",
    ),
    (
        _cells("Evidens", E4=2.5),
        "Evidens!E4 (evidens, succesrate, succeser)",
        "expected a whole number; received 2.5",
    ),
    (
        _cells("Evidens", A4="succes"),
        "Evidens!A4 (observation)",
        "received 'succes' (did you mean 'succesrate'?)",
    ),
    (
        _cells("Evidens", G4=5),
        "Evidens!G4 (evidens, succesrate, antal)",
        "'antal' does not apply to an observation of succesrate",
    ),
    (
        _cells("Evidens", B5=1),
        "Evidens!B5 (evidens, deltagere, optag)",
        "expected optag 0 here; received 1",
    ),
    (
        _cells("Evidens", G5=-1),
        "Evidens!G5 (evidens, deltagere, antal)",
        "expected a number >= 0; received -1",
    ),
    (
        _cells("Evidens", C6="opstrat"),
        "Evidens!C6 (evidens, omkostning, omkostning)",
        "unknown cost line 'opstrat'; cost lines are opstart",
    ),
    (
        _cells("Evidens", D6=1),
        "Evidens!C6 (evidens, omkostning, omkostning)",
        "cost line 'opstart' is one_off; give its realised amount as one number",
    ),
    (
        _cells("Evidens", D6=2),
        "Evidens!D6 (evidens, omkostning, år nr.)",
        "expected år nr. 1 here; received 2",
    ),
    (
        _cells("Evidens", H6=None),
        "Evidens!H6 (evidens, omkostning, beløb)",
        "expected the realised amount of 'opstart'",
    ),
    (
        _cells("Indsats", C3="Et kort navn, som slet ikke er kort, men lang"),
        "Indsats!C3 (kort navn)",
        "at most 40 characters",
    ),
    (
        _cells("Indsats", D12="mixture", H12=None, I12=None),
        "Indsats!D12 (succesrate, fordeling)",
        "a mixture is written as text: put the whole distribution in the column 'fordeling",
    ),
    (
        _cells(
            "Indsats",
            D12=None,
            H12=None,
            I12=None,
            X12='{ dist = "mixture", weights = [0.5, 0.4], components = [{ dist = "uniform", '
            'low = 0.1, high = 0.3 }, { dist = "uniform", low = 0.2, high = 0.6 }] }',
        ),
        "Indsats!X12 (succesrate, fordeling som tekst; success_rate.weights)",
        "sum to 1",
    ),
    (
        _cells(
            "Indsats",
            D12=None,
            H12=None,
            I12=None,
            E12=0.1,
            X12='{ dist = "uniform", low = 0.1, high = 0.3 }',
        ),
        "Indsats!E12 (succesrate, lav = low)",
        "a distribution in 'fordeling som tekst' and a value in 'lav'",
    ),
]


@pytest.mark.parametrize(("edit", "key", "message"), SCENARIO_BAD_CELLS)
def test_bad_cell_in_new_sheets_is_named(edit, key, message, tmp_path):
    out = tmp_path / "case.xlsx"
    write_workbook(out, _scenario_case())
    wb = openpyxl.load_workbook(out)
    assert wb["Indsats"]["X1"].value == "fordeling som tekst"  # the layout the table assumes
    _edit(out, edit)
    err = _error(out)
    assert err.key == key, err.key
    assert message in err.message, err.message
    assert "\n" not in str(err) and str(err).startswith(f"{out}: {key}: ")


def test_distribution_text_is_never_a_formula_and_reads_back(tmp_path):
    data = minimal_case(
        success_rate={
            "dist": "binomial_posterior",
            "prior": {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.5},
            "successes": 14,
            "trials": 45,
        }
    )
    data["scenarios"] = [{"name": "=1+1", "overrides": {"costs.opstart.amount": 1}}]
    out = tmp_path / "c.xlsx"
    write_workbook(out, data)
    wb = openpyxl.load_workbook(out)
    ws = wb["Indsats"]
    cell = ws.cell(row=_kv_row(ws, "success_rate"), column=_header_col(ws, "fordeling som tekst"))
    assert cell.data_type == "s" and cell.value.startswith('{ dist = "binomial_posterior"')
    assert wb["Scenarier"]["A2"].data_type == "s" and wb["Scenarier"]["A2"].quotePrefix
    assert read_workbook(out) == data
    # braces may be left out, fordeling may name the family, a line break is a space
    _edit(
        out,
        _cells(
            "Indsats",
            X12='prior = { dist = "uniform", low = 0.1, high = 0.5 },\nsuccesses = 14, trials = 45',
        ),
    )
    back = read_workbook(out)
    assert back["success_rate"] == {
        "dist": "binomial_posterior",
        "prior": {"dist": "uniform", "low": 0.1, "high": 0.5},
        "successes": 14,
        "trials": 45,
    }


def test_cli_template_and_convert_carry_scenarios_and_evidence(tmp_path, capsys):
    from som_mc.cli import main

    for path in (
        CASES_DIR / "scenarios" / "aarhus_alkohol_scenarier.toml",
        CASES_DIR / "aarhus_alkohol_opfoelgning.toml",
    ):
        xlsx = tmp_path / f"{path.stem}.xlsx"
        toml = tmp_path / f"{path.stem}.toml"
        assert main(["template", str(xlsx), "--from", str(path)]) == 0
        assert case_hash(load_case_file(xlsx)) == case_hash(load_case(path))
        assert main(["convert", str(xlsx), str(toml)]) == 0
        assert case_hash(load_case(toml)) == case_hash(load_case(path))
        again = tmp_path / f"{path.stem}_2.xlsx"
        assert main(["convert", str(toml), str(again)]) == 0
        assert read_workbook(again) == tomllib.loads(path.read_text(encoding="utf-8"))
    out = capsys.readouterr().out
    assert out.count("samme case, SHA-256") == 4


def test_price_order_is_kept(tmp_path):
    # the case hash depends on the order of a price table's keys: the price columns follow it
    data = minimal_case()
    data["consequences"][0]["price"] = {"stat": 50, "kommune": 100}
    data["consequences"].append(
        {"name": "somatik", "unit": "kontakter", "profile": [-1], "price": {"region": 7, "stat": 3}}
    )
    back = _roundtrip(data, tmp_path)
    assert _hash(back) == _hash(data)
    assert [list(c["price"]) for c in back["consequences"]] == [
        ["stat", "kommune"],
        ["region", "stat"],
    ]
    data["consequences"][1]["price"] = {"kommune": 7, "stat": 3}  # stat before kommune above
    with pytest.raises(CaseFileError, match=r"consequences\[1\]\.price: .*same aktør order"):
        write_workbook(tmp_path / "x.xlsx", data)
