"""Provides the app collector: whether each kiosk app is installed, its version, and if it runs."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil

from testday_agent.protocol import AppFacts, AppRule

COMMAND_TIMEOUT_S = 3.0
_MAX_TEXT = 64 * 1024
# An executable that has not changed gives the same version: do not spawn it every interval.
_COMMAND_CACHE_TTL_S = 600.0
# No console window may flash up over a running test on Windows.
_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)

_command_cache: dict[tuple[object, ...], tuple[float, str | None]] = {}


def expand(path: str) -> str:
    return os.path.expandvars(os.path.expanduser(path))


def normalise_process_name(name: str) -> str:
    name = name.lower()
    return name[:-4] if name.endswith(".exe") else name


class ProcessTable:
    """Names of running processes, lower-cased; cheap incremental refresh between full scans.

    A full scan re-reads every name; an incremental one reads only new PIDs. A PID that exec()s
    keeps its number under a new name, so incremental results may be stale until the next full
    scan, which the regular collection does.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._lock = threading.Lock()
        self._snapshot: frozenset[str] = frozenset()

    def names(self, full: bool = True) -> frozenset[str]:
        # The collection thread and the event loop share this table: never block the loop.
        if not self._lock.acquire(blocking=full):
            return self._snapshot
        try:
            if full:
                self._names = {
                    proc.pid: normalise_process_name(proc.info["name"] or "")
                    for proc in psutil.process_iter(["name"])
                }
            else:
                self._refresh_new()
            self._snapshot = frozenset(self._names.values())
            return self._snapshot
        finally:
            self._lock.release()

    def _refresh_new(self) -> None:
        pids = set(psutil.pids())
        names = {pid: name for pid, name in self._names.items() if pid in pids}
        for pid in pids - names.keys():
            try:
                names[pid] = normalise_process_name(psutil.Process(pid).name())
            except psutil.Error:
                continue  # gone already, or not ours to read
        self._names = names


def is_running(rule: AppRule, running: frozenset[str]) -> bool | None:
    if not rule.process_names:
        return None
    return any(normalise_process_name(name) in running for name in rule.process_names)


def _existing_path(patterns: list[str]) -> str | None:
    for pattern in patterns:
        path = expand(pattern)
        if "*" in path or "?" in path:
            # Versioned install folders ("/opt/App-1.2/") are matched with a wildcard.
            matches = sorted(glob.glob(path))
            if matches:
                return matches[-1]
        elif os.path.exists(path):
            return path
    return None


def _bundle_version(bundle: str) -> str | None:
    import plistlib  # here, not at the top: only macOS needs it and the agent's RSS is budgeted

    plist = Path(bundle) / "Contents" / "Info.plist"
    try:
        with plist.open("rb") as f:
            info = plistlib.load(f)
    except (OSError, plistlib.InvalidFileException, ValueError):
        return None
    version = info.get("CFBundleShortVersionString") or info.get("CFBundleVersion")
    return str(version) if version else None


def _read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(_MAX_TEXT).decode("utf-8", errors="replace")
    except OSError:
        return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: helpers it started go too
        else:
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(1.0)


def run_bounded(argv: list[str], timeout_s: float) -> str | None:
    """Output (stdout then stderr) of argv, or None if it cannot start or outlives timeout_s.

    Output goes to temporary files, not pipes: a grandchild that inherited a pipe would keep
    subprocess.run waiting for end-of-file long after the timeout.
    """
    try:
        import tempfile  # lazily: spawning a version command is rare (results are cached)

        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                creationflags=_NO_WINDOW,
                start_new_session=os.name == "posix",
            )
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                _kill(proc)
                return None
            out.seek(0)
            err.seek(0)
            # Java and some launchers print their version on stderr.
            raw = out.read(_MAX_TEXT) + b"\n" + err.read(_MAX_TEXT)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return raw.decode("utf-8", errors="replace")


def run_version_command(argv: list[str]) -> str | None:
    """Output (stdout then stderr) of argv, or None if it cannot run; never raises."""
    if not argv:
        return None
    argv = [expand(arg) for arg in argv]
    executable = shutil.which(argv[0])
    if executable is None:
        return None
    try:
        st = os.stat(executable)
    except OSError:
        return None
    key = (tuple(argv), executable, st.st_mtime_ns, st.st_size)
    now = time.monotonic()
    cached = _command_cache.get(key)
    if cached is not None and now - cached[0] < _COMMAND_CACHE_TTL_S:
        return cached[1]
    output = run_bounded([executable, *argv[1:]], COMMAND_TIMEOUT_S)
    if len(_command_cache) > 64:  # executables that changed leave stale keys behind
        _command_cache.clear()
    _command_cache[key] = (now, output)
    return output


def _match(pattern: re.Pattern[str], text: str | None) -> str | None:
    if not text:
        return None
    found = pattern.search(text)
    if found is None:
        return None
    return (found.group(1) if pattern.groups else found.group(0)).strip() or None


def detect_app(rule: AppRule, running: frozenset[str]) -> tuple[AppFacts, str | None]:
    """Facts for one rule, and an error message if part of the detection failed."""
    source = _existing_path(rule.paths)
    bundle = expand(rule.bundle) if rule.bundle else None
    if bundle and os.path.isdir(bundle):
        source = source or bundle
    else:
        bundle = None
    facts = AppFacts(name=rule.name, installed=source is not None, source=source)
    facts.running = is_running(rule, running)
    try:
        # A bad pattern from the profile must not hide what was found without it.
        pattern = re.compile(rule.version_pattern)
        if bundle:
            facts.version = _bundle_version(bundle)
        if facts.version is None and rule.version_file:
            version_file = expand(rule.version_file)
            facts.version = _match(pattern, _read_text(version_file))
            if facts.version is not None:
                facts.installed = True
                facts.source = facts.source or version_file
        if facts.version is None and rule.version_command:
            facts.version = _match(pattern, run_version_command(rule.version_command))
            if facts.version is not None:
                facts.installed = True
                facts.source = facts.source or shlex.join(rule.version_command)
    except Exception as exc:
        return facts, f"{rule.name}: {one_line(exc)}"
    return facts, None


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:300]


def collect_apps(
    rules: list[AppRule],
    os_family: str,
    errors: dict[str, str] | None = None,
    running: frozenset[str] | None = None,
) -> list[AppFacts]:
    """Facts for the rules of this OS family.

    A rule whose detection fails partly (a bad version pattern) is still reported with what was
    found; its error goes to ``errors["apps"]`` when a dict is given, otherwise it is raised as
    ValueError after all rules ran. ``running`` saves a process scan when the caller has one.
    """
    wanted = [rule for rule in rules if rule.os_family == os_family]
    if running is None:
        needs_scan = any(rule.process_names for rule in wanted)
        running = ProcessTable().names() if needs_scan else frozenset()
    results: list[AppFacts] = []
    problems: list[str] = []
    for rule in wanted:
        facts, problem = detect_app(rule, running)
        results.append(facts)
        if problem:
            problems.append(problem)
    if problems:
        if errors is None:
            raise ValueError("; ".join(problems))
        errors["apps"] = "; ".join(problems)[:2000]  # the hub takes 4,096 characters
    return results
