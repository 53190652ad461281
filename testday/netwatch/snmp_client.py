"""Provides a thin asyncio SNMP client over pysnmp 7: bounded GETs and subtree walks per device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.hlapi.varbinds import CommandGeneratorVarBinds
from pysnmp.proto import errind
from pysnmp.proto.rfc1902 import IpAddress, ObjectIdentifier, OctetString

from testday.core.net_state import Failure, NetDevice
from testday.netwatch import oids

__all__ = ["SnmpClient", "SnmpFailure", "Value", "plain"]

Value = int | str | bytes
_AUTH = {
    "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
    "MD5": usmHMACMD5AuthProtocol,
}
_PRIV = {
    "AES": usmAesCfb128Protocol,
    "AES192": usmAesCfb192Protocol,
    "AES256": usmAesCfb256Protocol,
    "DES": usmDESPrivProtocol,
}
# pysnmp's own timer ends a request after timeout × tries; this guard is only for the case where
# it never fires (an engine used from the wrong loop hangs for ever), so it is generous.
_GUARD_MARGIN_S = 1.0


class SnmpFailure(Exception):
    """A request that got no useful answer; ``failure`` is the contract's category."""

    def __init__(self, failure: Failure, detail: str, status: str = "") -> None:
        super().__init__(f"{failure}: {detail}")
        self.failure, self.detail = failure, detail
        self.status = status  # the agent's errorStatus name, when it answered with one


def plain(value: Any) -> Value | None:
    """A pysnmp value → int, str (text or dotted OID/IP) or bytes; None for noSuch*/endOfMibView."""
    if isinstance(value, univ.Null):  # NoSuchObject, NoSuchInstance, EndOfMibView are Nulls
        return None
    if isinstance(value, IpAddress):
        return ".".join(str(b) for b in bytes(value))
    if isinstance(value, ObjectIdentifier):
        return str(value)
    if isinstance(value, OctetString):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw  # a MAC address or other binary string
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32
        return int(value)
    return str(value.prettyPrint())


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


def failure_of(indication: Any, device: NetDevice) -> SnmpFailure:
    """pysnmp's errorIndication → the contract's failure with a detail a technician can act on."""
    tries = device.retries + 1
    if isinstance(indication, errind.RequestTimedOut):
        # A wrong community (or v3 privacy key) is dropped silently by agents: it looks like this.
        cause = "wrong v3 privacy key" if device.v3 else "wrong community"
        return SnmpFailure(
            "timeout",
            f"no answer within {device.timeout_s:g} s ({_tries(tries)}) — device down, "
            f"unreachable, or {cause}",
        )
    if isinstance(indication, errind.WrongDigest | errind.AuthenticationFailure):
        return SnmpFailure("auth", f"wrong v3 auth key ({indication})")
    if isinstance(indication, errind.UnknownUserName):
        return SnmpFailure("unknown_user", "the agent does not know this v3 user")
    if isinstance(indication, errind.DecryptionError):
        return SnmpFailure(
            "decrypt", f"cannot decrypt: wrong v3 privacy key or protocol ({indication})"
        )
    return SnmpFailure("error", str(indication))


class SnmpClient:
    """One SnmpEngine for the running loop, shared by all devices; requests bounded per device."""

    def __init__(self, in_flight_per_device: int = 8, max_repetitions: int = 25) -> None:
        self.in_flight_per_device = in_flight_per_device
        self.max_repetitions = max_repetitions
        self._engine: SnmpEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limits: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._targets: dict[tuple[str, int, float, int], Any] = {}

    def open(self) -> None:
        """Create the engine now rather than on the first request; call inside the running loop.

        It blocks the loop once (~0.1 s; ~0.6 s when pysmi is installed, as with snmpsim in dev).
        """
        self._engine_here()

    def _engine_here(self) -> SnmpEngine:
        loop = asyncio.get_running_loop()
        if self._engine is None:
            # Created inside the loop it will serve: an engine used from a second loop hangs
            # without ever timing out.
            engine = SnmpEngine()
            # The first request also builds pysnmp's MIB view (and, with pysmi, a MIB compiler);
            # do it here so that cost is not charged to the first device's timeout.
            CommandGeneratorVarBinds().make_varbinds(
                engine.cache, (ObjectType(ObjectIdentity(oids.SYS_UPTIME)),)
            )
            self._engine, self._loop = engine, loop
        elif self._loop is not loop:
            raise RuntimeError("SnmpClient used from a second event loop; make one per loop")
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            # Answers already read are queued with call_soon; let them run before the engine
            # forgets its transport, or each one logs "Unregistered transport".
            await asyncio.sleep(0)
            self._engine.close_dispatcher()
        self._engine, self._loop = None, None
        self._limits.clear()
        self._targets.clear()

    async def __aenter__(self) -> SnmpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _target(self, device: NetDevice) -> Any:
        key = (device.address, device.port, device.timeout_s, device.retries)
        if key not in self._targets:
            kind = Udp6TransportTarget if ":" in device.address else UdpTransportTarget
            try:
                self._targets[key] = await kind.create(
                    (device.address, device.port), timeout=device.timeout_s, retries=device.retries
                )
            except Exception as exc:  # pysnmp wraps resolver errors in PySnmpError
                raise SnmpFailure("error", f"cannot resolve {device.address}: {exc}") from None
        return self._targets[key]

    @staticmethod
    def _auth(device: NetDevice) -> CommunityData | UsmUserData:
        if v3 := device.v3:
            auth = _AUTH[v3.auth_protocol] if v3.auth_key else usmNoAuthProtocol
            priv = _PRIV.get(v3.priv_protocol) if v3.priv_key else None
            return UsmUserData(
                v3.user,
                authKey=v3.auth_key or None,
                privKey=v3.priv_key if priv else None,
                authProtocol=auth,
                privProtocol=priv or usmNoPrivProtocol,
            )
        if device.community is None:
            raise SnmpFailure("error", "neither a v2c community nor a v3 user is configured")
        return CommunityData(device.community, mpModel=1)

    async def _request(
        self, device: NetDevice, send: Callable[..., Awaitable[tuple[Any, Any, Any, Sequence[Any]]]]
    ) -> Sequence[Any]:
        """One request under the device's in-flight bound; errors become SnmpFailure."""
        engine = self._engine_here()
        key = (device.name, device.address, device.port)
        limit = self._limits.setdefault(key, asyncio.Semaphore(self.in_flight_per_device))
        async with limit:  # queueing for a slot is not part of the device's timeout
            target = await self._target(device)
            budget = device.timeout_s * (device.retries + 1) + _GUARD_MARGIN_S
            try:
                indication, status, index, var_binds = await asyncio.wait_for(
                    send(engine, self._auth(device), target, ContextData()), budget
                )
            except TimeoutError:
                raise failure_of(errind.RequestTimedOut(), device) from None
        if indication:
            raise failure_of(indication, device)
        if status:
            name = status.prettyPrint()
            if name == "authorizationError":
                # v3 user known and keys right, but its security level or view forbids the read
                raise SnmpFailure(
                    "auth",
                    "agent refused access (authorizationError): check the "
                    "v3 user's security level (auth/priv) and view",
                )
            raise SnmpFailure("error", f"agent answered {name} at varbind {int(index)}", name)
        return var_binds

    async def get(self, device: NetDevice, oids: Sequence[str]) -> dict[str, Value]:
        """GET ``oids`` in one request; an OID the agent does not have is left out."""
        objects = [ObjectType(ObjectIdentity(oid)) for oid in oids]
        var_binds = await self._request(
            device, lambda e, a, t, c: get_cmd(e, a, t, c, *objects, lookupMib=False)
        )
        values = {str(name): plain(value) for name, value in var_binds}
        return {oid: value for oid, value in values.items() if value is not None}

    async def walk(
        self, device: NetDevice, root_oid: str, max_rows: int = 512, expect_rows: int = 0
    ) -> list[tuple[str, Value]]:
        """GETBULK from ``root_oid`` while answers stay inside its subtree, at most ``max_rows``.

        ``expect_rows`` (last time's count) sizes the first request: an agent fills every
        repetition, running into the next column, and decoding those is most of the cost.
        """
        rows: list[tuple[str, Value]] = []
        prefix, current = root_oid + ".", root_oid
        count = min(self.max_repetitions, expect_rows + 1) if expect_rows else self.max_repetitions
        while len(rows) < max_rows:
            count, start = min(count, max_rows - len(rows)), current
            var_binds = await self._request(
                device,
                lambda e, a, t, c, s=start, n=count: bulk_cmd(
                    e, a, t, c, 0, n, ObjectType(ObjectIdentity(s)), lookupMib=False
                ),
            )
            for name, value in var_binds:
                oid, converted = str(name), plain(value)
                if not oid.startswith(prefix) or converted is None:
                    return rows  # left the subtree, or endOfMibView
                if len(rows) >= max_rows:
                    return rows
                rows.append((oid, converted))
                current = oid
            if not var_binds or current == start:
                return rows
            if _arcs(current) <= _arcs(start):
                raise SnmpFailure("error", f"agent returned OIDs out of order after {start}")
            count = self.max_repetitions
        return rows


def _arcs(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))
