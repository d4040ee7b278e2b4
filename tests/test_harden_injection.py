"""Class 2: no spreadsheet cell becomes a formula from user text (OWASP CSV injection), in
every xlsx and CSV writer; real numbers stay numbers. Read back with openpyxl and csv."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from harden_util import cli, minimal_case, write_case

from som_mc.present.tables import FORMULA_START

EVIL = {
    "name": '=HYPERLINK("http://x","klik")',
    "actor": "=1+1",
    "label": "+cmd|' /C calc'!A0",
    "source": "@SUM(A1:A2)",
    "cons": "-2+3",
}


def _evil_case(**extra: object) -> dict[str, object]:
    data = minimal_case(
        name=EVIL["name"],
        actors=["kommune", EVIL["actor"]],
        costs=[
            {
                "name": "opstart",
                "label": EVIL["label"],
                "actor": EVIL["actor"],
                "kind": "one_off",
                "amount": {"dist": "triangular", "low": 200, "mode": 300, "high": 500},
                "source": EVIL["source"],
            }
        ],
        consequences=[
            {
                "name": "herberg",
                "label": EVIL["cons"],
                "unit": "døgn",
                "profile": [-2, -1],
                "price": {
                    "kommune": {"dist": "uniform", "low": 80, "high": 120},
                    EVIL["actor"]: 50,
                },
            }
        ],
    )
    data.update(extra)
    return data


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "evil.toml", data=_evil_case())
    write_case(tmp_path, "plain.toml")
    return tmp_path


def _check_workbook(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    texts, numbers = [], 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    assert cell.quotePrefix or cell.data_type == "s", cell.coordinate
                    texts.append(cell.value)
                elif isinstance(cell.value, int | float):
                    numbers += 1
    assert any(t == EVIL["actor"] or t == EVIL["name"] for t in texts), texts[:10]
    assert numbers > 0  # numbers stay numbers


def _check_csv(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    numeric = 0
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                try:
                    float(cell)
                except ValueError:
                    pytest.fail(f"{path.name}: live formula text {cell!r}")
                numeric += 1
            else:
                try:
                    float(cell)
                    numeric += 1
                except ValueError:
                    pass
    assert numeric > 0
    assert any(cell.startswith("'=") or cell.startswith("'+") for row in rows for cell in row)


def test_report_workbook(work: Path) -> None:
    code, _o, err = cli(["report", "evil.toml", "--draws", "50", "--seed", "1", "--xlsx",
                         "r.xlsx", "--out", "r.html"])
    assert code == 0, err
    _check_workbook(work / "r.xlsx")


@pytest.mark.parametrize("how", ["template", "convert"])
def test_case_workbook(work: Path, how: str) -> None:
    args = (["template", "t.xlsx", "--from", "evil.toml"] if how == "template"
            else ["convert", "evil.toml", "t.xlsx"])
    code, _o, err = cli(args)
    assert code == 0, err
    _check_workbook(work / "t.xlsx")


def test_summary_csv(work: Path) -> None:
    write_case(work, "=evil.toml", data=_evil_case())  # the file name labels the row
    code, _o, err = cli(["run", "=evil.toml", "plain.toml", "--draws", "50", "--seed", "1",
                         "--out", "many"])
    assert code == 0, err
    _check_csv(work / "many" / "summary.csv")


@pytest.mark.parametrize("name", ["tornado.csv", "spider.csv", "switching_values.csv"])
def test_sensitivity_csv(work: Path, name: str) -> None:
    code, _o, err = cli(["sensitivity", "evil.toml", "--method", "tornado", "--out", "sens",
                         "--seed", "1"])
    assert code == 0, err
    path = work / "sens" / name
    text = path.read_text(encoding="utf-8")
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    float(cell)  # only numbers may start like a formula
    assert text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("ok", "ok"), (-3.5, -3.5), (7, 7), (None, None)],
)
def test_safe_cell_table(value: object, expected: object) -> None:
    from som_mc.present.tables import safe_cell

    assert safe_cell(value) == expected
