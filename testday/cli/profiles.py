"""Provides `testday profiles check|list`: validate and summarise the testing-platform profiles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from testday.config.profiles import check_profiles, default_profiles_dir, load_profiles


def add_arguments(sub: argparse._SubParsersAction) -> None:
    profiles = sub.add_parser(
        "profiles",
        description="Each testing platform's readiness rules (versions, batteries, endpoints, "
        "pause limits) are a TOML profile; every fact carries its source and school year.",
    )
    actions = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate every profile; exit 1 on any error")
    check.add_argument("--profiles", type=Path, help="folder of profiles (default: shipped ones)")
    actions.add_parser("list", help="list the profiles and their key thresholds")


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
