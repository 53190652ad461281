"""Provides the /console websocket's codec: versioned JSON frames, decoded strictly."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from testday.console_protocol.messages import FeedMessage, Frame
from testday.console_protocol.requests import Answer, HubRequest

T = TypeVar("T")


class WireError(ValueError):
    """A /console frame that does not decode or validate; the message names the field at fault."""


class Request(Frame, tag="request"):
    """A console asking the hub to act, answered by a Reply with the same ``id``."""

    id: int
    actor: str  # who asks: the hub writes it into the session or incident log
    ask: HubRequest


class Reply(Frame, tag="reply"):
    """The hub's answer to one Request: ``answer`` when ok, else ``error`` for the operator."""

    id: int
    ok: bool
    answer: Answer = msgspec.field(default_factory=Answer)
    error: str = ""


class _Numbered(msgspec.Struct):
    id: int = 0


_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[FeedMessage | Reply] = msgspec.json.Decoder(FeedMessage | Reply)
_request_decoder = msgspec.json.Decoder(Request)
_number_decoder = msgspec.json.Decoder(_Numbered)


def encode(frame: FeedMessage | Request | Reply) -> bytes:
    """One UTF-8 JSON text frame."""
    return _encoder.encode(frame)


def decode(data: bytes | str) -> FeedMessage | Reply:
    """Decode a frame from the hub; raises WireError naming the bad field."""
    return _decode(_decoder, data, "console frame")


def decode_request(data: bytes | str) -> Request:
    """Decode a frame a console sent; raises WireError naming the bad field."""
    return _decode(_request_decoder, data, "request frame")


def _decode(decoder: msgspec.json.Decoder[T], data: bytes | str, what: str) -> T:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise WireError(f"invalid {what}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise WireError(f"{what} is not JSON: {exc}") from None


def request_id(data: bytes | str) -> int:
    """The id of a request that did not decode, so its error still reaches whoever waits on it;
    0 when not even that can be read."""
    try:
        return _number_decoder.decode(data).id
    except (msgspec.ValidationError, msgspec.DecodeError):
        return 0
