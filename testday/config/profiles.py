"""Provides loading of testing-platform profiles from disk: a thin I/O shell over parse_profile."""

from __future__ import annotations

import os
from pathlib import Path

from testday.core.profile import Profile, ProfileError, parse_profile

__all__ = [
    "Profile",
    "ProfileError",
    "check_profiles",
    "default_profiles_dir",
    "load_profile",
    "load_profiles",
]

ENV_VAR = "TESTDAY_PROFILES"


def default_profiles_dir() -> Path:
    """The repository's ``profiles/``; else ``$TESTDAY_PROFILES`` (installed, there is none)."""
    bundled = Path(__file__).resolve().parents[2] / "profiles"
    if bundled.is_dir():
        return bundled
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else bundled


def load_profile(path: Path | str) -> Profile:
    """Read and check one profile file; raises ProfileError naming the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(str(path), "(file)", f"cannot read: {exc}") from None
    return parse_profile(text, str(path))


def _profile_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ProfileError(str(directory), "(directory)", "not a directory")
    return sorted(directory.glob("*.toml"))


def _duplicate(path: Path, profile_id: str, first: Path) -> ProfileError:
    return ProfileError(str(path), "id", f"duplicate profile id {profile_id!r} (also in {first})")


def load_profiles(directory: Path | str) -> dict[str, Profile]:
    """Every ``*.toml`` profile in ``directory`` by id; the first bad file raises ProfileError."""
    directory = Path(directory)
    profiles: dict[str, Profile] = {}
    origin: dict[str, Path] = {}
    for path in _profile_files(directory):
        profile = load_profile(path)
        if profile.id in origin:
            raise _duplicate(path, profile.id, origin[profile.id])
        profiles[profile.id], origin[profile.id] = profile, path
    return profiles


def check_profiles(directory: Path | str) -> list[str]:
    """One error line per bad file (and per duplicate id); an empty list means all are good."""
    directory = Path(directory)
    try:
        paths = _profile_files(directory)
    except ProfileError as exc:
        return [str(exc)]
    if not paths:
        return [f"{directory}: (directory): no profiles (*.toml) found"]
    errors: list[str] = []
    origin: dict[str, Path] = {}
    for path in paths:
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            errors.append(str(exc))
            continue
        if profile.id in origin:
            errors.append(str(_duplicate(path, profile.id, origin[profile.id])))
        else:
            origin[profile.id] = path
    return errors
