"""``som-mc catalog``: list, show and search the distribution catalog."""

from __future__ import annotations

import argparse
from typing import Any

from som_mc.cli.options import add_catalog

__all__ = ["register"]

#: Entry kinds (as in :data:`som_mc.catalog.KIND_LABELS`), for the --kind choices.
KINDS = ("target_group", "consequence", "price", "success_rate", "cost", "price_index")


def register(sub: Any) -> None:
    """Add the subcommand to the parser."""
    p = sub.add_parser(
        "catalog",
        help="the distribution catalog: list, show and search entries",
        description="Browse the distribution catalog (SØM's vidensdatabase in probabilistic "
        "form): named, sourced målgrupper, konsekvenser, enhedspriser, succesrater and "
        'omkostninger that case files use with uses = "catalog:NAME".',
    )
    csub = p.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    c = csub.add_parser("list", help="list the entries")
    add_catalog(c, cases=False)
    c.add_argument("--kind", choices=KINDS, default=None, help="only entries of this kind")
    only = c.add_mutually_exclusive_group()
    only.add_argument(
        "--sourced", action="store_true", help="only entries with a public source (a URL)"
    )
    only.add_argument(
        "--illustrative",
        action="store_true",
        help='only illustrative entries (source = "illustrative": no public source)',
    )
    c.set_defaults(func=list_entries)
    c = csub.add_parser("show", help="show one entry (or one file's entries)")
    add_catalog(c, cases=False)
    c.add_argument("name", metavar="NAME", help="entry name, e.g. hjemloeshed/herberg")
    c.set_defaults(func=show)
    c = csub.add_parser(
        "search", help="find entries by a word in their name, label, description, source or note"
    )
    add_catalog(c, cases=False)
    c.add_argument("word", metavar="WORD", help="text to look for (case-insensitive)")
    c.set_defaults(func=search)


def list_entries(args: argparse.Namespace) -> int:
    """List the catalog's entries."""
    from som_mc.catalog import is_sourced, load_catalog
    from som_mc.present.catalog_text import catalog_table

    catalog = load_catalog(args.catalog)
    entries = [e for e in catalog if args.kind is None or e.kind == args.kind]
    illustrative = sum(not is_sourced(e.source) for e in entries)
    if args.sourced or args.illustrative:
        entries = [e for e in entries if is_sourced(e.source) == args.sourced]
        what = "med en offentlig kilde" if args.sourced else "illustrative (ingen offentlig kilde)"
        print(f"Katalog: {catalog.root} — {len(entries)} poster {what}\n")
    else:
        print(
            f"Katalog: {catalog.root} — {len(entries)} poster, heraf {illustrative} "
            "illustrative (ikke fra en offentlig kilde)\n"
        )
    if entries:
        print(catalog_table(entries))
    return 0


def show(args: argparse.Namespace) -> int:
    """Show one entry, or every entry of one file."""
    from som_mc.catalog import load_catalog
    from som_mc.errors import SomMcError
    from som_mc.present.catalog_text import entry_text, file_text

    catalog = load_catalog(args.catalog)
    name = args.name.removeprefix("catalog:")
    if name in catalog:
        print(entry_text(catalog, catalog.entries[name]))
        return 0
    in_file = catalog.in_file(name)
    if in_file:
        print(file_text(catalog, name, in_file))
        return 0
    raise SomMcError(catalog.unknown_message(name))


def search(args: argparse.Namespace) -> int:
    """Find entries by a word."""
    from som_mc.catalog import load_catalog
    from som_mc.present.catalog_text import catalog_table

    catalog = load_catalog(args.catalog)
    hits = catalog.search(args.word)
    if not hits:
        print(f"Ingen poster i {catalog.root} matcher {args.word!r}.")
        return 1
    print(f"{len(hits)} poster matcher {args.word!r}:\n")
    print(catalog_table(hits))
    return 0
