"""Being found: `--zeroconf [NAME]` advertises the server as `_wyoming._tcp` over mDNS, as wyoming-piper
and wyoming-satellite do (wyoming.zeroconf.HomeAssistantZeroconf), so Home Assistant offers to add it.

mDNS needs the optional `zeroconf` package (`pip install 'assistant[zeroconf]'`); without it the
flag fails at once with one line. It only makes sense for a server other machines can reach: a tcp
URI on a host that is not loopback. On 0.0.0.0 (every interface) the address advertised is the one
this machine reaches the local network from."""

from __future__ import annotations

import importlib.util
import ipaddress
import logging

from assistant.errors import InputError
from assistant.satellites.settings import Address

log = logging.getLogger(__name__)


def check(address: Address) -> None:
    """InputError (one line) when --zeroconf cannot work here; checked before anything is loaded."""
    if address.scheme != "tcp":
        raise InputError(f"--zeroconf advertises a tcp:// server; --uri {address} is not one")
    if address.loopback:
        raise InputError(f"--zeroconf would tell other machines about a server they cannot reach: {address} "
                         "listens on this machine only; listen on the network, e.g. --uri tcp://0.0.0.0:10900 "
                         "(Wyoming has no password or encryption: see docs/home-assistant.md)")
    if importlib.util.find_spec("zeroconf") is None:
        raise InputError("--zeroconf needs the zeroconf package, which is not installed; run "
                         ".venv/bin/pip install 'zeroconf>=0.88,<1' (the [zeroconf] extra), or leave out --zeroconf "
                         "and add the server in Home Assistant by host and port")


async def advertise(name: str, address: Address):
    """Register `name` for `address` over mDNS; the registration (kept alive with the process)."""
    check(address)
    from wyoming.zeroconf import HomeAssistantZeroconf

    registration = HomeAssistantZeroconf(port=address.port, name=name, host=_ipv4(address.host))
    await registration.register_server()
    log.info("advertised as %s._wyoming._tcp.local. on %s:%s", name, registration.host, address.port)
    return registration


def _ipv4(host: str | None) -> str | None:
    """The host to advertise when it is a specific IPv4 address; None lets the address be found."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    return str(ip) if ip.version == 4 and not ip.is_unspecified else None
