"""Class 4: inputs that used to raise a traceback now give one line (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harden_util import CATALOG, assert_refused, cli, minimal_case, write_case

from som_mc._io import ensure_numba_cache

UNWRITABLE = "/proc/som_mc_cannot_write_here"  # /proc refuses new files, even for root


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "case.toml", success_rate={"dist": "beta", "alpha": 2, "beta": 3})
    (tmp_path / "file.txt").write_text("x")
    return tmp_path


WRITERS = [
    ["run", "case.toml", "--draws", "20", "--out", "{d}/x.nc"],
    ["run", "case.toml", "--draws", "20", "--out", "{d}/x.zarr"],
    ["report", "case.toml", "--draws", "20", "--out", "{d}/r.html"],
    ["report", "case.toml", "--draws", "20", "--out", "ok.html", "--xlsx", "{d}/r.xlsx"],
    ["report", "case.toml", "--draws", "20", "--out", "ok2.html", "--figures", "{d}/figs"],
    ["sensitivity", "case.toml", "--method", "tornado", "--out", "{d}/sens"],
    ["compare", "case.toml", "case.toml", "--draws", "20", "--figure", "{d}/c.png"],
    ["elicit", "pert", "p10=0.1", "p50=0.2", "p90=0.4", "--figure", "{d}/e.png"],
    ["template", "{d}/t.xlsx"],
    ["convert", "case.toml", "{d}/t.xlsx"],
]


@pytest.mark.parametrize("folder", ["file.txt", "missing/deeper", UNWRITABLE])
@pytest.mark.parametrize("args", WRITERS, ids=lambda a: " ".join(a[:1] + a[-2:-1]))
def test_unwritable_output_folder(work: Path, folder: str, args: list[str]) -> None:
    if folder == UNWRITABLE and not Path("/proc").is_dir():
        pytest.skip("no /proc")
    code, _o, err = cli([a.replace("{d}", folder) for a in args])
    assert "Traceback" not in err
    if code == 0:  # sensitivity makes its output folder (and missing parents) itself
        assert args[0] == "sensitivity" and folder == "missing/deeper"
        assert (work / folder / "sens").is_dir()
        return
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err


CASES = [
    ({"actors": ["kommune", "total"]}, "actors[1]: 'total' names the total row"),
    ({"actors": ["kommune", "I alt"]}, "actors[1]: 'I alt' names the total row"),
    ({"actors": ["kommune", "  i   ALT "]}, "names the total row"),
    ({"name": "a\x00b"}, "name: text 'a\\x00b' holds the control character U+0000"),
    ({"name": "a\x0bb"}, "U+000B"),
    ({"target_group": "x\x1by"}, "target_group"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off", "amount": 3,
                 "source": "x\x7f"}]}, "costs[0].source"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off",
                 "amount": {"dist": "binomial", "n": 1e308, "p": 0.5}}]}, "costs[0].amount"),
]


@pytest.mark.parametrize(("overrides", "expected"), CASES)
def test_case_table(tmp_path: Path, overrides: dict, expected: str) -> None:
    path = write_case(tmp_path, **overrides)
    assert_refused(["validate", path], expected)
    assert_refused(["run", path, "--draws", "20", "--json"], expected)


def test_deeply_nested_toml(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("name = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_refused(["validate", path], "nested too deeply")


def test_dev_zero_as_case_and_catalog_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOM_MC_MAX_INPUT_BYTES", "100000")
    os.symlink("/dev/zero", tmp_path / "zero.toml")
    assert_refused(["validate", tmp_path / "zero.toml"], "larger than 100_000 bytes")
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    os.symlink("/dev/zero", catalog / "zero.toml")
    case = write_case(tmp_path, success_rate={"uses": "catalog:zero/x"})
    assert_refused(["validate", case, "--catalog", catalog], "larger than")


def test_scheduler_not_an_address(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    path = write_case(tmp_path)
    assert_refused(["run", path, "--executor", "dask", "--scheduler", "notaurl", "--draws", "9"],
                   "scheduler")


def test_dollar_signs_are_text_in_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    beta = {"dist": "beta", "alpha": 2, "beta": 3}
    data = minimal_case(name="Cost $5 and $10", success_rate=beta)
    data["consequences"][0]["label"] = "Pris $x^2$ og $"
    path = write_case(tmp_path, data=data)
    code, _o, err = cli(["report", path, "--draws", "50", "--seed", "1", "--out", "r.html",
                         "--figures", "figs"])
    assert code == 0, err
    assert "Cost $5 and $10" in (tmp_path / "r.html").read_text(encoding="utf-8")
    code, _o, err = cli(["sensitivity", path, "--method", "tornado", "--out", "s"])
    assert code == 0, err


def test_numba_cache_falls_back_to_a_writable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")  # folders "inside" a file cannot be created: read-only install
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    note = ensure_numba_cache(blocker / "pkg")
    assert note is not None and "caching in" in note
    assert os.environ["NUMBA_CACHE_DIR"].startswith(str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home_cache"))
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert ensure_numba_cache(blocker / "pkg") is None  # a writable home cache: nothing to do


def test_catalog_still_loads() -> None:
    code, _o, err = cli(["catalog", "list", "--catalog", CATALOG])
    assert code == 0, err
