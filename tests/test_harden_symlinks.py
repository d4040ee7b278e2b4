"""Class 1: no writer follows a symbolic link (a link is replaced or refused, never written
through), and a dangling link is an existing output (refused without --force)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harden_util import CASES_DIR, CATALOG, assert_refused, cli, write_case

PRECIOUS = "a user's file\n"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "case.toml")
    write_case(tmp_path, "other.toml", success_rate={"dist": "beta", "alpha": 2, "beta": 3})
    (tmp_path / "target.txt").write_text(PRECIOUS)
    return tmp_path


# writer -> (command with {out}, the linked output file inside `out` or None for out itself)
WRITERS = {
    "netcdf": (["run", "case.toml", "--draws", "50", "--seed", "1", "--out", "{out}"], "x.nc",
               None),
    "html": (["report", "other.toml", "--draws", "50", "--seed", "1", "--out", "{out}"],
             "r.html", None),
    "report xlsx": (["report", "other.toml", "--draws", "50", "--seed", "1", "--out", "r2.html",
                     "--xlsx", "{out}"], "r.xlsx", None),
    "report figures": (["report", "other.toml", "--draws", "50", "--seed", "1", "--out",
                        "r3.html", "--figures", "figs"], "figs", "fan.png"),
    "summary csv": (["run", "case.toml", "other.toml", "--draws", "50", "--seed", "1", "--out",
                     "many"], "many", "summary.csv"),
    "sensitivity": (["sensitivity", "other.toml", "--method", "tornado", "--out", "sens"],
                    "sens", "tornado.csv"),
    "compare figure": (["compare", "case.toml", "other.toml", "--draws", "50", "--seed", "1",
                        "--figure", "{out}"], "c.png", None),
    "elicit figure": (["elicit", "pert", "p10=0.1", "p50=0.2", "p90=0.4", "--figure", "{out}"],
                      "e.png", None),
    "template": (["template", "{out}"], "t.xlsx", None),
    "convert": (["convert", "case.toml", "{out}"], "c.xlsx", None),
}


def _prepare(work: Path, name: str) -> tuple[list[str], Path]:
    args, out, inner = WRITERS[name]
    if inner is None:
        link = work / out
        os.symlink("target.txt", link)
    else:
        (work / out).mkdir()
        link = work / out / inner
        os.symlink(work / "target.txt", link)
    return [a.replace("{out}", out) for a in args], link


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writer_replaces_a_link_never_its_target(work: Path, name: str) -> None:
    args, link = _prepare(work, name)
    code, _out, err = cli([*args, "--force"])
    assert "Traceback" not in err
    assert (work / "target.txt").read_text() == PRECIOUS  # the link's target is untouched
    if name in ("template", "convert"):  # the case workbook writer refuses a link instead
        assert code == 2 and "symbolic link" in err and len(err.strip().splitlines()) == 1
        return
    assert code == 0, err
    assert not link.is_symlink() and link.is_file()  # the link itself was replaced


@pytest.mark.parametrize("name", ["netcdf", "html", "compare figure", "template", "elicit figure"])
def test_dangling_link_is_an_existing_output(work: Path, name: str) -> None:
    args, out, _inner = WRITERS[name]
    os.symlink("nowhere/else", work / out)
    args = [a.replace("{out}", out) for a in args]
    code, _o, err = cli(args)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not (work / "nowhere").exists()


def test_zarr_store_link_is_refused(work: Path) -> None:
    os.symlink("target.txt", work / "x.zarr")
    assert_refused(["run", "case.toml", "--draws", "50", "--out", "x.zarr", "--force"],
                   "symbolic link")
    assert (work / "target.txt").read_text() == PRECIOUS


def test_catalog_case_runs(work: Path) -> None:  # the example cases keep working
    code, _o, err = cli(["validate", str(CASES_DIR / "cool_kids.toml"), "--catalog", CATALOG])
    assert code == 0, err
