"""Font files read from memory while som_mc draws its figures (the same glyphs, faster).

matplotlib's ``FT2Font`` reads a font file opened by path through Python file calls: every
glyph FreeType loads is a ``seek`` and a ``read`` on a buffered file (system calls and
Python calls from C), and matplotlib 3.11 loads each glyph of a text several times (to
measure it, to shape it, to render it in the PNG and again for the SVG's glyph paths).
Given the same bytes as an in-memory file, FreeType reads the same data without system
calls: measured on the tornado figure, the font reads are about three times faster.

:func:`fonts_in_memory` does that for the figures drawn inside it: matplotlib's own
``font_manager._get_font`` (fallback fonts, the Last Resort font, everything) runs with
``FT2Font`` given an in-memory copy of each file; the fonts are cached apart from
matplotlib's cache, so nothing made inside the block is used outside it (there a font's
``fname`` must be a path, e.g. for embedding in a PDF). Should a matplotlib release change
these internals, the block simply draws as matplotlib does by default.
"""

from __future__ import annotations

import functools
import io
import os
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from matplotlib import font_manager, ft2font

__all__ = ["fonts_in_memory"]

_lock = threading.Lock()


@functools.cache
def _font_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _font_from_memory(filename: Any, *args: Any, **kwargs: Any) -> Any:
    """``FT2Font`` of an in-memory copy of the file `filename` (a path)."""
    if isinstance(filename, (str, bytes, os.PathLike)):
        filename = io.BytesIO(_font_bytes(os.fsdecode(filename)))
    return ft2font.FT2Font(filename, *args, **kwargs)


def _memory_get_font() -> Callable[..., Any] | None:
    """Return matplotlib's ``_get_font`` making its fonts from memory (cached apart), or None."""
    original = getattr(font_manager, "_get_font", None)
    inner = getattr(original, "__wrapped__", None)
    if not (isinstance(inner, types.FunctionType) and hasattr(original, "cache_clear")):
        return None
    if "ft2font" not in inner.__code__.co_names:
        return None
    # the same function, with `ft2font.FT2Font` reading the file's bytes from memory
    names = dict(inner.__globals__)
    names["ft2font"] = types.SimpleNamespace(**{**vars(ft2font), "FT2Font": _font_from_memory})
    clone = types.FunctionType(
        inner.__code__, names, inner.__name__, inner.__defaults__, inner.__closure__
    )
    clone.__kwdefaults__ = inner.__kwdefaults__
    cached = functools.lru_cache(64)(clone)
    if hasattr(os, "register_at_fork"):
        # an FT2Font must not be used across fork() (matplotlib clears its cache too)
        os.register_at_fork(after_in_child=cached.cache_clear)
    return cached


_memory: list[Callable[..., Any] | None] = []


@contextmanager
def fonts_in_memory() -> Iterator[None]:
    """Within the block, matplotlib reads font files from memory (see the module text).

    The figures are the same: the same font files, the same matplotlib code laying out
    and rendering the text.
    """
    with _lock:
        if not _memory:
            _memory.append(_memory_get_font())
        memory = _memory[0]
        original = getattr(font_manager, "_get_font", None)
        swap = memory is not None and original is not memory
        if swap:
            font_manager._get_font = memory  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if swap:
            with _lock:
                font_manager._get_font = original  # type: ignore[attr-defined]
