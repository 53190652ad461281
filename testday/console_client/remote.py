"""Provides the remote hub client: the /console websocket, reconnecting by itself."""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import random
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from testday.console_protocol import wire
from testday.console_protocol.messages import ConnectionState, HubMessage, Sink
from testday.console_protocol.requests import Answer, HubRequest, RequestError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
# A request waits at most this long: an fsynced append takes milliseconds, a hub that does not
# answer in this time is as good as gone, and the operator must hear so rather than wait.
REQUEST_TIMEOUT_S = 15.0
CONSOLE_PATH = "/console"
_REFUSED = f"[Errno {errno.ECONNREFUSED}]"
_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}


def console_url(address: str) -> str:
    """ws://, wss://, http://, https:// or host[:port] → the hub's /console websocket URL."""
    address = address.strip()
    if "://" not in address:
        address = f"ws://{address}"
    parts = urlsplit(address)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError(f"not a hub address: {address!r} (use ws://host:port or host:port)")
    if not parts.hostname:
        raise ValueError(f"not a hub address: {address!r} (no host)")
    netloc = parts.netloc if parts.port or scheme == "wss" else f"{parts.netloc}:{DEFAULT_PORT}"
    path = parts.path if parts.path.rstrip("/") else CONSOLE_PATH
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def full_jitter(attempt: int, cap: float, base: float = 0.25) -> float:
    """A restarted hub sees its dashboards return spread out, not all at once."""
    return random.uniform(0, min(cap, base * 2**attempt))


class RemoteClient:
    """Reads a hub over the network; delivers ConnectionState on every change of link."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        backoff_cap_s: float = 10.0,
        open_timeout_s: float = 10.0,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.url = console_url(url)
        self.description = self.url
        self._token = token
        self._backoff_cap_s = backoff_cap_s
        self._open_timeout_s = open_timeout_s
        self._ws: ClientConnection | None = None
        self._request_timeout_s = request_timeout_s
        self._closed = False
        self._last_state: ConnectionState | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[wire.Reply]] = {}

    async def run(self, sink: Sink) -> None:
        """Connect, deliver a Snapshot, then changes; reconnect on loss. Returns after close()."""
        self._last_state = None
        attempt = 0
        while not self._closed:
            detail = await self._session(sink)
            if self._closed:
                break
            if detail is None:  # we had a working link: try again at once
                attempt = 0
                detail = f"connection lost to {self.url}"
            self._deliver(sink, ConnectionState(False, detail))
            await asyncio.sleep(full_jitter(attempt, self._backoff_cap_s))
            attempt += 1

    async def request(self, ask: HubRequest, actor: str) -> Answer:
        """Send one request over the live link and wait for the hub's reply."""
        ws = self._ws
        if ws is None:
            raise RequestError(f"not connected to the hub at {self.url}; try again when it is")
        request_id = next(self._ids)
        reply: asyncio.Future[wire.Reply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = reply
        try:
            frame = wire.Request(id=request_id, actor=actor, ask=ask)
            await ws.send(wire.encode(frame), text=True)
            answer = await asyncio.wait_for(reply, self._request_timeout_s)
        except ConnectionClosed:
            raise RequestError(f"connection lost to {self.url} before the hub answered") from None
        except TimeoutError:
            raise RequestError(
                f"the hub at {self.url} did not answer within {self._request_timeout_s:g} s; "
                "check the incident or session list before trying again"
            ) from None
        finally:
            self._waiting.pop(request_id, None)
        if not answer.ok:
            raise RequestError(answer.error)
        return answer.answer

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            await self._ws.close()

    async def _session(self, sink: Sink) -> str | None:
        """One connection; returns why it could not connect, or None once it had connected."""
        try:
            ws = await connect(
                self.url,
                additional_headers={"Authorization": f"Bearer {self._token}"},
                # Snapshots of thousands of devices are megabytes; the hub is trusted here.
                max_size=None,
                open_timeout=self._open_timeout_s,
                close_timeout=2,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                return f"operator secret refused (HTTP 401) by {self.url}"
            return f"hub at {self.url} refused the console (HTTP {status})"
        except TimeoutError:
            return f"hub unreachable at {self.url}: no answer within {self._open_timeout_s:g} s"
        except OSError as exc:
            # "localhost" tries ::1 and 127.0.0.1; asyncio then folds both refusals into one
            # OSError without an errno.
            if isinstance(exc, ConnectionRefusedError) or _REFUSED in str(exc):
                return f"hub unreachable at {self.url}: connection refused"
            return f"hub unreachable at {self.url}: {exc.strerror or exc}"
        except InvalidURI as exc:
            return f"not a hub address: {exc}"
        except Exception as exc:  # a handshake a hub would never send, a proxy in the way
            return f"hub unreachable at {self.url}: {exc}"
        self._ws = ws
        try:
            self._deliver(sink, ConnectionState(True, f"connected to {self.url}"))
            while True:
                raw = await ws.recv(decode=False)
                try:
                    message = wire.decode(raw)
                except wire.WireError as exc:
                    # A hub of another version: say so rather than show a half-understood fleet.
                    await ws.close(1003, "unreadable frame")
                    return f"hub at {self.url} sent a frame this console cannot read: {exc}"
                if isinstance(message, wire.Reply):
                    waiting = self._waiting.get(message.id)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(message)
                    continue
                self._deliver(sink, message)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == 1001:
                return f"connection lost to {self.url}: hub going away"
            return None
        except Exception as exc:
            log.exception("console link to %s failed", self.url)
            return f"connection lost to {self.url}: {exc}"
        finally:
            self._ws = None
            for waiting in self._waiting.values():
                if not waiting.done():
                    waiting.set_exception(
                        RequestError(f"connection lost to {self.url} before the hub answered")
                    )
            await ws.close()

    def _deliver(self, sink: Sink, message: HubMessage) -> None:
        if isinstance(message, ConnectionState):
            if message == self._last_state:
                return  # one "unreachable" for a run of failed retries, not one per attempt
            self._last_state = message
        try:
            sink(message)
        except Exception:
            # The dashboard's fault, not the link's: keep the link alive and say so in the log.
            log.exception("dashboard failed to take %s", type(message).__name__)
