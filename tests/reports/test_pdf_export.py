"""Tests the PDF export via the store and `testday export`, rendered by poppler when present."""

from __future__ import annotations

import asyncio
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testday.cli.main import main
from testday.core.incident_fields import TimedLine
from testday.core.incidents import IncidentLog
from testday.reports.pdf_export import export_pdf, group_by_session
from testday.store.database import Store
from testday.store.incident_store import IncidentStore
from tests.peers import need_tool

T0 = datetime(2025, 4, 11, 10, 14, 3, tzinfo=UTC)


def _tool(name: str) -> str:
    return need_tool(name, "apt-get install poppler-utils (the PDF was not rendered)")


def three_incidents() -> IncidentLog:
    """Two incidents in session S-READ-1, one in S-MATH-2; Unicode in the texts on purpose."""
    log = IncidentLog()
    specs = [
        ("INC-00001", "S-READ-1", "112", ["cb-07"], ["1234567890"], "cb-07 disconnected"),
        ("INC-00002", "S-READ-1", "114", ["cb-20"], [], "10:20:00–10:21:30 2 dropped"),
        ("INC-00003", "S-MATH-2", "112", [], ["3234567890"], "Fire drill — room ≤ 5 min empty"),
    ]  # fmt: skip
    for n, (iid, session, room, devices, students, text) in enumerate(specs):
        at = T0 + timedelta(minutes=10 * n)
        log.append(
            log.create(iid, "tech", at, category="technical", subcategory="device_lost",
                       severity="procedural", room=room, session_id=session, devices=devices,
                       affected_students=students, occurred_at=at, test_administrator="A. Lee",
                       sequence=[TimedLine(at, text)])
        )  # fmt: skip
    log.append(log.change("INC-00001", "tech", T0 + timedelta(minutes=3), action_taken="Resumed"))
    return log


async def _store(db: Path, log: IncidentLog) -> None:
    store = await Store.open(db)
    try:
        await IncidentStore(store).append(log.entries)
    finally:
        await store.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(_store(data / "testday.sqlite3", three_incidents()))
    return data


def test_export_pdf_renders_pages_with_timeline_and_signatures(data: Path, tmp_path: Path) -> None:
    """`testday export --format pdf` writes a private PDF that poppler renders and reads back."""
    out = tmp_path / "report.pdf"
    assert main(["export", "--format", "pdf", "--out", str(out), "--data", str(data)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run([_tool("pdftoppm"), "-r", "40", "-png", str(out), str(pages / "p")], check=True)
    assert len(list(pages.glob("p*.png"))) >= 1
    text = subprocess.run(
        [_tool("pdftotext"), "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "INC-00002" in text and "Session S-READ-1" in text and "Session S-MATH-2" in text
    assert "INC-00001: cb-07 disconnected" in text
    assert "Signature" in text and "Test administrator" in text and "A. Lee" in text


def test_session_filter_and_core_font_fallback(data: Path, tmp_path: Path) -> None:
    """--session keeps one session; the latin-1 core font prints Unicode as close ASCII."""
    out = tmp_path / "s.pdf"
    args = ["export", "--format", "pdf", "--session", "S-MATH-2", "--out", str(out)]
    assert main([*args, "--data", str(data)]) == 0
    text = subprocess.run(
        [_tool("pdftotext"), str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "INC-00003" in text and "INC-00001" not in text
    core = tmp_path / "core.pdf"
    calls: list[tuple[int, int]] = []
    progress = lambda done, total: calls.append((done, total))  # noqa: E731
    assert export_pdf(three_incidents(), core, T0, progress, font_dir=None) == 3
    assert calls[-1] == (3, 3)
    text = subprocess.run(
        [_tool("pdftotext"), str(core), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Fire drill - room <= 5 min empty" in text
    assert "10:20:00-10:21:30" in text


def test_json_with_session_is_refused(data: Path, tmp_path: Path) -> None:
    """A JSON slice would not verify, so --session is refused for JSON."""
    out = tmp_path / "x.json"
    args = ["export", "--format", "json", "--session", "S-MATH-2", "--out", str(out)]
    assert main([*args, "--data", str(data)]) == 2
    assert not out.exists()


def test_unscheduled_incidents_come_last() -> None:
    log = three_incidents()
    log.append(log.create("INC-00004", "tech", T0, category="technical",
                          subcategory="device_lost", severity="procedural", room="9"))  # fmt: skip
    groups = [(sid, [i.id for i in items]) for sid, items in group_by_session(log.incidents())]
    assert groups == [
        ("S-MATH-2", ["INC-00003"]), ("S-READ-1", ["INC-00001", "INC-00002"]),
        ("Unscheduled", ["INC-00004"]),
    ]  # fmt: skip
