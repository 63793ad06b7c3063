"""Where a webhook may point: the address rules, as a table, with and without an allow-list."""

import asyncio

import pytest

from shared.outbound_addresses import AllowList, RefusedTarget, check_url, resolve_checked

NOTHING_LISTED = AllowList.parse([])
LOCAL_LISTED = AllowList.parse(["127.0.0.1", "10.1.0.0/16", "hooks.corp.local"])


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.0.0.2/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.0.0.7/hook", "private"),
        ("https://172.16.4.1/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fd00::1]/hook", "private"),
        ("https://[::ffff:127.0.0.1]/hook", "IPv4-mapped"),
        ("https://[::ffff:8.8.8.8]/hook", "IPv4-mapped"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://[::]/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://100.64.0.1/hook", "not a public address"),
        ("https://2130706433/hook", "loopback"),  # 127.0.0.1 as one decimal number
        ("https://0177.0.0.1/hook", "loopback"),  # octal
        ("https://0x7f.0.0.1/hook", "loopback"),  # hexadecimal
        ("https://017700000001/hook", "loopback"),  # octal, one number
        ("https://10.1/hook", "private"),  # 10.0.0.1 in inet_aton's short form
    ],
)
def test_a_non_public_address_is_refused(url: str, why: str) -> None:
    with pytest.raises(RefusedTarget, match=why):
        check_url(url, NOTHING_LISTED)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "must be https"),
        ("ftp://93.184.215.14/hook", "https"),
        ("https:///hook", "host"),
        ("https://user:pw@93.184.215.14/hook", "user name"),
        ("https://93.184.215.14:99999/hook", "not a valid URL"),
        ("https://example.com/" + "a" * 2100, "2048"),
    ],
)
def test_a_url_that_is_not_plain_https_is_refused(url: str, why: str) -> None:
    with pytest.raises(RefusedTarget, match=why):
        check_url(url, NOTHING_LISTED)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/hook",
        "https://[2606:4700::1111]/hook",
        "https://hooks.example.com:8443/reportflow",
    ],
)
def test_a_public_https_url_is_accepted(url: str) -> None:
    check_url(url, NOTHING_LISTED)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://10.1.2.3/hook",
        "http://hooks.corp.local/hook",
    ],
)
def test_a_listed_host_ip_or_network_may_be_private_and_plain_http(url: str) -> None:
    check_url(url, LOCAL_LISTED)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.2/hook",  # loopback, but only 127.0.0.1 is listed
        "https://10.2.0.1/hook",  # outside the listed 10.1.0.0/16
        "https://[::ffff:127.0.0.1]/hook",  # 127.0.0.1 is listed, its mapped form is not
        "http://93.184.215.14/hook",  # public but not listed: https only
    ],
)
def test_the_allow_list_opens_only_what_it_lists(url: str) -> None:
    with pytest.raises(RefusedTarget):
        check_url(url, LOCAL_LISTED)


def test_a_host_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(RefusedTarget, match="loopback"):
        asyncio.run(resolve_checked("localhost", 443, NOTHING_LISTED))


def test_a_host_name_resolving_to_a_listed_address_is_accepted() -> None:
    addresses = asyncio.run(resolve_checked("localhost", 443, AllowList.parse(["127.0.0.0/8"])))
    assert [str(address) for address in addresses] == ["127.0.0.1"]


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(RefusedTarget, match="does not resolve"):
        asyncio.run(resolve_checked("no-such-host.invalid", 443, NOTHING_LISTED))


@pytest.mark.parametrize("host", ["a..com", f"{'a' * 64}.example.com", ".x"])
def test_a_host_with_an_empty_or_over_long_label_is_refused_not_crashed_on(host: str) -> None:
    with pytest.raises(RefusedTarget, match="not a valid host name"):
        asyncio.run(resolve_checked(host, 443, NOTHING_LISTED))
