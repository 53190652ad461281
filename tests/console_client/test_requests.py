"""Tests dashboard requests end to end: remote and embedded clients asking a real hub to act."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from testday.config.files import DATABASE_FILE
from testday.console_client.embedded import EmbeddedClient
from testday.console_client.remote import RemoteClient
from testday.console_protocol import wire
from testday.console_protocol.client import HubClient
from testday.console_protocol.messages import ConnectionState, DeskChanged, Snapshot
from testday.console_protocol.requests import (
    IncidentAddRequest,
    RequestError,
    SessionActionRequest,
)
from testday.core.sessions import Session
from testday.hub.hub import Hub, HubSettings
from testday.store.database import Store
from testday.store.session_store import SessionStore
from tests.conftest import CONSOLE_TOKEN
from tests.console_client.helpers import Inbox, running


async def plan_session(settings: HubSettings, session_id: str = "s1") -> None:
    """A session planned ahead (as `testday session create` would), before the hub starts."""
    now = time.time()
    store = await Store.open(settings.data_dir / DATABASE_FILE)
    try:
        session = Session(session_id, "Grade 8 ELA", "loopback-test", ("112",), now, now + 3600)
        await SessionStore(store).create(session, now, "planner")
    finally:
        await store.close()


@pytest.fixture
async def planned_hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    await plan_session(hub_settings)
    async with Hub(hub_settings) as hub:
        yield hub


def remote(hub: Hub) -> RemoteClient:
    return RemoteClient(f"ws://127.0.0.1:{hub.port}", CONSOLE_TOKEN, backoff_cap_s=0.2)


def action(name: str) -> SessionActionRequest:
    return SessionActionRequest(session_id="s1", action=name)  # type: ignore[arg-type]


async def connected(client: HubClient, inbox: Inbox) -> Snapshot:
    await inbox.next(ConnectionState, lambda m: m.connected)
    return await inbox.next(Snapshot)


@pytest.mark.parametrize("kind", ["remote", "embedded"])
async def test_a_session_action_is_answered_and_broadcast(planned_hub: Hub, kind: str) -> None:
    """Starting a session from a dashboard returns it started; every dashboard then sees it."""
    client: HubClient = remote(planned_hub) if kind == "remote" else EmbeddedClient(planned_hub)
    inbox = Inbox()
    async with running(client, inbox):
        snapshot = await connected(client, inbox)
        assert [s.state for s in snapshot.sessions if s.id == "s1"] == ["scheduled"]
        answer = await client.request(action("start"), "kim")
        assert answer.session is not None and answer.session.state == "in_progress"
        changed = await inbox.next(DeskChanged, lambda m: any(s.id == "s1" for s in m.sessions))
        assert [s.state for s in changed.sessions if s.id == "s1"] == ["in_progress"]
        assert changed.sessions[0].history[-1].actor == "kim"


async def test_a_refused_request_carries_the_hubs_reason(planned_hub: Hub) -> None:
    """Resuming a session that is not paused is refused with the states that would allow it."""
    client = remote(planned_hub)
    inbox = Inbox()
    async with running(client, inbox):
        await connected(client, inbox)
        with pytest.raises(RequestError, match="resume is allowed only when paused"):
            await client.request(action("resume"), "kim")
        with pytest.raises(RequestError, match="category"):
            ask = IncidentAddRequest(category="weather", subcategory="x", severity="procedural",
                                     room="112", description="snow")  # fmt: skip
            await client.request(ask, "kim")


async def test_requests_in_order_on_one_link(planned_hub: Hub) -> None:
    """Start, pause, resume sent back to back are applied in the order sent."""
    client = remote(planned_hub)
    inbox = Inbox()
    async with running(client, inbox):
        await connected(client, inbox)
        answers = await asyncio.gather(
            *(client.request(action(a), "kim") for a in ("start", "pause", "resume"))
        )
    states = [a.session.state if a.session else None for a in answers]
    assert states == ["in_progress", "paused", "in_progress"]


async def test_a_request_without_a_link_says_so(planned_hub: Hub) -> None:
    """Asking before the link is up fails at once, in plain words, instead of hanging."""
    client = remote(planned_hub)
    with pytest.raises(RequestError, match="not connected to the hub"):
        await client.request(action("start"), "kim")


async def next_reply(ws: ClientConnection) -> wire.Reply:
    while True:  # feed frames may come first
        frame = wire.decode(await asyncio.wait_for(ws.recv(), 5))
        if isinstance(frame, wire.Reply):
            return frame


async def test_a_garbled_request_gets_an_error_reply_and_the_link_lives(planned_hub: Hub) -> None:
    """A frame that is not a request gets an error naming the field; the link stays up."""
    url = f"ws://127.0.0.1:{planned_hub.port}/console"
    headers = {"Authorization": f"Bearer {CONSOLE_TOKEN}"}
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        assert isinstance(wire.decode(await ws.recv()), Snapshot)
        await ws.send('{"type": "request", "v": 2, "id": 5, "ask": {"op": "session.action"}}')
        reply = await next_reply(ws)
        assert reply.id == 5 and not reply.ok and "session_id" in reply.error
        await ws.send('{"type": "request", "v": 2, "id": 6, "actor": "kim", "ask": {"op": "x"}}')
        reply = await next_reply(ws)
        assert reply.id == 6 and not reply.ok
        assert "Invalid value 'x' - at `$.ask.op`" in reply.error
        await ws.send(wire.encode(wire.Request(id=7, actor="kim", ask=action("start"))), text=True)
        reply = await next_reply(ws)  # the link lived: the next good request is answered
        assert reply.id == 7 and reply.ok
