"""Reading Wyoming events within limits: an event line, its data and its payload each have a
byte budget, so a client cannot make the server hold a gigabyte (wyoming's own reader trusts the
lengths it is sent). `BadEvent` says what was wrong, as the code of the Error event sent back."""

from __future__ import annotations

import asyncio
import json

from wyoming.event import Event

MAX_LINE = 64 * 1024  # bytes of an event's JSON line
MAX_DATA = 256 * 1024  # bytes of an event's extra data (a Transcript's text travels there)
MAX_PAYLOAD = 1024 * 1024  # bytes of an event's payload (audio; this server takes none)


class BadEvent(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


def _length(header: dict, key: str, limit: int) -> int:
    value = header.get(key) or 0
    if not isinstance(value, int) or value < 0:
        raise BadEvent("bad-event", f"{key} is not a byte count")
    if value > limit:
        raise BadEvent("too-long", f"{key} {value:,} is over this server's {limit:,} bytes")
    return value


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, within this server's limits (BadEvent otherwise); None when the client is gone."""
    try:
        line = await reader.readline()
    except ValueError:  # a line over the reader's limit
        raise BadEvent("too-long", f"an event line over {MAX_LINE:,} bytes") from None
    if not line:
        return None
    try:
        header = json.loads(line)
    except ValueError:
        raise BadEvent("bad-event", "an event line that is not JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise BadEvent("bad-event", "an event without a type")
    data = header.get("data") or {}
    data_length, payload_length = _length(header, "data_length", MAX_DATA), _length(header, "payload_length", MAX_PAYLOAD)
    try:
        if data_length:
            extra = json.loads(await reader.readexactly(data_length))
            if not isinstance(extra, dict) or not isinstance(data, dict):
                raise BadEvent("bad-event", "event data that is not a JSON object")
            data = {**data, **extra}
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        return None  # gone mid-event
    except (ValueError, UnicodeDecodeError):
        raise BadEvent("bad-event", "event data that is not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("bad-event", "event data that is not a JSON object")
    return Event(type=header["type"], data=data, payload=payload)
