"""Tests `testday incident add`, `export` and `verify` end to end, also as a subprocess."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testday.cli.main import main
from testday.core.incidents import IncidentLog
from testday.reports.csv_export import COLUMNS
from testday.store.database import Store
from testday.store.incident_store import IncidentStore


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "testday.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def add(data: Path, *extra: str) -> int:
    return main(["incident", "add", "--data", str(data), "--category", "technical",
                 "--subcategory", "device_lost", "--severity", "procedural", "--room", "112",
                 "--by", "tech", *extra])  # fmt: skip


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert add(data, "--device", "cb-07", "--student", "1234567890", "--student", "2234567890",
               "--description", "cb-07 froze mid-test") == 0  # fmt: skip
    assert add(data, "--description", "Room 112 lost its network") == 0
    return data


def test_add_then_export_round_trip(data: Path, tmp_path: Path, capsys) -> None:
    """Two added incidents come back as three CSV rows and a JSON export that verifies."""
    out_csv, out_json = tmp_path / "r.csv", tmp_path / "r.json"
    assert main(["export", "--format", "csv", "--out", str(out_csv), "--data", str(data)]) == 0
    assert main(["export", "--format", "json", "--out", str(out_json), "--data", str(data)]) == 0
    with out_csv.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    assert [(r["incident_id"], r["student_state_id"]) for r in rows] == [
        ("INC-00001", "1234567890"), ("INC-00001", "2234567890"), ("INC-00002", ""),
    ]  # fmt: skip
    assert rows[0]["sequence_of_events"].endswith("  cb-07 froze mid-test")
    assert rows[0]["devices"] == "cb-07" and rows[2]["created_by"] == "tech"
    for path in (out_csv, out_json):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    capsys.readouterr()
    assert main(["verify", str(out_json)]) == 0
    assert main(["verify", "--data", str(data)]) == 0
    assert "chain OK: 2 entries, 2 incidents" in capsys.readouterr().out


def test_a_changed_byte_in_an_export_fails_verify_in_a_subprocess(
    data: Path, tmp_path: Path
) -> None:
    """The real command exits 1 and names the entry whose content was changed."""
    out = tmp_path / "r.json"
    assert cli("export", "--format", "json", "--out", str(out), "--data", str(data)).returncode == 0
    assert cli("verify", str(out)).returncode == 0
    out.write_text(out.read_text().replace("lost its network", "lost its netwark", 1))
    result = cli("verify", str(out))
    assert result.returncode == 1
    assert "seq 2" in result.stderr and "INC-00002" in result.stderr, result.stderr
    assert "hash does not match" in result.stderr


def test_a_tampered_database_fails_verify_and_blocks_export(data: Path, tmp_path: Path) -> None:
    """The live chain is checked the same way; export refuses to write a broken record."""
    with sqlite3.connect(data / "testday.sqlite3") as conn:
        conn.execute("UPDATE incident_chain SET event = replace(event, 'froze', 'frozd')")
    result = cli("verify", "--data", str(data))
    assert result.returncode == 1 and "seq 1" in result.stderr, result.stderr
    out = tmp_path / "r.csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--data", str(data)]) == 1
    assert not out.exists()


def test_bad_input_is_refused_without_a_traceback(tmp_path: Path, capsys) -> None:
    """A subcategory of another category, a missing database: clear messages, no file written."""
    assert add(tmp_path / "d", "--subcategory", "fire_drill", "--description", "x") == 1
    assert "subcategory" in capsys.readouterr().err
    assert main(["verify", "--data", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()
    out = tmp_path / "x.json"
    assert (
        main(["export", "--format", "json", "--out", str(out), "--data", str(tmp_path / "none")])
        == 2
    )


def test_export_help_describes_pdf() -> None:
    """PDF is a listed format, described in --help."""
    result = cli("export", "--help")
    assert "pdf" in result.stdout and "signature lines" in result.stdout


def test_from_and_to_keep_the_days_asked_for(tmp_path: Path, capsys) -> None:
    """--from/--to select by the day an incident occurred; JSON refuses a slice; bad days named."""
    data = tmp_path / "data"
    data.mkdir()

    async def store_log() -> None:
        store = await Store.open(data / "testday.sqlite3")
        try:
            log = IncidentLog()
            for n, day in enumerate((10, 11, 12), start=1):
                when = datetime(2027, 4, day, 10, 0, tzinfo=UTC)
                log.append(log.create(f"INC-{n}", "tech", when, category="other",
                                      subcategory="other", severity="procedural", room="112",
                                      occurred_at=when))  # fmt: skip
            await IncidentStore(store).append(log.entries)
        finally:
            await store.close()

    asyncio.run(store_log())
    out = tmp_path / "r.csv"
    base = ["export", "--format", "csv", "--out", str(out), "--data", str(data)]
    assert main([*base, "--from", "2027-04-11", "--to", "2027-04-11"]) == 0
    with out.open(newline="") as handle:
        assert [r["incident_id"] for r in csv.DictReader(handle)] == ["INC-2"]
    assert main([*base, "--from", "2027-04-11"]) == 0
    with out.open(newline="") as handle:
        assert [r["incident_id"] for r in csv.DictReader(handle)] == ["INC-2", "INC-3"]
    capsys.readouterr()
    assert main([*base, "--from", "2027-04-12", "--to", "2027-04-10"]) == 2
    assert "after --to" in capsys.readouterr().err
    json_out = ["export", "--format", "json", "--out", str(tmp_path / "r.json")]
    assert main([*json_out, "--data", str(data), "--from", "2027-04-11"]) == 2
    with pytest.raises(SystemExit):
        main([*base, "--from", "April 11"])
    assert "'April 11' is not a day" in capsys.readouterr().err
