"""The distribution catalog: SØM's vidensdatabase in probabilistic form.

The catalog is a folder of TOML files (the repository's top-level ``distributions/``; the
format is documented in ``distributions/README.md``). Each file holds named, sourced entries
of these kinds:

- ``[target_group]`` — a målgruppe with its effektmål (entry name: the file stem);
- ``[consequences.<key>]`` — a konsekvensprofil: unit, yearly change per successful person,
  uncertainty (``scale``) and the unit price that applies (a reference to a price entry);
- ``[prices.<key>]`` — an enhedspris per aktør (kommune, region, stat) with ``price_year``;
- ``[success_rates.<key>]`` — a typical succesrate from a study;
- ``[costs.<key>]`` — a typical cost line of an indsats, with ``price_year``;
- ``[price_index]`` — the price index used to convert between price years (entry name: the
  file stem; one per catalog).

Entries are named ``<file stem>/<key>`` (e.g. ``hjemloeshed/herberg``). Case files refer to
them with ``uses = "catalog:hjemloeshed/herberg"``; :func:`resolve_references` replaces the
references by ordinary case values when a case is loaded (see ``cases/README.md``).

Every problem in a catalog file is raised as one :class:`~som_mc.errors.CatalogError`
naming the file, the key path, what was received and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from som_mc._io import read_capped
from som_mc._validation import Scalar
from som_mc._validation import Strict as _Strict
from som_mc._validation import describe as _describe
from som_mc._validation import format_pydantic_error as _format_pydantic_error
from som_mc.distributions import Distribution, Fixed, Mixture, from_toml
from som_mc.errors import CaseFileError, CatalogError
from som_mc.types import DEFAULT_ACTORS, AppliesTo, CostKind

__all__ = [
    "CATALOG_ENV",
    "ILLUSTRATIVE",
    "REFERENCE_PREFIX",
    "Catalog",
    "CatalogEntry",
    "CatalogUse",
    "ConsequenceEntry",
    "CostEntry",
    "EntryKind",
    "PriceEntry",
    "PriceIndex",
    "SuccessRateEntry",
    "TargetGroupEntry",
    "default_catalog_dir",
    "is_money_unit",
    "is_sourced",
    "load_catalog",
    "resolve_references",
    "scale_distribution",
]

#: Environment variable naming a catalog folder (used when no folder is passed).
CATALOG_ENV = "SOM_MC_CATALOG"

#: Prefix of a catalog reference in a case file: ``"catalog:hjemloeshed/herberg"``.
REFERENCE_PREFIX = "catalog:"

#: The exact ``source`` of a number that is not taken from a public source.
ILLUSTRATIVE = "illustrative"


def is_sourced(source: str) -> bool:
    """Whether a ``source`` text names a source.

    The one definition of *sourced*, for catalog entries and for the ``source`` a case line
    writes itself (:func:`som_mc.case.input_provenance` builds on it): a source is a non-empty
    text that does not start with the word ``illustrative`` (so ``"illustrative"`` and
    ``"illustrative: two therapists, …"`` are not sources; a catalog entry's is either a
    source or exactly ``"illustrative"``).
    """
    return bool(source.strip()) and not source.strip().lower().startswith(ILLUSTRATIVE)


EntryKind = Literal["target_group", "consequence", "price", "success_rate", "cost", "price_index"]

#: Danish names of the entry kinds (tables of ``som-mc catalog``).
KIND_LABELS: Mapping[str, str] = {
    "target_group": "målgruppe",
    "consequence": "konsekvens",
    "price": "enhedspris",
    "success_rate": "succesrate",
    "cost": "omkostning",
    "price_index": "prisindeks",
}

_KEY = re.compile(r"^[a-z0-9_]+$")


def is_money_unit(unit: str) -> bool:
    """Whether a unit is kroner (``"kr. lønindkomst"``, ``"kr. pr. forløb"``).

    A konsekvens in kroner has a money profile (converted between price years) and is priced
    by a share per krone (no price year).
    """
    return unit.strip().lower().startswith("kr.")


# ---------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------


class _Entry(_Strict):
    """Fields every entry has: a label, free text and where its numbers come from."""

    label: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1)
    note: str = ""

    @field_validator("source")
    @classmethod
    def _source_form(cls, v: str) -> str:
        if v.strip().lower().startswith("illustrativ") and v != ILLUSTRATIVE:
            raise PydanticCustomError(
                "source_form",
                "an illustrative number has source exactly 'illustrative' (put the details "
                "in 'note'); received {received}",
                {"received": repr(v)},
            )
        return v

    @model_validator(mode="after")
    def _illustrative_needs_note(self) -> _Entry:
        if self.source == ILLUSTRATIVE and not self.note.strip():
            raise PydanticCustomError(
                "note_missing",
                "an entry with source = 'illustrative' needs a 'note' saying what the number "
                "is based on",
                {"unknown": "note"},
            )
        return self

    @property
    def illustrative(self) -> bool:
        """True when the numbers are illustrative, not from a public source."""
        return self.source == ILLUSTRATIVE


class TargetGroupEntry(_Entry):
    """A målgruppe and its effektmål (succesmål)."""

    outcome_goals: list[str] = Field(min_length=1)


class PriceEntry(_Entry):
    """An enhedspris: kroner per unit, per aktør, after refusion.

    When `unit` is itself kroner (e.g. ``"kr. lønindkomst"``) the price is a share per krone
    (tax) and has no `price_year`; otherwise `price_year` is required.
    """

    unit: str = Field(min_length=1)
    price_year: int | None = Field(default=None, ge=1900, le=2200)
    price: dict[str, Scalar] = Field(min_length=1)

    @model_validator(mode="after")
    def _price_year_iff_money(self) -> PriceEntry:
        _check_price_year(self.unit, self.price_year, share=True)
        return self


class ConsequenceEntry(_Entry):
    """A konsekvensprofil: yearly change per successful person, priced by a price entry."""

    unit: str = Field(min_length=1)
    outcome_goal: str = ""
    profile: list[Scalar] = Field(min_length=1, max_length=100)
    scale: Scalar = Fixed(value=1.0)
    applies_to: AppliesTo = "successes"
    price: str = Field(min_length=1)
    price_year: int | None = Field(default=None, ge=1900, le=2200)

    @model_validator(mode="after")
    def _price_year_iff_money(self) -> ConsequenceEntry:
        _check_price_year(self.unit, self.price_year, share=False)
        return self


class SuccessRateEntry(_Entry):
    """A typical succesrate (net of what would have happened anyway) from a study."""

    unit: Literal["andel"] = "andel"
    outcome_goal: str = ""
    value: Scalar


class CostEntry(_Entry):
    """A typical cost line of an indsats (kroner at `price_year`)."""

    unit: str = Field(min_length=1)
    price_year: int = Field(ge=1900, le=2200)
    actor: str = Field(min_length=1)
    kind: CostKind
    amount: Scalar
    saved: bool = False
    schedule: list[float] | None = Field(default=None, min_length=1)


class PriceIndex(_Strict):
    """A price index (e.g. Danmarks Statistik's nettoprisindeks) for converting price years.

    Give either `monthly` (published monthly levels; the yearly level of a year is computed
    as the mean of its twelve months, and a year with fewer published months has no yearly
    level) or `values` (yearly levels, used as given), not both.

    `monthly` maps ``"YYYY"`` to the levels of consecutive months from January, or
    ``"YYYY-MM"`` to the levels of consecutive months from month ``MM`` (a year whose first
    published month is not January, e.g. ``"2014-06" = [99.5, ...]``); at most up to December,
    one key per year.
    """

    label: str = Field(min_length=1)
    description: str = ""
    source: str = Field(min_length=1)
    note: str = ""
    unit: str = Field(min_length=1)
    values: dict[str, float] = Field(default_factory=dict)
    monthly: dict[str, list[float]] = Field(default_factory=dict)

    @field_validator("values")
    @classmethod
    def _years_and_levels(cls, v: dict[str, float]) -> dict[str, float]:
        for year, level in v.items():
            if not re.fullmatch(r"(19|20|21)\d\d", year):
                raise PydanticCustomError(
                    "index_year",
                    'index keys are years such as "2024"; received {received}',
                    {"received": repr(year)},
                )
            _check_level(level, year)
        return v

    @field_validator("monthly")
    @classmethod
    def _months_and_levels(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        seen: set[str] = set()
        for key, levels in v.items():
            match = re.fullmatch(r"((?:19|20|21)\d\d)(?:-(0[1-9]|1[0-2]))?", key)
            if match is None:
                raise PydanticCustomError(
                    "index_month",
                    'monthly keys are a year such as "2023" (months from January) or a year '
                    'and first month such as "2014-06"; received {received}',
                    {"received": repr(key)},
                )
            year, first = match.group(1), int(match.group(2) or 1)
            if year in seen:
                raise PydanticCustomError(
                    "index_month",
                    "year {year} appears twice in monthly (one key per year); received {received}",
                    {"year": year, "received": repr(key)},
                )
            seen.add(year)
            if not 1 <= len(levels) <= 13 - first:
                raise PydanticCustomError(
                    "index_month",
                    "{received} holds {n} monthly levels from month {first}; allowed 1 to "
                    "{most} (up to December)",
                    {"received": repr(key), "n": len(levels), "first": first, "most": 13 - first},
                )
            for i, level in enumerate(levels):
                _check_level(level, f"{year}-{first + i:02d}")
        return v

    @model_validator(mode="after")
    def _one_table(self) -> PriceIndex:
        if bool(self.values) == bool(self.monthly):
            raise PydanticCustomError(
                "index_table",
                "a price index has either 'monthly' (published monthly levels) or 'values' "
                "(yearly levels); received {received}",
                {"received": "both" if self.values else "neither"},
            )
        return self

    def months(self, year: int) -> dict[int, float]:
        """Return the published monthly levels of `year` (month 1-12 -> level), maybe empty."""
        for key, levels in self.monthly.items():
            if key[:4] == str(year):
                first = int(key[5:] or 1)
                return {first + i: level for i, level in enumerate(levels)}
        return {}

    @property
    def yearly(self) -> dict[int, float]:
        """Yearly levels by year, sorted: `values` as given, or the mean of twelve months.

        With `monthly`, only years with all twelve months published have a level; it is
        ``math.fsum(months) / 12``, not rounded.
        """
        if self.values:
            return {int(y): self.values[y] for y in sorted(self.values)}
        out: dict[int, float] = {}
        for year in sorted(int(key[:4]) for key in self.monthly):
            months = self.months(year)
            if len(months) == 12:
                out[year] = math.fsum(months.values()) / 12
        return out

    @property
    def years(self) -> list[int]:
        """The years that have a yearly level, sorted."""
        return list(self.yearly)

    def level(self, year: int) -> float | None:
        """Yearly level of `year`, or None when the year has none (see :attr:`yearly`)."""
        return self.yearly.get(year)

    def missing_reason(self, year: int) -> str:
        """Return why `year` has no yearly level (for error messages)."""
        years = self.years
        covers = f"{years[0]}..{years[-1]}" if years else "no complete year"
        months = self.months(year)
        if not months:
            return f"has no value for {year} (it covers {covers})"
        first, last = min(months), max(months)
        return (
            f"has no yearly level for {year}: only {len(months)} of 12 months are published "
            f"({year}-{first:02d}..{year}-{last:02d}), and a yearly level is the mean of 12 "
            f"months (years with a level: {covers})"
        )


def _check_level(level: float, where: str) -> None:
    if not (math.isfinite(level) and level > 0):
        raise PydanticCustomError(
            "index_level",
            "index levels are finite numbers > 0; received {received} for {year}",
            {"received": repr(level), "year": where},
        )


class _CatalogFile(_Strict):
    """One TOML file of the catalog."""

    target_group: TargetGroupEntry | None = None
    consequences: dict[str, ConsequenceEntry] = Field(default_factory=dict)
    prices: dict[str, PriceEntry] = Field(default_factory=dict)
    success_rates: dict[str, SuccessRateEntry] = Field(default_factory=dict)
    costs: dict[str, CostEntry] = Field(default_factory=dict)
    price_index: PriceIndex | None = None


def _check_price_year(unit: str, price_year: int | None, *, share: bool) -> None:
    money = is_money_unit(unit)
    if share:  # a price entry
        if money and price_year is not None:
            raise PydanticCustomError(
                "price_year_share",
                "a price of a unit in kroner ({unit}) is a share per krone and has no "
                "price_year; remove it",
                {"unit": repr(unit), "unknown": "price_year"},
            )
        if not money and price_year is None:
            raise PydanticCustomError(
                "price_year_missing",
                "an amount in kroner needs price_year (the year of its price level)",
                {"unknown": "price_year"},
            )
    else:  # a consequence entry: its profile is money when its unit is kroner
        if money and price_year is None:
            raise PydanticCustomError(
                "price_year_missing",
                "a profile in kroner ({unit}) needs price_year (the year of its price level)",
                {"unit": repr(unit), "unknown": "price_year"},
            )
        if not money and price_year is not None:
            raise PydanticCustomError(
                "price_year_share",
                "only a profile in kroner has a price_year (unit {unit} is not money); "
                "the price year belongs to the price entry",
                {"unit": repr(unit), "unknown": "price_year"},
            )


_SECTION_KIND: dict[str, EntryKind] = {
    "consequences": "consequence",
    "prices": "price",
    "success_rates": "success_rate",
    "costs": "cost",
}

_CUSTOM_MESSAGES = (
    "source_form",
    "note_missing",
    "price_year_share",
    "price_year_missing",
    "index_year",
    "index_month",
    "index_level",
    "index_table",
)


# ---------------------------------------------------------------------------------------------
# The loaded catalog
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogEntry:
    """One named entry of a loaded catalog.

    Attributes
    ----------
    name : str
        ``<file stem>/<key>``, or the file stem for a målgruppe or the price index.
    kind : EntryKind
        What the entry is.
    file : str
        The TOML file it was read from.
    key : str
        Its key path in that file, e.g. ``consequences.herberg``.
    data : BaseModel
        The validated entry (:class:`ConsequenceEntry`, :class:`PriceEntry`, ...).
    """

    name: str
    kind: EntryKind
    file: str
    key: str
    data: BaseModel

    @property
    def label(self) -> str:
        """Readable label."""
        return str(getattr(self.data, "label", self.name))

    @property
    def source(self) -> str:
        """Where the numbers come from (a publication, a URL or ``"illustrative"``)."""
        return str(getattr(self.data, "source", ""))

    @property
    def unit(self) -> str | None:
        """Unit of the entry's numbers (None for a målgruppe)."""
        return getattr(self.data, "unit", None)

    @property
    def price_year(self) -> int | None:
        """Price year of the entry's amounts (None when it has no money)."""
        return getattr(self.data, "price_year", None)

    def text(self) -> str:
        """All searchable text: name, label, description, source and note."""
        parts = [self.name, self.label, self.source]
        for attr in ("description", "note", "outcome_goal"):
            parts.append(str(getattr(self.data, attr, "")))
        parts.extend(getattr(self.data, "outcome_goals", []))
        return "\n".join(parts)


@dataclass(frozen=True)
class CatalogUse:
    """A catalog entry used by a case (recorded in the results' provenance).

    Attributes
    ----------
    entry : str
        Entry name, e.g. ``hjemloeshed/herberg``.
    kind : EntryKind
        Kind of the entry.
    used_by : str
        Key path in the case that refers to it, e.g. ``consequences[0]``.
    source : str
        The entry's source.
    price_year : int or None
        The entry's price year (None when it has no money).
    price_factor : float or None
        Factor that converted its amounts to the case's price year (1 when the years agree;
        None when it has no money).
    file : str
        Name of the catalog file of the entry (e.g. ``hjemloeshed.toml``).
    fields : tuple of str
        Key paths in the case whose values the entry provided, e.g.
        ``("consequences[0].scale", "consequences[0].profile")``; a field the case overrides
        locally is not listed (its value is the case's own).
    local_source : str
        The ``source`` the case wrote itself on the line that uses the entry (``""`` when
        none): the source of the line's locally overridden values.
    warnings : tuple of str
        Lines ``key path: message`` about a use that is valid but probably unintended (a
        local price table for fewer aktører than the entry's price; see
        :mod:`som_mc.case.lint`).
    """

    entry: str
    kind: EntryKind
    used_by: str
    source: str
    price_year: int | None
    price_factor: float | None
    file: str
    fields: tuple[str, ...] = ()
    local_source: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def sourced(self) -> bool:
        """Whether the entry has a public source (not ``illustrative``)."""
        return is_sourced(self.source)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping (for JSON provenance)."""
        return {
            "entry": self.entry,
            "kind": self.kind,
            "used_by": self.used_by,
            "source": self.source,
            "price_year": self.price_year,
            "price_factor": self.price_factor,
            "file": self.file,
            "fields": list(self.fields),
        }


class Catalog:
    """A loaded, validated catalog. Build it with :func:`load_catalog`.

    Parameters
    ----------
    root : Path
        The catalog folder.
    entries : Mapping[str, CatalogEntry]
        Entries by name, in file order.
    """

    def __init__(self, root: Path, entries: Mapping[str, CatalogEntry]) -> None:
        self.root = root
        self.entries = dict(entries)
        index = [e for e in self.entries.values() if e.kind == "price_index"]
        self.index_entry: CatalogEntry | None = index[0] if index else None

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def names(self) -> list[str]:
        """All entry names."""
        return list(self.entries)

    def get(self, name: str) -> CatalogEntry:
        """Return the entry called `name`.

        Raises
        ------
        KeyError
            With a did-you-mean hint as its message (see :meth:`unknown_message`).
        """
        try:
            return self.entries[name]
        except KeyError:
            raise KeyError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        """Message for an unknown entry name, with a did-you-mean hint."""
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"unknown catalog entry {name!r}{hint}; list the entries with "
            f"'som-mc catalog list' (catalog: {self.root})"
        )

    def search(self, word: str) -> list[CatalogEntry]:
        """Entries whose name, label, description, source or note contain `word`.

        The match is case-insensitive.
        """
        needle = word.casefold()
        return [e for e in self if needle in e.text().casefold()]

    def in_file(self, stem: str) -> list[CatalogEntry]:
        """Entries of the file ``<stem>.toml``."""
        return [e for e in self if Path(e.file).stem == stem]

    def price_factor(self, from_year: int, to_year: int) -> float:
        """Factor converting kroner of `from_year` to kroner of `to_year`.

        ``level(to_year) / level(from_year)`` with the yearly levels of
        :attr:`PriceIndex.yearly` (for a monthly index: the mean of each year's twelve
        published months); exactly 1 when the years agree.

        Raises
        ------
        KeyError
            With a message naming the missing year and the years the index covers.
        """
        if from_year == to_year:
            return 1.0
        if self.index_entry is None:
            raise KeyError(
                f"the catalog ({self.root}) has no [price_index] to convert {from_year} "
                f"prices to {to_year} prices"
            )
        index = self.index_entry.data
        assert isinstance(index, PriceIndex)
        for year in (from_year, to_year):
            if index.level(year) is None:
                raise KeyError(
                    f"the price index ({self.index_entry.file}) {index.missing_reason(year)}"
                )
        return float(index.level(to_year)) / float(index.level(from_year))  # type: ignore[arg-type]


def _catalog_error(exc: ValidationError, data: Any, file: str, prefix: str = "") -> CatalogError:
    errors = exc.errors(include_url=False)
    err = errors[0]
    path, msg = _format_pydantic_error(err, data)
    msg = msg.replace("(see cases/README.md)", "(see distributions/README.md)")
    if err["type"] in _CUSTOM_MESSAGES:
        msg = err["msg"]
    path = f"{prefix}.{path}" if prefix and path else (prefix or path)
    more = len(errors) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''} after fixing this)"
    return CatalogError(msg, file=file, key=path or None)


def _read_toml(path: Path) -> dict[str, Any]:
    file = str(path)
    try:
        text = read_capped(path).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=file
        ) from None
    except OSError as exc:
        raise CatalogError(f"cannot read the file ({exc.strerror})", file=file) from None
    except ValueError as exc:  # larger than the input cap (e.g. /dev/zero)
        raise CatalogError(str(exc), file=file) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"malformed TOML: {exc}", file=file) from None
    except RecursionError:
        raise CatalogError("arrays or tables nested too deeply to read", file=file) from None


def _load_file(path: Path) -> list[CatalogEntry]:
    file = str(path)
    stem = path.stem
    if not _KEY.match(stem):
        raise CatalogError(
            "catalog file names are lower-case letters, digits and '_' (they become entry "
            f"names); rename {path.name!r}",
            file=file,
        )
    data = _read_toml(path)
    try:
        model = _CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise _catalog_error(exc, data, file) from None
    if model.target_group is not None and model.price_index is not None:
        raise CatalogError(
            "a file holds either a [target_group] or a [price_index], not both (both would "
            f"be called {stem!r})",
            file=file,
            key="price_index",
        )
    entries: list[CatalogEntry] = []
    if model.target_group is not None:
        entries.append(CatalogEntry(stem, "target_group", file, "target_group", model.target_group))
    if model.price_index is not None:
        entries.append(CatalogEntry(stem, "price_index", file, "price_index", model.price_index))
    seen: dict[str, str] = {}
    for section, kind in _SECTION_KIND.items():
        for key, entry in getattr(model, section).items():
            where = f"{section}.{key}"
            if not _KEY.match(key):
                raise CatalogError(
                    "entry keys are lower-case letters, digits and '_' (write æ, ø, å as "
                    f"ae, oe, aa); received {key!r}",
                    file=file,
                    key=where,
                )
            if key in seen:
                raise CatalogError(
                    f"entry key {key!r} is also used by {seen[key]}; the name "
                    f"{stem}/{key} must be unique in the file",
                    file=file,
                    key=where,
                )
            seen[key] = where
            entries.append(CatalogEntry(f"{stem}/{key}", kind, file, where, entry))
    return entries


def _check_catalog(catalog: Catalog) -> None:
    """Cross-file checks: price references, units, succesrate supports, one price index."""
    indexes = [e for e in catalog if e.kind == "price_index"]
    if len(indexes) > 1:
        raise CatalogError(
            f"a catalog has one [price_index]; another is in {indexes[0].file}",
            file=indexes[1].file,
            key="price_index",
        )
    for e in catalog:
        if e.kind == "consequence":
            cons = e.data
            assert isinstance(cons, ConsequenceEntry)
            ref = cons.price
            if ref not in catalog:
                raise CatalogError(
                    catalog.unknown_message(ref).replace("catalog entry", "price entry"),
                    file=e.file,
                    key=f"{e.key}.price",
                )
            price = catalog.entries[ref]
            if price.kind != "price":
                raise CatalogError(
                    f"{ref!r} is a {KIND_LABELS[price.kind]} ({price.kind}), not a price entry",
                    file=e.file,
                    key=f"{e.key}.price",
                )
            if price.unit != cons.unit:
                raise CatalogError(
                    f"unit {cons.unit!r} does not match the unit {price.unit!r} of price entry "
                    f"{ref!r}; a price is kroner per unit of the profile",
                    file=e.file,
                    key=f"{e.key}.unit",
                )
        elif e.kind == "success_rate":
            rate = e.data
            assert isinstance(rate, SuccessRateEntry)
            lo, hi = rate.value.support()
            if lo < 0 or hi > 1:
                raise CatalogError(
                    f"a succesrate must lie in [0, 1]; received {_describe(rate.value.to_toml())}"
                    f" with support [{lo:g}, {hi:g}]",
                    file=e.file,
                    key=f"{e.key}.value",
                )


def default_catalog_dir() -> Path:
    """Find the catalog folder when none is given.

    In order: the folder named by the environment variable ``SOM_MC_CATALOG``; the
    repository's ``distributions/`` next to the ``som_mc`` package (a source checkout or an
    editable install); ``<sys.prefix>/share/som_mc/distributions`` (where a regular
    install puts the catalog, see ``pyproject.toml``).

    Raises
    ------
    CatalogError
        When none of them exists, telling the user to pass ``--catalog DIR``.
    """
    env = os.environ.get(CATALOG_ENV)
    if env:
        path = Path(env)
        if not path.is_dir():
            raise CatalogError(
                f"{CATALOG_ENV}={env}: folder does not exist; point it at a catalog folder "
                "such as the repository's distributions/"
            )
        return path
    candidates = [
        Path(__file__).resolve().parent.parent / "distributions",
        Path(sys.prefix) / "share" / "som_mc" / "distributions",
    ]
    for path in candidates:
        if path.is_dir() and any(path.glob("*.toml")):
            return path
    raise CatalogError(
        "no catalog found (looked for distributions/ next to the som_mc package and in "
        f"{candidates[1]}); pass --catalog DIR or set {CATALOG_ENV}"
    )


def load_catalog(root: str | Path | None = None) -> Catalog:
    """Load and validate a catalog folder.

    Parameters
    ----------
    root : str or Path, optional
        The catalog folder (every ``*.toml`` file in it is read; other files are ignored).
        Default: :func:`default_catalog_dir`.

    Returns
    -------
    Catalog

    Raises
    ------
    CatalogError
        On the first problem, naming the file, the key path, what was received and what is
        allowed.

    Examples
    --------
    >>> catalog = load_catalog("distributions")  # doctest: +SKIP
    >>> catalog.get("hjemloeshed/herberg").source  # doctest: +SKIP
    'illustrative'
    """
    folder = default_catalog_dir() if root is None else Path(root)
    if not folder.is_dir():
        raise CatalogError(f"{folder}: catalog folder does not exist; check --catalog")
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CatalogError(f"{folder}: no catalog files (*.toml) in this folder")
    entries: dict[str, CatalogEntry] = {}
    for path in files:
        for entry in _load_file(path):
            if entry.name in entries:  # a stem-named entry clashing with another file's
                raise CatalogError(
                    f"entry name {entry.name!r} is already used in {entries[entry.name].file}",
                    file=entry.file,
                    key=entry.key,
                )
            entries[entry.name] = entry
    catalog = Catalog(folder, entries)
    _check_catalog(catalog)
    return catalog


# ---------------------------------------------------------------------------------------------
# Price conversion
# ---------------------------------------------------------------------------------------------

_SCALED_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "gamma": ("scale",),
    "empirical": ("values",),
}


def scale_distribution(dist: Distribution, factor: float) -> Distribution:
    """Return the distribution of ``factor * X`` for ``X ~ dist`` (a price conversion).

    Parameters
    ----------
    dist : Distribution
        A continuous distribution (or fixed, or empirical) of an amount in kroner.
    factor : float
        A factor > 0. With ``factor == 1`` `dist` is returned unchanged.

    Returns
    -------
    Distribution
        Same family, parameters scaled (lognormal: ``mu + log(factor)``; beta: its bounds;
        a mixture: each component, weights unchanged).

    Raises
    ------
    ValueError
        For a count distribution (poisson, binomial, discrete_uniform), which cannot be
        scaled, and for a binomial posterior (a share, not an amount).
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"a price factor must be a finite number > 0, got {factor!r}")
    if factor == 1.0:
        return dist
    if isinstance(dist, Mixture):  # a linear pool: scale each expert's distribution
        return Mixture(
            components=tuple(scale_distribution(c, factor) for c in dist.components),
            weights=dist.weights,
        )
    table = dist.to_toml()
    kind = table["dist"]
    if kind == "lognormal":
        table["mu"] = table["mu"] + math.log(factor)
    elif kind == "beta":
        table["low"] = table.get("low", 0.0) * factor
        table["high"] = table.get("high", 1.0) * factor
    elif kind in _SCALED_KEYS:
        for key in _SCALED_KEYS[kind]:
            if key not in table:
                continue
            value = table[key]
            if isinstance(value, list):
                table[key] = [v * factor for v in value]
            elif math.isfinite(value):
                table[key] = value * factor
    elif kind == "binomial_posterior":
        raise ValueError(
            "a binomial_posterior is a share between 0 and 1, not an amount, and cannot be "
            "price-converted"
        )
    else:
        raise ValueError(f"a {kind} distribution counts things and cannot be price-converted")
    return from_toml(table)


# ---------------------------------------------------------------------------------------------
# Resolving references in a case
# ---------------------------------------------------------------------------------------------


class _Resolver:
    """Replaces catalog references in a case mapping by ordinary values."""

    def __init__(
        self, data: Mapping[str, Any], file: str | None, catalog: Catalog | str | Path | None
    ) -> None:
        self.data = data
        self.file = file
        self._catalog_arg = catalog
        self._catalog: Catalog | None = catalog if isinstance(catalog, Catalog) else None
        self.uses: list[CatalogUse] = []

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            root = self._catalog_arg
            assert not isinstance(root, Catalog)
            self._catalog = load_catalog(root)
        return self._catalog

    def error(self, message: str, key: str) -> CaseFileError:
        return CaseFileError(message, file=self.file, key=key)

    def target_year(self, key: str) -> int:
        year = self.data.get("price_year")
        if isinstance(year, bool) or not isinstance(year, int):
            raise self.error(
                "expected a whole number (the case's price year; catalog amounts are "
                f"converted to it); received {_describe(year)}",
                "price_year",
            )
        return year

    def entry(self, reference: Any, kind: EntryKind, key: str) -> CatalogEntry:
        example = {
            "consequence": "catalog:hjemloeshed/herberg",
            "price": "catalog:prices/herberg_doegn",
            "success_rate": "catalog:boern_angst/cool_kids",
            "cost": "catalog:hjemloeshed/cti_bostoette",
        }.get(kind, "catalog:hjemloeshed/herberg")
        if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
            raise self.error(
                f"expected a catalog reference such as {example!r}; received "
                f"{_describe(reference)}",
                key,
            )
        name = reference[len(REFERENCE_PREFIX) :].strip()
        try:
            entry = self.catalog.get(name)
        except KeyError as exc:
            raise self.error(str(exc.args[0]), key) from None
        if entry.kind != kind:
            raise self.error(
                f"catalog entry {name!r} is a {KIND_LABELS[entry.kind]} ({entry.kind}), but "
                f"a {KIND_LABELS[kind]} ({kind}) is needed here, e.g. {example!r}",
                key,
            )
        return entry

    def factor(self, entry: CatalogEntry, key: str, field: str) -> float:
        year = entry.price_year
        assert year is not None
        target = self.target_year(key)
        try:
            return self.catalog.price_factor(year, target)
        except KeyError as exc:
            raise self.error(
                f"cannot convert {field} of catalog entry {entry.name!r} ({entry.file}: "
                f"{entry.key}.price_year = {year}) to the case's price_year {target}: "
                f"{exc.args[0]}; add the year to the index or override {field} in the case",
                key,
            ) from None

    def record(
        self,
        entry: CatalogEntry,
        used_by: str,
        factor: float | None,
        fields: Sequence[str] = (),
        local_source: Any = "",
        warnings: Sequence[str] = (),
    ) -> None:
        self.uses.append(
            CatalogUse(
                entry=entry.name,
                kind=entry.kind,
                used_by=used_by,
                source=entry.source,
                price_year=entry.price_year,
                price_factor=factor,
                file=Path(entry.file).name,
                fields=tuple(fields),
                local_source=local_source if isinstance(local_source, str) else "",
                warnings=tuple(warnings),
            )
        )

    def scaled(self, dist: Distribution, factor: float, key: str) -> Distribution:
        try:
            return scale_distribution(dist, factor)
        except ValueError as exc:
            raise self.error(str(exc), key) from None

    def price(
        self, reference: Any, key: str, local_source: Any = ""
    ) -> tuple[dict[str, Distribution], CatalogEntry]:
        entry = self.entry(reference, "price", key)
        data = entry.data
        assert isinstance(data, PriceEntry)
        if data.price_year is None:
            self.record(entry, key, None, (key,), local_source)
            return dict(data.price), entry
        factor = self.factor(entry, key, "price")
        self.record(entry, key, factor, (key,), local_source)
        return {a: self.scaled(d, factor, f"{key}.{a}") for a, d in data.price.items()}, entry

    def consequence(self, item: Mapping[str, Any], i: int) -> dict[str, Any]:
        where = f"consequences[{i}]"
        local = {k: v for k, v in item.items() if k != "uses"}
        own_source = local.get("source", "")
        if "uses" not in item:  # only its price refers to the catalog
            local["price"], price_entry = self.price(local["price"], f"{where}.price", own_source)
            local.setdefault("source", f"{price_entry.name}: {price_entry.source}")
            return local
        entry = self.entry(item["uses"], "consequence", f"{where}.uses")
        cons = entry.data
        assert isinstance(cons, ConsequenceEntry)
        resolved: dict[str, Any] = {
            "name": entry.name.rsplit("/", 1)[-1],
            "label": cons.label,
            "unit": cons.unit,
            "scale": cons.scale,
            "applies_to": cons.applies_to,
        }
        if cons.price_year is not None and "profile" not in local:
            factor = self.factor(entry, f"{where}.uses", "profile")
            resolved["profile"] = [
                self.scaled(d, factor, f"{where}.profile[{j}]") for j, d in enumerate(cons.profile)
            ]
        else:
            factor = None
            resolved["profile"] = list(cons.profile)
        provided = [f"{where}.{k}" for k in ("scale", "profile") if k not in local]
        warnings = self.partial_price(cons, local, where)
        self.record(entry, where, factor, provided, own_source, warnings)
        sources = [f"{entry.name}: {cons.source}"]
        if "price" not in local:
            resolved["price"], price_entry = self.price(
                REFERENCE_PREFIX + cons.price, f"{where}.price", own_source
            )
            sources.append(f"{price_entry.name}: {price_entry.source}")
        elif _is_reference(local["price"]):
            local["price"], price_entry = self.price(local["price"], f"{where}.price", own_source)
            sources.append(f"{price_entry.name}: {price_entry.source}")
        resolved["source"] = "; ".join(sources)
        resolved.update(local)
        return resolved

    def partial_price(
        self, cons: ConsequenceEntry, local: Mapping[str, Any], where: str
    ) -> tuple[str, ...]:
        """Warn when a local price table names fewer aktører than the entry's price."""
        price = local.get("price")
        if not isinstance(price, Mapping):
            return ()
        catalog_price = self.catalog.entries.get(cons.price)
        if catalog_price is None or not isinstance(catalog_price.data, PriceEntry):
            return ()
        actors = self.data.get("actors", DEFAULT_ACTORS)
        declared = set(actors) if isinstance(actors, list) else set(DEFAULT_ACTORS)
        missing = [a for a in catalog_price.data.price if a not in price and a in declared]
        if not missing:
            return ()
        return (
            f"{where}.price: names only {', '.join(map(str, price))}, but the catalog price "
            f"{catalog_price.name!r} it replaces also prices {', '.join(missing)}; a local price "
            "table replaces the whole entry, so those aktører get no price (name them too, "
            "with 0 if that is meant)",
        )

    def cost(self, item: Mapping[str, Any], i: int) -> dict[str, Any]:
        where = f"costs[{i}]"
        local = {k: v for k, v in item.items() if k != "uses"}
        entry = self.entry(item["uses"], "cost", f"{where}.uses")
        cost = entry.data
        assert isinstance(cost, CostEntry)
        resolved: dict[str, Any] = {
            "name": entry.name.rsplit("/", 1)[-1],
            "label": cost.label,
            "actor": cost.actor,
            "kind": cost.kind,
            "saved": cost.saved,
            "source": f"{entry.name}: {cost.source}",
        }
        if cost.schedule is not None and local.get("kind", cost.kind) == "per_participant":
            resolved["schedule"] = list(cost.schedule)
        if "amount" in local:
            factor = None
        else:
            factor = self.factor(entry, f"{where}.uses", "amount")
            resolved["amount"] = self.scaled(cost.amount, factor, f"{where}.amount")
        provided = () if "amount" in local else (f"{where}.amount",)
        self.record(entry, where, factor, provided, local.get("source", ""))
        resolved.update(local)
        return resolved

    def success_rate(self, item: Mapping[str, Any]) -> Distribution:
        extra = [k for k in item if k != "uses"]
        if extra:
            raise self.error(
                f"a catalog succesrate table has only the key 'uses'; received {extra[0]!r} "
                "(to change the value, write the distribution instead of the reference)",
                f"success_rate.{extra[0]}",
            )
        entry = self.entry(item["uses"], "success_rate", "success_rate.uses")
        rate = entry.data
        assert isinstance(rate, SuccessRateEntry)
        self.record(entry, "success_rate", None, ("success_rate",))
        return rate.value

    def resolve(self) -> dict[str, Any]:
        out = dict(self.data)
        rate = out.get("success_rate")
        if isinstance(rate, Mapping) and "uses" in rate:
            out["success_rate"] = self.success_rate(rate)
        for section, resolve in (("costs", self.cost), ("consequences", self.consequence)):
            items = out.get(section)
            if not isinstance(items, list):
                continue
            new = []
            for i, item in enumerate(items):
                new.append(resolve(item, i) if _refers(item) else item)
            out[section] = new
        return out


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REFERENCE_PREFIX)


def _refers(item: Any) -> bool:
    """Whether a cost or consequence table refers to the catalog."""
    return isinstance(item, Mapping) and ("uses" in item or _is_reference(item.get("price")))


def _has_references(data: Mapping[str, Any]) -> bool:
    rate = data.get("success_rate")
    if isinstance(rate, Mapping) and "uses" in rate:
        return True
    for section in ("costs", "consequences"):
        items = data.get(section)
        if isinstance(items, list):
            for item in items:
                if _refers(item):
                    return True
    return False


def resolve_references(
    data: Mapping[str, Any],
    *,
    file: str | None = None,
    catalog: Catalog | str | Path | None = None,
) -> tuple[Mapping[str, Any], tuple[CatalogUse, ...]]:
    """Replace catalog references in a case mapping by ordinary case values.

    References (see ``cases/README.md``): ``uses = "catalog:NAME"`` in a ``[[consequences]]``
    or ``[[costs]]`` table (other keys of the table override the entry's fields),
    ``price = "catalog:NAME"`` in a consequence, and ``success_rate = { uses =
    "catalog:NAME" }``. Amounts whose price year differs from the case's ``price_year`` are
    converted with the catalog's price index.

    Parameters
    ----------
    data : Mapping
        The case as parsed from TOML.
    file : str, optional
        Case file name for error messages.
    catalog : Catalog, str or Path, optional
        The catalog or its folder; default :func:`default_catalog_dir`. Only loaded when
        the case has a reference.

    Returns
    -------
    (Mapping, tuple of CatalogUse)
        The case without references (`data` itself when it has none) and the entries used.

    Raises
    ------
    CaseFileError
        For a malformed or unknown reference (with a did-you-mean hint), a kind mismatch or
        a price year missing from the index.
    CatalogError
        When the catalog itself is invalid or cannot be found.
    """
    if not isinstance(data, Mapping) or not _has_references(data):
        return data, ()
    resolver = _Resolver(data, file, catalog)
    out = resolver.resolve()
    return out, tuple(resolver.uses)
