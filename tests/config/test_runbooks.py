"""Tests the runbooks: the shipped ones cover every reason code, and bad files name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.config.profiles import default_profiles_dir, load_profiles
from testday.config.runbooks import (
    ENV_VAR,
    RunbookError,
    default_runbooks_dir,
    load_runbook,
    load_runbooks,
)
from testday.core.incident_fields import CATEGORIES
from testday.core.reasons import REASONS

CHECKOUT = Path(__file__).resolve().parents[2] / "runbooks"
GOOD = """\
+++
id = "clock-skew"
title = "Device clock is wrong"
reasons = ["clock.skew"]
categories = ["technical/other"]
platforms = ["all"]

[[actions]]
id = "sync-clock-linux"
title = "Resync"
os = "linux"
command = "timedatectl set-ntp true"
timeout_s = 30
confirm = "Resync now?"
+++
The clock is wrong.

## In the room
1. One.
2. Two.
3. Three.

## For the technician
- Fix the time source.
"""

ISSUE_RUNBOOKS = {  # the issue's list beyond the reason codes, with the category each answers
    "room-wifi-down": "technical/network_outage",
    "content-cache-unreachable": "technical/endpoint_unreachable",
    "saved-response-error": "technical/endpoint_unreachable",
    "device-frozen": "technical/app_stopped",
    "device-offline": "technical/device_lost",
}


@pytest.fixture(scope="module")
def shipped() -> dict:
    profiles = load_profiles(default_profiles_dir())
    return load_runbooks(CHECKOUT, known_profiles=profiles)


def error_of(tmp_path: Path, text: str, name: str = "clock-skew") -> RunbookError:
    (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    with pytest.raises(RunbookError) as info:
        load_runbooks(tmp_path)
    return info.value


def test_every_reason_code_has_a_runbook_that_answers_it(shipped: dict) -> None:
    """For each code, REASONS[code].runbook names a runbook that loads and lists that code."""
    for code, spec in REASONS.items():
        assert spec.runbook in shipped, f"{code}: no runbooks/{spec.runbook}.md"
        assert code in shipped[spec.runbook].reasons, f"{spec.runbook} does not list {code}"


def test_the_issues_runbooks_exist_with_their_categories(shipped: dict) -> None:
    """Wi-Fi down, content cache, saved responses, frozen and offline devices have runbooks."""
    for runbook, category in ISSUE_RUNBOOKS.items():
        assert category in shipped[runbook].categories, runbook


def test_shipped_runbooks_are_for_proctors_first(shipped: dict) -> None:
    """Every body has three steps in the room before the technician's part; titles read plainly."""
    for book in shipped.values():
        assert book.body.index("## In the room") < book.body.index("## For the technician")
        assert book.title and not book.body.startswith("+++")
        for category in book.categories:
            assert category.split("/")[0] in CATEGORIES


def test_declared_actions_are_the_safe_commands(shipped: dict) -> None:
    """The lab-machine actions the issue names are declared with their exact command lines."""
    commands = {(b.id, a.os): a.command for b in shipped.values() for a in b.actions}
    sync = "timedatectl set-ntp true && systemctl restart systemd-timesyncd"
    assert commands[("clock-skew", "linux")] == sync
    assert commands[("clock-skew", "macos")] == "sntp -sS time.apple.com"
    assert commands[("device-late", "linux")] == "systemctl restart testday-agent"
    assert commands[("device-late", "macos")] == "launchctl kickstart -k system/org.testday.agent"
    disk = [a.command for a in shipped["disk-low"].actions]
    assert "journalctl --vacuum-size=200M" in disk
    assert not any("spool" in c or "testday-agent" in c for c in disk)  # never the agent's state
    for book in shipped.values():
        assert not any(a.command.startswith(("rm ", "sudo rm")) for a in book.actions), book.id


def test_a_good_file_loads(tmp_path: Path) -> None:
    """Front matter and body are split; README.md in the folder is not a runbook."""
    (tmp_path / "clock-skew.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a runbook\n", encoding="utf-8")
    books = load_runbooks(tmp_path)
    assert list(books) == ["clock-skew"]
    book = books["clock-skew"]
    assert book.reasons == ("clock.skew",)
    assert book.actions_for("linux")[0].timeout_s == 30.0
    assert book.body.startswith("The clock is wrong.")
    assert book.source == str(tmp_path / "clock-skew.md")


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('id = "clock-skew"', 'id = "clock"', "id", "must equal the file name"),
        ('["clock.skew"]', '["clock.skewed"]', "reasons[0]", "unknown reason code"),
        ('["technical/other"]', '["technical/toaster"]', "categories[0]", "unknown category"),
        ('os = "linux"', 'os = "beos"', "actions[0].os", "Invalid enum value"),
        ("timeout_s = 30", "timeout_s = 0", "actions[0].timeout_s", "more than 0"),
        ('platforms = ["all"]\n', "", "platforms", "required field is missing"),
        ('platforms = ["all"]', 'platforms = ["all", "nwea-map"]', "platforms[0]", "only"),
        ('title = "Resync"', 'title = "Resync"\nshell = "bash"', "actions[0].shell", "unknown"),
        ('command = "timedatectl set-ntp true"', 'command = "a\\nb"', "actions[0].command", "one"),
    ],
)
def test_front_matter_errors_name_the_file_and_field(
    tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    """Id ≠ file name, unknown code, category or OS, bad timeout: each names its field."""
    assert old in GOOD
    error = error_of(tmp_path, GOOD.replace(old, new, 1))
    assert error.source == str(tmp_path / "clock-skew.md")
    assert error.field == field
    assert problem in error.problem
    assert str(error).startswith(f"{tmp_path / 'clock-skew.md'}: {field}: ")


def test_bad_toml_names_the_file_line(tmp_path: Path) -> None:
    """Line numbers count from the top of the file, not of the front matter."""
    error = error_of(tmp_path, GOOD.replace('title = "Device clock is wrong"', "title = oops"))
    assert error.field == "TOML syntax"
    assert "line 3" in error.problem


def test_duplicate_action_id_is_refused(tmp_path: Path) -> None:
    """Action ids are unique within a runbook, even across operating systems."""
    action = GOOD[GOOD.index("[[actions]]") : GOOD.index("+++\nThe")]
    twice = GOOD.replace(action, action + "\n" + action.replace('"linux"', '"macos"'))
    error = error_of(tmp_path, twice)
    assert error.field == "actions[1].id"
    assert "duplicate action id 'sync-clock-linux'" in error.problem


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("## In the room\n", "## In class\n", "missing the '## In the room' section"),
        ("## For the technician\n", "## Technician\n", "missing the '## For the technician'"),
        ("3. Three.\n", "", "has 2 numbered steps; give the proctor 3"),
    ],
)
def test_body_sections_are_required(tmp_path: Path, old: str, new: str, problem: str) -> None:
    """The proctor's three steps and the technician's section must be there."""
    error = error_of(tmp_path, GOOD.replace(old, new))
    assert error.field == "body"
    assert problem in error.problem


def test_front_matter_fences_are_required(tmp_path: Path) -> None:
    """A file without +++ fences is not a runbook, and says so."""
    assert "must start with a +++" in error_of(tmp_path, GOOD[4:]).problem
    unclosed = GOOD.replace("+++\nThe clock", "The clock")
    assert "no closing +++" in error_of(tmp_path, unclosed).problem


def test_unknown_profile_in_platforms_is_named(tmp_path: Path) -> None:
    """Given the known profiles, a platform that is none of them is an error."""
    (tmp_path / "clock-skew.md").write_text(GOOD.replace('["all"]', '["pearson"]'), "utf-8")
    with pytest.raises(RunbookError, match=r"platforms\[0\]: unknown profile 'pearson'"):
        load_runbooks(tmp_path, known_profiles={"pearson-testnav"})


def test_load_one_by_id_never_reads_a_path(tmp_path: Path) -> None:
    """An id that is not a file here, or looks like a path, is simply not found."""
    (tmp_path / "clock-skew.md").write_text(GOOD, encoding="utf-8")
    assert load_runbook(tmp_path, "clock-skew").id == "clock-skew"
    for bad in ("missing", "../clock-skew", "/etc/passwd"):
        with pytest.raises(KeyError):
            load_runbook(tmp_path, bad)


def test_folder_comes_from_flag_then_environment_then_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--runbooks DIR wins, then $TESTDAY_RUNBOOKS, then the checkout's runbooks/."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_runbooks_dir() == CHECKOUT
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert default_runbooks_dir() == tmp_path
    assert default_runbooks_dir(tmp_path / "mine") == tmp_path / "mine"
