"""Provides a benchmark of the incident log at district scale: 10,000 incidents, every export.

Run: .venv/bin/python benchmarks/export_incidents.py [--incidents N] [--skip-pdf]
(about 30 s for 10,000; uses a temporary directory)

Each incident is what a busy testing week produces: two affected students, two devices, a
drafted five-line timeline, an action taken and a status change, so the chain holds four events
per incident. Measured: appending the chain to SQLite, loading and replaying it (what `export`
does first), each export format, and `verify` of the JSON export. Figures print beside targets.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from testday.core.incident_fields import AffectedStudent, DeviceRef, TimedLine
from testday.core.incidents import IncidentLog
from testday.reports.csv_export import export_csv
from testday.reports.json_export import export_json
from testday.reports.pdf_export import export_pdf
from testday.reports.verify_export import verify_export
from testday.store.database import Store
from testday.store.incident_store import IncidentStore

T = TypeVar("T")
T0 = datetime(2027, 4, 12, 8, 0, tzinfo=UTC)
# A district upload or a printed report is asked for once, after testing: a minute is patient.
TARGET_S = {"csv": 10.0, "json": 10.0, "pdf": 60.0, "verify": 10.0}


def build_log(count: int) -> IncidentLog:
    log = IncidentLog()
    for n in range(count):
        at = T0 + timedelta(minutes=n)
        incident_id = f"INC-{n + 1:05d}"
        students = [
            AffectedStudent(f"{1_000_000 + 2 * n}"),
            AffectedStudent(f"{1_000_001 + 2 * n}"),
        ]
        devices = [DeviceRef(f"dev-{n:05d}a", f"A-{n:05d}"), DeviceRef(f"dev-{n:05d}b")]
        log.append(
            log.create(
                incident_id, "testday", at, category="technical", subcategory="device_lost",
                severity="procedural", room=f"{100 + n % 40}", session_id=f"s-{n % 25}",
                occurred_at=at, affected_students=students, devices=devices, source="detector",
            )
        )  # fmt: skip
        lines = [
            TimedLine(at + timedelta(seconds=s), text)
            for s, text in (
                (0, f"dev-{n:05d}a (room {100 + n % 40}) disconnected"),
                (40, f"dev-{n:05d}a reconnected"),
                (55, f"dev-{n:05d}a ready again"),
                (56, f"student {1_000_000 + 2 * n} resumed on the same device"),
                (90, "proctor confirmed responses saved"),
            )
        ]
        log.append(log.draft_timeline(incident_id, "testday", at + timedelta(minutes=2), lines))
        log.append(log.change(incident_id, "tech", at + timedelta(minutes=5),
                              action_taken="Reconnected; student resumed"))  # fmt: skip
        log.append(log.set_status(incident_id, "coord", at + timedelta(minutes=9), "reported"))
    return log


def timed(label: str, results: dict[str, float], run: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = run()
    results[label] = time.perf_counter() - started
    return value


async def store_and_reload(path: Path, log: IncidentLog, results: dict[str, float]) -> IncidentLog:
    store = await Store.open(path)
    try:
        incidents = IncidentStore(store)
        started = time.perf_counter()
        await incidents.append(log.entries)
        results["append"] = time.perf_counter() - started
        started = time.perf_counter()
        loaded = await incidents.load_log()
        results["load"] = time.perf_counter() - started
        return loaded
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--skip-pdf", action="store_true", help="the PDF takes longest")
    args = parser.parse_args(argv)
    results: dict[str, float] = {}
    log = timed("build", results, lambda: build_log(args.incidents))
    with tempfile.TemporaryDirectory(prefix="testday-export-") as tmp:
        folder = Path(tmp)
        log = asyncio.run(store_and_reload(folder / "testday.sqlite3", log, results))
        now = datetime.now().astimezone()
        rows = timed("csv", results, lambda: export_csv(log.incidents(), folder / "r.csv"))
        timed("json", results, lambda: export_json(log, folder / "r.json", now))
        if not args.skip_pdf:
            timed("pdf", results, lambda: export_pdf(log, folder / "r.pdf", now))
        check = timed("verify", results, lambda: verify_export(folder / "r.json"))
        sizes = {p.suffix[1:]: p.stat().st_size for p in folder.glob("r.*")}
    if not check.ok:
        print(f"verify failed: {check.describe()}", file=sys.stderr)
        return 1
    count = args.incidents
    print(f"{count:,} incidents, {len(log.entries):,} chain entries, {rows:,} CSV rows")
    print(f"{'step':<8} {'measured':>10} {'target':>10}  size")
    for step in ("build", "append", "load", "csv", "json", "pdf", "verify"):
        if step not in results:
            continue
        target = TARGET_S.get(step)
        mark = "" if target is None else ("ok" if results[step] <= target else "MISSED")
        shown = f"≤ {target:g} s" if target else "—"
        size = f"{sizes[step] / 1e6:.1f} MB" if step in sizes else ""
        print(f"{step:<8} {results[step]:>8.2f} s {shown:>10}  {size} {mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
