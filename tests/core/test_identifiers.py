"""Identifiers in one normal form: two spellings of one address meet, a wrong value is named."""

from __future__ import annotations

import pytest

from ozara.core.identifiers import (
    Identifier,
    IdentifierKind,
    identifier,
    ip_bounds,
    normalize,
    parent_domains,
)

BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BASE58 = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"

SAME = [
    (IdentifierKind.EMAIL, "Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru"),
    (IdentifierKind.EMAIL, "админ@мвд.рф", "админ@xn--b1aew.xn--p1ai"),
    (IdentifierKind.PHONE, "8 (701) 123-45-67", "+77011234567"),
    (IdentifierKind.PHONE, "+7 701 123 45 67", "+77011234567"),
    (IdentifierKind.PHONE, "00374 10 123456", "+37410123456"),
    (IdentifierKind.IP, " 192.0.2.1 ", "192.0.2.1"),
    (IdentifierKind.IP, "2001:DB8::0:1", "2001:db8::1"),
    (IdentifierKind.IP_RANGE, "203.0.113.77/24", "203.0.113.0/24"),
    (IdentifierKind.IP_RANGE, "198.51.100.7", "198.51.100.7/32"),
    (IdentifierKind.DOMAIN, "Example.KZ.", "example.kz"),
    (IdentifierKind.DOMAIN, "МВД.рф", "xn--b1aew.xn--p1ai"),
    (IdentifierKind.URL, "HTTPS://Phish.Example.KZ/login?x=1", "https://phish.example.kz/login?x=1"),
    (IdentifierKind.WALLET, "0xAbC" + "0" * 36 + "1", "0xabc" + "0" * 36 + "1"),
    (IdentifierKind.WALLET, BECH32.upper(), BECH32),
    (IdentifierKind.WALLET, BASE58, BASE58),
    (IdentifierKind.HANDLE, "Telegram:@Ivan_Petrov", "telegram:ivan_petrov"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "given", "normal"), SAME)
def test_a_spelling_becomes_its_normal_form(kind: IdentifierKind, given: str, normal: str) -> None:
    assert normalize(kind, given) == normal
    assert normalize(kind, normal) == normal  # normalizing twice changes nothing


WRONG = [
    (IdentifierKind.EMAIL, "no-at-sign", "local-part@domain"),
    (IdentifierKind.PHONE, "701 123 45 67", "country code"),
    (IdentifierKind.PHONE, "+7 (701) ABC", "digits"),
    (IdentifierKind.PHONE, "+1234", "8 to 15"),
    (IdentifierKind.IP, "300.1.1.1", "IPv4 or IPv6"),
    (IdentifierKind.IP_RANGE, "10.0.0.0/33", "CIDR"),
    (IdentifierKind.DOMAIN, "localhost", "labels"),
    (IdentifierKind.DOMAIN, "-bad-.kz", "labels"),
    (IdentifierKind.URL, "javascript:alert(1)", "http"),
    (IdentifierKind.WALLET, "0x123", "40 hexadecimal"),
    (IdentifierKind.WALLET, "short", "20 to 128"),
    (IdentifierKind.HANDLE, "@nobody", "service:name"),
    (IdentifierKind.EMAIL, "   ", "empty"),
]


@pytest.mark.parametrize(("kind", "given", "why"), WRONG)
def test_a_wrong_value_is_refused_saying_why(kind: IdentifierKind, given: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalize(kind, given)


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: email, phone"):
        identifier("fax", "123")


def test_identifier_parses_kind_and_value() -> None:
    assert identifier("phone", "8 701 1234567") == Identifier(IdentifierKind.PHONE, "+77011234567")


def test_ip_bounds_cover_the_range() -> None:
    version, first, last = ip_bounds("203.0.113.0/24")
    assert version == 4
    assert last - first == 255
    assert ip_bounds("192.0.2.1")[1] == ip_bounds("192.0.2.1")[2]


def test_parent_domains_stop_before_the_top_level() -> None:
    assert parent_domains("a.b.example.kz") == ["a.b.example.kz", "b.example.kz", "example.kz"]
    assert parent_domains("example.kz") == ["example.kz"]
