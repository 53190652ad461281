"""Tests `testday session …` against a real SQLite data dir, through main()."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.cli.main import main

SID = "2027-04-14-grade-7-math"
CREATE = [
    "session", "create", "--name", "Grade 7 Math", "--program", "State Assessment",
    "--test", "Mathematics", "--profile", "pearson-testnav", "--room", "112", "--room", "114",
    "--start", "2027-04-14T09:00", "--end", "2027-04-14T10:30", "--proctor", "J. Rivera",
    "--administrator", "M. Chen", "--grade", "7",
]  # fmt: skip


def run(data: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data", str(data), "--by", "tech"])
    out, err = capsys.readouterr()
    return code, out, err


def test_round_trip_with_timed_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, capsys, *CREATE)[0] == 0
    for action, state in (("start", "in progress"), ("pause", "paused"), ("resume", "in progress")):
        code, out, _ = run(tmp_path, capsys, "session", action, SID)
        assert (code, out.strip()) == (0, f"{SID}: {state}")
    code, out, _ = run(tmp_path, capsys, "session", "list")
    assert code == 0 and SID in out and "112,114" in out and "min elapsed" in out
    assert run(tmp_path, capsys, "session", "end", SID)[1].strip() == f"{SID}: completed"

    # Every command opened and closed the store: this reads what the earlier ones persisted.
    code, out, _ = run(tmp_path, capsys, "session", "show", SID)
    assert code == 0
    assert "J. Rivera" in out and "M. Chen" in out and "completed" in out
    history = out.split("history:")[1].strip().splitlines()
    assert [line.split()[2] for line in history] == ["start", "pause", "resume", "end"]
    assert all(line.split()[0].count("-") == 2 and ":" in line.split()[1] for line in history)
    assert "in progress -> completed" in history[-1] and "by tech" in history[-1]


def test_illegal_action_exits_1_naming_allowed_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(tmp_path, capsys, *CREATE)
    code, out, err = run(tmp_path, capsys, "session", "resume", SID)
    assert code == 1 and out == ""
    assert "it is scheduled" in err and "allowed only when paused" in err
    assert run(tmp_path, capsys, "session", "start", "no-such")[0] == 1


def test_import_creates_only_new_sessions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "site.toml").write_text(
        """
[[sessions]]
id = "g7-ela"
name = "Grade 7 ELA"
profile = "pearson-testnav"
rooms = ["112"]
start = 2027-04-15T09:00:00
end = 2027-04-15T10:00:00
roster = [{ student = "1234567890", device = "lab112-01" }]

[[sessions]]
id = "g8-sci"
name = "Grade 8 Science"
profile = "pearson-testnav"
rooms = ["114"]
start = "2027-04-16 09:00"
end = "2027-04-16 11:00"
""",
        encoding="utf-8",
    )
    code, out, _ = run(tmp_path, capsys, "session", "import")
    assert code == 0 and "imported 2 new sessions" in out
    run(tmp_path, capsys, "session", "start", "g7-ela")
    code, out, _ = run(tmp_path, capsys, "session", "import")
    assert "imported 0 new sessions" in out  # and the started one was not reset
    code, out, _ = run(tmp_path, capsys, "session", "show", "g7-ela")
    assert "in progress" in out and "1234567890  lab112-01  planned" in out
    assert "g8-sci" in run(tmp_path, capsys, "session", "list")[1]


def test_import_without_site_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(tmp_path, capsys, "session", "import")
    assert code == 1 and "no site file" in err


def test_create_refuses_an_unknown_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a if a != "pearson-testnav" else "pearson-testnow" for a in CREATE]
    code, out, err = run(tmp_path, capsys, *argv)
    assert code == 1 and out == ""
    assert "--profile: 'pearson-testnow' is not a known profile" in err
    assert "pearson-testnav" in err  # the known ones are listed
    assert run(tmp_path, capsys, "session", "list")[1].count(SID) == 0
