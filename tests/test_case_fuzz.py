"""Property-based tests: randomly mutated case files load or raise CaseFileError, nothing else."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import tomli_w
from conftest import CASES_DIR, minimal_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from som_mc import CaseFileError, load_case, parse_case
from som_mc.case import case_to_dict

_SCALARS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=8),
    st.just(math.nan),
    st.just(-1),
    st.just(0),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["dist", "low", "mode", "high", "mean", "sd", "value", "x"]),
            inner,
            max_size=4,
        ),
        st.fixed_dictionaries(
            {"dist": st.sampled_from(["pert", "normal", "beta", "lognormal", "fixed", "poi"])},
            optional={
                "low": _SCALARS,
                "mode": _SCALARS,
                "high": _SCALARS,
                "mean": _SCALARS,
                "sd": _SCALARS,
                "alpha": _SCALARS,
            },
        ),
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    data = minimal_case()
    data["participants"]["per_year"] = [{"dist": "poisson", "mean": 10}, 5]
    data["success_rate"] = {"dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.4}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(_VALUES)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=6))] = draw(_VALUES)
        else:
            parent.append(draw(_VALUES))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_mutated_mappings_load_or_raise_case_file_error(data):
    try:
        case = parse_case(data, file="fuzz.toml")
    except CaseFileError as exc:
        assert str(exc).startswith("fuzz.toml")
        assert "\n" not in exc.message
    else:
        # whatever loads must survive the round trip to TOML and back
        assert parse_case(case_to_dict(case)) == case


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_mutated_files_load_or_raise_case_file_error(tmp_path_factory, data):
    source = sorted(CASES_DIR.glob("*.toml"))
    text = data.draw(st.sampled_from(source)).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        pos = data.draw(st.integers(min_value=0, max_value=len(text)))
        if data.draw(st.booleans()):
            text = text[:pos] + text[pos + data.draw(st.integers(1, 5)) :]
        else:
            text = text[:pos] + data.draw(st.text(max_size=4)) + text[pos:]
    path = tmp_path_factory.mktemp("fuzz") / "case.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_case(path)
    except CaseFileError as exc:
        assert str(exc).startswith(str(path))


def test_example_cases_round_trip_through_toml():
    paths = sorted(CASES_DIR.glob("*.toml"))
    assert paths
    for path in paths:
        case = load_case(path)
        text = tomli_w.dumps(case_to_dict(case))
        assert parse_case(tomllib.loads(text)) == case
