"""Tests the site config: rooms to profiles, defaults, and errors that name the room."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testday.config.site import DEFAULT_PROFILE, Site, SiteError, load_site, parse_site

KNOWN = {"pearson-testnav", "drc-insight", "nwea-map"}

SITE = """\
[site]
name = "Lincoln Middle School"
code = "0420"
district = "Springfield Public Schools"
default_profile = "nwea-map"

[rooms."112"]
name = "Lab 112"
profile = "drc-insight"

[rooms."Library"]
name = "Media center"
"""


def error_of(text: str) -> str:
    with pytest.raises(SiteError) as info:
        parse_site(text, "site.toml", KNOWN)
    return str(info.value)


def test_rooms_map_to_profiles() -> None:
    """A room with a profile uses it; other rooms, unknown rooms and None use the default."""
    site = parse_site(SITE, "site.toml", KNOWN)
    assert site.profile_for("112") == "drc-insight"
    assert site.profile_for("Library") == "nwea-map"
    assert site.profile_for("999") == "nwea-map"
    assert site.profile_for(None) == "nwea-map"
    assert (site.name, site.info.code, site.info.district) == (
        "Lincoln Middle School",
        "0420",
        "Springfield Public Schools",
    )


def test_room_lookup_forgives_case_and_spaces() -> None:
    """Agents' room hints match despite case and stray spaces."""
    site = parse_site(SITE, "site.toml", KNOWN)
    assert site.profile_for(" 112 ") == "drc-insight"
    assert site.room_name("library") == "Media center"
    assert site.room_name("999") == "999"


def test_unknown_room_profile_names_the_room() -> None:
    """A room naming a profile that is not loaded is an error naming that room."""
    message = error_of(SITE.replace('profile = "drc-insight"', 'profile = "drc"'))
    assert message.startswith("site.toml: rooms.112.profile: unknown profile 'drc' (known: ")
    assert "pearson-testnav" in message


def test_unknown_default_profile() -> None:
    """An unknown default profile is an error naming site.default_profile."""
    message = error_of(SITE.replace('default_profile = "nwea-map"', 'default_profile = "x"'))
    assert message.startswith("site.toml: site.default_profile: unknown profile 'x'")


def test_typo_in_room_names_room_and_key() -> None:
    """A misspelt key inside a room is reported with the room's path."""
    message = error_of(SITE.replace('profile = "drc-insight"', 'profle = "drc-insight"'))
    assert message == "site.toml: rooms.112.profle: unknown field (check the spelling)"


def test_wrong_type_and_quoted_room_key() -> None:
    """Type errors name the field; a room key with a space is quoted like TOML would."""
    assert error_of("[site]\nname = 7\n") == "site.toml: site.name: Expected str, got int"
    message = error_of('[rooms."Lab A"]\nprofile = 3\n')
    assert message == 'site.toml: rooms."Lab A".profile: Expected str | null, got int'


def test_room_that_is_not_a_table() -> None:
    """A room given as a plain value is an error naming the room."""
    assert error_of('[rooms]\n112 = "drc-insight"\n').startswith("site.toml: rooms.112: Expected")
    assert error_of('rooms = "x"\n').startswith("site.toml: rooms: Expected a table")


def test_unknown_top_level_table() -> None:
    """A misspelt top-level table (``[room]``) is not silently ignored."""
    assert error_of('[room."112"]\nprofile = "nwea-map"\n').startswith("site.toml: room: unknown")


def test_no_check_without_known_profiles() -> None:
    """With known_profiles None, profile ids are taken as given."""
    site = parse_site('[site]\ndefault_profile = "anything"\n', "site.toml", None)
    assert site.profile_for("1") == "anything"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    """No site.toml means every room uses pearson-testnav."""
    site = load_site(tmp_path / "site.toml", KNOWN)
    assert site == Site()
    assert site.profile_for("112") == DEFAULT_PROFILE == "pearson-testnav"


def test_missing_file_without_default_profile(tmp_path: Path) -> None:
    """Defaults that point at a profile that is not loaded fail early, naming the file."""
    with pytest.raises(
        SiteError, match=re.escape("site.default_profile: unknown profile 'pearson")
    ):
        load_site(tmp_path / "site.toml", {"nwea-map"})


def test_load_site_reads_the_file(tmp_path: Path) -> None:
    """load_site reads a real file and names it in errors."""
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    assert load_site(path, KNOWN).profile_for("112") == "drc-insight"
    path.write_text("[site\n", encoding="utf-8")
    with pytest.raises(SiteError, match=rf"^{re.escape(str(path))}: TOML syntax: "):
        load_site(path, KNOWN)


def test_deadline_rules_come_from_the_state_or_the_districts_own() -> None:
    texas = parse_site('[site.deadlines]\nstate = "Texas"\n', "site.toml", None)
    assert [(r.label, r.amount, r.unit) for r in texas.deadline_rules] == [
        ("file", 10, "working_days")
    ]
    own = parse_site(
        '[site.deadlines]\nstate = "oregon"\n[[site.deadlines.rules]]\nlabel = "notify"\n'
        'amount = 2\nunit = "hours"\nuntil = "district_notified"\nholidays = [2027-04-02]\n',
        "site.toml",
        None,
    )
    (rule,) = own.deadline_rules  # the district's rules replace the state's
    assert (rule.label, rule.until, [d.isoformat() for d in rule.holidays]) == (
        "notify",
        "district_notified",
        ["2027-04-02"],
    )
    assert parse_site("", "site.toml", None).deadline_rules == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[site.deadlines]\nstate = "ohio"', "site.toml: site.deadlines.state: no built-in"),
        (
            '[[site.deadlines.rules]]\nlabel = "f"\namount = 1\nunit = "weeks"',
            "site.deadlines.rules[0].unit: Invalid enum value 'weeks'",
        ),
        (
            '[[site.deadlines.rules]]\nlabel = "f"\namount = 0\nunit = "days"',
            "site.deadlines.rules[0].amount: must be positive",
        ),
    ],
)
def test_bad_deadline_rules_name_the_field(text: str, says: str) -> None:
    if text.startswith("[[site.deadlines.rules]]"):
        text = "[site.deadlines]\n" + text
    with pytest.raises(SiteError) as error:
        parse_site(text, "site.toml", None)
    assert says in str(error.value)
