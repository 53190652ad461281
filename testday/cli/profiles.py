"""Provides `testday profiles check|list`: validate and summarise the testing-platform profiles."""

from __future__ import annotations

import argparse
import sys

from testday.config.profiles import check_profiles, default_profiles_dir, load_profiles


def run_profiles(args: argparse.Namespace) -> int:
    directory = getattr(args, "profiles", None) or default_profiles_dir()
    if args.profiles_command == "check":
        errors = check_profiles(directory)
        for line in errors:
            print(line, file=sys.stderr)
        count = len(list(directory.glob("*.toml")))
        if errors:
            print(f"{len(errors)} problem(s) in {count} profile(s) in {directory}", file=sys.stderr)
            return 1
        print(f"{count} profile(s) in {directory}: all valid")
        return 0
    profiles = load_profiles(directory)
    print(f"{'ID':<18} {'NAME':<28} {'TEST MIN':>8} {'BATT WARN':>9} {'BATT CRIT':>9}")
    for profile in sorted(profiles.values(), key=lambda p: p.id):
        print(
            f"{profile.id:<18} {profile.name:<28} {profile.typical_test_minutes:>8} "
            f"{profile.battery.warn_percent:>8}% {profile.battery.critical_percent:>8}%"
        )
    return 0
