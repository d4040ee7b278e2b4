"""Helpers of the hardening tests (tests/test_harden_*.py): cases on disk, the CLI in-process.

Every bad input must give exit status 2 and exactly one line on stderr (``som-mc: error:``),
never a traceback; every good input exit 0 with only finite numbers in the output.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomli_w
from conftest import CASES_DIR, ROOT, minimal_case

from som_mc.cli import main

__all__ = [
    "CASES_DIR",
    "CATALOG",
    "ROOT",
    "assert_finite_json",
    "assert_refused",
    "cli",
    "minimal_case",
    "tree_digest",
    "write_case",
]

CATALOG = str(ROOT / "distributions")


def write_case(folder: Path, file: str = "case.toml", data: dict[str, Any] | None = None,
               **overrides: Any) -> Path:
    """Write `data` (default: the minimal case with `overrides`) as TOML; return the path."""
    path = folder / file
    path.write_text(tomli_w.dumps(data if data is not None else minimal_case(**overrides)),
                    encoding="utf-8")
    return path


def cli(args: Sequence[str]) -> tuple[int, str, str]:
    """Run ``som-mc ARGS`` in this process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def assert_refused(args: Sequence[str], expected: str) -> str:
    """Assert exit 2 with one line on stderr that contains `expected`; return the line."""
    code, _out, err = cli(args)
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]
    assert len(lines[0]) < 1500, len(lines[0])
    return lines[0]


def assert_finite_json(text: str) -> Any:
    """Parse JSON and assert that every number in it is finite (NaN/inf never printed)."""
    payload = json.loads(text, parse_constant=lambda c: float(c))

    def walk(x: Any) -> None:
        if isinstance(x, float):
            assert math.isfinite(x), x
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(payload)
    return payload


def tree_digest(folder: Path, skip: Sequence[Path] = ()) -> dict[str, str]:
    """SHA-256 of every file under `folder` (paths relative), except `skip` and inside them."""
    skipped = [Path(os.path.abspath(p)) for p in skip]
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(os.path.abspath(Path(root) / name))
            if any(path == s or s in path.parents for s in skipped):
                continue
            if path.is_symlink():
                out[str(path.relative_to(folder))] = "-> " + os.readlink(path)
            else:
                out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
