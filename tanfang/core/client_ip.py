"""The address of the client behind a request: THE one place that reads it.

Without configuration it is REMOTE_ADDR, the peer that opened the connection. Behind a reverse proxy
that peer is the proxy, so a deployment names the header its proxy sets
(`TANFANG_CLIENT_IP_HEADER`):

- "X-Real-IP" (or any other single-address header): the address the proxy put there.
- "X-Forwarded-For": a list every proxy appends to, left to right. The client can send the header
  itself with whatever it likes in it, so only the entries the trusted proxies appended count: with
  `TANFANG_TRUSTED_PROXY_COUNT` = N proxies in front of the application, the N-th entry from the
  right is the address the outermost trusted proxy saw. Entries to its left are never used.

A header that is missing, too short for the trusted proxies or not an IP address falls back to
REMOTE_ADDR. Only proxies the deployment controls may reach the application directly; otherwise a
client can send the header straight to it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

FORWARDED_FOR = "x-forwarded-for"
MAX_HEADER_LENGTH = 4096  # a longer list is not one proxies wrote: ignore it


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's IP address (normalised), or None when not even REMOTE_ADDR is one."""
    remote = parse_ip(request.META.get("REMOTE_ADDR", ""))
    header = settings.TANFANG_CLIENT_IP_HEADER.strip()
    if not header:
        return remote
    value = request.headers.get(header, "")
    if not value or len(value) > MAX_HEADER_LENGTH:
        return remote
    if header.lower() == FORWARDED_FOR:
        value = _seen_by_outermost_trusted_proxy(value)
    return parse_ip(value) or remote


def _seen_by_outermost_trusted_proxy(forwarded_for: str) -> str:
    """The N-th entry from the right of an X-Forwarded-For list, or "" when there are fewer."""
    trusted = max(1, settings.TANFANG_TRUSTED_PROXY_COUNT)
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    if len(entries) < trusted:
        return ""
    return entries[-trusted]


def parse_ip(text: str | None) -> str | None:
    """Return `text` as a normalised IP address, or None if it is not exactly one.

    IPv6 is written compressed and lower-case; an IPv4 address mapped into IPv6 ("::ffff:1.2.3.4")
    is the IPv4 address, so one client counts as one. A zone ("fe80::1%eth0"), a port, a network or
    a host name is not an address.
    """
    text = (text or "").strip()
    if not text or len(text) > 45:  # the longest textual IPv6 address
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)
