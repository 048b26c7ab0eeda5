"""The time-out's call-back: a JSON POST to a Home Assistant webhook when a time-out is due.

Through Wyoming the coach only ever answers: it cannot start speaking on a satellite. So when a
time-out ends it POSTs to `--call-back-url` (a webhook whose automation has the satellite speak,
docs/home-assistant.md), with the satellite's ids and the words to say. This is the one network
connection the server makes, and only because the user gave the URL: it must be on the local
network (loopback, a private or link-local address, or a local name such as homeassistant.local,
checked again against the address actually connected to), unless --allow-remote-call-back. No
token is sent (Home Assistant's webhooks are local-only by default); nothing the person said is.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.dialogue.content import strip_pauses
from assistant.errors import InputError
from assistant.messages import Reply

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds to connect, send and hear back
LOCAL_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".internal", ".localhost")  # names only a LAN resolves
EVENTS = {"due": "time_out_due", "halfway": "time_out_halfway"}


class CallBackError(Exception):
    """A call-back that could not be made (refused address, no answer, an HTTP error)."""


def local_address(address: str) -> bool:
    """Loopback, private (RFC 1918, IPv6 unique local) or link-local."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_link_local or (ip.is_private and not ip.is_unspecified)


def local_name(host: str) -> bool:
    """A name that only the local network resolves: localhost, NAME.local and the like, or a bare NAME."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(LOCAL_SUFFIXES) or ("." not in host and ":" not in host)


def check_url(url: str, allow_remote: bool = False) -> str:
    """`url` when it can be called back; InputError (one line) otherwise."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise InputError(f"--call-back-url {url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(f"--call-back-url {url!r} must be an http:// or https:// URL with a host, e.g. "
                         "http://homeassistant.local:8123/api/webhook/coach-time-out")
    if parts.username or parts.password:
        raise InputError("--call-back-url must not carry a user name or password (a webhook needs none)")
    if not allow_remote and not (local_address(host) or local_name(host)):
        raise InputError(f"--call-back-url {url!r} is not on the local network (loopback, a private address, or "
                         "a local name such as homeassistant.local); pass --allow-remote-call-back to send it there")
    return url


@dataclass(frozen=True)
class CallBack:
    url: str
    allow_remote: bool = False
    plain_text: bool = False  # "message" without pause marks, as the Handled text
    timeout: float = TIMEOUT  # seconds

    def body(self, ids: dict, reply: Reply, kind: str) -> dict:
        plain = strip_pauses(reply.text)
        return {"event": EVENTS.get(kind, kind), **{k: ids.get(k) for k in ("satellite_id", "device_id",
                                                                            "conversation_id")},
                "message": plain if self.plain_text else reply.text, "message_plain": plain}

    def __call__(self, ids: dict, reply: Reply, kind: str) -> bool:
        """POST the call; True when the webhook took it. Failures are one warning line (no words)."""
        try:
            status = post(self.url, self.body(ids, reply, kind), self.allow_remote, self.timeout)
        except CallBackError as exc:
            log.warning("the time-out call-back to %s failed: %s", _where(self.url), exc)
            return False
        log.info("time-out call-back to %s: HTTP %d", _where(self.url), status)
        return True


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"  # the path of a webhook is its secret: never logged


def post(url: str, body: dict, allow_remote: bool = False, timeout: float = TIMEOUT) -> int:
    """POST `body` as JSON to `url`; the HTTP status (2xx), or CallBackError."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.connect()
        peer = conn.sock.getpeername()[0]
        if not allow_remote and not local_address(peer):
            raise CallBackError(f"{parts.hostname} is {peer}, not on the local network "
                                "(pass --allow-remote-call-back to send it there)")
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=data,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read(65536)
        if not 200 <= response.status < 300:
            raise CallBackError(f"HTTP {response.status} {response.reason}")
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        raise CallBackError(f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
