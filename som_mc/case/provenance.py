"""Where each input's number comes from: sourced or illustrative.

One definition, used by ``validate``, ``run`` (text and ``--json``), the results file's
attributes and the report. An input is **sourced** when

- its value comes from a catalog entry whose ``source`` is a public source (not
  ``illustrative``, see :func:`som_mc.catalog.is_sourced`), or
- it is written in the case itself (or overrides a catalog entry's field locally) on a line
  whose own ``source`` names a source (a cost or consequence line's ``source``, not starting
  with ``illustrative``).

Everything else is **illustrative**: a catalog entry marked ``illustrative``, or a number in
the case on a line without a source (the succesrate, deltagere and drop-off written in the case
have no ``source`` key, so they are illustrative unless they come from a sourced catalog entry).
The line counts the *uncertain* inputs (those that vary between draws), as the simulation
does; :attr:`Provenance.inputs` lists fixed ones too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from som_mc.case.inputs import InputSpec, case_inputs
from som_mc.case.schema import Case
from som_mc.catalog import CatalogUse, is_sourced

__all__ = ["InputProvenance", "Provenance", "input_provenance"]

InputKind = Literal[
    "success_rate", "participants", "dropoff_rate", "cost", "scale", "profile", "price"
]


@dataclass(frozen=True, slots=True)
class InputProvenance:
    """Where one scalar input of a case comes from.

    Attributes
    ----------
    name : str
        The input's stable name (``consequences.herberg.price.kommune``).
    key : str
        Its key path in the case file (``consequences[0].price.kommune``).
    label : str
        Danish label.
    kind : str
        ``success_rate``, ``participants``, ``dropoff_rate``, ``cost``, ``scale``,
        ``profile`` or ``price``.
    uncertain : bool
        Whether it varies between draws.
    origin : str
        ``catalog`` (the value is a catalog entry's) or ``case`` (written in the case).
    entry : str
        The catalog entry (``""`` for ``origin = "case"``).
    source : str
        The entry's source, or the case line's own ``source`` (``""`` when there is none).
    sourced : bool
        Whether `source` names a source (see the module docstring).
    """

    name: str
    key: str
    label: str
    kind: InputKind
    uncertain: bool
    origin: Literal["catalog", "case"]
    entry: str
    source: str
    sourced: bool

    def as_dict(self) -> dict[str, object]:
        """Plain mapping (JSON)."""
        return {
            "name": self.name,
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "uncertain": self.uncertain,
            "origin": self.origin,
            "entry": self.entry,
            "source": self.source,
            "sourced": self.sourced,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """The provenance of every input of a case (:func:`input_provenance`).

    Attributes
    ----------
    inputs : tuple of InputProvenance
        Every scalar input, fixed ones included, in :func:`som_mc.case.case_inputs` order.
    """

    inputs: tuple[InputProvenance, ...]

    def __iter__(self) -> Iterator[InputProvenance]:
        return iter(self.inputs)

    @property
    def uncertain(self) -> list[InputProvenance]:
        """The uncertain inputs."""
        return [p for p in self.inputs if p.uncertain]

    @property
    def illustrative(self) -> list[InputProvenance]:
        """The uncertain inputs that rest on illustrative numbers (no source)."""
        return [p for p in self.uncertain if not p.sourced]

    @property
    def n_uncertain(self) -> int:
        """Number of uncertain inputs."""
        return len(self.uncertain)

    @property
    def n_illustrative(self) -> int:
        """Number of uncertain inputs without a source."""
        return len(self.illustrative)

    def line(self) -> str:
        """One Danish line: how many uncertain inputs rest on illustrative numbers.

        Examples: ``12 af 30 usikre input bygger på illustrative tal (ingen kilde)``;
        ``alle 8 usikre input har en kilde``. A case without uncertain inputs counts all
        of its inputs (``3 af 9 input (alle faste) bygger på …``).
        """
        if self.n_uncertain:
            n, total, what = self.n_illustrative, self.n_uncertain, "usikre input"
        else:
            total = len(self.inputs)
            n = sum(not p.sourced for p in self.inputs)
            what = "input (alle faste)"
        if n == 0:
            return f"alle {total} {what} har en kilde"
        return f"{n} af {total} {what} bygger på illustrative tal (ingen kilde)"

    def as_dict(self) -> dict[str, object]:
        """Return counts, the line and the illustrative uncertain inputs (for ``--json``)."""
        return {
            "n_uncertain": self.n_uncertain,
            "n_illustrative": self.n_illustrative,
            "line": self.line(),
            "illustrative_inputs": [p.as_dict() for p in self.illustrative],
        }


def _kind(spec: InputSpec) -> InputKind:
    if spec.key.startswith("participants"):
        return "participants"
    if spec.key.startswith("outcome"):
        return "dropoff_rate"
    if spec.key.startswith("costs"):
        return "cost"
    if spec.key == "success_rate":
        return "success_rate"
    field = spec.key.split("]", 1)[1].lstrip(".")
    if field.startswith("scale"):
        return "scale"
    if field.startswith("profile"):
        return "profile"
    return "price"


def _covers(field: str, key: str) -> bool:
    return key == field or key.startswith((field + ".", field + "["))


def _line(key: str) -> str:
    """Return the case line of a key path: ``costs[1]``, ``consequences[0]`` or the key."""
    if key.startswith(("costs[", "consequences[")):
        return key.split("]", 1)[0] + "]"
    return key


def input_provenance(case: Case) -> Provenance:
    """Classify every input of a case as sourced or illustrative.

    Parameters
    ----------
    case : Case
        A validated case (its :attr:`~Case.catalog_uses` say which values came from the
        catalog).

    Returns
    -------
    Provenance
        Per input its origin, source and whether it is sourced; counts and the Danish line
        (:meth:`Provenance.line`).
    """
    uses = case.catalog_uses
    line_sources: dict[str, str] = {}
    for i, cost in enumerate(case.costs):
        line_sources[f"costs[{i}]"] = cost.source
    for i, cons in enumerate(case.consequences):
        line_sources[f"consequences[{i}]"] = cons.source
    for u in uses:  # a catalog line's source is the catalog's; its own is `local_source`
        line = _line(u.used_by)
        if line in line_sources:
            line_sources[line] = u.local_source
    out = []
    for spec in case_inputs(case):
        use: CatalogUse | None = next(
            (u for u in uses if any(_covers(f, spec.key) for f in u.fields)), None
        )
        if use is not None:
            origin: Literal["catalog", "case"] = "catalog"
            entry, source, sourced = use.entry, use.source, use.sourced
        else:
            origin, entry = "case", ""
            source = line_sources.get(_line(spec.key), "")
            sourced = is_sourced(source)
        out.append(
            InputProvenance(
                name=spec.name,
                key=spec.key,
                label=spec.label,
                kind=_kind(spec),
                uncertain=spec.uncertain,
                origin=origin,
                entry=entry,
                source=source,
                sourced=sourced,
            )
        )
    return Provenance(tuple(out))
