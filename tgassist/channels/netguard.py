"""The crawler's SSRF guard: which IP addresses a fetch may connect to.

Only globally routable unicast addresses pass. The tables are explicit (IANA special-purpose
registries) rather than Python's `is_global`, whose answer changes between Python releases and
which judges 6to4 (`2002::/16`), site-local (`fec0::/10`) and `192.0.0.0/24` public on 3.11.
IPv6 forms that carry an IPv4 address inside (IPv4-mapped, NAT64, 6to4) are judged by that IPv4
address, so `2002:7f00:1::1` is 127.0.0.1 and `::ffff:10.0.0.1` is 10.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from tgassist.channels.crawl_errors import BlockedURL, CrawlError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# IANA IPv4 special-purpose registry: nothing here is reachable on the public internet for us.
V4_BLOCKED = _nets(
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local (cloud metadata lives here)
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments (whole block, incl. DS-Lite, NAT64 discovery)
    "192.0.2.0/24",  # TEST-NET-1
    "192.31.196.0/24",  # AS112
    "192.52.193.0/24",  # AMT
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "192.168.0.0/16",  # private
    "192.175.48.0/24",  # AS112 direct delegation
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
)
V4_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

# Only 2000::/3 holds global unicast; inside it these blocks are special-purpose.
V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
V6_BLOCKED = _nets(
    "2001::/23",  # IETF protocol assignments (Teredo 2001::/32, benchmarking, ORCHID …)
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation (RFC 9637)
    "2620:4f:8000::/48",  # AS112
)
V6_6TO4 = ipaddress.ip_network("2002::/16")  # 2002:AABB:CCDD::/48 = IPv4 AA.BB.CC.DD
V6_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix, IPv4 in the low 32 bits


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), or None."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in V6_NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    return None


def parse_address(ip: str) -> IPAddress:
    """An address from a resolver answer, without an IPv6 zone (`fe80::1%eth0`)."""
    return ipaddress.ip_address(ip.split("%", 1)[0])


def is_public_address(ip: str | IPAddress, allow_loopback: bool = False) -> bool:
    """True only for globally routable unicast addresses; embedded IPv4 forms are judged as IPv4."""
    try:
        addr = parse_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            return False  # a zone only makes sense for link-local and other scoped addresses
        inner = embedded_ipv4(addr)
        if inner is not None:
            return is_public_address(inner, allow_loopback)
        if addr == ipaddress.IPv6Address("::1"):
            return allow_loopback
        if addr not in V6_GLOBAL_UNICAST or any(addr in net for net in V6_BLOCKED):
            return False
        return addr.is_global
    if addr in V4_LOOPBACK:
        return allow_loopback
    if any(addr in net for net in V4_BLOCKED):
        return False
    return addr.is_global


async def resolve_public(host: str, port: int, allow_loopback: bool = False) -> str:
    """Resolve `host`; the address to connect to, or BlockedURL if any answer is not public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        reason = err.strerror if isinstance(err, socket.gaierror) else "not a valid host name"
        raise CrawlError(f"cannot resolve {host}: {reason or err}") from err
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise CrawlError(f"cannot resolve {host}")
    bad = [a for a in addresses if not is_public_address(a, allow_loopback)]
    if bad:  # one private answer is enough to refuse: rebinding tricks mix them
        raise BlockedURL(f"{host} resolves to a non-public address ({bad[0]}); refused")
    return addresses[0]


__all__ = ["embedded_ipv4", "is_public_address", "parse_address", "resolve_public"]
