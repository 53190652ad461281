"""Provides `testday deploy`'s output: a progress line per host as it finishes, a result table."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from testday.remote.deploy import HostResult

BAR_WIDTH = 20
# Failures first: they are what the technician acts on.
ORDER = {"failed": 0, "installed": 1, "upgraded": 2, "restarted": 3, "unchanged": 4}


class Progress:
    """Prints ``[####----] 3/8 lab-03 installed (4.1 s)`` each time a host is done."""

    def __init__(self, total: int, out: TextIO | None = None) -> None:
        self.total = total
        self.finished = 0
        self.out = out or sys.stdout

    def done(self, result: HostResult) -> None:
        self.finished += 1
        filled = round(BAR_WIDTH * self.finished / max(1, self.total))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"[{bar}] {self.finished}/{self.total} {result.name} {result.status}"
        line += f" ({result.seconds:.1f} s)"
        if result.detail:
            line += f": {result.detail}"
        print(line, file=self.out, flush=True)


def result_table(results: list[HostResult]) -> str:
    rows = [
        (r.name, r.status, f"{r.seconds:.1f}s", r.device_id or "-", r.detail)
        for r in sorted(results, key=lambda r: (ORDER.get(r.status, 9), r.name))
    ]
    header = ("HOST", "RESULT", "TIME", "DEVICE", "DETAIL")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in [header, *rows]
    ]
    counts = Counter(r.status for r in results)
    summary = ", ".join(f"{counts[s]} {s}" for s in ORDER if counts[s])
    return "\n".join(line.rstrip() for line in lines) + f"\n{summary}"
