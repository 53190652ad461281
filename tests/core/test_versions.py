"""Tests the tiny version parser: dotted, ChromeOS and Windows display versions."""

from __future__ import annotations

import pytest

from testday.core.versions import (
    MAX_VERSION_TEXT,
    NotComparable,
    VersionError,
    at_least,
    compare,
    matches,
    parse_version,
)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("5.4.387.0", "5.4.387", 0),
        ("5.4.387.1", "5.4.387", 1),
        ("5.4.386.9", "5.4.387.0", -1),
        ("144.0.7559.1", "144", 1),
        ("14.2.1", "14.10", -1),
        ("1.13.2-beta", "1.13.2", 0),
        ("v2.0", "2", 0),
        ("10.0.22631 (Windows 11 Education)", "10.0.22631", 0),
        ("10.0.19045 (Windows 10 Pro)", "10.0.22631", -1),
        ("131 (milestone)", "130", 1),
        ("R131-16063.45.2", "131", 0),
        ("22.04.3 LTS (Jammy Jellyfish), Ubuntu", "22.04", 1),
        ("23H2", "22H2", 1),
        ("Windows 11 24H2", "23H2", 1),
    ],
)
def test_compare_orders_versions(a: str, b: str, expected: int) -> None:
    """compare() orders numerically, ignores trailing zeros and trailing text."""
    assert compare(a, b) == expected


def test_equal_versions_hash_alike() -> None:
    """5.4.387.0 and 5.4.387 are one version, also as dict keys."""
    assert parse_version("5.4.387.0") == parse_version("5.4.387")
    assert len({parse_version("5.4.387.0"), parse_version("5.4.387")}) == 1


def test_numeric_not_lexical() -> None:
    """1.10 is newer than 1.9 (a string comparison would say the opposite)."""
    assert compare("1.10", "1.9") == 1


def test_display_against_build_is_not_comparable() -> None:
    """23H2 says nothing about a build number without knowing Windows 10 or 11."""
    with pytest.raises(NotComparable):
        compare("23H2", "10.0.22631")
    assert at_least("23H2", "10.0.22631") is None


def test_dotted_build_wins_over_display_text() -> None:
    """A string carrying both a display version and a build is judged by the build."""
    assert parse_version("Windows 11 23H2 (10.0.22631)").kind == "dotted"


def test_no_number_is_an_error() -> None:
    """Text with no number cannot be parsed, and at_least says it does not know."""
    with pytest.raises(VersionError):
        parse_version("unknown")
    assert at_least("unknown", "1.0") is None


def test_at_least() -> None:
    """at_least is ≥: equal counts, older does not."""
    assert at_least("130.0.6723.126", "130") is True
    assert at_least("129.9", "130") is False


def test_matches_a_version_line() -> None:
    """An excluded "131" covers every 131.x, but not 130 or 1310."""
    assert matches("131.0.6778.191", "131") is True
    assert matches("131", "131.0") is True
    assert matches("130.0.1", "131") is False
    assert matches("1310.1", "131") is False


def test_matches_keeps_exact_prefix() -> None:
    """An excluded 5.4.0 does not swallow 5.4.1 (trailing zeros matter for prefixes)."""
    assert matches("5.4.0.2", "5.4.0") is True
    assert matches("5.4.1", "5.4.0") is False
    assert matches("23H2", "131") is None


@pytest.mark.parametrize("text", ["1" * 5000, "1." * 3000 + "1", "v" + "2" * 10_000])
def test_a_version_of_thousands_of_digits_is_read_to_its_first_characters(text: str) -> None:
    """int() refuses numbers past 4,300 digits: only the first 128 characters are ever read."""
    version = parse_version(text)
    assert len(version.text) <= MAX_VERSION_TEXT and version.kind == "dotted"
