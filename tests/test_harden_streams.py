"""Class 8: two inputs of one case never share a random stream name (silently correlated)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harden_util import assert_refused, cli, minimal_case, write_case

TABLE = [
    # consequence "a.price" has a scale input named consequences.a.price.scale, which is
    # also the price of consequence "a" for an aktør named "scale"
    (
        minimal_case(
            actors=["kommune", "scale"],
            consequences=[
                {"name": "a", "unit": "d", "profile": [-1], "price": {"scale": 10}},
                {"name": "a.price", "unit": "d", "profile": [-1], "price": {"kommune": 5}},
            ],
        ),
        "same name 'consequences.a.price.scale'",
    ),
    (
        minimal_case(
            actors=["kommune", "x.scale"],
            consequences=[
                {"name": "a", "unit": "d", "profile": [-1], "price": {"x.scale": 1}},
                {"name": "a.price.x", "unit": "d", "profile": [-1], "price": {"kommune": 1}},
            ],
        ),
        "share one random stream",
    ),
]


@pytest.mark.parametrize(("data", "expected"), TABLE)
def test_colliding_stream_names_are_refused(tmp_path: Path, data: dict, expected: str) -> None:
    path = write_case(tmp_path, data=data)
    assert_refused(["validate", path], expected)


def test_an_actor_named_scale_alone_is_fine(tmp_path: Path) -> None:
    data = minimal_case(actors=["kommune", "scale"], consequences=[
        {"name": "a", "unit": "d", "profile": [-1], "price": {"scale": 10, "kommune": 3}}])
    code, _o, err = cli(["validate", write_case(tmp_path, data=data)])
    assert code == 0, err
