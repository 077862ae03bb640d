"""The client's address: REMOTE_ADDR, or what the trusted proxies wrote, never what the client wrote."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tanfang.core.client_ip import client_ip, parse_ip

PROXY = "10.0.0.2"  # the reverse proxy, as the application sees it


def _request(remote: str = PROXY, **headers: str):
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


@pytest.fixture
def behind_proxies(settings):
    def configure(header: str, count: int = 1) -> None:
        settings.TANFANG_CLIENT_IP_HEADER = header
        settings.TANFANG_TRUSTED_PROXY_COUNT = count

    return configure


# --- no header configured ---------------------------------------------------------------


def test_without_a_configured_header_the_peer_is_the_client(settings):
    settings.TANFANG_CLIENT_IP_HEADER = ""

    request = _request("203.0.113.7", **{"X-Forwarded-For": "198.51.100.1", "X-Real-IP": "198.51.100.2"})

    assert client_ip(request) == "203.0.113.7"


def test_a_remote_addr_that_is_no_address_gives_none(settings):
    settings.TANFANG_CLIENT_IP_HEADER = ""

    assert client_ip(_request("")) is None
    assert client_ip(_request("unix:/run/gunicorn.sock")) is None


# --- X-Real-IP ------------------------------------------------------------------------------


def test_x_real_ip_names_the_client(behind_proxies):
    behind_proxies("X-Real-IP")

    assert client_ip(_request(**{"X-Real-IP": "203.0.113.7"})) == "203.0.113.7"


def test_the_header_name_is_matched_whatever_its_case(behind_proxies):
    behind_proxies("x-real-ip")

    assert client_ip(_request(**{"X-Real-IP": " 203.0.113.7 "})) == "203.0.113.7"


def test_x_real_ip_ignores_the_forwarded_for_list(behind_proxies):
    behind_proxies("X-Real-IP")

    request = _request(**{"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "1.1.1.1, 2.2.2.2"})

    assert client_ip(request) == "203.0.113.7"


@pytest.mark.parametrize("value", ["", "   ", "unknown", "203.0.113.7, 198.51.100.1", "203.0.113.300", "<script>"])
def test_a_missing_or_malformed_x_real_ip_falls_back_to_the_peer(behind_proxies, value):
    behind_proxies("X-Real-IP")

    assert client_ip(_request(**{"X-Real-IP": value})) == PROXY


def test_no_header_at_all_falls_back_to_the_peer(behind_proxies):
    behind_proxies("X-Real-IP")

    assert client_ip(_request()) == PROXY


# --- X-Forwarded-For ------------------------------------------------------------------------


def test_one_trusted_proxy_takes_the_right_most_entry(behind_proxies):
    behind_proxies("X-Forwarded-For", 1)

    assert client_ip(_request(**{"X-Forwarded-For": "203.0.113.7"})) == "203.0.113.7"


def test_addresses_the_client_put_in_front_are_ignored(behind_proxies):
    # given a client that sent "X-Forwarded-For: 127.0.0.1, 10.9.9.9"; the proxy appended what it saw
    behind_proxies("X-Forwarded-For", 1)

    request = _request(**{"X-Forwarded-For": "127.0.0.1, 10.9.9.9, 203.0.113.7"})

    # then the spoofed entries count for nothing
    assert client_ip(request) == "203.0.113.7"


def test_two_trusted_proxies_take_the_second_entry_from_the_right(behind_proxies):
    # given a load balancer (saw the client) in front of nginx (saw the load balancer)
    behind_proxies("X-Forwarded-For", 2)

    request = _request(**{"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.0.0.1"})

    # then the address the load balancer saw, not the one the client wrote
    assert client_ip(request) == "203.0.113.7"


def test_a_list_shorter_than_the_trusted_proxies_falls_back_to_the_peer(behind_proxies):
    behind_proxies("X-Forwarded-For", 3)

    assert client_ip(_request(**{"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})) == PROXY


def test_a_trusted_proxy_count_below_one_counts_as_one(behind_proxies):
    behind_proxies("X-Forwarded-For", 0)

    assert client_ip(_request(**{"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})) == "203.0.113.7"


@pytest.mark.parametrize(
    "value",
    [
        "",
        ",",
        "203.0.113.7, ",  # the trusted entry is empty
        "203.0.113.7, garbage",
        "203.0.113.7, 203.0.113.8:443",  # a port is not an address
        "203.0.113.7, 203.0.113.0/24",
        "203.0.113.7, localhost",
        "203.0.113.7, 999.1.1.1",
        "203.0.113.7, fe80::1%eth0",  # a zone is not storable
        "1.1.1.1, " * 2000 + "203.0.113.7",  # far longer than proxies write
    ],
)
def test_a_malformed_trusted_entry_falls_back_to_the_peer_never_to_an_earlier_one(behind_proxies, value):
    behind_proxies("X-Forwarded-For", 1)

    assert client_ip(_request(**{"X-Forwarded-For": value})) == PROXY


def test_ipv6_entries_are_read_and_normalised(behind_proxies):
    behind_proxies("X-Forwarded-For", 1)

    request = _request(**{"X-Forwarded-For": "2001:db8::dead, 2001:DB8:0:0:0:0:0:7"})

    assert client_ip(request) == "2001:db8::7"


def test_an_ipv6_peer_without_a_header_is_the_client(behind_proxies):
    behind_proxies("X-Forwarded-For", 1)

    assert client_ip(_request("2001:db8::1")) == "2001:db8::1"


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_address(behind_proxies):
    behind_proxies("X-Forwarded-For", 1)

    assert client_ip(_request(**{"X-Forwarded-For": "::ffff:203.0.113.7"})) == "203.0.113.7"


# --- parse_ip ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1\t", "192.0.2.1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::1", "::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("192.0.2.01", None),  # leading zeros are ambiguous (octal to some parsers)
        ("192.0.2", None),
        ("[2001:db8::1]", None),
        ("fe80::1%eth0", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_ip_accepts_exactly_one_address(text, expected):
    assert parse_ip(text) == expected
