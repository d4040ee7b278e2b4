"""The memo as PDF: the same HTML printed by headless Chromium (A4, the template's print CSS).

Chromium is a system program (Debian package ``chromium``), not a Python package, so it is
found on the PATH and a clear one-line error names the package when it is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from som_mc._io import atomic_write, check_writable
from som_mc.errors import OutputError

__all__ = ["CHROMIUM_NAMES", "find_chromium", "write_pdf"]

#: Program names tried, in order, to find headless Chromium.
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome")

#: Seconds Chromium may take to print one memo.
PRINT_TIMEOUT = 180


def find_chromium() -> str | None:
    """Path of a Chromium executable on the PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(
    html: str, path: str | Path, *, overwrite: bool = False, chromium: str | None = None
) -> Path:
    """Print a self-contained HTML memo to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html : str
        The memo (:func:`som_mc.present.report.render_html`); it has no external resources.
    path : str or Path
        Target ``.pdf`` file.
    overwrite : bool
        Replace an existing file.
    chromium : str, optional
        The Chromium executable (default: the first of :data:`CHROMIUM_NAMES` on the PATH).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    OutputError
        When Chromium is missing (naming the Debian package), fails or times out, or the file
        cannot be written. Nothing is left at `path` then.
    """
    target = check_writable(path, overwrite=overwrite)
    exe = chromium or find_chromium()
    if exe is None:
        raise OutputError(
            f"{target}: a PDF needs headless Chromium, which is not installed; install the "
            "Debian package 'chromium' (apt-get install chromium)"
        )
    with tempfile.TemporaryDirectory(prefix="som_mc_pdf_") as tmp_dir:
        tmp = Path(tmp_dir)
        page = tmp / "memo.html"
        page.write_text(html, encoding="utf-8")
        pdf = tmp / "memo.pdf"
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}", page.as_uri(),
        ]  # fmt: skip
        try:
            run = subprocess.run(
                cmd, capture_output=True, text=True, timeout=PRINT_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"{target}: Chromium did not finish printing within {PRINT_TIMEOUT} s"
            ) from None
        except OSError as exc:
            raise OutputError(f"{target}: cannot start {exe} ({exc.strerror})") from None
        if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            last = (run.stderr.strip().splitlines() or ["no output"])[-1][:200]
            raise OutputError(
                f"{target}: Chromium could not print the memo (exit {run.returncode}: {last})"
            )
        return atomic_write(target, lambda out: shutil.copyfile(pdf, out), overwrite=overwrite)
