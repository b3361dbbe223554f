"""The rows a record of information is indexed by: one place, so that what the repository
writes and what search and correlation read agree (tables in ozara/store/tables.py)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ozara.core.identifiers import Identifier, IdentifierKind
from ozara.core.names import blocking_keys
from ozara.core.records import RecordContent

_IP_KINDS = frozenset({IdentifierKind.IP, IdentifierKind.IP_RANGE})


def blocks_of(names: tuple[str, ...] | list[str]) -> str:
    """The blocking keys of all ``names``, sorted and space-separated (``record_persons``)."""
    keys: set[str] = set()
    for name in names:
        keys |= blocking_keys(name)
    return " ".join(sorted(keys))


def ip_hex(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """32 hex digits; IPv4 mapped into IPv6 (``::ffff:a.b.c.d``) so both share one order."""
    if isinstance(address, ipaddress.IPv4Address):
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    return f"{int(address):032x}"


def ip_span(identifier: Identifier) -> tuple[str, str] | tuple[None, None]:
    """First and last address (``ip_hex``) of an address or range; ``(None, None)`` else."""
    if identifier.kind not in _IP_KINDS:
        return None, None
    network = ipaddress.ip_network(identifier.value, strict=False)
    return ip_hex(network.network_address), ip_hex(network.broadcast_address)


def person_rows(record_id: str, content: RecordContent) -> list[dict[str, Any]]:
    return [
        {
            "record_id": record_id,
            "person_index": index,
            "names": list(person.names),
            "birth_date": person.birth_date,
            "blocks": blocks_of(person.names),
        }
        for index, person in enumerate(content.persons)
    ]


def identifier_rows(record_id: str, content: RecordContent) -> list[dict[str, Any]]:
    rows = []
    for identifier in content.all_identifiers():
        first, last = ip_span(identifier)
        rows.append({
            "record_id": record_id,
            "kind": identifier.kind.value,
            "value": identifier.value,
            "ip_first": first,
            "ip_last": last,
        })  # fmt: skip
    return rows


def search_text(content: RecordContent) -> str:
    """Title, summary, reference, qualification, names, identity document numbers and
    identifiers, one per line: what the full-text index reads."""
    parts = [content.title, content.summary, content.reference, content.legal_qualification]
    for person in content.persons:
        parts.extend(person.names)
        parts.extend(d.number for d in person.documents)
        parts.append(person.role)
    parts.extend(i.value for i in content.all_identifiers())
    return "\n".join(p for p in parts if p)
