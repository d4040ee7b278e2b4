"""Compute a few things in a process forked early, while this one goes on with its imports.

A command that needs results its other work does not depend on (``som-mc sensitivity
--method sobol``: the Sobol base sample mapped through the quantile functions, and the rank
measures of a plain Monte Carlo run, which need scipy.stats, ≈ 1 s to import) can start them
in a process forked right after the case is loaded, before this process imports xarray,
matplotlib and numba, and pick them up when it needs them. The forked process imports what
the jobs need by itself, on the second CPU.

Light on purpose: importing this module imports nothing heavy.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

__all__ = [
    "Background",
    "collector_paused",
    "fault_in_ahead",
    "huge_pages_off",
    "keep_freed_memory",
    "settle_imports",
    "spare_cpu",
]

#: How long :meth:`Background.close` waits for a stopped process before it kills it.
_JOIN_SECONDS = 5.0

#: A job: a module-level function and its arguments.
Job = tuple[Callable[..., Any], tuple[Any, ...]]


def spare_cpu() -> bool:
    """Whether a forked helper process can run on a CPU of its own."""
    if not sys.platform.startswith("linux"):  # fork is the safe, cheap start only there
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):  # pragma: no cover - no affinity call
        return (os.cpu_count() or 1) >= 2


def keep_freed_memory(limit: int = 1 << 30) -> bool:
    """Let freed blocks of up to `limit` bytes stay with the process, for reuse (glibc).

    By default glibc hands large freed blocks (from 128 KiB, rising to 32 MiB) back to the
    operating system and, for threads, trims their heaps; the next array of that size is
    then faulted in again page by page, which on a virtual machine costs tens of
    milliseconds per 100 MB. A command that makes and frees many arrays of tens of MB
    (the Sobol analysis) keeps them instead: ``mallopt(M_MMAP_THRESHOLD)`` and
    ``mallopt(M_TRIM_THRESHOLD)`` set to `limit`. The numbers computed do not change; the
    process's peak memory stays what it was, it is only not returned before the end.
    Processes forked afterwards inherit the setting.

    Returns
    -------
    bool
        Whether the setting was made (False off glibc).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # another C library
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, limit)) and bool(mallopt(m_trim_threshold, limit))


def fault_in_ahead(nbytes: int) -> threading.Thread | None:
    """Start a thread that faults in `nbytes` of memory and frees it again, for reuse.

    A run that keeps its exact-quantile rows writes tens of MB of fresh memory while it
    draws, and a fresh page costs ≈ 0,4–0,5 ms per MB on a virtual machine (page faults in
    the drawing threads). Started before the imports and kernel loading that run on one
    core, the thread does that work on the idle one: it makes an array of `nbytes`, touches
    every page, and frees it. With :func:`keep_freed_memory` the freed block stays with the
    process, and with one malloc arena for every thread (``mallopt(M_ARENA_MAX, 1)``, set
    here) the drawing threads' arrays are carved from it. Join the thread before drawing.
    The numbers computed do not change.

    Returns
    -------
    threading.Thread or None
        The started thread, or None (nothing to do, or not glibc).
    """
    if nbytes <= 0 or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library
        return None
    m_arena_max = -8  # glibc's malloc.h
    if not mallopt(m_arena_max, 1):
        return None

    def touch() -> None:
        import numpy as np

        block = np.empty(nbytes // 8)
        block[:: 4096 // 8] = 0.0  # one write per page
        del block

    thread = threading.Thread(target=touch, name="som_mc-fault-in", daemon=True)
    thread.start()
    return thread


@contextmanager
def huge_pages_off() -> Iterator[None]:
    """Within the block NumPy asks for no transparent huge pages for its large arrays.

    NumPy marks every array of 4 MiB or more ``madvise(MADV_HUGEPAGE)`` (Linux); with the
    kernel's usual ``defrag`` setting (``madvise``) the first touch of such memory then
    waits while the kernel compacts memory to find 2 MiB pages. On a machine whose memory
    is fragmented that is system time spent for nothing: the Sobol analysis of the
    reference case (arrays of ≈ 180 MB touched once or twice) took ≈ 0,96 s of system time
    with the hint and ≈ 0,3 s without, on the same numbers. Processes forked inside the
    block keep the setting; on leaving, NumPy's previous setting is restored. NumPy's own
    switch is used (``_set_madvise_hugepage``, which the environment variable
    ``NUMPY_MADVISE_HUGEPAGE=0`` also sets); without it nothing changes.
    """
    import numpy as np

    setter = getattr(
        getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None
    )
    if not callable(setter):
        yield
        return
    previous = bool(setter(False))
    try:
        yield
    finally:
        setter(previous)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a command with Python's cyclic garbage collector paused until :func:`settle_imports`.

    Importing xarray, matplotlib and scipy makes some 10⁵ objects that live as long as the
    process; each full collection the collector starts meanwhile walks all of them (three
    such collections cost ≈ 0,4 s in ``som-mc sensitivity --method tornado``) and frees
    next to nothing. Inside the block the collector is off until :func:`settle_imports`
    moves what exists by then to the permanent generation (:func:`gc.freeze`, which also
    spares processes forked later from copying those pages) and turns it on again. On
    leaving, the collector's state is restored and the frozen objects released to it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def settle_imports() -> None:
    """Freeze the objects made so far (:func:`gc.freeze`) and turn the collector on."""
    gc.freeze()
    gc.enable()


def _child(conn: Connection, jobs: Mapping[str, Job], other_end: Connection) -> None:
    """In the forked process: run the jobs in order, sending ``(name, ok, value)`` for each.

    The process ends at once when the parent stops it (``SIGTERM``, whatever handler the
    parent had installed: the command's ends the command) or stops listening: it holds no
    read end of the pipe (`other_end`, the parent's, is closed here), so a value it is
    sending when the parent closes its end fails instead of waiting for ever.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    other_end.close()
    try:
        for name, (fn, args) in jobs.items():
            try:
                value = fn(*args)
            except Exception:  # the parent computes it again and reports the error
                conn.send((name, False, None))
            else:
                conn.send((name, True, value))
    except (OSError, ValueError):  # pragma: no cover - the parent is gone
        pass
    finally:
        conn.close()


class Background:
    """Named jobs computed in order in a process forked now, or here when asked for.

    The process is forked only on Linux with a spare CPU and when this process runs no
    other thread (forking a threaded process is unsafe); otherwise, or for a job the forked
    process fails or dies on, :meth:`result` computes it in this process. The values are
    the same either way (jobs must be deterministic, their arguments and results
    picklable); an error a job raises is raised by :meth:`result` in this process.

    Parameters
    ----------
    jobs : mapping of str to (function, args)
        Module-level functions (the forked process gets them by reference) and their
        arguments, run in this order.
    fork : bool, optional
        Fork a process; default when there is a spare CPU.
    """

    def __init__(self, jobs: Mapping[str, Job], *, fork: bool | None = None) -> None:
        self._jobs = dict(jobs)
        self._done: dict[str, tuple[bool, Any]] = {}
        self._conn: Connection | None = None
        self._proc: Any = None
        if (spare_cpu() if fork is None else fork) and threading.active_count() == 1:
            import multiprocessing

            try:
                ctx = multiprocessing.get_context("fork")
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(send, self._jobs, recv), daemon=True)
                proc.start()
            except (OSError, RuntimeError, ValueError):  # no process: compute them here
                return
            send.close()
            self._conn, self._proc = recv, proc

    @property
    def forked(self) -> bool:
        """Whether a forked process is computing (some of) the jobs."""
        return self._conn is not None

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def result(self, name: str) -> Any:
        """Return the value of job `name`: the forked process's, or computed here.

        Raises
        ------
        KeyError
            For a job not given.
        """
        fn, args = self._jobs[name]
        while name not in self._done and self._conn is not None:
            try:
                got, ok, value = self._conn.recv()
            except (EOFError, OSError):  # the process died: the rest are computed here
                self.close()
                break
            self._done[got] = (ok, value)
            if len(self._done) == len(self._jobs):
                self.close()
        ok, value = self._done.pop(name, (False, None))
        return value if ok else fn(*args)

    def close(self) -> None:
        """Stop the forked process if it still runs (e.g. when an error ends the command)."""
        conn, proc = self._conn, self._proc
        self._conn = self._proc = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
            proc.join(_JOIN_SECONDS)
            if proc.is_alive():  # pragma: no cover - SIGTERM is not handled in the child
                proc.kill()
                proc.join()
