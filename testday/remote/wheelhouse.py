"""Provides the wheels a deploy uploads: the agent built from its code here, its deps repacked.

Nothing is fetched: lab machines and test hosts often have no route to PyPI, and the hub
machine should decide exactly what runs on the fleet. So:

- the agent wheel is built from the ``testday_agent`` package that runs beside this testday
  (editable or not), with the installed metadata; its version gets a local label made of a
  digest of its contents (``0.1.0+a1b2c3d4e5``), so a changed agent is an upgrade to pip and
  an unchanged one is byte-identical (the zip is written deterministically);
- each dependency (psutil, websockets, msgspec …) is repacked from its installed files into a
  wheel carrying the tags of the wheel it was installed from. Compiled ones therefore only
  install on hosts of the same OS, CPU and (for non-abi3 wheels) Python minor version as this
  machine; for any other host, give a folder of wheels (``pip download`` on a connected
  machine) that is uploaded alongside and preferred by pip where it fits.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import re
import zipfile
from pathlib import Path

AGENT_DIST = "testday-agent"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: fixed so equal contents give equal bytes
_SKIPPED_META = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


class WheelError(Exception):
    """A wheel could not be made from what is installed here; the message says which and why."""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path: Path, files: dict[str, bytes], dist_info: str) -> Path:
    record = [_record_line(name, data) for name, data in sorted(files.items())]
    record.append(f"{dist_info}/RECORD,,")
    files = {**files, f"{dist_info}/RECORD": ("\n".join(record) + "\n").encode()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return path


def _file_tag(wheel_text: str) -> str:
    """The filename tag for a WHEEL file's Tag lines, e.g. ``cp311-cp311-manylinux_2_17_x86_64``."""
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")
    ]
    if not tags:
        return "py3-none-any"
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    return "-".join(".".join(part) for part in parts)


def build_agent_wheel(folder: Path) -> Path:
    """The agent as a pure-Python wheel in ``folder``, named by its content digest."""
    try:
        dist = md.distribution(AGENT_DIST)
    except md.PackageNotFoundError:
        raise WheelError(f"{AGENT_DIST} is not installed beside testday") from None
    import testday_agent

    package = Path(testday_agent.__file__).parent
    files = {
        f"testday_agent/{p.relative_to(package).as_posix()}": p.read_bytes()
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    metadata = dist.read_text("METADATA") or ""
    digest.update(metadata.encode())
    base = dist.version.split("+")[0]
    version = f"{base}+{digest.hexdigest()[:10]}"
    metadata = re.sub(r"(?m)^Version: .*$", f"Version: {version}", metadata, count=1)
    dist_info = f"testday_agent-{version}.dist-info"
    files[f"{dist_info}/METADATA"] = metadata.encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: testday deploy\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{dist_info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    return write_wheel(folder / f"testday_agent-{version}-py3-none-any.whl", files, dist_info)


def repack(dist: md.Distribution, folder: Path) -> Path:
    """An installed distribution back into a wheel: its files as RECORD lists them."""
    name = dist.metadata["Name"]
    wheel_text = dist.read_text("WHEEL")
    if wheel_text is None or dist.files is None or dist.read_text("direct_url.json"):
        raise WheelError(f"{name} was not installed from a wheel here; cannot repack it")
    dist_info = f"{_normalise(name)}-{dist.version}.dist-info"
    files: dict[str, bytes] = {}
    for entry in dist.files:
        parts = entry.parts
        # "..": console scripts outside site-packages; pip recreates them from entry_points.txt.
        if parts[0] == ".." or "__pycache__" in parts or entry.suffix == ".pyc":
            continue
        if parts[0].endswith(".dist-info"):
            if parts[-1] in _SKIPPED_META:
                continue
            parts = (dist_info, *parts[1:])
        files["/".join(parts)] = Path(str(dist.locate_file(entry))).read_bytes()
    path = folder / f"{_normalise(name)}-{dist.version}-{_file_tag(wheel_text)}.whl"
    return write_wheel(path, files, dist_info)


def _requirements(dist: md.Distribution) -> list[str]:
    """Names of the dependencies pip would install (none behind an ``extra``)."""
    names = []
    for requirement in dist.requires or []:
        marker = requirement.partition(";")[2]
        if "extra" in marker:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if match:
            names.append(match.group(1))
    return names


def build_wheelhouse(folder: Path) -> tuple[Path, list[Path]]:
    """The agent wheel and its dependencies' wheels (recursively), all written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    agent = build_agent_wheel(folder)
    deps: list[Path] = []
    seen: set[str] = set()
    pending = _requirements(md.distribution(AGENT_DIST))
    while pending:
        name = pending.pop()
        if _normalise(name) in seen:
            continue
        seen.add(_normalise(name))
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # a platform-conditional dependency this machine does not need
        deps.append(repack(dist, folder))
        pending.extend(_requirements(dist))
    return agent, sorted(deps)
