"""The client's address: REMOTE_ADDR, unless it is one of our own reverse proxies.

X-Forwarded-For is written by clients as well as proxies, so it is believed only as far as it was
written by a proxy in SMM_TRUSTED_PROXIES: each trusted proxy appends the address it heard from,
so walking from the right, the first address that is not a trusted proxy is the client.
"""

from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.http import HttpRequest


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.SMM_TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    address = _parse(remote)
    if address is None or not _trusted(address):
        return remote
    client = str(address)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parse(hop)
        if address is None:
            # Garbage where a trusted proxy should have written an address: the last hop we
            # can vouch for stands in for the client.
            break
        client = str(address)
        if not _trusted(address):
            break
    return client
