"""Write figures as PNG and SVG files (and run other work) on two CPUs when there are two.

Drawing dominates the time of a command that writes many figures (``som-mc sensitivity``
writes 16 files per analysis: one figure per aktør and the total, each as PNG and SVG).
:class:`FigureWriter` takes the figures to write; with a spare CPU (Linux, two or more
CPUs available to the process) a helper process forked from this one draws them from the
first while this process, once it has done its other work, draws them from the last; each
figure is drawn in exactly one of them (a process running other threads, e.g. a Jupyter
kernel, is not forked: it draws them all itself). The files are the same whichever process
draws them. A helper that fails to start or dies leaves its figures to this process.
:meth:`FigureWriter.run` gives the helper other work too (it runs before the figures
added after it). :meth:`FigureWriter.start` forks the helper early and has it import what
the figures need meanwhile; the helper then forks a second drawer (its twin, with all it
imported) that draws this process's share, so that with plot functions named by
:class:`PlotRef` this process imports matplotlib only to draw a figure the twin did not
(none forked, gone, failed on it, or a figure that does not pickle).
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, BinaryIO

from som_mc._io import atomic_write, forget_active_parts, remove_active_parts
from som_mc.present.background import spare_cpu

__all__ = ["DPI", "FigureWriter", "PlotRef", "save_figure"]

#: Resolution of the PNG files.
DPI = 150

#: Plot function: data and keyword arguments to the Axes it drew on.
Plot = Callable[..., Any]


def save_figure(ax: Any, out: Path, name: str) -> None:
    """Write the figure of `ax` as ``NAME.png`` and ``NAME.svg`` in `out` (replacing them).

    The figure is laid out once for both files (:func:`fix_layout`), with the font files
    read from memory (:func:`~som_mc.present.plotting._fonts.fonts_in_memory`).
    """
    from som_mc.present.plotting._fonts import fonts_in_memory
    from som_mc.present.plotting._style import fix_layout

    fig = ax.figure
    with fonts_in_memory():
        fix_layout(fig, DPI)
        for ext in ("png", "svg"):
            atomic_write(out / f"{name}.{ext}", partial(_savefig, fig, ext), overwrite=True)


def _savefig(fig: Any, fmt: str, path: Path | BinaryIO) -> None:
    from som_mc.present.plotting._style import save_png

    if fmt == "png":
        save_png(fig, path, DPI)
    else:
        fig.savefig(path, dpi=DPI, format=fmt)


@dataclass(frozen=True)
class PlotRef:
    """A plot function named by module and name, imported where (and when) it is called.

    A command can hand figures to :class:`FigureWriter` without importing matplotlib
    itself until it draws one: the helper process, started early, imports it meanwhile.
    """

    module: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function (importing its module)."""
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


def _draw(plot: Plot, data: Any, kwargs: dict[str, Any], out: Path, name: str) -> None:
    from som_mc.present.plotting._fonts import fonts_in_memory
    from som_mc.results.schema import xarray_without_dask

    # selecting from the data must not import dask to learn there are no dask arrays
    with xarray_without_dask(), fonts_in_memory():
        save_figure(plot(data, **kwargs), out, name)


def _end_helper(signum: int, frame: FrameType | None) -> None:
    """End the helper at once on SIGTERM, removing its files in progress first."""
    remove_active_parts()
    os._exit(128 + signum)


#: In the helper: its twin's end of the pipe to the parent, until the twin is forked.
_twin_end: list[Connection] = []


def _helper_setup(twin: tuple[Connection, Connection] | None = None) -> None:
    """In the helper: SIGTERM ends it (removing its files in progress); BLAS on one thread.

    The helper is forked from the command, whose SIGTERM handler raises an interrupt; in
    the helper that would be taken for a failed figure and the process would go on. Here
    SIGTERM removes the temporary files and locks of the helper's own writes (none of the
    parent's, forgotten at the fork) and ends the process. BLAS must not spin against the
    main process. `twin`: the two ends of the pipe of the twin :func:`_warm` forks (the
    parent's end is closed here, so the twin sees the pipe end when the parent closes it).
    """
    from threadpoolctl import threadpool_limits

    forget_active_parts()
    signal.signal(signal.SIGTERM, _end_helper)
    threadpool_limits(limits=1)
    if twin is not None:
        parent_end, twin_end = twin
        parent_end.close()
        _twin_end.append(twin_end)


def _rehearse() -> None:
    """Draw a small figure to memory, as PNG and SVG, and throw it away.

    What the first figure of a process loads lazily (matplotlib's backends, Pillow's PNG
    encoder, the fonts) is loaded then, before the figures wait for it.
    """
    import io

    from matplotlib.figure import Figure

    from som_mc.present.plotting._fonts import fonts_in_memory
    from som_mc.present.plotting._style import fix_layout

    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.barh([0, 1], [1.0, -1.0])
    ax.set_title("Æøå 1.234,5")
    ax.set_xlabel("kr.")
    with fonts_in_memory():
        fix_layout(fig, DPI)
        for ext in ("png", "svg"):
            _savefig(fig, ext, io.BytesIO())


def _warm(modules: tuple[str, ...]) -> int | None:
    """In the helper: import `modules` (what its figures will need), then settle them.

    Then fork the twin (when the helper was given its pipe) and return its process id: a
    second drawer with everything imported, for the parent's share of the figures. Without
    a twin (none asked for, or the imports failed) the pipe is closed: the parent then
    draws its share itself.
    """
    import gc

    end = _twin_end.pop() if _twin_end else None
    try:
        for module in modules:
            importlib.import_module(module)
        _rehearse()
    except BaseException:
        if end is not None:
            end.close()
        raise  # (the figures' to report: they need the same)
    finally:
        # what the helper imported lives to its end: frozen, no collections walk it
        gc.freeze()
        gc.enable()
    if end is None:
        return None
    try:
        pid = os.fork()
    except OSError:
        end.close()
        return None
    if pid == 0:  # the twin
        try:
            # only its pipe and the standard streams: a copy of the helper's end of the
            # executor's sentinel pipe would keep the parent from seeing the helper die
            keep = end.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
            _serve(end)
        finally:
            os._exit(0)
    end.close()
    return pid


def _reap(pid: int) -> None:
    """In the helper: wait for its twin to end (its parent closed the twin's pipe)."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already
        pass


def _serve(end: Connection) -> None:
    """In the twin: draw each figure the parent sends, answering whether it was written.

    Ends when the parent closes its end of the pipe, when a figure cannot be read from it,
    or on SIGTERM (as the helper does).
    """
    while True:
        try:
            job = end.recv()
        except Exception:  # the pipe's end (EOFError, OSError), or not a figure
            return
        try:
            _draw(*job)
        except Exception:  # the parent draws it again and reports the error
            ok = False
        else:
            ok = True
        try:
            end.send(ok)
        except OSError:
            return


class FigureWriter:
    """Collect figures to write; draw them (on two CPUs when possible) by :meth:`close`.

    Use as a context manager: the figures are all written when the block ends, and the
    work done inside the block after :meth:`add` overlaps with the helper's drawing. The
    helper gets one figure at a time (the next when it has finished one), from the first;
    at :meth:`close` this process draws the rest from the last (or, after :meth:`start`,
    has the helper's twin draw them), so the two finish together.

    Parameters
    ----------
    out : Path
        Folder of the files.
    helper : bool, optional
        Use a helper process; default when the machine has a spare CPU.
    """

    def __init__(self, out: Path, *, helper: bool | None = None) -> None:
        self.out = out
        self._helper = spare_cpu() if helper is None else helper
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[Any, ...]] = deque()  # given to no one yet
        self._given: list[tuple[Future[None], tuple[Any, ...]]] = []  # to the helper
        self._busy = False  # the helper has a figure
        self._lock = threading.Condition()
        self._twin: Connection | None = None  # this process's end of the twin's pipe
        self._warmed: Future[int | None] | None = None  # the helper's warm-up (the twin)

    def add(self, plot: Plot, data: Any, name: str, **kwargs: Any) -> None:
        """Write ``plot(data, **kwargs)`` as ``NAME.png`` and ``NAME.svg``."""
        with self._lock:
            self._pending.append((plot, data, kwargs, self.out, name))
            feed = self._helper and not self._busy
        if feed and self._ensure_pool():
            self._feed()

    def start(self, warm: tuple[str, ...] = ()) -> None:
        """Start the helper now and have it import `warm` (modules) before any figure.

        A command that starts it before its own heavy imports gets them done on the second
        CPU meanwhile; nothing happens without a helper. The helper then gets each plot
        function by name: a :class:`PlotRef` or a function of an importable module (not
        one defined in ``__main__`` after this call; the helper would fail on it, and this
        process draw its figures).
        """
        twin = self._twin_pipe()
        if self._ensure_pool(twin):
            assert self._pool is not None
            try:
                self._warmed = self._pool.submit(_warm, warm)
            except (OSError, RuntimeError, BrokenProcessPool):
                self._helper = False
        if twin is not None:
            twin[1].close()  # the helper has it (or there is no helper)
            if self._pool is None or self._warmed is None:
                twin[0].close()
            else:
                self._twin = twin[0]

    def _twin_pipe(self) -> tuple[Connection, Connection] | None:
        """Return a pipe for the twin when a helper is to be forked now (else None)."""
        if self._pool is not None or not self._helper or threading.active_count() > 1:
            return None
        import multiprocessing

        try:
            ends: tuple[Connection, Connection] = multiprocessing.Pipe()
        except OSError:
            return None
        return ends

    def _ensure_pool(self, twin: tuple[Connection, Connection] | None = None) -> bool:
        if self._pool is None and self._helper and threading.active_count() > 1:
            self._helper = False  # fork only a process without other threads (Jupyter has)
        if self._pool is None and self._helper:
            import multiprocessing

            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_helper_setup,
                    initargs=(twin,),  # (forked: the pipe's ends are inherited, not pickled)
                )
            except (OSError, RuntimeError, ValueError):  # no helper: draw here
                self._helper = False
        return self._pool is not None

    def _feed(self, done: Future[None] | None = None) -> None:
        """Give the helper the next figure (also the callback of its finished one).

        A figure that failed because the helper died gives nothing more to it: the pool is
        broken, and the callback may run in the pool's thread while it holds the pool's
        lock (Python ≥ 3.12), where submitting would wait for ever.
        """
        broken = done is not None and isinstance(done.exception(), BrokenProcessPool)
        with self._lock:
            if broken:
                self._helper = False
            if not (self._pending and self._helper and self._pool is not None):
                self._busy = False
                self._lock.notify_all()
                return
            job = self._pending.popleft()
            self._busy = True
        try:
            future = self._pool.submit(_draw, *job)
        except (OSError, RuntimeError, BrokenProcessPool):  # the helper is gone: draw here
            with self._lock:
                self._pending.appendleft(job)
                self._helper = False
                self._busy = False
                self._lock.notify_all()
            return
        with self._lock:
            self._given.append((future, job))
        future.add_done_callback(self._feed)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
        """Start ``fn(*args, **kwargs)`` in the helper; return a function awaiting its result.

        Without a helper (or if it dies) `fn` runs in this process, when its result is
        asked for. `fn`, its arguments and its result must be picklable.
        """
        if self._ensure_pool():
            assert self._pool is not None
            try:
                future = self._pool.submit(fn, *args, **kwargs)
            except (OSError, RuntimeError, BrokenProcessPool):
                self._helper = False
            else:

                def result() -> Any:
                    try:
                        return future.result()
                    except BrokenProcessPool:
                        return fn(*args, **kwargs)

                return result
        return partial(fn, *args, **kwargs)

    def close(self) -> None:
        """Draw what the helper has not taken (the last first) and wait for the rest.

        After :meth:`start` the helper's twin draws them, when it can.

        Raises
        ------
        Exception
            What drawing or writing a figure raised (e.g. an unwritable file).
        """
        try:
            while True:
                with self._lock:
                    if self._pending:
                        job = self._pending.pop()
                    elif self._busy:  # the helper's figure; a helper that dies returns it
                        self._lock.wait()
                        continue
                    else:
                        given, self._given = self._given, []
                        break
                if not self._twin_draws(job):
                    _draw(*job)
            for future, job in given:
                try:
                    future.result()
                except BrokenProcessPool:  # the helper died: draw its figure here
                    _draw(*job)
        finally:
            self._shutdown()

    def _twin_draws(self, job: tuple[Any, ...]) -> bool:
        """Have the twin draw `job`; False when there is no twin (or it failed on it).

        A figure that cannot be sent (e.g. a plot function that does not pickle) is drawn
        here, the twin kept. A twin that is gone, or fails on a figure, leaves it (and the
        rest) to this process, which reports the figure's error, if any, itself.
        """
        twin = self._twin
        if twin is None:
            return False
        from multiprocessing.reduction import ForkingPickler

        try:
            message = bytes(ForkingPickler.dumps(job))
        except Exception:  # not picklable: this process draws it
            return False
        try:
            twin.send_bytes(message)
            if twin.recv() is True:
                return True
        except (EOFError, OSError):
            pass
        self._close_twin()
        return False

    def _close_twin(self) -> None:
        """Close the twin's pipe: it ends when it reads the end of it."""
        twin, self._twin = self._twin, None
        if twin is not None:
            twin.close()

    def _twin_pid(self, *, wait: bool) -> int | None:
        """Return the twin's process id once the warm-up forked it (`wait`: wait for that)."""
        warmed = self._warmed
        if warmed is None or warmed.cancelled() or not (wait or warmed.done()):
            return None
        try:
            return warmed.result()
        except BaseException:  # a failed warm-up (or a dead helper) forked no twin
            return None

    def stop(self) -> None:
        """Stop the helper at once, drawing nothing more (after an error elsewhere).

        A helper still importing or drawing is ended (SIGTERM) rather than waited for, so
        an error (e.g. in the case file) is reported without waiting for its imports.
        """
        with self._lock:
            self._helper = False  # no more feeding
            pool = self._pool
        self._close_twin()
        pid = self._twin_pid(wait=False)  # (a helper still warming is ended below; a twin
        # it forked meanwhile reads the end of its pipe)
        self._warmed = None
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:  # ended already
                pass
        if pool is not None:
            # (the executor has no public way to end its workers before Python 3.14)
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        self._shutdown()

    def _shutdown(self) -> None:
        self._close_twin()
        with self._lock:
            self._helper = False  # no more feeding
            self._pending.clear()
        pid = self._twin_pid(wait=True)
        self._warmed = None
        if pid is not None and self._pool is not None:
            try:  # its parent waits for it: no process outlives the command
                self._pool.submit(_reap, pid).result()
            except (OSError, RuntimeError, BrokenProcessPool):
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> FigureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # an error elsewhere: stop drawing, at once
            self.stop()
