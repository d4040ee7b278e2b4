"""Danish text tables of the distribution catalog (``som-mc catalog list|show|search``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from som_mc.catalog import (
    KIND_LABELS,
    REFERENCE_PREFIX,
    Catalog,
    CatalogEntry,
    ConsequenceEntry,
    CostEntry,
    PriceEntry,
    PriceIndex,
    SuccessRateEntry,
    TargetGroupEntry,
)
from som_mc.distributions import Distribution, Fixed
from som_mc.present.format import format_number

__all__ = ["catalog_table", "entry_text", "file_text"]

_SOURCE_WIDTH = 60


def _value(value: float) -> str:
    """Whole numbers exactly, others to four significant digits (Danish separators)."""
    if not math.isfinite(value):
        return "–"
    if value == int(value) and abs(value) < 1e15:
        return format_number(value)
    decimals = max(0, min(8, 3 - math.floor(math.log10(abs(value)))))
    out = format_number(value, decimals)
    return out.rstrip("0").rstrip(",") if "," in out else out


def dist_text(dist: Distribution) -> str:
    """Format a distribution as ``pert(low = 550, mode = 600, high = 750, shape = 4)``."""
    if isinstance(dist, Fixed):
        return _value(dist.value)
    return _table_text(dist.to_toml())


def _item_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return _table_text(value)
    if isinstance(value, list | tuple):
        return "[" + "; ".join(_item_text(v) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return _value(float(value))


def _table_text(table: Mapping[str, Any]) -> str:
    """Render a distribution table; nested tables (mixture components, a prior) too."""
    params = [f"{key} = {_item_text(value)}" for key, value in table.items() if key != "dist"]
    return f"{table['dist']}({', '.join(params)})"


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def catalog_table(entries: Sequence[CatalogEntry]) -> str:
    """One line per entry: name, kind, unit, price year and source (shortened)."""
    header = ("Navn", "Art", "Enhed", "Prisår", "Kilde")
    rows = [
        (
            e.name,
            KIND_LABELS[e.kind],
            e.unit or "–",
            "–" if e.price_year is None else str(e.price_year),
            _shorten(e.source, _SOURCE_WIDTH),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _field(name: str, value: str) -> str:
    lines = value.strip().splitlines() or ["–"]
    pad = " " * 14
    first = f"{name + ':':<14}{lines[0]}"
    return "\n".join([first, *(pad + line for line in lines[1:])])


def _price_text(price: PriceEntry) -> str:
    per_actor = "; ".join(f"{actor}: {dist_text(d)}" for actor, d in price.price.items())
    if price.price_year is None:
        return f"{per_actor} (kr. pr. kr., andel uden prisår)"
    return f"{per_actor} (kr. pr. {price.unit}, {price.price_year}-priser)"


_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _index_text(index: PriceIndex) -> list[str]:
    """Yearly levels (computed from twelve months for a monthly index) and the months."""
    yearly = index.yearly
    if not index.monthly:
        return [_field("Værdier", "\n".join(f"{y}: {_value(v)}" for y, v in yearly.items()))]
    levels = []
    months = []
    for year in sorted(int(key[:4]) for key in index.monthly):
        published = index.months(year)
        if year in yearly:
            levels.append(f"{year}: {format_number(yearly[year], 2)} (gns. af 12 måneder)")
        else:
            levels.append(f"{year}: – (kun {len(published)} af 12 måneder; intet årsniveau)")
        span = f"{_MONTHS[min(published) - 1]}–{_MONTHS[max(published) - 1]}"
        listed = "; ".join(format_number(v, 1) for v in published.values())
        months.append(f"{year} {span}: {listed}")
    return [_field("Årsniveau", "\n".join(levels)), _field("Måneder", "\n".join(months))]


def entry_text(catalog: Catalog, entry: CatalogEntry) -> str:
    """Everything about one entry, one field a line, in Danish."""
    data = entry.data
    out = [f"{entry.name} — {entry.label}"]
    out.append(_field("Art", KIND_LABELS[entry.kind]))
    out.append(_field("Fil", f"{entry.file} [{entry.key}]"))
    description = str(getattr(data, "description", "")).strip()
    if description:
        out.append(_field("Beskrivelse", " ".join(description.split())))
    if entry.unit is not None:
        out.append(_field("Enhed", entry.unit))
    if isinstance(data, TargetGroupEntry):
        out.append(_field("Effektmål", "\n".join(data.outcome_goals)))
    if isinstance(data, ConsequenceEntry | SuccessRateEntry) and data.outcome_goal:
        out.append(_field("Effektmål", data.outcome_goal))
    if isinstance(data, ConsequenceEntry):
        out.append(_field("Profil", "; ".join(dist_text(d) for d in data.profile)))
        if data.price_year is not None:
            out.append(_field("Prisår", str(data.price_year)))
        out.append(_field("Skala", dist_text(data.scale)))
        out.append(
            _field(
                "Gælder",
                "succeser fra effektåret"
                if data.applies_to == "successes"
                else "alle deltagere under forløbet",
            )
        )
        price = catalog.entries[data.price]
        assert isinstance(price.data, PriceEntry)
        out.append(_field("Pris", f"{price.name}: {_price_text(price.data)}"))
    elif isinstance(data, PriceEntry):
        out.append(_field("Pris", _price_text(data)))
    elif isinstance(data, SuccessRateEntry):
        out.append(_field("Værdi", f"{dist_text(data.value)} (middel {_value(data.value.mean())})"))
    elif isinstance(data, CostEntry):
        out.append(_field("Prisår", str(data.price_year)))
        out.append(_field("Aktør", data.actor))
        out.append(_field("Type", data.kind + (" (sparet)" if data.saved else "")))
        out.append(_field("Beløb", dist_text(data.amount)))
        if data.schedule is not None:
            out.append(_field("Fordeling", "; ".join(_value(x) for x in data.schedule)))
    elif isinstance(data, PriceIndex):
        out.extend(_index_text(data))
    out.append(_field("Kilde", entry.source))
    note = str(getattr(data, "note", "")).strip()
    if note:
        out.append(_field("Note", " ".join(note.split())))
    if entry.kind in ("consequence", "success_rate", "cost", "price"):
        if entry.kind == "success_rate":
            usage = f'success_rate = {{ uses = "{REFERENCE_PREFIX}{entry.name}" }}'
        elif entry.kind == "price":
            usage = f'price = "{REFERENCE_PREFIX}{entry.name}"  (i en [[consequences]]-tabel)'
        else:
            usage = f'uses = "{REFERENCE_PREFIX}{entry.name}"'
        out.append(_field("I en casefil", usage))
    if entry.kind == "target_group":
        others = [e for e in catalog.in_file(entry.name) if e is not entry]
        if others:
            out.append("")
            out.append("Poster for målgruppen:")
            out.append(catalog_table(others))
    return "\n".join(out)


def file_text(catalog: Catalog, stem: str, entries: Sequence[CatalogEntry]) -> str:
    """List the entries of one catalog file (``som-mc catalog show prices``)."""
    return f"{stem}.toml — {len(entries)} poster\n\n{catalog_table(entries)}"
