"""What a process pays to touch fresh memory here, with and without NumPy's huge-page hint.

NumPy marks every array of 4 MiB or more ``madvise(MADV_HUGEPAGE)``; ``som-mc run`` and
``som-mc sensitivity`` turn that hint off (``huge_pages_off``), the library leaves NumPy's
setting alone. A run of 100,000 draws touches some 100-200 MB that the process has never
used (the summary rows kept for exact quantiles; ``simulate``'s outputs), so on a machine
where first touches are dear they are a large part of its time.

Each figure is a fresh child process that makes one array of ``--mb`` MB and writes it
once (``a[...] = 1.0``), wall time from :func:`time.perf_counter`, then writes a second,
fresh array of the same size (memory the process has had and freed before, as a run's later
blocks get). ``--runs`` children per setting, alternated; printed: minimum, median and
maximum, and the kernel's ``compact_stall`` count before and after (memory compaction on a
page fault; Linux, ``/proc/vmstat``).

Usage::

    python benchmarks/bench_first_touch.py              # 100 MB, 8 runs per setting
    python benchmarks/bench_first_touch.py --mb 200 --runs 12
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import numpy as np
mb, hint = int(sys.argv[1]), sys.argv[2] == "on"
np._core.multiarray._set_madvise_hugepage(hint)
n = mb * 1_000_000 // 8
t0 = time.perf_counter(); a = np.empty(n); a[...] = 1.0; first = time.perf_counter() - t0
del a
t0 = time.perf_counter(); b = np.empty(n); b[...] = 1.0; again = time.perf_counter() - t0
print(json.dumps({"first": first, "again": again}))
"""


def _vmstat(key: str) -> str:
    try:
        for line in Path("/proc/vmstat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return value
    except OSError:
        pass
    return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="array size in MB (default 100)")
    parser.add_argument("--runs", type=int, default=8, help="children per setting (default 8)")
    args = parser.parse_args(argv)
    stalls = _vmstat("compact_stall")
    figures: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for _ in range(args.runs):
        for hint in ("on", "off"):
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.mb), hint],
                capture_output=True,
                text=True,
                check=True,
                env=dict(os.environ),
            )
            figures[hint].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(
        f"first touch of {args.mb} MB in a fresh process, {args.runs} processes per setting "
        "(seconds: min / median / max)"
    )
    for hint in ("on", "off"):
        for key, label in (("first", "first array"), ("again", "second array")):
            xs = [f[key] for f in figures[hint]]
            print(
                f"  huge-page hint {hint:<3}  {label:<13} "
                f"{min(xs):.4f} / {statistics.median(xs):.4f} / {max(xs):.4f}"
            )
    print(f"  compact_stall (/proc/vmstat) before {stalls}, after {_vmstat('compact_stall')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
