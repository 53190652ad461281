"""Provides a deploy's view of one host: commands that fail as a named step, and its probes."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import asyncssh

from testday.remote.deploy_steps import SYSTEMD_UP

COMMAND_TIMEOUT_S = 60.0


class StepFailed(Exception):
    """A deploy step failed on the host; ``detail`` is the host's own words, shortened."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step, self.detail = step, detail


def excerpt(text: str, lines: int = 3, chars: int = 300) -> str:
    """The last few lines of a command's output: where the reason usually is."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    joined = " | ".join(kept)
    return joined if len(joined) <= chars else "…" + joined[-chars:]


@dataclass(frozen=True)
class HostFacts:
    os: str  # uname -s: Linux or Darwin
    home: str
    user: str


class Remote:
    """One host's connection, with commands that fail as StepFailed."""

    def __init__(self, conn: asyncssh.SSHClientConnection) -> None:
        self.conn = conn

    async def run(
        self, step: str, command: str, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT_S
    ) -> str:
        try:
            result = await self.conn.run(command, input=stdin, timeout=timeout)
        except asyncssh.TimeoutError:
            raise StepFailed(step, f"no answer within {timeout:.0f} s") from None
        except (OSError, asyncssh.Error) as exc:
            raise StepFailed(step, str(exc) or type(exc).__name__) from None
        out, err = str(result.stdout or ""), str(result.stderr or "")
        if result.exit_status != 0:
            raise StepFailed(step, excerpt(err or out) or f"exit status {result.exit_status}")
        return out

    async def python(self, step: str, python: str, script: str, *args: str) -> str:
        """Run ``script`` (fed on stdin) with the host's ``python`` and ``args``."""
        argv = " ".join(shlex.quote(a) for a in (python, "-", *args))
        return await self.run(step, argv, stdin=script)

    async def write_private(self, step: str, path: str, text: str) -> None:
        """Write via a temporary name that is 0600 before anything goes in, then rename over."""
        tmp = f"{path}.tmp"
        try:
            async with self.conn.start_sftp_client() as sftp:
                async with sftp.open(tmp, "w", asyncssh.SFTPAttrs(permissions=0o600)) as f:
                    await f.write(text)
                await sftp.chmod(tmp, 0o600)  # an older tmp file kept its mode
                await sftp.posix_rename(tmp, path)
        except (OSError, asyncssh.Error) as exc:
            raise StepFailed(step, f"{path}: {exc}") from None

    async def detect(self) -> HostFacts:
        """The OS, home and login; fails unless the OS is Linux or macOS."""
        out = await self.run("detect", 'uname -s && printf "%s\\n" "$HOME" && id -un')
        lines = out.splitlines()
        if len(lines) < 3:
            raise StepFailed("detect", f"unexpected answer {out!r}")
        if lines[0] not in ("Linux", "Darwin"):
            raise StepFailed("detect", f"unsupported OS {lines[0]!r} (Linux and macOS only)")
        return HostFacts(lines[0], lines[1], lines[2])

    async def check_python(self, python: str) -> None:
        """Fails with "python3.11+ missing on host" unless ``python`` runs and is 3.11+."""
        command = f"{shlex.quote(python)} -c 'import sys; print(*sys.version_info[:2])'"
        try:
            major, minor = (int(n) for n in (await self.run("python", command)).split()[:2])
        except StepFailed as exc:
            raise StepFailed("python", f"python3.11+ missing on host ({exc.detail})") from None
        if (major, minor) < (3, 11):
            raise StepFailed(
                "python",
                f"python3.11+ missing on host ({python} is {major}.{minor}; "
                "install 3.11+ or pass --python PATH)",
            )

    async def service_mode(self, os_name: str, service: bool) -> str:
        """background (asked for), launchd (macOS), systemd (running), or a StepFailed why not."""
        if not service:
            return "background"
        if os_name == "Darwin":
            return "launchd"
        state = await self.run("service", "systemctl is-system-running 2>&1 || true")
        last = (state.strip().splitlines() or [""])[-1].strip()
        if last in SYSTEMD_UP:
            return "systemd"
        raise StepFailed(
            "service",
            f"no service manager running on the host (systemctl: {excerpt(last, 1, 80) or 'none'})"
            "; use --no-service to start the agent as a plain background process",
        )
