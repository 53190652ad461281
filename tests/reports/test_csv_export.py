"""Tests the CSV export: documented columns, one row per student, owner-only atomic files."""

from __future__ import annotations

import csv
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testday.reports import csv_export
from testday.reports.csv_export import COLUMNS, export_csv
from tests.reports.sample import sample_log


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_columns_are_exactly_the_documented_ones(tmp_path: Path) -> None:
    """The file parses with the csv module into COLUMNS, each documented in order in the table."""
    out = tmp_path / "incidents.csv"
    export_csv(sample_log().incidents(), out)
    header, _ = read_rows(out)
    assert tuple(header) == COLUMNS
    doc = csv_export.__doc__ or ""
    table = [line.split()[0] for line in doc.splitlines() if line and line.split()[0] in COLUMNS]
    assert tuple(table) == COLUMNS


def test_one_row_per_student_and_one_for_an_incident_without_students(tmp_path: Path) -> None:
    """inc-1 has two students, inc-2 none (still one row), inc-3 one."""
    out = tmp_path / "incidents.csv"
    assert export_csv(sample_log().incidents(), out) == 4
    _, rows = read_rows(out)
    assert [(r["incident_id"], r["student_state_id"]) for r in rows] == [
        ("inc-1", "1234567890"), ("inc-1", "2234567890"), ("inc-2", ""), ("inc-3", "3234567890"),
    ]  # fmt: skip
    first, second, room_level = rows[0], rows[1], rows[2]
    assert first["status"] == "approved" and first["action_taken"] == "Student resumed, same device"
    assert second["student_started_at"] == "2025-04-11T09:44:03+00:00"
    assert first["sequence_of_events"].splitlines() == [
        "2025-04-11T10:14:03+00:00  cb-07 disconnected",
        "2025-04-11T10:16:39+00:00  cb-07 reconnected",
    ]
    assert room_level["devices"] == "cb-20; cb-21" and room_level["severity"] == "serious"
    assert all(r["student_name"] == "" for r in rows)  # names are off by default


def test_file_is_owner_only_even_when_replacing_a_readable_one(tmp_path: Path) -> None:
    """A new file and a replaced world-readable one both end up mode 0600, with a loose umask."""
    out = tmp_path / "incidents.csv"
    out.write_text("old")
    out.chmod(0o644)
    old_mask = os.umask(0)
    try:
        export_csv(sample_log().incidents(), out)
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_failed_export_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    """An export that fails midway never replaces the target with half a file."""
    out = tmp_path / "incidents.csv"
    out.write_text("previous export")

    def boom(done: int, total: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        export_csv(sample_log().incidents(), out, progress=boom)
    assert out.read_text() == "previous export"
    assert list(tmp_path.iterdir()) == [out]


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    """Progress ends at (total, total); an empty export reports once and still has a header."""
    calls: list[tuple[int, int]] = []
    export_csv(
        sample_log().incidents(), tmp_path / "a.csv", progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (3, 3)
    empty: list[tuple[int, int]] = []
    assert export_csv([], tmp_path / "b.csv", progress=lambda d, t: empty.append((d, t))) == 0
    assert empty == [(0, 0)]
    assert tuple(read_rows(tmp_path / "b.csv")[0]) == COLUMNS


def test_a_cell_a_spreadsheet_would_run_arrives_as_text(tmp_path: Path) -> None:
    """A room or an action that starts like a formula is exported with a leading apostrophe."""
    log = sample_log()
    log.append(log.change("inc-3", "tech", datetime.now(UTC), room='=HYPERLINK("http://x","y")',
                          action_taken="@SUM(1+1)"))  # fmt: skip
    out = tmp_path / "incidents.csv"
    export_csv(log.incidents(), out)
    _, rows = read_rows(out)
    (row,) = [r for r in rows if r["incident_id"] == "inc-3"]
    assert row["room"] == """'=HYPERLINK("http://x","y")""" and row["action_taken"] == "'@SUM(1+1)"
    assert [r["room"] for r in rows if r["incident_id"] != "inc-3"] == ["112", "112", "114"]
