"""Tests that a mistyped path or id ends in one line naming it, a non-zero exit, and no new file."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.cli.main import main

Capsys = pytest.CaptureFixture[str]
INCIDENT = ["--category", "technical", "--subcategory", "device_lost", "--severity", "procedural",
            "--room", "112", "--description", "Screen froze"]  # fmt: skip


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory holding one incident, as `testday incident add` leaves it."""
    folder = tmp_path / "hub"
    folder.mkdir()
    assert main(["incident", "add", "--data", str(folder), *INCIDENT]) == 0
    return folder


def fails(capsys: Capsys, *argv: str) -> str:
    """The one line of error a command gives, after checking it exited non-zero."""
    capsys.readouterr()
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def test_an_export_to_a_missing_folder_or_onto_a_folder(data: Path, capsys: Capsys) -> None:
    base = ["export", "--format", "csv", "--data", str(data), "--out"]
    missing = data / "nope" / "incidents.csv"
    assert "no directory" in fails(capsys, *base, str(missing)) and not missing.parent.exists()
    assert "is a directory" in fails(capsys, *base, str(data))


def test_an_export_of_a_session_no_one_knows(data: Path, capsys: Capsys, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    argv = ["export", "--format", "csv", "--data", str(data), "--out", str(out)]
    assert "--session nope: no such session" in fails(capsys, *argv, "--session", "nope")
    assert not out.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["session", "list"],
        ["session", "show", "s1"],
        ["incident", "list"],
        ["verify"],
        ["export", "--format", "json", "--out", "x.json"],
    ],
)
def test_a_mistyped_data_directory_is_named_and_left_uncreated(
    argv: list[str], capsys: Capsys, tmp_path: Path
) -> None:
    typo = tmp_path / "hbu"
    assert f"no database at {typo}" in fails(capsys, *argv, "--data", str(typo))
    assert not typo.exists()


def test_writing_commands_make_a_new_directory_only_where_its_parent_is(
    capsys: Capsys, tmp_path: Path
) -> None:
    """A first `incident add` may start a data directory; a path two levels wrong is refused."""
    typo = tmp_path / "hbu" / "data"
    err = fails(capsys, "incident", "add", "--data", str(typo), *INCIDENT)
    assert f"--data {typo}: no such directory, nor its parent" in err
    assert not typo.parent.exists()


def test_verifying_a_file_that_is_not_there(capsys: Capsys, tmp_path: Path) -> None:
    missing = tmp_path / "export.json"
    assert f"{missing}: no such file" in fails(capsys, "verify", str(missing))
