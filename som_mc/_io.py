"""The one atomic file writer every output goes through, and the capped input reader.

:func:`atomic_write` writes to a temporary file in the target's folder and renames it into
place, so an interrupted write leaves the old file (or nothing) and never a half-written one.
It refuses an existing target unless ``overwrite=True`` (also when another process creates it
meanwhile: the rename is then a no-clobber link), it replaces a symbolic link by the new file
instead of writing through it (the link's target is never touched), and it holds a lock file
next to the target while writing (:func:`output_lock`), so two processes never write one
output at once. Temporary files carry the writer's process id, so a later write of the same
output removes the parts a killed writer left (:func:`sweep_parts`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from som_mc.errors import OutputError

__all__ = [
    "MAX_INPUT_BYTES",
    "atomic_write",
    "atomic_write_text",
    "check_writable",
    "ensure_numba_cache",
    "forget_active_parts",
    "output_lock",
    "read_capped",
    "remove_active_parts",
    "sweep_parts",
]

#: Largest input file (case, catalog entry, workbook) read, in bytes; raise it with the
#: environment variable ``SOM_MC_MAX_INPUT_BYTES``.
MAX_INPUT_BYTES = 64 * 2**20

_PART = ".part"

#: Temporary files and locks this process is writing now (removed on SIGTERM).
_ACTIVE: set[Path] = set()


def remove_active_parts() -> None:
    """Remove the temporary files and locks of writes in progress (for a signal handler)."""
    for path in list(_ACTIVE):
        with contextlib.suppress(OSError):
            path.unlink()
        _ACTIVE.discard(path)


def forget_active_parts() -> None:
    """In a forked process: forget the parent's writes in progress (they are not ours)."""
    _ACTIVE.clear()


def _max_input_bytes() -> int:
    text = os.environ.get("SOM_MC_MAX_INPUT_BYTES", "")
    try:
        return max(int(text), 1) if text else MAX_INPUT_BYTES
    except ValueError:
        return MAX_INPUT_BYTES


def read_capped(path: str | Path, limit: int | None = None) -> bytes:
    """Read a file's bytes, refusing one larger than `limit` (``/dev/zero`` included).

    Raises
    ------
    OSError
        As :func:`open` does.
    ValueError
        When the file holds more than `limit` bytes (default :data:`MAX_INPUT_BYTES` or
        ``$SOM_MC_MAX_INPUT_BYTES``); the message gives the cap and how to raise it.
    """
    limit = _max_input_bytes() if limit is None else limit
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(
            f"larger than {limit:_} bytes, which is not a case or catalog file (raise the cap "
            "with SOM_MC_MAX_INPUT_BYTES if it really is one)"
        )
    return data


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
        missing, not a folder or not writable.
    """
    path = Path(path)
    if str(path).strip() in ("", "."):
        raise OutputError(f"{str(path)!r}: not a file name")
    if path.is_dir() and not path.is_symlink():
        raise OutputError(f"{path}: is a folder; give a file name")
    if os.path.lexists(path) and not overwrite:
        raise OutputError(f"{path}: file exists; pass overwrite=True to replace it")
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write in folder {parent} (permission denied)")
    return path


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def output_lock(path: str | Path) -> Iterator[Path]:
    """Hold the lock file ``.NAME.lock`` next to `path` while writing it.

    The lock is created exclusively and records the process id; a lock whose process no
    longer runs is stale and taken over. The same process may take the lock again.

    Raises
    ------
    OutputError
        When another running process holds the lock (its process id is named).
    """
    path = Path(path)
    lock = _lock_path(path)
    mine = str(os.getpid())
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = lock.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError):
                holder = ""
            if holder == mine:  # re-entrant: this process already holds it
                yield path
                return
            if holder.isdigit() and _pid_alive(int(holder)):
                raise OutputError(
                    f"{path}: another som-mc process (pid {holder}) is writing this output; "
                    f"wait for it to finish, or remove {lock} if that process is not som-mc"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # stale: its process is gone
            continue
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot write in {path.parent} ({exc.strerror or exc})"
            ) from None
        _ACTIVE.add(lock)
        try:
            os.write(fd, mine.encode("ascii"))
        finally:
            os.close(fd)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                if lock.read_text(encoding="ascii").strip() == mine:
                    lock.unlink()
            _ACTIVE.discard(lock)
        return
    raise OutputError(f"{path}: cannot take the lock {lock}; remove it if no som-mc runs")


def sweep_parts(path: str | Path) -> list[Path]:
    """Remove temporary parts of `path` left by writers that no longer run.

    Parts are named ``.NAME.PID.*.part…``; those of a running process are kept.
    """
    path = Path(path)
    removed = []
    with contextlib.suppress(OSError):
        for part in path.parent.glob(f".{path.name}.*{_PART}*"):
            pid = part.name[len(path.name) + 2 :].split(".", 1)[0]
            if pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
                with contextlib.suppress(OSError):
                    if part.is_dir() and not part.is_symlink():
                        import shutil

                        shutil.rmtree(part)
                    else:
                        part.unlink()
                    removed.append(part)
    return removed


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

    Raises
    ------
    OutputError
        When the file exists (without `overwrite`), another process is writing it, or the
        folder cannot be written.
    """
    path = check_writable(path, overwrite=overwrite)
    with output_lock(path):
        sweep_parts(path)
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{path.name}.{os.getpid()}.",
                suffix=f"{_PART}{path.suffix}",
                dir=path.parent,
            )
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot write in {path.parent} ({exc.strerror})"
            ) from None
        os.close(fd)
        tmp = Path(tmp_name)
        _ACTIVE.add(tmp)
        try:
            write(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; use the usual mode
            if overwrite:
                os.replace(tmp, path)  # replaces a symbolic link itself, never its target
            else:
                try:
                    os.link(tmp, path, follow_symlinks=False)  # no-clobber, atomic
                except FileExistsError:
                    raise OutputError(
                        f"{path}: file exists (another process wrote it meanwhile); pass "
                        "overwrite=True to replace it"
                    ) from None
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                        raise
                    if os.path.lexists(path):
                        raise OutputError(
                            f"{path}: file exists; pass overwrite=True to replace it"
                        ) from None
                    os.replace(tmp, path)  # file systems without hard links
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            _ACTIVE.discard(tmp)
    return path


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write`)."""
    return atomic_write(
        path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite
    )


def _writable_dir(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def ensure_numba_cache(package_dir: str | Path) -> str | None:
    """Point numba's cache at a writable folder when the install and HOME are read-only.

    Numba caches compiled kernels next to the source (``__pycache__``) or in the user's
    cache folder; when neither is writable (a read-only install and HOME), compiling with
    ``cache=True`` fails. This sets ``NUMBA_CACHE_DIR`` to a writable temporary folder
    (before numba is imported) and returns a note saying so, or returns None when nothing
    had to change.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    if _writable_dir(Path(package_dir) / "__pycache__"):
        return None
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"
    if _writable_dir(home_cache):
        return None
    fallback = Path(tempfile.gettempdir()) / f"som_mc-numba-{os.getuid()}"
    if _writable_dir(fallback):
        os.environ["NUMBA_CACHE_DIR"] = str(fallback)
        return f"numba cache: install and home are read-only; caching in {fallback}"
    return "numba cache: no writable folder found; kernels may be compiled on every run"
