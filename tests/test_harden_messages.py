"""Class 11: message quality — no doubled braces or "received", capped quotes, catalog
pointers, the UTF-8 BOM, no library warnings on stderr, approximate quantiles said so."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from harden_util import assert_finite_json, assert_refused, cli, minimal_case, write_case

BETA = {"dist": "beta", "alpha": 2, "beta": 3}

TABLE = [
    ({"success_rate": "high"}, 'such as { dist = "pert"'),
    ({"success_rate": ["x"] * 1_000_000}, "a list of 1000000 items"),
    ({"name": "x" * 100_000}, None),
    ({"price_year": "2024" * 10_000}, "received"),
    ({"horizon_years": 0}, "received 0"),
    ({"unknown_key_here": 1}, "unknown key"),
]


@pytest.mark.parametrize(("overrides", "expected"), TABLE)
def test_message_is_one_short_line(tmp_path: Path, overrides: dict, expected: str | None) -> None:
    path = write_case(tmp_path, **overrides)
    code, _o, err = cli(["validate", path])
    if expected is None:  # a long name is allowed; it is not echoed anywhere
        assert code == 0, err
        return
    line = assert_refused(["validate", path], expected)
    assert "{{" not in line and "}}" not in line
    assert line.count("received") <= 1, line
    assert len(line) < 1000


def test_catalog_error_points_to_the_catalog_readme(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    catalog.mkdir()
    (catalog / "mine.toml").write_text('[consequences.x]\nunit = "d"\n', encoding="utf-8")
    case = write_case(tmp_path, consequences=[{"uses": "catalog:mine/x"}])
    line = assert_refused(["validate", case, "--catalog", catalog], "mine.toml")
    assert "cases/README.md" not in line


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + tomli_w.dumps(minimal_case()).encode("utf-8"))
    code, _o, err = cli(["validate", path])
    assert code == 0, err


def test_no_library_warnings_on_stderr(tmp_path: Path) -> None:
    data = minimal_case(success_rate={"dist": "beta", "alpha": 0.01, "beta": 0.01})
    data["consequences"][0]["profile"] = [{"dist": "normal", "mean": -2, "sd": 1e-300}, -1]
    path = write_case(tmp_path, data=data)
    code, out, err = cli(["run", path, "--draws", "200", "--seed", "1", "--json"])
    assert code == 0, err
    assert err == ""
    assert_finite_json(out)


def test_chunked_run_says_its_quantiles_are_approximate(tmp_path: Path) -> None:
    path = write_case(tmp_path, success_rate=BETA)
    code, out, err = cli(["run", path, "--draws", "260000", "--seed", "1", "--json", "--quiet"])
    assert code == 0, err
    payload = assert_finite_json(out)
    assert payload["quantiles_approximate"] is True
    assert payload["quantile_method"] == "histogram" and payload["quantile_max_error"] >= 0
    code, out, _err = cli(["run", path, "--draws", "2000", "--seed", "1", "--json"])
    assert assert_finite_json(out)["quantiles_approximate"] is False
