"""Compute one thing in a process forked early, while this one goes on with its imports.

A command that needs a result its other work does not depend on (``som-mc sensitivity``:
the Sobol base sample mapped through the quantile functions, which needs scipy.stats, ≈ 1 s
to import) can start it in a process forked right after the case is loaded, before this
process imports xarray, matplotlib and numba, and pick it up when it needs it. The forked
process imports what the job needs by itself, on the second CPU.

Light on purpose: importing this module imports nothing heavy.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Background", "spare_cpu"]


def spare_cpu() -> bool:
    """Whether a forked helper process can run on a CPU of its own."""
    if not sys.platform.startswith("linux"):  # fork is the safe, cheap start only there
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):  # pragma: no cover - no affinity call
        return (os.cpu_count() or 1) >= 2


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the forked process: send ``(True, fn(*args))``, or ``(False, None)`` if it raised."""
    try:
        try:
            value = fn(*args)
        except BaseException:  # the parent computes it again and reports the error
            conn.send((False, None))
        else:
            conn.send((True, value))
    except (OSError, ValueError):  # pragma: no cover - the parent is gone
        pass
    finally:
        conn.close()


class Background:
    """``fn(*args)`` computed in a process forked now, or here when it is asked for.

    The process is forked only on Linux with a spare CPU and when this process runs no
    other thread (forking a threaded process is unsafe); otherwise, or when the forked
    process fails or dies, :meth:`result` computes ``fn(*args)`` in this process. The
    value is the same either way (`fn` must be deterministic, its arguments and result
    picklable); an error `fn` raises is raised by :meth:`result` in this process.

    Parameters
    ----------
    fn : callable
        A module-level function (the forked process gets it by reference).
    *args
        Its arguments.
    fork : bool, optional
        Fork a process; default when there is a spare CPU.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, fork: bool | None = None) -> None:
        self._fn = fn
        self._args = args
        self._conn: Connection | None = None
        self._proc: Any = None
        if (spare_cpu() if fork is None else fork) and threading.active_count() == 1:
            import multiprocessing

            try:
                ctx = multiprocessing.get_context("fork")
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
                proc.start()
            except (OSError, RuntimeError, ValueError):  # no process: compute it here
                return
            send.close()
            self._conn, self._proc = recv, proc

    @property
    def forked(self) -> bool:
        """Whether a forked process is computing the value."""
        return self._conn is not None

    def result(self) -> Any:
        """Return ``fn(*args)``: the forked process's value, or computed here."""
        if self._conn is not None:
            try:
                ok, value = self._conn.recv()
            except (EOFError, OSError):  # the process died
                ok, value = False, None
            finally:
                self.close()
            if ok:
                return value
        return self._fn(*self._args)

    def close(self) -> None:
        """Stop the forked process if it still runs (e.g. when an error ends the command)."""
        conn, proc = self._conn, self._proc
        self._conn = self._proc = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
            proc.join()
