"""Provides what a deploy runs and writes on a host: status probe, agent start, service files.

The scripts run under the host's own Python (which the agent needs anyway), fed on stdin, so
they behave the same on Linux and macOS and need no ``setsid`` (nor, on Linux, ``ps``).
"""

from __future__ import annotations

import json
import plistlib
import shlex

DEFAULT_REMOTE_DIR = "~/.testday-agent"
SERVICE_NAME = "testday-agent"
LAUNCHD_LABEL = "org.testday.agent"
UNIT_PATH = f"/etc/systemd/system/{SERVICE_NAME}.service"
PLIST_PATH = f"/Library/LaunchDaemons/{LAUNCHD_LABEL}.plist"
SERVICE_STATE_DIRS = {
    "systemd": "/var/lib/testday-agent",
    "launchd": "/Library/Application Support/testday-agent",
}
# systemctl is-system-running: these mean systemd manages services here ("offline": no systemd).
SYSTEMD_UP = {"running", "degraded", "starting", "initializing", "maintenance"}

# Shared by the scripts below: is ``pid`` the background agent of install folder ``d``? A
# recycled pid belongs to another program, and a zombie has no command line: only a live agent
# names our config file.
_OURS = """
import os, subprocess
def ours(pid, d):
    config = os.path.join(d, "agent.toml")
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return config in f.read().decode(errors="replace")
        except OSError:
            return False
    try:  # no /proc (macOS)
        r = subprocess.run(["ps", "-p", str(pid), "-o", "args="], capture_output=True, text=True)
    except OSError:
        return False
    return config in r.stdout
def pid_in(d):
    try:
        with open(os.path.join(d, "agent.pid")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None
"""

# argv: remote dir. Prints {"marker": {...} | null, "running": bool, "pid": int | null}.
STATUS_SCRIPT = (
    _OURS
    + """
import json, sys
d = sys.argv[1]
out = {"marker": None, "running": False, "pid": pid_in(d)}
try:
    with open(os.path.join(d, "deployed.json")) as f:
        out["marker"] = json.load(f)
except (OSError, ValueError):
    pass
mode = (out["marker"] or {}).get("mode")
def succeeds(*argv, needle=""):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0 and needle in r.stdout
if mode == "systemd":
    out["running"] = succeeds("systemctl", "is-active", "--quiet", "testday-agent")
elif mode == "launchd":
    out["running"] = succeeds(
        "launchctl", "print", "system/org.testday.agent", needle="state = running"
    )
else:
    out["running"] = out["pid"] is not None and ours(out["pid"], d)
print(json.dumps(out))
"""
)

# argv: remote dir, "stop" or "start". Stops the background agent the pid file names (if it is
# ours), then for "start" launches a new one in its own session, so closing SSH leaves it be.
BACKGROUND_SCRIPT = (
    _OURS
    + """
import signal, sys, time
d, action = sys.argv[1], sys.argv[2]
pid = pid_in(d)
if pid is not None and ours(pid, d):
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while ours(pid, d) and time.monotonic() < deadline:
            time.sleep(0.1)
        if ours(pid, d):
            os.kill(pid, signal.SIGKILL)
    except OSError:  # it ended by itself meanwhile
        pass
if action == "start":
    agent = os.path.join(d, "venv", "bin", "testday-agent")
    with open(os.path.join(d, "agent.log"), "ab") as log:
        proc = subprocess.Popen(
            [agent, "--config", os.path.join(d, "agent.toml")], stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=d,
        )
    with open(os.path.join(d, "agent.pid"), "w") as f:
        f.write(f"{proc.pid}\\n")
    time.sleep(0.5)
    if proc.poll() is not None:
        sys.exit(f"the agent exited at once with status {proc.returncode}; see {d}/agent.log")
    print(proc.pid)
"""
)


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def agent_config(hub_ws: str, token: str, room: str | None, state_dir: str) -> str:
    lines = [
        "# Written by `testday deploy`; a later deploy rewrites it (edit the deploy, not this).",
        f"hub = {toml_string(hub_ws)}",
        f"token = {toml_string(token)}",
        f"state_dir = {toml_string(state_dir)}",
    ]
    if room:
        lines.append(f"room = {toml_string(room)}")
    return "\n".join(lines) + "\n"


def systemd_unit(remote_dir: str) -> str:
    agent = shlex.quote(f"{remote_dir}/venv/bin/testday-agent")
    config = shlex.quote(f"{remote_dir}/agent.toml")
    return f"""# Written by `testday deploy`; the hand-installed unit is agents/service/systemd.
[Unit]
Description=testday readiness agent
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=exec
ExecStart={agent} --config {config}
Restart=always
RestartSec=5
TimeoutStopSec=10
StateDirectory=testday-agent
StateDirectoryMode=0700
UMask=0077
Nice=10
CPUQuota=5%
MemoryMax=64M
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""


def launchd_plist(remote_dir: str) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCHD_LABEL,
            "ProgramArguments": [
                f"{remote_dir}/venv/bin/testday-agent",
                "--config",
                f"{remote_dir}/agent.toml",
            ],
            "RunAtLoad": True,
            "KeepAlive": True,
            "ThrottleInterval": 10,
            "ProcessType": "Background",
            "LowPriorityIO": True,
            "Nice": 10,
            "Umask": 0o077,
            "StandardOutPath": "/Library/Logs/testday-agent.log",
            "StandardErrorPath": "/Library/Logs/testday-agent.log",
        }
    )


def service_install_command(mode: str, remote_dir: str, sudo: str) -> str:
    """Install the written unit or plist from ``remote_dir`` and (re)start the service."""
    if mode == "systemd":
        source = shlex.quote(f"{remote_dir}/{SERVICE_NAME}.service")
        return (
            f"{sudo}install -m 0644 {source} {UNIT_PATH} && {sudo}systemctl daemon-reload && "
            f"{sudo}systemctl enable {SERVICE_NAME} && {sudo}systemctl restart {SERVICE_NAME}"
        )
    source = shlex.quote(f"{remote_dir}/{LAUNCHD_LABEL}.plist")
    return (
        f"{sudo}install -o root -g wheel -m 0600 {source} {PLIST_PATH} && "
        f"{{ {sudo}launchctl bootout system/{LAUNCHD_LABEL} 2>/dev/null; true; }} && "
        f"{sudo}launchctl bootstrap system {PLIST_PATH}"
    )


def service_remove_command(mode: str, sudo: str) -> str:
    """Stop and unregister the service (an earlier deploy's, when it now runs another way)."""
    if mode == "systemd":
        return f"{sudo}systemctl disable --now {SERVICE_NAME}"
    return f"{sudo}launchctl bootout system/{LAUNCHD_LABEL} 2>/dev/null; {sudo}rm -f {PLIST_PATH}"
