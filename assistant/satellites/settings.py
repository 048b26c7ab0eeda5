"""The Wyoming server's settings (`assistant serve`), one field per flag, and where it listens."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.errors import InputError

DEFAULT_URI = "tcp://127.0.0.1:10900"
DEFAULT_ZEROCONF_NAME = "coach"


@dataclass(frozen=True)
class ServeSettings:
    uri: str = DEFAULT_URI  # tcp://HOST:PORT, unix://PATH or stdio://
    zeroconf: str | None = None  # name advertised as _wyoming._tcp over mDNS; None = not advertised
    session_idle: float = 1800.0  # seconds a satellite's session is kept after its last turn
    max_sessions: int = 200  # satellites remembered at once; the least recently heard is forgotten first
    max_connections: int = 256  # connections served at once; one more gets an Error event and is closed
    connection_timeout: float = 30.0  # seconds a connection may stay silent before it is closed
    plain_text: bool = False  # answer without pause marks (for a pipeline whose voice is not the coach's)
    turn_workers: int = 2  # threads matching and answering turns (onnxruntime releases the GIL)


@dataclass(frozen=True)
class Address:
    scheme: str  # "tcp" | "unix" | "stdio"
    host: str | None = None  # tcp only
    port: int | None = None  # tcp only; 0 = any free port
    path: str | None = None  # unix only

    def __str__(self) -> str:
        if self.scheme == "tcp":
            host = f"[{self.host}]" if ":" in (self.host or "") else self.host
            return f"tcp://{host}:{self.port}"
        return f"unix://{self.path}" if self.scheme == "unix" else "stdio://"

    @property
    def loopback(self) -> bool:
        """Whether only this machine can connect (a unix socket or stdio count as such)."""
        if self.scheme != "tcp":
            return True
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def unspecified(self) -> bool:
        """Listening on every interface (0.0.0.0 or ::)."""
        try:
            return self.scheme == "tcp" and ipaddress.ip_address(self.host).is_unspecified
        except ValueError:
            return False


def parse_uri(uri: str) -> Address:
    """tcp://HOST:PORT, unix://PATH or stdio:// (as the Wyoming services take them); InputError otherwise."""
    try:
        parts = urlsplit(uri)
        port = parts.port if parts.scheme == "tcp" else None
    except ValueError as exc:
        raise InputError(f"--uri {uri!r} is not a URI ({exc}); give e.g. {DEFAULT_URI}") from None
    if parts.scheme == "tcp":
        if not parts.hostname or port is None:
            raise InputError(f"--uri {uri!r} needs a host and a port, e.g. {DEFAULT_URI}")
        return Address("tcp", parts.hostname, port)
    if parts.scheme == "unix":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise InputError(f"--uri {uri!r} needs a socket path, e.g. unix:///run/assistant.sock")
        return Address("unix", path=path)
    if parts.scheme == "stdio":
        return Address("stdio")
    raise InputError(f"--uri {uri!r}: only tcp://HOST:PORT, unix://PATH and stdio:// are served")
