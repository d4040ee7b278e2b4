"""The notebooks are committed clean: no outputs, no execution counts, the venv's kernel.

CI executes them with nbmake (``make test``); this test keeps what is in git small and
diff-friendly. Strip a notebook with ``nbstripout notebooks/*.ipynb`` (see notebooks/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_notebooks_exist() -> None:
    names = {p.name for p in NOTEBOOKS}
    assert {"01_quickstart.ipynb", "02_sensitivity.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped(path: Path) -> None:
    nb = _load(path)
    assert nb["nbformat"] == 4
    dirty = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if cell.get("outputs"):
            dirty.append(f"cell {i}: has outputs")
        if cell.get("execution_count") is not None:
            dirty.append(f"cell {i}: has an execution count")
        if "execution" in cell.get("metadata", {}):
            dirty.append(f"cell {i}: has execution timing metadata")
    assert not dirty, (
        f"{path.name} is committed with outputs ({'; '.join(dirty)}); "
        f"strip it: nbstripout {path.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_the_current_environment(path: Path) -> None:
    # nbmake starts the kernel named in the metadata; "python3" is ipykernel's own kernel,
    # i.e. the Python that runs pytest (the venv with som_mc installed).
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3", path.name
    # CI runs every notebook small (make test sets SOM_MC_NB_DRAWS).
    source = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "SOM_MC_NB_DRAWS" in source, f"{path.name} must read its draw count from the env"
