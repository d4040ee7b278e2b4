"""Golden regressions: every example case in cases/ matches its stored summary.

The stored summaries in ``cases/expected/`` were written by ``python -m som_mc.golden``
(see its docstring); regenerate them deliberately with ``--force`` when a change of results
is intended, and say so in the commit message.
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import CASES_DIR

from som_mc import load_case
from som_mc.golden import compare_golden, golden_path, golden_summary, main

EXPECTED_DIR = CASES_DIR / "expected"
CASE_FILES = sorted(CASES_DIR.glob("*.toml"))

# Deterministic results are plain sums and products in a fixed order: they must agree to
# 1e-9 relative (the absolute floor of 1e-6 kr. only matters for values that are 0).
# The Monte Carlo summary is bit-identical on the same platform (same seed, named streams);
# the same 1e-9 relative tolerance allows for last-bit differences of libm/BLAS or of
# NumPy's SIMD functions on another CPU (with AVX-512 NumPy dispatches other exp and log
# loops) without hiding any real change (a changed input moves these numbers by far more).
# compare_golden takes 1e-9 of the largest number of a section, not of the number itself: a
# net result near zero is a difference of sums a hundred times larger.
RTOL = 1e-9
ATOL = 1e-6


def test_every_case_has_a_golden_file():
    assert CASE_FILES, "no example cases found"
    missing = [p.name for p in CASE_FILES if not golden_path(p, EXPECTED_DIR).exists()]
    assert not missing, f"no golden summary for {missing}; run python -m som_mc.golden"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.stem)
def test_golden_summary(case_file):
    expected = json.loads(golden_path(case_file, EXPECTED_DIR).read_text(encoding="utf-8"))
    actual = golden_summary(load_case(case_file))
    problems = compare_golden(expected, actual, rtol=RTOL, atol=ATOL)
    assert not problems, "\n".join(problems[:20])


def test_compare_golden_detects_changes():
    expected = json.loads(golden_path(CASE_FILES[0], EXPECTED_DIR).read_text(encoding="utf-8"))
    changed = copy.deepcopy(expected)
    changed["monte_carlo"]["cumulative_net_result_horizon"]["total"]["mean"] *= 1 + 1e-7
    changed["deterministic"]["actors"].append("x")
    problems = compare_golden(expected, changed, rtol=RTOL, atol=ATOL)
    assert any("total.mean" in p for p in problems)
    assert any(p.startswith("deterministic.actors[3]: unexpected") for p in problems)
    assert compare_golden(expected, copy.deepcopy(expected), rtol=0, atol=0) == []


def test_compare_golden_tolerance_is_relative_to_the_section():
    expected = {"a": {"big": 1.0e6, "small": 1.0e3}, "b": {"small": 1.0e3}}
    within = copy.deepcopy(expected)
    within["a"]["small"] += 5e-4  # 5e-7 of itself, 5e-10 of the section's 1e6
    assert compare_golden(expected, within, rtol=1e-9, atol=0) == []
    beyond = copy.deepcopy(expected)
    beyond["a"]["small"] += 2e-3  # 2e-9 of the section
    assert compare_golden(expected, beyond, rtol=1e-9, atol=0) == [
        f"a.small: expected 1000.0, got {1000.0 + 2e-3!r}"
    ]
    other = copy.deepcopy(expected)
    other["b"]["small"] += 5e-4  # section b's scale is its own 1e3
    assert compare_golden(expected, other, rtol=1e-9, atol=0) == [
        f"b.small: expected 1000.0, got {1000.0 + 5e-4!r}"
    ]


def test_regenerating_never_overwrites_silently(tmp_path, capsys):
    case = str(CASES_DIR / "cool_kids.toml")
    target = tmp_path / "cool_kids.json"
    target.write_text("{}", encoding="utf-8")
    assert main([case, "--out", str(tmp_path)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "{}"
    assert main([case, "--out", str(tmp_path), "--force"]) == 0
    assert "value(s) changed" in capsys.readouterr().out
    assert json.loads(target.read_text(encoding="utf-8"))["monte_carlo"]["seed"] == 1
