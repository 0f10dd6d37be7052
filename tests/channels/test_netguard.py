"""The SSRF guard: every non-global address is refused, embedded IPv4 forms included."""

from __future__ import annotations

import pytest

from tgassist.channels.netguard import embedded_ipv4, is_public_address

REFUSED = [
    # IPv4 special-purpose blocks
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("10.0.0.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local / cloud metadata"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.1", "IETF protocol assignments"),
    ("192.0.0.9", "IETF protocol assignments (PCP anycast)"),
    ("192.0.0.170", "NAT64 discovery"),
    ("192.0.2.1", "TEST-NET-1"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.5", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.1", "TEST-NET-2"),
    ("203.0.113.1", "TEST-NET-3"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast (SSDP)"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::a00:1", "IPv4-compatible 10.0.0.1"),
    ("::7f00:1", "IPv4-compatible 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped metadata"),
    ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("100::1", "discard-only"),
    ("2001::1", "Teredo"),
    ("2001:2::1", "benchmarking"),
    ("2001:db8::1", "documentation"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
    ("2002:a00:1::1", "6to4 of 10.0.0.1"),
    ("2002:c0a8:101::1", "6to4 of 192.168.1.1"),
    ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
    ("3fff::1", "documentation (RFC 9637)"),
    ("5f00::1", "SRv6 SIDs (outside 2000::/3)"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local with a zone"),
    ("fec0::1", "site-local (deprecated)"),
    ("feff::1", "site-local (deprecated)"),
    ("ff02::1", "multicast"),
    ("not an address", "garbage"),
]

ALLOWED = [
    ("93.184.216.34", "example.com"),
    ("1.1.1.1", "public"),
    ("192.0.1.1", "just outside 192.0.0.0/24"),
    ("2606:4700:4700::1111", "public IPv6"),
    ("2a00:1450:4010:c05::65", "public IPv6"),
    ("::ffff:93.184.216.34", "IPv4-mapped public"),
    ("64:ff9b::5db8:d822", "NAT64 of a public address"),
    ("2002:5db8:d822::1", "6to4 of a public address"),
]


@pytest.mark.parametrize("ip,why", REFUSED)
def test_non_global_addresses_are_refused(ip: str, why: str) -> None:
    assert is_public_address(ip) is False, why


@pytest.mark.parametrize("ip,why", ALLOWED)
def test_global_unicast_addresses_pass(ip: str, why: str) -> None:
    assert is_public_address(ip) is True, why


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "2002:7f00:1::1"])
def test_loopback_passes_only_when_allowed_and_private_never_does(ip: str) -> None:
    assert is_public_address(ip, allow_loopback=True) is True
    assert is_public_address("10.0.0.1", allow_loopback=True) is False
    assert is_public_address("fe80::1", allow_loopback=True) is False


@pytest.mark.parametrize(
    "ip,inner",
    [
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("2002:7f00:1::1", "127.0.0.1"),
        ("2606:4700:4700::1111", None),
    ],
)
def test_embedded_ipv4_forms_are_unwrapped(ip: str, inner: str | None) -> None:
    import ipaddress

    found = embedded_ipv4(ipaddress.IPv6Address(ip))
    assert (str(found) if found else None) == inner
