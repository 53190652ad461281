"""Tests `testday runbook list|show`: the shipped runbooks in the shell, and a room for `run`."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from testday.cli import runbooks as runbooks_cli
from testday.cli.main import build_parser, main
from testday.config.runbooks import ENV_VAR
from testday.core.reasons import REASONS

SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"


@pytest.fixture(autouse=True)
def shipped_runbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)  # the checkout's runbooks/, whatever the shell says


def test_list_prints_every_runbook_with_codes_and_action_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One row per runbook: id, number of actions, reason codes, title."""
    assert main(["runbook", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "ACTIONS", "REASONS", "TITLE"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) >= {spec.runbook for spec in REASONS.values()} | {"room-wifi-down"}
    assert rows["clock-skew"].split()[1:4] == ["3", "clock.skew", "Device"]


def test_list_json_has_id_title_reasons_and_actions_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--json: the same rows for scripts."""
    assert main(["runbook", "list", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["disk-low"] == {
        "id": "disk-low",
        "title": "Disk nearly full",
        "reasons": ["disk.low"],
        "actions": 3,
    }
    assert rows["device-frozen"]["reasons"] == []


def test_show_summarises_the_front_matter_then_prints_the_body(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The body is printed exactly as written, below a summary of the front matter."""
    assert main(["runbook", "show", "clock-skew"]) == 0
    out = capsys.readouterr().out
    head, body = out.split("-" * 72 + "\n", 1)
    assert head.startswith("Device clock is wrong  [clock-skew]")
    assert "reasons     clock.skew" in head
    assert "platforms   all" in head
    assert "sync-clock-macos (macos, timeout 30 s)" in head
    assert "    $ sntp -sS time.apple.com" in head
    text = (SHIPPED / "clock-skew.md").read_text(encoding="utf-8")
    assert text.endswith(body)
    assert "## In the room\n1. " in body


def test_unknown_id_exits_1_with_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    """A typo gets the close ids (difflib); nothing close points at `list`."""
    assert main(["runbook", "show", "clok-skew"]) == 1
    err = capsys.readouterr().err
    assert "no runbook 'clok-skew'" in err
    assert "did you mean: clock-skew?" in err
    assert main(["runbook", "show", "zzzzzz"]) == 1
    assert "`testday runbook list` shows all" in capsys.readouterr().err


def test_folder_from_flag_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--runbooks DIR before or after the action, and $TESTDAY_RUNBOOKS, choose the folder."""
    shutil.copy(SHIPPED / "battery-low.md", tmp_path)
    for argv in (
        ["runbook", "--runbooks", str(tmp_path), "list"],
        ["runbook", "list", "--runbooks", str(tmp_path)],
    ):
        assert main(argv) == 0
        assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == [
            "battery-low"
        ]
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert main(["runbook", "show", "clock-skew"]) == 1
    assert "did you mean" not in capsys.readouterr().err


def test_a_bad_runbook_fails_list_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`list` checks every file: the first bad one is named with its field; exit 1."""
    text = (SHIPPED / "battery-low.md").read_text(encoding="utf-8")
    (tmp_path / "battery-low.md").write_text(text.replace("battery.low", "battery.lo"), "utf-8")
    assert main(["runbook", "list", "--runbooks", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'battery-low.md'}: reasons[0]: unknown reason code 'battery.lo'" in err
    assert main(["runbook", "list", "--runbooks", str(tmp_path / "none")]) == 1
    assert "not a directory" in capsys.readouterr().err


def test_another_module_can_add_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    """add_arguments returns the actions: a `run` action plugs in with its own handler."""
    parser = argparse.ArgumentParser(prog="testday")
    sub = parser.add_subparsers(dest="command", required=True)
    actions = runbooks_cli.add_arguments(sub)
    run = actions.add_parser("run")
    run.add_argument("id")
    runbooks_cli.add_runbooks_option(run)
    run.set_defaults(runbook_handler=lambda args: print(f"ran {args.id}") or 0)
    args = parser.parse_args(["runbook", "run", "clock-skew", "--runbooks", "/x"])
    assert runbooks_cli.run_runbook(args) == 0
    assert capsys.readouterr().out == "ran clock-skew\n"
    assert runbooks_cli.runbooks_dir(args) == Path("/x")
    assert "runbook" in build_parser().format_help()
