"""Common infrastructure is no correlation term by itself (issue 8): a platform's host, a
shared-hosting suffix, a public resolver; what is specific on the platform still is."""

from __future__ import annotations

import pytest

from ozara.core.common_terms import (
    PLATFORMS,
    PUBLIC_RESOLVERS,
    SHARED_HOSTS,
    common_domain,
    common_url,
    is_common,
)
from ozara.core.correlation import DOMAIN_PARENT, FILE
from ozara.core.identifiers import domain, ip


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("domain", "t.me"),
        ("domain", "www.instagram.com"),  # every name under a platform is the platform's
        ("domain", "m.vk.com"),
        ("domain", "docs.google.com"),
        ("domain", "gmail.com"),
        ("domain", "github.io"),  # a shared-hosting suffix itself
        ("domain", "com.kz"),
        (DOMAIN_PARENT, "instagram.com"),
        (DOMAIN_PARENT, "github.io"),
        ("url", "https://t.me/"),
        ("url", "https://t.me"),
        ("url", "https://www.instagram.com:443/"),
        ("url", "http://8.8.8.8/"),
        ("url", "https://[2001:4860:4860:0::8888]/"),
        ("ip", "8.8.8.8"),
        ("ip", "1.1.1.1"),
        ("ip", "2606:4700:4700::1111"),
        ("ip", "77.88.8.8"),
    ],
)
def test_common_infrastructure_is_no_term(kind: str, value: str) -> None:
    assert is_common(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("url", "https://t.me/somechannel"),  # the path names the channel
        ("url", "https://www.instagram.com/fast_cash/"),
        ("url", "https://bit.ly/3xYz"),
        ("url", "https://user@t.me/"),
        ("url", "https://phish.github.io/"),
        ("domain", "phish.github.io"),  # a customer's own name on a shared host
        ("domain", "bank-login.duckdns.org"),
        ("domain", "evil.com.kz"),
        ("domain", "phish-bank.kz"),
        ("domain", "notgmail.com"),  # a look-alike is not the provider
        ("domain", "gmail.com.evil.kz"),
        (DOMAIN_PARENT, "evil.github.io"),
        ("email", "ivan.petrov@gmail.com"),  # the full address still correlates
        ("email", "drop@mail.ru"),
        ("handle", "telegram:somechannel"),
        ("ip", "203.0.113.5"),
        ("ip", "8.8.8.9"),
        ("ip_range", "8.8.8.0/24"),
        ("phone", "+77011234567"),
        (FILE, "ab" * 32),
    ],
)
def test_what_is_specific_on_a_platform_is_still_a_term(kind: str, value: str) -> None:
    assert not is_common(kind, value)


def test_the_lists_are_in_normal_form_and_apart() -> None:
    assert not PLATFORMS & SHARED_HOSTS
    assert all(domain(name) == name for name in PLATFORMS | SHARED_HOSTS)
    assert all(ip(address) == address for address in PUBLIC_RESOLVERS)
    assert 80 <= len(PLATFORMS) <= 200
    # A name under a registry suffix is its registrant's.
    assert not any(common_domain(name) for name in ("example.kz", "mvd.gov.kz", "egov.kz"))
    assert not common_url("ftp://files.example.kz/")
