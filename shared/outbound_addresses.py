"""Where a webhook may point: https, public addresses only, unless WEBHOOK_ALLOWED_HOSTS says so.

Pure rules (`check_url`, `allowed_address`) plus `resolve_checked`, which resolves a host and
checks every address it has; the api applies them when a report is saved, and the notifier
again when it connects, to the very address it checked (no DNS rebinding in between).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_CHARS = 2048


class RefusedTarget(ValueError):
    """The URL or one of the addresses its host resolves to is not allowed."""


@dataclass(frozen=True)
class AllowList:
    """WEBHOOK_ALLOWED_HOSTS, parsed: host names, and networks (an IP is a /32 or /128)."""

    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "AllowList":
        hosts: set[str] = set()
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def lists_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def lists_address(self, address: IpAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class CheckedUrl:
    scheme: str
    host: str
    port: int


def _numeric_host(host: str) -> IpAddress | None:
    """The address a numeric host means, including the forms inet_aton accepts (2130706433,
    0177.0.0.1, 0x7f.1) that a resolver would turn into an address too."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if host and all(char in "0123456789abcdefxABCDEFX." for char in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _refusal(address: IpAddress) -> str | None:
    """Why an address is not a public unicast one, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    for reason, matches in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if matches:
            return f"a {reason} address"
    return None if address.is_global else "not a public address"


def allowed_address(address: IpAddress, allow: AllowList) -> bool:
    return allow.lists_address(address) or _refusal(address) is None


def _check_address(host: str, address: IpAddress, allow: AllowList) -> None:
    reason = None if allow.lists_address(address) else _refusal(address)
    if reason is not None:
        raise RefusedTarget(
            f"{host} is {address}, {reason}; list it in WEBHOOK_ALLOWED_HOSTS to allow it"
        )


def check_url(url: str, allow: AllowList) -> CheckedUrl:
    """The URL's scheme, host and port, or RefusedTarget saying why it may not be used.

    A numeric host is checked here; a host name is checked once resolved (`resolve_checked`).
    """
    if len(url) > MAX_URL_CHARS:
        raise RefusedTarget(f"a URL has at most {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedTarget(f"not a valid URL: {error}") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise RefusedTarget("must be an https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("must not carry a user name or password")
    if parts.scheme == "http" and not host_listed(host, allow):
        raise RefusedTarget(f"must be https (or its host {host} listed in WEBHOOK_ALLOWED_HOSTS)")
    numeric = _numeric_host(host)
    if numeric is not None:
        _check_address(host, numeric, allow)
    return CheckedUrl(parts.scheme, host, port or (443 if parts.scheme == "https" else 80))


def host_listed(host: str, allow: AllowList) -> bool:
    """WEBHOOK_ALLOWED_HOSTS names the host, or (a numeric host) covers its address."""
    numeric = _numeric_host(host)
    return allow.lists_host(host) or (numeric is not None and allow.lists_address(numeric))


async def resolve_checked(host: str, port: int, allow: AllowList) -> list[IpAddress]:
    """Every address `host` resolves to, all of them allowed; RefusedTarget otherwise.

    A host listed by name is trusted with whatever it resolves to: the operator vouched for it.
    """
    numeric = _numeric_host(host)
    if numeric is not None:
        _check_address(host, numeric, allow)
        return [numeric]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError as error:
        raise RefusedTarget(f"{host} does not resolve: {error}") from None
    except UnicodeError:  # the IDNA codec refuses an empty or over-long label ("a..com")
        raise RefusedTarget(f"{host} is not a valid host name") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise RefusedTarget(f"{host} does not resolve")
    if not allow.lists_host(host):
        for address in addresses:
            _check_address(host, address, allow)
    return addresses
