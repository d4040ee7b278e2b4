"""Shared fixtures: small valid cases as mappings."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI runs a fixed, reproducible set of property-based examples; local runs explore new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "cases"


def cli_imports(argv: Sequence[str], watch: Sequence[str]) -> dict[str, Any]:
    """Run ``som_mc.cli.main(argv)`` in a fresh interpreter.

    Returns its exit status (``status``) and which of the modules `watch` it imported
    (``imported``, in the order given).
    """
    code = (
        "import json, sys\n"
        "from som_mc.cli import main\n"
        "try:\n"
        f"    status = main({list(argv)!r})\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"imported = [m for m in {tuple(watch)!r} if m in sys.modules]\n"
        "print(json.dumps({'status': status, 'imported': imported}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def minimal_case(**overrides: Any) -> dict[str, Any]:
    """A small valid case: one cohort of 10, s = 0.5, one consequence, one cost line."""
    data: dict[str, Any] = {
        "name": "Minimal",
        "target_group": "test",
        "price_year": 2024,
        "start_year": 2025,
        "horizon_years": 3,
        "success_rate": 0.5,
        "participants": {"per_year": [10], "course_years": 1.0},
        "costs": [{"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 300}],
        "consequences": [
            {
                "name": "herberg",
                "unit": "døgn",
                "profile": [-2, -1],
                "price": {"kommune": 100, "stat": 50},
            }
        ],
    }
    data.update(copy.deepcopy(overrides))
    return data


@pytest.fixture
def case_dict() -> dict[str, Any]:
    return minimal_case()
