"""Provides the hub's plain-HTTP routes and the authentication of websocket upgrades."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from weakref import WeakKeyDictionary

import msgspec
from testday_agent.protocol import AGENT_PATH, DEVICE_HEADER
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from testday.console_protocol.network_views import NetworkReport
from testday.hub.agent_link import AgentPrincipal
from testday.hub.hub_views import HubViews
from testday.hub.limits import FailureLimiter, TokenBucket
from testday.hub.metrics import HubMetrics
from testday.hub.secrets import HubSecrets, key_matches

DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
CONSOLE_PATH = "/console"


def respond(
    status: int,
    body: str | bytes,
    content_type: str = "text/plain; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
) -> Response:
    data = body.encode() if isinstance(body, str) else body
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(data)))])
    for name, value in extra or []:
        headers[name] = value
    return Response(status, HTTPStatus(status).phrase, headers, data)


def json_response(status: int, payload: object) -> Response:
    """Views and plain values alike, as msgspec encodes them."""
    return respond(status, msgspec.json.encode(payload), "application/json")


def host_of(conn: ServerConnection) -> str:
    """The remote address without its port: one client's many sockets count as one."""
    address = conn.remote_address
    return str(address[0]) if isinstance(address, tuple) and address else str(address)


def bearer(request: Request) -> str | None:
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class HttpRoutes:
    """Answers /healthz, /metrics and /api/*, and vets agent upgrades before any frame."""

    def __init__(
        self,
        views: HubViews,
        secrets: HubSecrets,
        key_hash_of: Callable[[str], str | None],
        handshakes: TokenBucket,
        failures: FailureLimiter,
        metrics: HubMetrics,
        metrics_text: Callable[[], str],
    ) -> None:
        self.views = views
        self.secrets = secrets
        self.key_hash_of = key_hash_of  # a known device's stored key hash
        self.handshakes = handshakes
        self.failures = failures  # failed agent handshakes, per address
        self.metrics = metrics
        self.metrics_text = metrics_text
        # Who each agent upgrade authenticated as, until its handler takes it.
        self._principals: WeakKeyDictionary[ServerConnection, AgentPrincipal] = WeakKeyDictionary()

    def principal(self, conn: ServerConnection) -> AgentPrincipal | None:
        """The device an agent connection's upgrade was vetted for (None: not an agent's)."""
        return self._principals.pop(conn, None)

    def process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        path = url.path.rstrip("/") or "/"
        if path == "/healthz":
            return respond(200, "ok\n")
        if path == "/metrics":
            return respond(200, self.metrics_text(), "text/plain; version=0.0.4")
        if path.startswith("/api/"):
            if not self._is_operator(request):
                return self._unauthorized("operator secret required (Authorization: Bearer …)")
            return self._api(path, parse_qs(url.query))
        if path == AGENT_PATH:
            return self._vet_agent(conn, request)
        if path == CONSOLE_PATH:
            if not self._is_operator(request):
                return self._unauthorized("operator secret required")
            return None
        return respond(404, f"no such path: {path}\n")

    def _api(self, path: str, query: dict[str, list[str]]) -> Response:
        views = self.views
        if path == "/api/devices":
            room = query.get("room", [None])[0]
            return json_response(200, views.devices(room=room))
        if path == "/api/sessions":
            return json_response(200, views.sessions())
        if path == "/api/incidents":
            return json_response(200, views.incidents())
        if path == "/api/network":
            return json_response(
                200,
                NetworkReport(
                    devices=tuple(views.network_devices()),
                    rooms=tuple(views.network_rooms()),
                    trap_port=views.trap_port,
                ),
            )
        return json_response(404, {"error": f"no such endpoint: {path}"})

    def _vet_agent(self, conn: ServerConnection, request: Request) -> Response | None:
        """Credentials first, checked cheaply, then the hub-wide budget: an address that keeps
        failing is turned away on its own and never spends what honest devices need."""
        address = host_of(conn)
        if self.failures.blocked(address):
            self.metrics.handshakes_rejected["address_failing"] += 1
            return respond(
                429,
                "too many failed attempts from this address; wait and check the credential\n",
                extra=[("Retry-After", "10")],
            )
        vetted = self._principal(request)
        if isinstance(vetted, Response):
            self.failures.failed(address)
            return vetted
        if not self.handshakes.allow():
            self.metrics.handshakes_rejected["rate_limited"] += 1
            return respond(
                503, "too many connections at once; retry shortly\n", extra=[("Retry-After", "2")]
            )
        self._principals[conn] = vetted
        return None

    def _principal(self, request: Request) -> AgentPrincipal | Response:
        """Who the upgrade authenticates as, or the response refusing it."""
        rejected = self.metrics.handshakes_rejected
        device_id = request.headers.get(DEVICE_HEADER, "")
        if not DEVICE_ID.match(device_id):
            rejected["bad_device_id"] += 1
            return respond(400, f"missing or malformed {DEVICE_HEADER} header\n")
        token = bearer(request)
        if token is None:
            rejected["no_credential"] += 1
            return self._unauthorized("agent credential required (Authorization: Bearer …)")
        if self.secrets.is_agent_token(token):
            return AgentPrincipal(device_id, enrolling=True)
        if key_matches(token, self.key_hash_of(device_id)):
            return AgentPrincipal(device_id, enrolling=False)
        rejected["bad_credential"] += 1
        return self._unauthorized("credential not valid for this device")

    def _is_operator(self, request: Request) -> bool:
        token = bearer(request)
        return token is not None and self.secrets.is_console_token(token)

    @staticmethod
    def _unauthorized(message: str) -> Response:
        return respond(401, message + "\n", extra=[("WWW-Authenticate", 'Bearer realm="testday"')])
