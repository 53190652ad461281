"""Provides what `testday-agent` runs once its options are read: the service, or one collection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec

from testday_agent import __version__
from testday_agent.collect import SystemCollector
from testday_agent.identity import load_identity
from testday_agent.protocol import AgentConfig, to_builtins
from testday_agent.runner import CONFIG_FILE, AgentOptions, AgentRunner
from testday_agent.spool import Spool


async def collect_once(state_dir: Path, as_json: bool) -> int:
    config = AgentConfig()
    with contextlib.suppress(OSError, msgspec.DecodeError):
        config = msgspec.json.decode((state_dir / CONFIG_FILE).read_bytes(), type=AgentConfig)
    facts = await SystemCollector().collect(config.checks)
    data = to_builtins(facts)
    if as_json:
        print(json.dumps(data, indent=2))
    elif isinstance(data, dict):  # always, as Facts is a Struct; this tells mypy so
        for section, value in data.items():
            print(f"{section}: {json.dumps(value)}")
    return 0


async def run_service(options: AgentOptions) -> int:
    options.state_dir.mkdir(parents=True, exist_ok=True)
    identity = load_identity(options.state_dir)
    spool = Spool(options.state_dir / "spool.log")
    source = SystemCollector(spool_stats=lambda: (spool.depth(), spool.dropped()))
    runner = AgentRunner(options, identity, source, spool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # asyncio's default pool grows to cores + 4 threads; three cover the collectors, and every
    # idle thread costs memory on a device whose agent RSS is budgeted.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=3, thread_name_prefix="collect"))
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    logging.getLogger("testday_agent").info(
        "testday-agent %s reporting as %s to %s", __version__, identity.device_id, options.hub_url
    )
    try:
        await runner.run(stop)
    finally:
        spool.close()
    return 0
