"""The one atomic file writer every output goes through.

:func:`atomic_write` writes to a temporary file in the target's folder and renames it into
place, so an interrupted write leaves the old file (or nothing) and never a half-written one.
It refuses an existing target unless ``overwrite=True``, and it replaces a symbolic link by
the new file instead of writing through it (the link's target is never touched).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from som_mc.errors import OutputError

__all__ = ["atomic_write", "atomic_write_text", "check_writable"]


def check_writable(path: str | Path, *, overwrite: bool = False) -> Path:
    """Check that `path` can be written, before any work is done.

    Parameters
    ----------
    path : str or Path
        The output file.
    overwrite : bool
        Whether an existing file (or symbolic link) may be replaced.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        When the file exists (and `overwrite` is false), is a folder, or its folder is
        missing or not a folder.
    """
    path = Path(path)
    if str(path) in ("", "."):
        raise OutputError(f"{str(path)!r}: not a file name")
    if path.is_dir() and not path.is_symlink():
        raise OutputError(f"{path}: is a folder; give a file name")
    if os.path.lexists(path) and not overwrite:
        raise OutputError(f"{path}: file exists; pass overwrite=True to replace it")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    return path


def atomic_write(
    path: str | Path, write: Callable[[Path], object], *, overwrite: bool = False
) -> Path:
    """Write a file atomically: `write` fills a temporary path that is renamed to `path`.

    Parameters
    ----------
    path : str or Path
        The output file.
    write : callable
        Called with the temporary path (same folder, same suffix) to write the content.
    overwrite : bool
        Replace an existing file; otherwise an existing file raises.

    Returns
    -------
    Path
        The written file.
    """
    path = check_writable(path, overwrite=overwrite)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write in {path.parent} ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; use the usual mode
        os.replace(tmp, path)  # replaces a symbolic link itself, never its target
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write`)."""
    return atomic_write(
        path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite
    )
