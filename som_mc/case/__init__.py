"""Investeringscases: the file format, loading with clear errors, and the named inputs.

A case is read from TOML (:func:`load_case`), an Excel workbook (:func:`load_case_file`,
:mod:`som_mc.case.xlsx`) or a mapping (:func:`parse_case`) into a
validated, immutable :class:`Case`; every scalar in it is an input with a stable name
(:func:`case_inputs`).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

from som_mc.case.inputs import InputSpec, case_inputs, uncertain_inputs
from som_mc.case.load import case_hash, case_to_dict, load_case, parse_case
from som_mc.case.provenance import InputProvenance, Provenance, input_provenance
from som_mc.case.scenarios import apply_scenario, input_domain, scenario_cases
from som_mc.case.schema import (
    Case,
    Consequence,
    Correlation,
    CostLine,
    Outcome,
    Participants,
    Scenario,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from som_mc.case.xlsx import convert, read_workbook, write_workbook
    from som_mc.catalog import Catalog

#: Names of the workbook module, imported on first use (openpyxl is slow to import and a
#: TOML case never needs it).
_XLSX = ("convert", "read_workbook", "write_workbook")

__all__ = [
    "Case",
    "Consequence",
    "Correlation",
    "CostLine",
    "InputProvenance",
    "InputSpec",
    "Outcome",
    "Participants",
    "Provenance",
    "Scenario",
    "apply_scenario",
    "case_hash",
    "case_inputs",
    "case_to_dict",
    "convert",
    "input_domain",
    "input_provenance",
    "load_case",
    "load_case_file",
    "parse_case",
    "read_workbook",
    "scenario_cases",
    "uncertain_inputs",
    "write_workbook",
]


def load_case_file(
    path: str | Path,
    catalog: "Catalog | str | Path | None" = None,
    *,
    strict: bool = False,
    warn: "Callable[[str], None] | None" = None,
) -> Case:
    """Load a ``.toml`` case file or an ``.xlsx`` case workbook into a validated :class:`Case`.

    A TOML file goes straight to :func:`load_case`, without importing the workbook code
    (openpyxl is a noticeable share of a command's start-up); anything else goes to
    :func:`som_mc.case.xlsx.load_case_file`, which also reports unknown file types. The
    parameters are those of :func:`load_case`.
    """
    if Path(path).suffix.lower() == ".toml":
        return load_case(path, catalog=catalog, strict=strict, warn=warn)
    from som_mc.case import xlsx

    return xlsx.load_case_file(path, catalog=catalog, strict=strict, warn=warn)


def __getattr__(name: str) -> Any:
    if name in _XLSX:
        from som_mc.case import xlsx

        return getattr(xlsx, name)
    raise AttributeError(f"module 'som_mc.case' has no attribute {name!r}")
