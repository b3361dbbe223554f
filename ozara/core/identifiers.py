"""Online identifiers of Art. 5 para 1 records, in one normal form each.

Two officers who type the same e-mail, telephone, address or wallet differently must
still meet: search and correlation compare the normal forms only. Each function either
returns the normal form or raises ``ValueError`` saying what is wrong with the value.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass


class IdentifierKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    IP = "ip"
    #: An address range in CIDR notation (``203.0.113.0/24``).
    IP_RANGE = "ip_range"
    DOMAIN = "domain"
    URL = "url"
    WALLET = "wallet"
    #: An account on a service: ``telegram:@name``.
    HANDLE = "handle"


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: IdentifierKind
    #: The normal form (see :func:`normalize`); what is stored, compared and indexed.
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "value": self.value}


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HANDLE = re.compile(r"^([a-z][a-z0-9_.-]{0,31}):@?([^\s@:]{1,128})$")
_WALLET = re.compile(r"^[A-Za-z0-9]{20,128}$")
_URL = re.compile(r"^(https?|ftp)://([^/?#\s]+)([^\s]*)$", re.IGNORECASE)


def domain(value: str) -> str:
    """Lower case, IDNA (punycode) for non-ASCII labels, no trailing dot.

    ``МВД.рф`` and ``xn--b1aew.xn--p1ai`` are the same domain, so both become the latter.
    """
    text = value.strip().rstrip(".").lower()
    if not text or len(text) > 253:
        raise ValueError("a domain name is 1 to 253 characters")
    try:
        ascii_form = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a valid internationalized domain name: {exc}") from None
    labels = ascii_form.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("a domain name is dot-separated labels of letters, digits and '-'")
    return ascii_form


def email(value: str) -> str:
    text = value.strip()
    if not _EMAIL.match(text):
        raise ValueError("an e-mail address is local-part@domain")
    local, _, host = text.rpartition("@")
    # The local part is case-sensitive by the letter of RFC 5321 but not in practice;
    # treating it so would hide matches between officers' spellings.
    return f"{local.lower()}@{domain(host)}"


def phone(value: str) -> str:
    """E.164 (``+77011234567``). A national number with trunk prefix 8 and 11 digits is
    read as +7 (Russia and Kazakhstan write ``8 701 ...``); other numbers need their
    country code."""
    text = value.strip()
    digits = re.sub(r"[\s().\-–]", "", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+?\d+", digits):
        raise ValueError("a telephone number has digits, spaces, brackets and dashes only")
    if not digits.startswith("+"):
        if len(digits) == 11 and digits[0] == "8":
            digits = "+7" + digits[1:]
        else:
            raise ValueError("give the country code (+7, +374, +375, +992, +996 ...)")
    if not 8 <= len(digits) - 1 <= 15:
        raise ValueError("an international number has 8 to 15 digits (E.164)")
    return digits


def ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None


def ip_range(value: str) -> str:
    """CIDR with host bits cleared; a single address becomes its /32 or /128."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("not an address range in CIDR notation (203.0.113.0/24)") from None


def url(value: str) -> str:
    match = _URL.match(value.strip())
    if not match:
        raise ValueError("a URL starts with http://, https:// or ftp://")
    scheme, host, rest = match.groups()
    userinfo, _, hostport = host.rpartition("@")
    name, colon, port = hostport.partition(":")
    if name.startswith("["):
        name, colon, port = hostport, "", ""
        normal_host = hostport.lower()
    else:
        try:
            normal_host = ip(name)
        except ValueError:
            normal_host = domain(name)
    prefix = f"{userinfo}@" if userinfo else ""
    return f"{scheme.lower()}://{prefix}{normal_host}{colon}{port}{rest}"


def wallet(value: str) -> str:
    """Hexadecimal (0x...) and bech32 addresses are case-free; base58 ones keep case."""
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith("0x"):
        if not re.fullmatch(r"0x[0-9a-f]{40}", lowered):
            raise ValueError("an Ethereum-style address is 0x and 40 hexadecimal digits")
        return lowered
    if re.match(r"^(bc1|tb1|ltc1)", lowered):
        return lowered
    if not _WALLET.match(text):
        raise ValueError("a wallet address is 20 to 128 letters and digits")
    return text


def handle(value: str) -> str:
    match = _HANDLE.match(value.strip().lower())
    if not match:
        raise ValueError("an account handle is service:name (telegram:@ivan_petrov)")
    service, name = match.groups()
    return f"{service}:{name}"


_NORMALIZERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.EMAIL: email,
    IdentifierKind.PHONE: phone,
    IdentifierKind.IP: ip,
    IdentifierKind.IP_RANGE: ip_range,
    IdentifierKind.DOMAIN: domain,
    IdentifierKind.URL: url,
    IdentifierKind.WALLET: wallet,
    IdentifierKind.HANDLE: handle,
}


def normalize(kind: IdentifierKind, value: str) -> str:
    """The normal form of ``value`` as an identifier of ``kind``; ``ValueError`` if invalid."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the value is empty")
    return _NORMALIZERS[kind](value)


def identifier(kind: str, value: str) -> Identifier:
    """Parse ``kind`` and normalize ``value``; ``ValueError`` names what is wrong."""
    try:
        parsed = IdentifierKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in IdentifierKind)
        raise ValueError(f"unknown identifier kind {kind!r} (known: {known})") from None
    return Identifier(parsed, normalize(parsed, value))


def ip_bounds(value: str) -> tuple[int, int, int]:
    """(IP version, first, last) of an address or range in normal form: what a database
    stores to find every range that holds an address with one range query."""
    network = ipaddress.ip_network(value, strict=False)
    return network.version, int(network.network_address), int(network.broadcast_address)


def parent_domains(name: str) -> list[str]:
    """``a.b.example.kz`` → ``[a.b.example.kz, b.example.kz, example.kz]``: a record about
    a domain concerns its sub-domains too (the last label alone is never a match)."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]
