"""Provides agent deployment over SSH: install, configure, start and verify, host by host.

Per host: connect (host key checked against testday's known_hosts), detect the OS, check for
Python 3.11+, and compare what is deployed (a ``deployed.json`` marker: agent wheel, config
digest, start mode) with what would be. Same and running: nothing is touched ("unchanged").
Otherwise upload the wheels (SFTP), install them into the agent's own venv with pip offline
(``--no-index``: only the uploaded wheels, see ``wheelhouse``), write the config (mode 0600),
start the agent (systemd, launchd, or a plain background process with ``--no-service``), and
wait until the hub lists the agent's device as connected. A host that fails is reported with
the step and the host's own words; the others carry on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from testday.remote import deploy_steps as steps
from testday.remote.deploy_shell import Remote, StepFailed, excerpt
from testday.remote.ssh_connect import HostKeyError, RemoteError, RemoteHost, connect

PIP_TIMEOUT_S = 300.0  # a slow lab PC compiling nothing, but unpacking several wheels
VERIFY_TIMEOUT_S = 30.0

# Whether the hub lists this device as connected now (deploy waits for it to say so).
ConnectedCheck = Callable[[str], Awaitable[bool]]


@dataclass
class DeployPlan:
    """What every host gets; ``remote_dir`` may contain ``{host}`` (the host's name)."""

    known_hosts: Path
    agent_wheel: Path
    wheels: list[Path]  # the agent's dependencies (and any extra wheelhouse)
    hub_ws: str
    token: str
    room: str | None = None
    remote_dir: str = steps.DEFAULT_REMOTE_DIR
    python: str = "python3"
    service: bool = True
    client_keys: list[Path] | None = None
    connected: ConnectedCheck | None = None  # None: do not wait for the hub
    verify_timeout_s: float = VERIFY_TIMEOUT_S


@dataclass
class HostResult:
    name: str
    status: str  # installed | upgraded | restarted | unchanged | failed
    detail: str = ""
    device_id: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def deploy_host(target: RemoteHost, plan: DeployPlan) -> HostResult:
    started = time.monotonic()
    try:
        conn = await connect(target, plan.known_hosts, plan.client_keys)
    except (HostKeyError, RemoteError) as exc:
        return HostResult(target.name, "failed", f"connect: {exc}", seconds=_since(started))
    try:
        # Returned after the block, as asyncssh types __aexit__ -> bool: to mypy the block may
        # swallow an error and fall through.
        async with conn:
            status, device_id = await _deploy(Remote(conn), target, plan)
            outcome = HostResult(target.name, status, "", device_id, _since(started))
        return outcome
    except StepFailed as exc:
        return HostResult(target.name, "failed", str(exc), seconds=_since(started))
    except Exception as exc:  # one host's surprise must not stop the others' deploys
        detail = f"unexpected {type(exc).__name__}: {exc}"
        return HostResult(target.name, "failed", detail, seconds=_since(started))


def _since(started: float) -> float:
    return time.monotonic() - started


async def _deploy(remote: Remote, target: RemoteHost, plan: DeployPlan) -> tuple[str, str | None]:
    host = await remote.detect()
    await remote.check_python(plan.python)
    mode = await remote.service_mode(host.os, plan.service)
    root = plan.remote_dir.replace("{host}", target.name)
    root = host.home + root[1:] if root.startswith("~") else root
    sudo = "" if host.user == "root" else "sudo -n "  # only for the service and its files
    state_dir = steps.SERVICE_STATE_DIRS.get(mode, f"{root}/state")
    config = steps.agent_config(plan.hub_ws, plan.token, plan.room, state_dir)
    wanted = {
        "wheel": plan.agent_wheel.name,
        "config": digest(config),
        "mode": mode,
        "python": plan.python,
    }
    answer = await remote.python("status", plan.python, steps.STATUS_SCRIPT, root)
    try:
        found = json.loads(answer)
    except ValueError:
        raise StepFailed("status", f"unexpected answer {excerpt(answer, 1, 80)!r}") from None
    before = found["marker"] or {}
    if before == wanted and found["running"]:
        status = "unchanged"
    else:
        await _install(remote, plan, root, before.get("python") not in (None, plan.python))
        await remote.write_private("config", f"{root}/agent.toml", config)
        if before.get("mode") not in (None, "background", mode):  # a service left from before
            await remote.run("service", steps.service_remove_command(before["mode"], sudo))
        await _start(remote, plan, mode, root, sudo)
        await remote.write_private("config", f"{root}/deployed.json", json.dumps(wanted) + "\n")
        if not before:
            status = "installed"
        elif before.get("wheel") != wanted["wheel"]:
            status = "upgraded"
        else:
            status = "restarted"
    device_id = await _device_id(remote, state_dir, "" if mode == "background" else sudo)
    if plan.connected is not None:
        await _verify(remote, plan, device_id, mode, root)
    return status, device_id


async def _install(remote: Remote, plan: DeployPlan, root: str, new_python: bool) -> None:
    dist = f"{root}/dist"
    await remote.run("prepare", f"mkdir -p {shlex.quote(dist)} && chmod 700 {shlex.quote(root)}")
    wheels = [plan.agent_wheel, *plan.wheels]
    try:
        async with remote.conn.start_sftp_client() as sftp:
            present = {
                name: (await sftp.stat(f"{dist}/{name}")).size
                for name in await sftp.listdir(dist)
                if name.endswith(".whl")
            }
            for wheel in wheels:
                if present.get(wheel.name) != wheel.stat().st_size:
                    await sftp.put(str(wheel), f"{dist}/{wheel.name}")
            for stale in set(present) - {w.name for w in wheels}:
                await sftp.remove(f"{dist}/{stale}")
    except (OSError, asyncssh.Error) as exc:
        raise StepFailed("upload", str(exc) or type(exc).__name__) from None
    venv = shlex.quote(f"{root}/venv")
    python = shlex.quote(plan.python)
    # Another --python than last time: the venv is rebuilt on it rather than kept on the old one.
    create = f"{python} -m venv --clear {venv}"
    if not new_python:
        create = f"test -x {venv}/bin/python || {create}"
    await remote.run("venv", create, timeout=PIP_TIMEOUT_S)
    await remote.run(
        "pip install",
        f"{venv}/bin/python -m pip install --disable-pip-version-check --no-input --no-index "
        f"--find-links {shlex.quote(dist)} {shlex.quote(f'{dist}/{plan.agent_wheel.name}')}",
        timeout=PIP_TIMEOUT_S,
    )


async def _start(remote: Remote, plan: DeployPlan, mode: str, root: str, sudo: str) -> None:
    venv_python = f"{root}/venv/bin/python"
    if mode == "background":
        await remote.python("start", venv_python, steps.BACKGROUND_SCRIPT, root, "start")
        return
    # A background agent from an earlier --no-service deploy would report twice.
    await remote.python("start", venv_python, steps.BACKGROUND_SCRIPT, root, "stop")
    if mode == "systemd":
        unit = steps.systemd_unit(root)
        await remote.write_private("service", f"{root}/{steps.SERVICE_NAME}.service", unit)
    else:
        plist = steps.launchd_plist(root).decode()
        await remote.write_private("service", f"{root}/{steps.LAUNCHD_LABEL}.plist", plist)
    await remote.run("service", steps.service_install_command(mode, root, sudo))


async def _device_id(remote: Remote, state_dir: str, sudo: str) -> str:
    """The id the agent has chosen (it writes it first thing); waits a few seconds for it."""
    path = shlex.quote(f"{state_dir}/device_id")
    command = (
        f"for i in $(seq 50); do {sudo}cat {path} 2>/dev/null && exit 0; sleep 0.2; done; exit 1"
    )
    try:
        return (await remote.run("start", command)).strip()
    except StepFailed:
        raise StepFailed(
            "start", f"the agent wrote no device id in {state_dir} within 10 s"
        ) from None


async def _verify(remote: Remote, plan: DeployPlan, device_id: str, mode: str, root: str) -> None:
    assert plan.connected is not None
    deadline = time.monotonic() + plan.verify_timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        try:
            if await plan.connected(device_id):
                return
        except (OSError, ValueError) as exc:
            last_error = f" (hub: {exc})"
        await asyncio.sleep(0.5)
    log = ""
    if mode == "background":
        tail = await remote.run("verify", f"tail -n 5 {shlex.quote(root + '/agent.log')} || true")
        log = f"; agent log: {excerpt(tail)}" if tail.strip() else ""
    raise StepFailed(
        "verify",
        f"agent {device_id} running but not connected to the hub within "
        f"{plan.verify_timeout_s:.0f} s{last_error}{log}",
    )


async def deploy_all(
    targets: list[RemoteHost],
    plan: DeployPlan,
    parallel: int = 10,
    on_result: Callable[[HostResult], None] | None = None,
) -> list[HostResult]:
    """Deploy to every target, ``parallel`` at a time; results in the targets' order."""
    gate = asyncio.Semaphore(max(1, parallel))

    async def one(target: RemoteHost) -> HostResult:
        async with gate:
            result = await deploy_host(target, plan)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(t) for t in targets)))
