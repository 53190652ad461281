"""Tests the shipped profiles and profile loading: good files load, bad ones name file and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testday_agent.protocol import (
    AgentConfig,
    AppFacts,
    BatteryFacts,
    Checks,
    Facts,
    SystemFacts,
    Welcome,
    decode_hub_message,
    encode,
)

from testday.config.profiles import (
    ProfileError,
    check_profiles,
    default_profiles_dir,
    load_profile,
    load_profiles,
)
from testday.core.profile import parse_profile
from testday.core.readiness import Observed, evaluate

SHIPPED = {"pearson-testnav", "drc-insight", "cambium", "nwea-map"}

GOOD = """\
id = "good"
name = "Good"
vendor = "Testco"

[battery]
warn_percent = 40
critical_percent = 10
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, name: str = "bad.toml") -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return str(info.value)


def test_default_dir_is_the_repo_profiles_folder() -> None:
    """default_profiles_dir() finds the repository's profiles/ folder."""
    directory = default_profiles_dir()
    assert directory.name == "profiles"
    assert (directory / "pearson-testnav.toml").is_file()


def test_all_shipped_profiles_load() -> None:
    """Every shipped profile loads, under its file's name, and check_profiles finds nothing."""
    profiles = load_profiles(default_profiles_dir())
    assert set(profiles) == SHIPPED
    assert check_profiles(default_profiles_dir()) == []


@pytest.mark.parametrize("profile_id", sorted(SHIPPED))
def test_shipped_checks_travel_the_wire(profile_id: str) -> None:
    """checks() builds a Checks that encodes into a welcome frame and decodes back unchanged."""
    profile = load_profiles(default_profiles_dir())[profile_id]
    checks = profile.checks(disk_path_os="windows")
    assert isinstance(checks, Checks)
    assert checks.profile == profile_id
    assert {e.name for e in checks.endpoints} == {e.name for e in profile.network.endpoints}
    frame = Welcome(device_id="d1", config=AgentConfig(checks=checks))
    assert decode_hub_message(encode(frame)) == frame


def test_testnav_values_from_domain() -> None:
    """The TestNav profile carries DOMAIN.md's numbers: 40 % warning, ChromeOS 116, kiosk id."""
    p = load_profile(default_profiles_dir() / "pearson-testnav.toml")
    assert p.battery.warn_percent == 40
    assert p.os.chromeos is not None and p.os.chromeos.min_version == "116"
    (testnav,) = p.apps
    assert testnav.chromeos_app_id == "kfjnmlkbkemaodmgnmokejpbfiianddi"
    assert testnav.min_version is None  # Pearson publishes none
    assert all(e.port == 443 for e in p.network.endpoints)


def test_checks_carry_all_os_rules_and_the_right_disk_path() -> None:
    """checks() sends every OS's app rules; disk_path follows the OS asked for."""
    p = load_profile(default_profiles_dir() / "pearson-testnav.toml")
    families = {rule.os_family for rule in p.checks().apps}
    assert families == {"windows", "macos"}
    assert p.checks("macos").disk_path == "~/Pearson"
    assert p.checks().disk_path is None
    assert p.checks("chromeos").disk_path is None


def test_drc_and_nwea_version_rules() -> None:
    """DRC excludes ChromeOS 131 and needs Windows 11 23H2; NWEA's secure browser minimums hold."""
    profiles = load_profiles(default_profiles_dir())
    drc, nwea = profiles["drc-insight"], profiles["nwea-map"]
    assert drc.os.chromeos.excluded == ("131",)
    assert drc.os.windows.min_version == "10.0.22631"
    browser = next(a for a in nwea.apps if a.name == "NWEA Secure Testing Browser")
    assert browser.min_version_for("windows") == "5.4.387.0"
    assert browser.min_version_for("macos") == "5.5.3.9"


def test_shipped_numbers_name_a_source() -> None:
    """Every numeric or version value in a shipped profile has a comment on or just above it."""
    value = re.compile(r'^\s*[a-z_]+\s*=\s*(\[?\s*"?\d)')
    missing = []
    for path in sorted(default_profiles_dir().glob("*.toml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            previous = lines[i - 1].strip() if i else ""
            if value.match(line) and "#" not in line and not previous.startswith("#"):
                missing.append(f"{path.name}:{i + 1}: {line.strip()}")
    assert not missing, missing


def test_shipped_profile_judges_a_real_device() -> None:
    """A healthy Windows 11 laptop with TestNav is ready for TestNav; Windows 10 fails DRC."""
    profiles = load_profiles(default_profiles_dir())
    facts = Facts(
        battery=BatteryFacts(present=True, percent=90, plugged=False),
        apps=[AppFacts(name="TestNav", installed=True)],
        system=SystemFacts(
            os_family="windows", os_version="10.0.26100 (Windows 11 Education)", hostname="a"
        ),
    )
    observed = Observed(facts=facts, presence="online", last_seen=1000.0)
    assert evaluate(profiles["pearson-testnav"], observed, 1000.0).status == "ready"
    facts.system.os_version = "10.0.19045 (Windows 10 Education)"
    verdict = evaluate(profiles["drc-insight"], observed, 1000.0)
    assert verdict.status == "not_ready"
    assert "os.unsupported" in {r.code for r in verdict.reasons}


# --- bad files -------------------------------------------------------------------------------


def test_wrong_type_names_file_and_field(tmp_path: Path) -> None:
    """A string where an int belongs names the file and the dotted field."""
    message = error_of(tmp_path, GOOD.replace("warn_percent = 40", 'warn_percent = "40"'))
    assert message == f"{tmp_path / 'bad.toml'}: battery.warn_percent: Expected int, got str"


def test_unknown_field_is_a_typo(tmp_path: Path) -> None:
    """A misspelt key is an error naming the key, not a silently ignored setting."""
    message = error_of(tmp_path, GOOD.replace("warn_percent", "warn_percnt"))
    assert message.startswith(f"{tmp_path / 'bad.toml'}: battery.warn_percnt: unknown field")


def test_unknown_os_family(tmp_path: Path) -> None:
    """An OS table for a family we do not know lists the known ones."""
    message = error_of(tmp_path, GOOD + '\n[os.plan9]\nmin_version = "4"\n')
    assert ": os.plan9: unknown OS family (known: windows, macos, linux, chromeos)" in message


def test_critical_above_warn(tmp_path: Path) -> None:
    """critical_percent must be below warn_percent."""
    message = error_of(tmp_path, GOOD.replace("critical_percent = 10", "critical_percent = 50"))
    assert message.startswith(f"{tmp_path / 'bad.toml'}: battery.critical_percent: ")


def test_bad_regex(tmp_path: Path) -> None:
    """A version_pattern that is not a regular expression names the app rule."""
    text = GOOD + '\n[[apps]]\nname = "A"\n[apps.detect.windows]\nversion_pattern = "(\\\\d+"\n'
    message = error_of(tmp_path, text)
    assert ": apps[0].detect.windows.version_pattern: not a valid regular expression" in message


def test_port_out_of_range(tmp_path: Path) -> None:
    """Ports outside 1–65535 are rejected, naming the endpoint."""
    text = GOOD + '\n[[network.endpoints]]\nname = "X"\nhost = "x.example"\nport = 70000\n'
    assert ": network.endpoints[0].port: 70000 is not a port" in error_of(tmp_path, text)


def test_duplicate_endpoint_names(tmp_path: Path) -> None:
    """Two endpoints with one name would make results ambiguous."""
    endpoint = '\n[[network.endpoints]]\nname = "X"\nhost = "x.example"\n'
    message = error_of(tmp_path, GOOD + endpoint + endpoint)
    assert ": network.endpoints[1].name: duplicate endpoint name 'X'" in message


def test_unparseable_version(tmp_path: Path) -> None:
    """A minimum version with no number in it is rejected."""
    message = error_of(tmp_path, GOOD + '\n[os.windows]\nmin_version = "latest"\n')
    assert ": os.windows.min_version: no version number in 'latest'" in message


def test_missing_required_field(tmp_path: Path) -> None:
    """A profile without a name says which field is missing."""
    message = error_of(tmp_path, GOOD.replace('name = "Good"\n', ""))
    assert message.endswith(": name: required field is missing")


def test_slow_threshold_beyond_timeout(tmp_path: Path) -> None:
    """A slow threshold the timeout would never let through is rejected."""
    text = GOOD + "\n[network]\nconnect_timeout_s = 1.0\nslow_connect_ms = 1500\n"
    assert ": network.slow_connect_ms: " in error_of(tmp_path, text)


def test_toml_syntax_error(tmp_path: Path) -> None:
    """Broken TOML names the file and the line."""
    message = error_of(tmp_path, GOOD + "\nwarn = \n")
    assert message.startswith(f"{tmp_path / 'bad.toml'}: TOML syntax: ")
    assert "line" in message


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    """Two files with one id fail, naming both files."""
    first = write(tmp_path, "a.toml", GOOD)
    second = write(tmp_path, "b.toml", GOOD)
    with pytest.raises(ProfileError) as info:
        load_profiles(tmp_path)
    assert str(info.value) == f"{second}: id: duplicate profile id 'good' (also in {first})"


def test_check_profiles_one_line_per_bad_file(tmp_path: Path) -> None:
    """check_profiles reports each bad file once, each line naming its file."""
    write(tmp_path, "good.toml", GOOD)
    write(
        tmp_path, "typo.toml", GOOD.replace('id = "good"', 'id = "typo"').replace("vendor", "vendr")
    )
    write(tmp_path, "twin.toml", GOOD)
    errors = check_profiles(tmp_path)
    assert len(errors) == 2
    assert any(e.startswith(f"{tmp_path / 'typo.toml'}: vendr: unknown field") for e in errors)
    assert any(e.startswith(f"{tmp_path / 'twin.toml'}: id: duplicate profile id") for e in errors)


def test_check_profiles_empty_or_missing_directory(tmp_path: Path) -> None:
    """An empty or missing directory is a problem to report, not a silent success."""
    assert check_profiles(tmp_path) == [f"{tmp_path}: (directory): no profiles (*.toml) found"]
    assert check_profiles(tmp_path / "nope")[0].startswith(f"{tmp_path / 'nope'}: ")


def test_parse_profile_is_pure() -> None:
    """parse_profile works on text alone and names the source it was given."""
    profile = parse_profile(GOOD, "inline.toml")
    assert (profile.id, profile.battery.warn_percent, profile.typical_test_minutes) == (
        "good",
        40,
        60,
    )
    with pytest.raises(ProfileError, match=r"^inline\.toml: id: "):
        parse_profile(GOOD.replace('"good"', '"Not An Id"'), "inline.toml")


def test_profiles_are_frozen() -> None:
    """A loaded profile cannot be changed in place (the hub shares one per room)."""
    profile = parse_profile(GOOD, "inline.toml")
    with pytest.raises(AttributeError):
        profile.battery.warn_percent = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("depth", "says"), [(50, "name: Expected str, got array"), (5000, "nested too deeply")]
)
def test_deeply_nested_arrays_are_a_named_error_not_a_crash(
    tmp_path: Path, depth: int, says: str
) -> None:
    """`profiles check` names the file; serving would refuse it the same way, never a traceback."""
    bad = tmp_path / "nested.toml"
    bad.write_text(f'id = "nested"\nname = {"[" * depth}1{"]" * depth}\n')
    (error,) = check_profiles(tmp_path)
    assert error.startswith(f"{bad}: ") and says in error, error
