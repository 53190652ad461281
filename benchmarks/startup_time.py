"""Provides the start-up benchmark: import time of `testday` and `testday-agent` commands.

Each case runs in a fresh interpreter with ``-X importtime``, several times; the figures are the
median and the best of the runs, beside DESIGN.md's target (150 ms). Two figures per case: the
cumulative import time of the command's own module, and every import of the process (Python's
start-up included), which is what a person waits for before the first line of output.

    .venv/bin/python benchmarks/startup_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time

TARGET_MS = 150.0
CASES = {  # name: (python arguments, the module whose cumulative time is the command's own)
    "import testday.cli.main": (["-c", "import testday.cli.main"], "testday.cli.main"),
    "testday --help": (["-m", "testday.cli.main", "--help"], "testday.cli.main"),
    "testday devices --help": (["-m", "testday.cli.main", "devices", "--help"], "testday.cli.main"),
    "testday-agent --help": (["-m", "testday_agent.cli", "--help"], "testday_agent.cli"),
}
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)$")


def measure(args: list[str], own: str) -> tuple[float, float, float]:
    """(the command module's cumulative ms, all imports' ms, wall ms) of one fresh run."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr[-500:]}")
    own_us = total_us = 0
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        cumulative, depth, name = int(match[2]), len(match[3]), match[4]
        if depth == 1:  # a top-level import: its cumulative time holds everything under it
            total_us += cumulative
        if name == own and own_us == 0:
            own_us = cumulative
    if own_us == 0:  # run as __main__: the module itself is not an import; its imports are
        own_us = total_us
    return own_us / 1000, total_us / 1000, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per case (7)")
    args = parser.parse_args()
    print(f"{'case':<26} {'own import':>16} {'all imports':>16} {'wall':>10}   target")
    worst = 0.0
    for name, (python_args, own) in CASES.items():
        runs = [measure(python_args, own) for _ in range(args.runs)]
        own_ms = [r[0] for r in runs]
        all_ms = [r[1] for r in runs]
        wall_ms = [r[2] for r in runs]
        worst = max(worst, statistics.median(all_ms))
        print(
            f"{name:<26} {statistics.median(own_ms):>7.1f} ({min(own_ms):>5.1f}) ms "
            f"{statistics.median(all_ms):>7.1f} ({min(all_ms):>5.1f}) ms "
            f"{statistics.median(wall_ms):>7.0f} ms   ≤ {TARGET_MS:.0f} ms of imports"
        )
    print("(median of the runs, best in brackets)")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest case, all imports: {worst:.1f} ms — {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
