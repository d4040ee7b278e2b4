"""Property-based hardening test: mutate the example cases, the CLI arguments and the output
paths; every outcome is exit 0 with only finite numbers, or exit 2 with one line and no
traceback — and no file outside the named outputs changes."""

from __future__ import annotations

import copy
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from harden_util import CASES_DIR, CATALOG, assert_finite_json, cli, minimal_case, tree_digest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASES = {"minimal": minimal_case()} | {
    p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES_DIR.glob("*.toml"))
}

EVIL_VALUES = st.one_of(
    st.sampled_from([0, -1, 1e308, -1e308, 1e19, 1e12, 1e-320, 2**63, "", "  ", "=1+1", "a$b$",
                     "x\x00y", "\ufeffname", "total", "I alt", [], [0, 0], {}, True,
                     {"dist": "lognormal", "mu": 700, "sigma": 1},
                     {"dist": "normal", "mean": 0, "sd": 1e308},
                     {"dist": "poisson", "mean": 1e11},
                     {"dist": "binomial", "n": 10**12, "p": 0.5},
                     {"dist": "gamma", "mean": 1e308, "sd": 1},
                     {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.3}]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=20),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_case(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(0, 2))):
        paths = _paths(data)
        where = draw(st.sampled_from(paths))
        target = data
        for part in where[:-1]:
            target = target[part]
        target[where[-1]] = draw(EVIL_VALUES)
    return data


OUTPUTS = ["none", "out.nc", "out.zarr", "", "link.nc", "case.toml", "missing/x.nc", "precious.txt",
           "sub", "r.html"]

COMMANDS = st.sampled_from(["run", "run-json", "validate", "deterministic", "report"])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    case=mutated_case(),
    command=COMMANDS,
    out=st.sampled_from(OUTPUTS),
    draws=st.sampled_from(["1", "2", "37", "100", "0", "-5", "1e3", "10_000_000_000"]),
    design=st.sampled_from(["random", "lhs", "sobol", "bogus"]),
    force=st.booleans(),
)
def test_mutations_end_cleanly(case: dict[str, Any], command: str, out: str, draws: str,
                               design: str, force: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            text = tomli_w.dumps(case)
        except (TypeError, ValueError):
            return  # not representable in TOML (e.g. a NUL key): nothing to try
        (work / "case.toml").write_text(text, encoding="utf-8")
        (work / "precious.txt").write_text("keep me")
        os.symlink("precious.txt", work / "link.nc")
        (work / "sub").mkdir()
        args: list[str] = []
        named: list[Path] = []
        if command in ("run", "run-json"):
            args = ["run", "case.toml", "--draws", draws, "--design", design, "--seed", "1"]
            args += ["--json"] if command == "run-json" else []
        elif command == "deterministic":
            args = ["run", "case.toml", "--deterministic", "--json"]
        elif command == "validate":
            args = ["validate", "case.toml"]
        else:
            args = ["report", "case.toml", "--draws", draws, "--seed", "1"]
        if out != "none" and command != "validate":
            args += ["--out", out]
            named.append(work / out)
        if force and command not in ("validate",):
            args += ["--force"]
        args += ["--catalog", CATALOG]
        before = tree_digest(work, skip=named)
        cwd = os.getcwd()
        os.chdir(work)
        try:
            code, stdout, err = cli(args)
        finally:
            os.chdir(cwd)
        assert "Traceback" not in err, err
        assert code in (0, 2), (args, code, err)
        if code == 2:
            assert len(err.strip("\n").splitlines()) == 1, err
        elif "--json" in args:
            assert_finite_json(stdout)
        else:
            assert "nan" not in stdout.lower().split() and "inf" not in stdout.lower().split()
        if command == "report" and code == 0 and out == "none":
            named.append(work / "report_case.html")
        after = tree_digest(work, skip=named)
        assert after == before, (args, set(after.items()) ^ set(before.items()))
        assert (work / "precious.txt").read_text() == "keep me"
