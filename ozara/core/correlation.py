"""Automatic correlation (issue 8): what a request or a record offers to be matched, the
evidence of a match, and the identity of a link. Pure Python, no I/O.

A **record** offers its persons' names (matched across scripts by ``core.names``) and
every identifier it and its persons carry, in normal form. A **request** has no
structured persons: its free text is read for identifiers only, conservatively (an
e-mail, a telephone number in international form, an IPv4 or IPv6 address or CIDR range,
a URL and its host, a domain with a known top-level domain, a wallet, a ``service:@name``
account handle), each checked by the normalizers of ``core.identifiers``; a name is never
guessed from running text. Its attached files offer their SHA-256.

Common infrastructure (``core.common_terms``: a platform's host such as ``t.me`` or
``www.instagram.com``, a shared-hosting suffix, a public resolver's address) is never a
term by itself; the full URL, handle or e-mail address on such a platform still is.

A link joins two subjects, unordered (``link_key``: the smaller first), so that it is
stored once whichever of the two found it; one link per pair and kind of match, holding
every piece of evidence of that kind.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ozara.core.common_terms import is_common
from ozara.core.identifiers import (
    Identifier,
    IdentifierKind,
    domain,
    email,
    handle,
    ip,
    ip_range,
    parent_domains,
    phone,
    url,
    wallet,
)
from ozara.core.records import RecordContent
from ozara.core.requests import RequestContent


class SubjectType(enum.StrEnum):
    RECORD = "record"
    REQUEST = "request"


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    type: SubjectType
    id: str

    def __str__(self) -> str:
        return f"{self.type.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Subject:
        """``record:<id>`` or ``request:<id>``; ``ValueError`` otherwise."""
        kind, sep, ident = text.partition(":")
        if not sep or not ident.strip():
            raise ValueError("a subject is record:<id> or request:<id>")
        return cls(SubjectType(kind.strip().lower()), ident.strip())


class MatchKind(enum.StrEnum):
    #: The same identifier (normal form) on both sides, or the same attached file.
    IDENTIFIER = "identifier"
    #: An address (or a narrower range) inside a range of the other side.
    IN_RANGE = "in_range"
    #: A domain (or a URL's host) under a domain of the other side.
    SUBDOMAIN = "subdomain"
    #: Person names alike across scripts (``core.names.similarity``), with the score.
    PERSON = "person"


#: A term kind beyond the identifier kinds: an attached file's SHA-256.
FILE = "file_sha256"
#: A strict parent domain of a domain a subject names: what finds its sub-domains.
DOMAIN_PARENT = "domain_parent"

SCORES = {MatchKind.IDENTIFIER: 1.0, MatchKind.IN_RANGE: 0.9, MatchKind.SUBDOMAIN: 0.8}
#: Ranges wider than these are ignored: "0.0.0.0/0" holds every address and says nothing.
MIN_PREFIX = {4: 8, 6: 32}


@dataclass(frozen=True, slots=True)
class Term:
    """One thing a subject offers to be matched: an identifier kind (or ``FILE``,
    ``DOMAIN_PARENT``) and a normal-form value, with the field it was found in."""

    kind: str
    value: str
    field: str


@dataclass(frozen=True, slots=True)
class PersonTerm:
    index: int
    names: tuple[str, ...]
    birth_date: date | None
    field: str


@dataclass(frozen=True, slots=True)
class Extract:
    terms: tuple[Term, ...]
    persons: tuple[PersonTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which field and value of subject A matched which of subject B, how, and how well."""

    kind: MatchKind
    field_a: str
    value_a: str
    field_b: str
    value_b: str
    score: float

    def swapped(self) -> Evidence:
        return Evidence(
            self.kind, self.field_b, self.value_b, self.field_a, self.value_a, self.score
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "a": {"field": self.field_a, "value": self.value_a},
            "b": {"field": self.field_b, "value": self.value_b},
            "score": round(self.score, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            MatchKind(data["kind"]),
            str(data["a"]["field"]),
            str(data["a"]["value"]),
            str(data["b"]["field"]),
            str(data["b"]["value"]),
            float(data["score"]),
        )


@dataclass(frozen=True, slots=True)
class LinkKey:
    a: Subject
    b: Subject
    kind: MatchKind


def link_key(one: Subject, other: Subject, kind: MatchKind) -> LinkKey:
    """The link's identity: the pair unordered (the smaller subject first) and the kind."""
    if one == other:
        raise ValueError("a subject is not linked to itself")
    a, b = sorted((one, other))
    return LinkKey(a, b, kind)


def oriented(key: LinkKey, found_from: Subject, evidence: Evidence) -> Evidence:
    """Evidence written from ``found_from``'s side, turned to the link's A-B order."""
    return evidence if key.a == found_from else evidence.swapped()


# -- records ------------------------------------------------------------------------------


def record_extract(content: RecordContent) -> Extract:
    """A record's names (per person) and identifiers, with the field each came from."""
    terms: dict[tuple[str, str], Term] = {}
    for i in content.identifiers:
        _add_identifier(terms, i, "identifiers")
    persons = []
    for n, person in enumerate(content.persons):
        for i in person.identifiers:
            _add_identifier(terms, i, f"persons[{n}].identifiers")
        persons.append(PersonTerm(n, person.names, person.birth_date, f"persons[{n}].names"))
    return Extract(tuple(terms.values()), tuple(persons))


def _add_identifier(terms: dict[tuple[str, str], Term], i: Identifier, field: str) -> None:
    """``i``, a URL's host, and the parents of its domain, each once (the first field it
    was found in); common infrastructure (``core.common_terms``) is left out."""
    _add(terms, i.kind.value, i.value, field)
    host = _host(i)
    if host is not None:
        _add(terms, IdentifierKind.DOMAIN.value, host, field)
    name = i.value if i.kind is IdentifierKind.DOMAIN else host
    if name is not None:
        for parent in parent_domains(name)[1:]:
            _add(terms, DOMAIN_PARENT, parent, field)


def _add(terms: dict[tuple[str, str], Term], kind: str, value: str, field: str) -> None:
    if not is_common(kind, value):
        terms.setdefault((kind, value), Term(kind, value, field))


def _host(i: Identifier) -> str | None:
    """A URL's host name, which is a domain too (an address host is left out)."""
    if i.kind is not IdentifierKind.URL:
        return None
    rest = i.value.split("://", 1)[1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    host = host.split(":", 1)[0]
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        return domain(host)
    except ValueError:
        return None


# -- requests: identifiers in free text -----------------------------------------------------

#: The text fields of a request, as ``RequestContent.to_dict`` names them.
REQUEST_TEXT_FIELDS = (
    "purpose", "justification", "substance", "assistance_text", "execution_terms",
    "other_information", "urgent_grounds", "legal_qualification", "reference",
)  # fmt: skip

_TRAIL = ".,;:!?)]}>»\"'"
_URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>\"'«»]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_HANDLE_RE = re.compile(
    r"(?<![\w.])(telegram|tg|vk|instagram|twitter|facebook|whatsapp|skype|discord|github|"
    r"tiktok|youtube|jabber|signal|viber|ok):@?[\w.]{3,64}",
    re.IGNORECASE,
)
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.]*\w)")
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?(?![\w:])")
_PHONE_RE = re.compile(r"(?<![\w+])\+\d[\d\s().–-]{6,20}\d(?!\d)")
_WALLET_RE = re.compile(
    r"(?<!\w)(0x[0-9a-fA-F]{40}|(?:bc1|tb1|ltc1)[02-9ac-hj-np-z]{11,87}|"
    r"[13T][1-9A-HJ-NP-Za-km-z]{25,34})(?!\w)"
)
_DOMAIN_RE = re.compile(r"(?<![\w@.-])((?:[^\W_][\w-]{0,62}\.)+[^\W\d_]{2,24})(?![\w-]|\.\w)")
#: Generic top-level domains recognized in running text; two-letter ones are country codes.
_GTLDS = frozenset({
    "com", "net", "org", "info", "biz", "io", "online", "site", "xyz", "top", "app", "dev",
    "club", "shop", "pro", "me", "live", "store", "tech", "space", "website", "cloud", "link",
    "click", "su", "рф", "қаз", "бел", "рус",
})  # fmt: skip
#: File extensions that look like country codes or gTLDs in running text ("отчет.pdf").
_NOT_TLDS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "txt", "jpg", "jpeg", "png", "gif", "zip", "rar",
    "exe", "csv", "json", "xml", "html", "htm", "py", "js", "sh", "bat", "log", "msg", "eml",
    "ppt", "pptx", "odt", "rtf", "tar", "gz", "7z",
})  # fmt: skip


def request_extract(content: RequestContent) -> Extract:
    """Identifiers found in a request's text fields, and its attached files' SHA-256."""
    data = content.to_dict()
    texts = [(name, str(data.get(name) or "")) for name in REQUEST_TEXT_FIELDS]
    for n, item in enumerate(content.assistance_items):
        texts.append((f"assistance.items[{n}].description", item.description))
    terms: dict[tuple[str, str], Term] = {}
    for field, text in texts:
        for i in identifiers_in_text(text):
            _add_identifier(terms, i, field)
    for n, a in enumerate(content.attachments):
        terms.setdefault((FILE, a.sha256), Term(FILE, a.sha256, f"attachments[{n}]"))
    return Extract(tuple(terms.values()))


def identifiers_in_text(text: str) -> list[Identifier]:
    """The identifiers written in ``text``, normalized, each once, in order of kind."""
    found: dict[Identifier, None] = {}
    rest = text

    def take(pattern: re.Pattern[str], kind: IdentifierKind, norm: Any) -> None:
        nonlocal rest
        for match in pattern.finditer(rest):
            raw = match.group(0).rstrip(_TRAIL)
            try:
                value = norm(raw)
            except ValueError:
                continue
            found[Identifier(kind, value)] = None
        rest = pattern.sub(" ", rest)

    take(_URL_RE, IdentifierKind.URL, url)
    take(_EMAIL_RE, IdentifierKind.EMAIL, email)
    take(_HANDLE_RE, IdentifierKind.HANDLE, handle)
    for match in _IPV4_RE.finditer(rest):
        _address(match.group(0), found)
    rest = _IPV4_RE.sub(" ", rest)
    for match in _IPV6_RE.finditer(rest):
        if any(c.isalnum() for c in match.group(0)):
            _address(match.group(0), found)
    rest = _IPV6_RE.sub(" ", rest)
    take(_WALLET_RE, IdentifierKind.WALLET, _wallet)
    take(_PHONE_RE, IdentifierKind.PHONE, phone)
    take(_DOMAIN_RE, IdentifierKind.DOMAIN, _text_domain)
    return list(found)


def _address(raw: str, found: dict[Identifier, None]) -> None:
    try:
        if "/" in raw:
            found[Identifier(IdentifierKind.IP_RANGE, ip_range(raw))] = None
        else:
            found[Identifier(IdentifierKind.IP, ip(raw))] = None
    except ValueError:
        return


def _wallet(raw: str) -> str:
    if raw[0] in "13T" and not (re.search(r"\d", raw) and re.search(r"[a-z]", raw)
                                and re.search(r"[A-Z]", raw)):  # fmt: skip
        raise ValueError("not mixed like a base58 address")
    return wallet(raw)


def _text_domain(raw: str) -> str:
    tld = raw.rsplit(".", 1)[1].lower()
    if tld in _NOT_TLDS or not (tld in _GTLDS or (len(tld) == 2 and tld.isascii())):
        raise ValueError("not a known top-level domain")
    return domain(raw)


# -- matching helpers -----------------------------------------------------------------------


def supernets(value: str) -> list[str]:
    """Every CIDR range (normal form) holding the address or range ``value``, widest
    allowed first (an address's own /32 or /128 included, a range itself not): equality
    lookups find the ranges holding an address without scanning."""
    network = ipaddress.ip_network(value, strict=False)
    low = MIN_PREFIX[network.version]
    if "/" not in value:
        return [str(network.supernet(new_prefix=p)) for p in range(low, network.max_prefixlen)] + [
            str(network)
        ]
    return [str(network.supernet(new_prefix=p)) for p in range(low, network.prefixlen)]


def usable_range(value: str) -> bool:
    """Whether a range is narrow enough to say something (see ``MIN_PREFIX``)."""
    network = ipaddress.ip_network(value, strict=False)
    return network.prefixlen >= MIN_PREFIX[network.version]


def birth_dates_agree(a: date | None, b: date | None) -> bool:
    """Two persons with different known birth dates are two people, whatever their names."""
    return a is None or b is None or a == b


def merge(evidence: Iterable[Evidence]) -> tuple[tuple[Evidence, ...], float]:
    """Evidence of one link, each once and in a stable order, and the link's score."""
    rounded = {
        Evidence(e.kind, e.field_a, e.value_a, e.field_b, e.value_b, round(e.score, 4))
        for e in evidence
    }
    unique = sorted(rounded, key=lambda e: (e.field_a, e.value_a, e.field_b, e.value_b, e.score))
    return tuple(unique), max((e.score for e in unique), default=0.0)
