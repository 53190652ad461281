"""Tests `testday incident list|show|set|status|note|timeline` on a real SQLite data dir."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from testday.cli.incident_edit import append_retrying
from testday.cli.main import main
from testday.core import hash_chain
from testday.core.hash_chain import ChainEntry
from testday.core.incidents import IncidentEvent, IncidentLog
from testday.store.database import Store
from testday.store.incident_store import ChainConflictError, IncidentStore

Capsys = pytest.CaptureFixture[str]
INC = "INC-00001"


def run(capsys: Capsys, data: Path, *argv: str, by: str | None = "coord") -> tuple[int, str, str]:
    capsys.readouterr()
    extra = ["--data", str(data)] + (["--by", by] if by else [])
    code = main([*argv, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def add(data: Path, room: str = "112", *extra: str) -> None:
    assert main(["incident", "add", "--data", str(data), "--category", "technical",
                 "--subcategory", "device_lost", "--severity", "procedural", "--room", room,
                 "--by", "tech", "--device", "cb-07", "--student", "1234567890",
                 "--description", "cb-07 froze mid-test", *extra]) == 0  # fmt: skip


def chain_length(data: Path) -> int:
    with sqlite3.connect(data / "testday.sqlite3") as conn:
        return conn.execute("SELECT count(*) FROM incident_chain").fetchone()[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    add(data)
    return data


def test_fields_status_and_notes_show_in_list_show_and_verify(data: Path, capsys: Capsys) -> None:
    """Each change is one appended event that list, show and --json reflect; the chain verifies."""
    code, out, _ = run(capsys, data, "incident", "set", INC, "--action-taken", "Moved to cb-12",
                       "--student", "1234567890", "--student", "2234567890", "--severity",
                       "serious", "--requested-outcome", "reopen", "--outcome-reason",
                       "lost 20 minutes", "--district-notified-at", "2027-04-14T10:30",
                       "--proctor", "J. Rivera")  # fmt: skip
    assert code == 0 and out.startswith(f"{INC}: changed action_taken, affected_students")
    assert run(capsys, data, "incident", "note", INC, "Parent called at 10:05")[0] == 0

    code, out, err = run(capsys, data, "incident", "status", INC, "approved")
    assert code == 1 and out == ""
    assert "cannot go from open to approved; allowed: reported" in err
    assert "Traceback" not in err
    for step in ("reported", "pending_approval", "approved"):
        code, out, _ = run(capsys, data, "incident", "status", INC, step)
        assert code == 0 and f"-> {step}" in out

    code, out, _ = run(capsys, data, "incident", "show", INC, by=None)
    assert code == 0
    assert "action_taken:" in out and "Moved to cb-12" in out and "J. Rivera" in out
    assert "1234567890, 2234567890" in out and "outcome_reason:" in out
    assert "sequence of events:" in out and "cb-07 froze mid-test" in out
    assert "coord: Parent called at 10:05" in out
    history = out.split("history:")[1]
    assert "field_changed  action_taken: - -> Moved to cb-12" in history
    assert "severity: procedural -> serious" in history
    assert "affected_students: 1234567890 -> 1234567890, 2234567890" in history
    assert "status_changed  pending_approval -> approved" in history
    assert "coord  note_added  Parent called at 10:05" in history

    code, out, _ = run(capsys, data, "incident", "show", INC, "--json", by=None)
    shown = json.loads(out)
    assert shown["incident"]["status"] == "approved"
    assert shown["incident"]["severity"] == "serious"
    assert [e["event"]["kind"] for e in shown["events"]] == [
        "created", "field_changed", "note_added", "status_changed", "status_changed",
        "status_changed",
    ]  # fmt: skip
    assert {e["event"]["actor"] for e in shown["events"][1:]} == {"coord"}

    code, out, _ = run(capsys, data, "incident", "list", by=None)
    row = out.splitlines()[1].split()
    assert row[0] == INC and row[3] == "112" and row[4] == "technical/device_lost"
    assert row[5:] == ["serious", "approved", "2", "manual"]
    code, out, _ = run(capsys, data, "incident", "list", "--json", by=None)
    assert [i["status"] for i in json.loads(out)] == ["approved"]

    assert run(capsys, data, "incident", "status", INC, "closed")[0] == 0
    assert chain_length(data) == 7
    code, out, _ = run(capsys, data, "verify", by=None)
    assert code == 0 and "chain OK: 7 entries, 1 incidents" in out


def test_closed_incident_refuses_every_change(data: Path, capsys: Capsys) -> None:
    """After closed, set, note, timeline --file and status all exit 1 with the core's message."""
    for step in ("reported", "pending_approval", "rejected", "closed"):
        assert run(capsys, data, "incident", "status", INC, step)[0] == 0
    timeline = data / "t.txt"
    timeline.write_text("2027-04-14T09:00:00+00:00\tsomething\n")
    closed = f"incident '{INC}' is closed; it can no longer change"
    for argv in (
        ("incident", "set", INC, "--cause", "a loose cable"),
        ("incident", "note", INC, "late note"),
        ("incident", "timeline", INC, "--file", str(timeline)),
    ):
        code, _, err = run(capsys, data, *argv)
        assert (code, err.strip()) == (1, f"error: {closed}"), argv
    code, _, err = run(capsys, data, "incident", "status", INC, "reported")
    assert code == 1 and "allowed: none (closed is final)" in err
    assert chain_length(data) == 5


def test_timeline_edit_round_trip_is_a_persons_field_change(data: Path, capsys: Capsys) -> None:
    """Print → change a line, add one → --file: show has the lines; the event is the person's."""
    code, printed, _ = run(capsys, data, "incident", "timeline", INC, by=None)
    assert code == 0
    [line] = printed.splitlines()
    when, text = line.split("\t")
    assert text == "cb-07 froze mid-test"
    parsed = datetime.fromisoformat(when)
    assert parsed.tzinfo is not None and when == parsed.isoformat(timespec="seconds")

    # An unedited file changes nothing, though the text form drops the stored microseconds.
    unedited = data / "same.txt"
    unedited.write_text(printed)
    code, _, err = run(capsys, data, "incident", "timeline", INC, "--file", str(unedited))
    assert code == 1 and "nothing changes" in err

    edited = data / "t.txt"
    edited.write_text(
        "# lines starting with # are ignored\n\n"
        + printed.replace("froze mid-test", "froze mid-test; restarted")
        + "2000-01-01T08:00:00\tStudent seated at cb-07\n"  # no offset: local time
    )
    code, out, _ = run(capsys, data, "incident", "timeline", INC, "--file", str(edited))
    assert code == 0 and out.strip().startswith(f"{INC}: sequence of events set, 2 lines")

    code, out, _ = run(capsys, data, "incident", "show", INC, "--json", by=None)
    shown = json.loads(out)
    lines = shown["incident"]["sequence"]
    assert [x["text"] for x in lines] == [
        "Student seated at cb-07",
        "cb-07 froze mid-test; restarted",
    ]
    assert datetime.fromisoformat(lines[0]["at"]) == datetime(2000, 1, 1, 8).astimezone()
    last = shown["events"][-1]["event"]
    assert (last["kind"], last["actor"]) == ("field_changed", "coord")
    assert [c["field"] for c in last["data"]["changes"]] == ["sequence"]
    # The edited line keeps its stored instant: only its text was changed.
    created = shown["events"][0]["event"]["data"]["fields"]["sequence"][0]["at"]
    assert lines[1]["at"] == created

    code, printed_again, _ = run(capsys, data, "incident", "timeline", INC, by=None)
    assert printed_again.splitlines()[1] == line.replace("mid-test", "mid-test; restarted")
    assert run(capsys, data, "verify", by=None)[0] == 0


def test_a_bad_timeline_line_is_refused_by_number(data: Path, capsys: Capsys) -> None:
    """A time that does not parse, or a line with no text, names the file and line; no event."""
    bad = data / "t.txt"
    bad.write_text("# header\n2027-04-14T09:00:00+00:00\tok\nat nine\tcb-07 froze\n")
    code, out, err = run(capsys, data, "incident", "timeline", INC, "--file", str(bad))
    assert code == 1 and out == ""
    assert f"{bad}, line 3: 'at nine' is not a time" in err and "Traceback" not in err
    bad.write_text("2027-04-14T09:00:00+00:00\n")
    code, _, err = run(capsys, data, "incident", "timeline", INC, "--file", str(bad))
    assert code == 1 and "line 1: no text after the time" in err
    bad.write_text("# only a comment\n")
    code, _, err = run(capsys, data, "incident", "timeline", INC, "--file", str(bad))
    assert code == 1 and "has no lines" in err
    code, _, err = run(capsys, data, "incident", "timeline", INC, "--file", str(data / "none"))
    assert code == 1 and "cannot read" in err
    assert chain_length(data) == 1


def test_set_refuses_nothing_unchanged_unknown_and_mismatched(
    data: Path, tmp_path: Path, capsys: Capsys
) -> None:
    """Usage errors exit 2, user errors exit 1 with the core's words, never a traceback."""
    code, _, err = run(capsys, data, "incident", "set", INC)
    assert code == 2 and "nothing to set" in err
    code, _, err = run(capsys, data, "incident", "set", INC, "--room", "112")
    assert (code, err.strip()) == (1, f"error: incident '{INC}': nothing changes")
    code, _, err = run(capsys, data, "incident", "set", "INC-9", "--room", "114")
    assert (code, err.strip()) == (1, "error: no incident 'INC-9'")
    code, _, err = run(capsys, data, "incident", "show", "INC-9", by=None)
    assert (code, err.strip()) == (1, "error: no incident 'INC-9'")
    code, _, err = run(capsys, data, "incident", "set", INC, "--subcategory", "fire_drill")
    assert code == 1 and "subcategory: 'fire_drill' is not one of technical's" in err
    code, _, err = run(capsys, data, "incident", "set", INC, "--room", "1", "--clear", "room")
    assert code == 2 and "room: both set and cleared" in err
    code, _, err = run(capsys, data, "incident", "set", INC, "--student", "not a state id")
    assert code == 1 and "is not a state ID" in err
    assert chain_length(data) == 1

    # A category and its subcategory change together; --clear empties a field.
    argv = ("--category", "disruption", "--subcategory", "fire_drill", "--clear", "devices")
    assert run(capsys, data, "incident", "set", INC, *argv)[0] == 0
    shown = json.loads(run(capsys, data, "incident", "show", INC, "--json", by=None)[1])
    assert shown["incident"]["subcategory"] == "fire_drill" and shown["incident"]["devices"] == []

    # Only `incident add` starts a database; the others name the missing one and create nothing.
    code, _, err = run(capsys, tmp_path / "none", "incident", "list", by=None)
    assert code == 2 and "no database" in err
    code, _, err = run(capsys, tmp_path / "none", "incident", "note", INC, "hello")
    assert code == 2 and "no database" in err and not (tmp_path / "none").exists()


def test_list_puts_open_work_first_and_filters(tmp_path: Path, capsys: Capsys) -> None:
    """Status order (open first), newest first within a status; --status and --session select."""
    data = tmp_path / "data"
    for room in ("101", "102", "103"):
        add(data, room)
    assert run(capsys, data, "incident", "status", "INC-00003", "reported")[0] == 0
    assert run(capsys, data, "incident", "set", "INC-00001", "--session", "s-1")[0] == 0
    _, out, _ = run(capsys, data, "incident", "list", by=None)
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["INC-00002", "INC-00001", "INC-00003"]
    _, out, _ = run(capsys, data, "incident", "list", "--status", "reported", by=None)
    assert [r.split()[0] for r in out.splitlines()[1:]] == ["INC-00003"]
    _, out, _ = run(capsys, data, "incident", "list", "--session", "s-1", "--json", by=None)
    assert [i["id"] for i in json.loads(out)] == ["INC-00001"]
    code, out, _ = run(capsys, data, "incident", "list", "--status", "closed", by=None)
    assert (code, out.strip()) == (0, "no incidents")


def test_a_broken_chain_blocks_edits_pointing_to_verify(data: Path, capsys: Capsys) -> None:
    with sqlite3.connect(data / "testday.sqlite3") as conn:
        conn.execute("UPDATE incident_chain SET event = replace(event, 'froze', 'frozd')")
    code, _, err = run(capsys, data, "incident", "note", INC, "hello")
    assert code == 1 and "run `testday verify` for details" in err and "Traceback" not in err


def _insert_note(db: Path, text: str) -> None:
    """Another process appending to the chain: a plain sqlite3 connection, like a second writer."""
    with sqlite3.connect(db) as conn:
        seq, digest = conn.execute(
            "SELECT seq, hash FROM incident_chain ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        event = IncidentEvent("note_added", INC, datetime.now().astimezone(), "hub", {"text": text})
        entry = hash_chain.append(ChainEntry(seq, "", digest, None), event)
        conn.execute(
            "INSERT INTO incident_chain (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)",
            (entry.seq, entry.prev_hash, entry.hash, hash_chain.canonical_json(event).decode()),
        )


async def test_a_stale_log_is_reloaded_and_the_event_rebuilt(data: Path) -> None:
    """Another writer appends between load and write: the retry rebuilds on the fresh log."""
    db = data / "testday.sqlite3"
    store, other = await Store.open(db), await Store.open(db)
    try:
        incidents = IncidentStore(store)
        stale = await incidents.load_log(names_allowed=True)
        # A second IncidentStore (its own connection) appends first.
        fresh = await IncidentStore(other).load_log()
        await IncidentStore(other).append([fresh.append(fresh.note(INC, "hub", _now(), "first"))])
        builds: list[int] = []

        def build(log: IncidentLog) -> IncidentEvent:
            builds.append(len(log.entries))
            return log.change(INC, "coord", _now(), cause="a loose cable")

        log, entry = await append_retrying(incidents, stale, build)
        assert builds == [1, 2] and entry.seq == 3
        stored = await incidents.load_log()
        assert stored.incident(INC).cause == "a loose cable"
        assert [n.text for n in stored.incident(INC).notes] == ["first"]
        assert hash_chain.verify(await incidents.load()).ok
        assert log.entries[-1].hash == stored.entries[-1].hash
    finally:
        await store.close()
        await other.close()


async def test_a_writer_that_always_loses_gives_up_clearly(data: Path) -> None:
    """Beaten by another writer every time: ChainConflictError after 1 + 3 tries, nothing lost."""
    db = data / "testday.sqlite3"
    store = await Store.open(db)
    try:
        incidents = IncidentStore(store)
        tries = 0

        def build(log: IncidentLog) -> IncidentEvent:
            nonlocal tries
            tries += 1
            _insert_note(db, f"hub note {tries}")  # lands after the load, before the write
            return log.note(INC, "coord", _now(), "mine")

        with pytest.raises(ChainConflictError, match="gave up after 4 tries"):
            await append_retrying(incidents, await incidents.load_log(), build)
        stored = await incidents.load_log()
        assert [n.text for n in stored.incident(INC).notes] == [
            f"hub note {n}" for n in (1, 2, 3, 4)
        ]
    finally:
        await store.close()


def test_timeline_from_stdin_and_help_in_a_subprocess(data: Path) -> None:
    """The real command reads `--file -`; --help says how list is ordered and the edit loop."""
    command = [sys.executable, "-m", "testday.cli.main", "incident"]
    text = "2027-04-14T09:00:00-04:00\tRoom 112 lost its network\n"
    done = subprocess.run([*command, "timeline", INC, "--file", "-", "--data", str(data),
                           "--by", "coord"], input=text, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = subprocess.run([*command, "timeline", INC, "--data", str(data)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    [line] = printed.stdout.splitlines()
    when, what = line.split("\t")
    assert what == "Room 112 lost its network"
    assert datetime.fromisoformat(when) == datetime.fromisoformat("2027-04-14T09:00:00-04:00")
    helped = subprocess.run([*command, "list", "--help"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert "open first" in helped.stdout and "newest first" in helped.stdout


def _now() -> datetime:
    return datetime.now().astimezone()
