"""Provides the SNMP trap receiver: v1 and v2c notifications on a UDP port, as plain dicts."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv

from testday.netwatch import oids
from testday.netwatch.snmp_client import Value, plain

__all__ = ["TrapReceiver", "trap_dict"]

log = logging.getLogger(__name__)

_ANY = "testday-any-community"  # what every community is rewritten to when any is accepted
_WRITABLE = "rfc2576.processIncomingMsg:writable"  # pysnmp lets an observer edit the community


def trap_dict(source: tuple[str, int], var_binds: Mapping[str, Value]) -> dict[str, Any]:
    """One notification as the hub takes it: which trap, from where, and its ifIndex if a link."""
    trap_oid = str(var_binds.get(oids.SNMP_TRAP_OID, ""))
    if_index = None
    if trap_oid in oids.LINK_TRAPS:
        for oid, value in var_binds.items():
            if (index := oids.index_of(oid, oids.IF_INDEX)) is not None:
                if_index = value if isinstance(value, int) else index
                break
    uptime = var_binds.get(oids.SYS_UPTIME)
    # A v1 trap carries the agent's own address (RFC 3584 snmpTrapAddress) and its community;
    # the community is a credential and stays out of the event log.
    agent = var_binds.get(oids.SNMP_TRAP_ADDRESS)
    kept = {k: v for k, v in var_binds.items() if k != oids.SNMP_TRAP_COMMUNITY}
    return {
        "ts": time.time(),
        "source": source[0],
        "source_port": source[1],
        "trap_oid": trap_oid,
        "name": oids.TRAP_NAMES.get(trap_oid, trap_oid),
        "agent_address": agent if isinstance(agent, str) else source[0],
        "varbinds": kept,
        "if_index": if_index,
        "uptime_s": uptime / 100 if isinstance(uptime, int) else None,
    }


class TrapReceiver:
    """Listens on ``host:port`` (0: any free port, see ``.port``); calls ``on_trap`` per trap.

    ``communities`` None accepts any community; otherwise a trap with another one is dropped
    and counted in ``dropped``. v1 traps arrive converted (RFC 3584) like v2c ones.
    """

    def __init__(
        self,
        host: str,
        port: int,
        communities: set[str] | None,
        on_trap: Callable[[dict[str, Any]], None],
    ) -> None:
        self.host, self.requested_port = host, port
        self.communities = None if communities is None else frozenset(communities)
        self.on_trap = on_trap
        self.port = 0
        self.received = 0
        self.dropped = 0
        self._engine: engine.SnmpEngine | None = None

    def start(self) -> None:
        """Bind and listen; call from the running loop. Raises OSError if the port is taken."""
        asyncio.get_running_loop()  # pysnmp's transport binds to the running loop
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Our own socket: the bound port is known at once (also for 0), and errors raise here.
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.requested_port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        eng = engine.SnmpEngine()
        carrier = udp6 if family == socket.AF_INET6 else udp
        transport = carrier.Udp6Transport() if carrier is udp6 else udp.UdpTransport()
        config.add_transport(eng, carrier.DOMAIN_NAME, transport.open_server_mode(sock=sock))
        names = sorted(self.communities) if self.communities is not None else [_ANY]
        for i, community in enumerate(names):
            config.add_v1_system(eng, f"trap-c{i}", community)
        eng.observer.register_observer(self._check_community, _WRITABLE)
        ntfrcv.NotificationReceiver(eng, self._received)
        self._engine = eng

    async def stop(self) -> None:
        if self._engine is not None:
            await asyncio.sleep(0)  # traps already read are queued with call_soon: deliver them
            self._engine.observer.unregister_observer(self._check_community)
            self._engine.close_dispatcher()
            self._engine = None

    async def __aenter__(self) -> TrapReceiver:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _check_community(self, _engine: Any, _point: str, scope: dict[str, Any], _ctx: Any) -> None:
        community = scope["communityName"]
        if self.communities is None:
            scope["communityName"] = community.clone(_ANY.encode())
        elif bytes(community).decode("utf-8", "replace") not in self.communities:
            self.dropped += 1  # pysnmp then discards it (snmpInBadCommunityNames)

    def _received(
        self,
        eng: engine.SnmpEngine,
        state_reference: Any,
        _context_engine_id: Any,
        _context_name: Any,
        var_binds: Any,
        _cb_ctx: Any,
    ) -> None:
        _domain, address = eng.message_dispatcher.get_transport_info(state_reference)
        values = {str(name): plain(value) for name, value in var_binds}
        trap = trap_dict(
            (str(address[0]), int(address[1])),
            {oid: value for oid, value in values.items() if value is not None},
        )
        self.received += 1
        try:
            self.on_trap(trap)
        except Exception:  # a consumer's bug must not stop the receiver
            log.exception("on_trap failed for %s", trap["name"])
