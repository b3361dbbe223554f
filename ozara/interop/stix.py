"""A record of Art. 5 para 1 as a STIX 2.1 bundle, for MISP- and OpenCTI-type tools.

The mapping (docs/interop.md has the table):

- the record → a ``report``: title → ``name``, summary → ``description``; what STIX has no
  property for (kind, crime category, legal qualification, reference) in ``x_ozara_record``;
- each identifier (the record's and its persons') → a cyber-observable object and an
  ``indicator`` with a STIX pattern. Telephone numbers and wallets have no STIX 2.1 object,
  so they become the custom observables ``phone-number`` and ``cryptocurrency-wallet``
  with a ``value``: these are OpenCTI's own types, so OpenCTI ingests them as its
  Phone-Number and Cryptocurrency-Wallet observables, and the value stays a first-class
  object (with its own indicator) rather than an ``x_`` property hidden on another one.
  Account handles (``telegram:name``) → ``user-account`` (account_type, account_login);
- each person → an ``identity`` (individual or organization), all names in their scripts
  and the other particulars in ``x_ozara_person``; a person's identifiers are linked to it
  by ``related-to`` relationships;
- handling (Art. 10) → a TLP 2.0 marking (table :data:`TLP_FOR`), a statement marking
  that says the purposes and onward sharing in words, and ``x_ozara_handling`` on the
  report with the exact conditions, so nothing of Art. 10 is lost on a round trip.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stix2

from ozara.core.identifiers import Identifier, IdentifierKind
from ozara.core.records import Confidentiality, Handling, RecordContent, parse_record

#: Deterministic ids for the objects of one record, so a record exported twice updates the
#: same objects in the receiving tool instead of duplicating them.
OZARA_NAMESPACE = uuid.UUID("5f0f6a8e-3c1b-4e59-9a7e-0d8a4c2b7e11")
#: The namespace STIX 2.1 (section 2.9) fixes for the ids of cyber-observable objects.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#: The TLP 2.0 marking definitions published by OASIS (cti-stix-common-objects).
TLP2_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: The TLP 1.0 ones built into STIX 2.1 (MISP still exports these).
TLP1_IDS: dict[str, str] = {
    "clear": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",  # TLP:WHITE
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
_TLP2_PUBLISHER = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"

#: Levels from the least to the most restrictive.
TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")

#: (confidentiality, onward sharing) → TLP 2.0. Onward sharing (to a third Party) is what
#: separates CLEAR from GREEN and AMBER from AMBER+STRICT; a confidential record is RED.
TLP_FOR: dict[tuple[Confidentiality, bool], str] = {
    (Confidentiality.OPEN, True): "clear",
    (Confidentiality.OPEN, False): "green",
    (Confidentiality.OFFICIAL_USE, True): "amber",
    (Confidentiality.OFFICIAL_USE, False): "amber+strict",
    (Confidentiality.CONFIDENTIAL, True): "red",
    (Confidentiality.CONFIDENTIAL, False): "red",
}
#: TLP → (confidentiality, may be passed on) for a bundle without ``x_ozara_handling``.
HANDLING_FOR_TLP: dict[str, tuple[Confidentiality, bool]] = {
    "clear": (Confidentiality.OPEN, True),
    "green": (Confidentiality.OPEN, False),
    "amber": (Confidentiality.OFFICIAL_USE, True),
    "amber+strict": (Confidentiality.OFFICIAL_USE, False),
    "red": (Confidentiality.CONFIDENTIAL, False),
}

#: The date of the Protocol: the ``created`` of the handling statements, which never change.
PROTOCOL_SIGNED = datetime(2014, 12, 23, tzinfo=UTC)

#: Custom observable types (OpenCTI's) for the identifiers STIX 2.1 has no object for.
PHONE_TYPE = "phone-number"
WALLET_TYPE = "cryptocurrency-wallet"


def tlp_marking(level: str) -> stix2.MarkingDefinition:
    """The official TLP 2.0 marking definition of ``level`` (``clear`` ... ``red``)."""
    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created="2022-10-01T00:00:00.000Z",
        created_by_ref=_TLP2_PUBLISHER,
        name=f"TLP:{level.upper()}",
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
        allow_custom=True,
    )


def handling_statement(handling: Handling) -> str:
    """The handling conditions in words, for the people reading the bundle in another tool."""
    purposes = ", ".join(sorted(p.value for p in handling.purposes))
    onward = (
        "may be passed on to a third Party"
        if handling.onward_sharing
        else "must not be passed on to a third Party without the providing Party's consent"
    )
    return (
        f"CSTO Protocol 2014, Art. 10: use only for {purposes}; "
        f"confidentiality {handling.confidentiality.value}; {onward}."
    )


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(OZARA_NAMESPACE, '|'.join(parts))}"


def _sco_id(kind: str, contributing: Mapping[str, str]) -> str:
    # JSON with sorted keys and no spaces is RFC 8785 for a flat object of strings.
    text = json.dumps(dict(contributing), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(SCO_NAMESPACE, text)}"


def _quote(value: str) -> str:
    """A string literal of the STIX patterning language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _is_v6(value: str) -> bool:
    return ":" in value


def observable(ident: Identifier, markings: list[str] | None = None) -> Any:
    """The cyber-observable object of an identifier (a stix2 object or, for custom types,
    a dict), with the record's markings."""
    value = ident.value
    m: dict[str, Any] = {"object_marking_refs": markings} if markings else {}
    match ident.kind:
        case IdentifierKind.IP | IdentifierKind.IP_RANGE:
            if _is_v6(value):
                return stix2.IPv6Address(value=value, **m)
            return stix2.IPv4Address(value=value, **m)
        case IdentifierKind.DOMAIN:
            return stix2.DomainName(value=value, **m)
        case IdentifierKind.EMAIL:
            return stix2.EmailAddress(value=value, **m)
        case IdentifierKind.URL:
            return stix2.URL(value=value, **m)
        case IdentifierKind.HANDLE:
            service, _, login = value.partition(":")
            return stix2.UserAccount(account_type=service, account_login=login, **m)
        case IdentifierKind.PHONE | IdentifierKind.WALLET:
            kind = PHONE_TYPE if ident.kind is IdentifierKind.PHONE else WALLET_TYPE
            return {
                "type": kind,
                "spec_version": "2.1",
                "id": _sco_id(kind, {"value": value}),
                "value": value,
                **m,
            }


def pattern(ident: Identifier) -> str:
    """The STIX pattern that matches an identifier."""
    value = ident.value
    match ident.kind:
        case IdentifierKind.IP | IdentifierKind.IP_RANGE:
            kind = "ipv6-addr" if _is_v6(value) else "ipv4-addr"
        case IdentifierKind.DOMAIN:
            kind = "domain-name"
        case IdentifierKind.EMAIL:
            kind = "email-addr"
        case IdentifierKind.URL:
            kind = "url"
        case IdentifierKind.PHONE:
            kind = PHONE_TYPE
        case IdentifierKind.WALLET:
            kind = WALLET_TYPE
        case IdentifierKind.HANDLE:
            service, _, login = value.partition(":")
            return (
                f"[user-account:account_type = {_quote(service)} AND "
                f"user-account:account_login = {_quote(login)}]"
            )
    return f"[{kind}:value = {_quote(value)}]"


def _ref(obj: Any) -> str:
    return str(obj["id"])


def record_to_stix(
    record: RecordContent | Mapping[str, Any],
    *,
    now: datetime,
    record_id: str | None = None,
    source: str | None = None,
    created: datetime | None = None,
    modified: datetime | None = None,
) -> stix2.Bundle:
    """The bundle of one record. ``record_id`` makes the object ids stable across exports,
    and ``created``/``modified`` (the record's own, else ``now``) make a re-export the same
    version of each object, or a newer one after a change; ``source`` (the providing body)
    becomes the ``created_by_ref`` identity."""
    created = created or now
    modified = modified or created
    content = record if isinstance(record, RecordContent) else parse_record(record)
    key = record_id or str(uuid.uuid4())
    handling = content.handling
    tlp = tlp_marking(TLP_FOR[handling.confidentiality, handling.onward_sharing])
    statement_text = handling_statement(handling)
    statement = stix2.MarkingDefinition(  # the same conditions: the same, immutable object
        id=_id("marking-definition", statement_text),
        created=PROTOCOL_SIGNED,
        definition_type="statement",
        definition=stix2.StatementMarking(statement=statement_text),
    )
    markings = [tlp.id, statement.id]
    common: dict[str, Any] = {"object_marking_refs": markings}
    objects: list[Any] = [tlp, statement]
    if source:
        producer = stix2.Identity(
            id=_id("identity", "source", source),
            created=created,
            modified=modified,
            name=source,
            identity_class="organization",
        )
        objects.append(producer)
        common["created_by_ref"] = producer.id

    first_content = len(objects)
    observables: dict[Identifier, Any] = {}
    for ident in content.all_identifiers():
        sco = observable(ident, markings)
        indicator = stix2.Indicator(
            id=_id("indicator", key, ident.kind.value, ident.value),
            created=created,
            modified=modified,
            name=f"{ident.kind.value}: {ident.value}",
            pattern=pattern(ident),
            pattern_type="stix",
            valid_from=created,
            **common,
        )
        observables[ident] = sco
        objects.extend([sco, indicator])

    for index, person in enumerate(content.persons):
        extra = person.to_dict()
        del extra["identifiers"]
        identity = stix2.Identity(
            id=_id("identity", key, "person", str(index)),
            created=created,
            modified=modified,
            name=person.names[0],
            identity_class="individual" if person.kind.value == "natural" else "organization",
            roles=[person.role] if person.role else None,
            x_ozara_person=extra,
            allow_custom=True,
            **common,
        )
        objects.append(identity)
        for ident in person.identifiers:
            objects.append(
                stix2.Relationship(
                    id=_id("relationship", key, identity.id, ident.kind.value, ident.value),
                    created=created,
                    modified=modified,
                    relationship_type="related-to",
                    source_ref=identity.id,
                    target_ref=_ref(observables[ident]),
                    allow_custom=True,  # the target may be a custom observable
                    **common,
                )
            )

    extras: dict[str, Any] = {}
    if record_id:
        extras["external_references"] = [{"source_name": "ozara", "external_id": record_id}]
    report = stix2.Report(
        id=_id("report", key),
        created=created,
        modified=modified,
        published=modified,
        name=content.title,
        description=content.summary,
        report_types=["threat-report"],
        # The producer is the report's author (created_by_ref), not something it is about.
        object_refs=[_ref(o) for o in objects[first_content:]],
        x_ozara_record={
            "kind": content.kind.value,
            "crime_category": content.crime_category.value if content.crime_category else None,
            "legal_qualification": content.legal_qualification,
            "reference": content.reference,
        },
        x_ozara_handling=handling.to_dict(),
        allow_custom=True,
        **extras,
        **common,
    )
    objects.append(report)
    return stix2.Bundle(objects=objects, allow_custom=True)


def bundle_json(bundle: stix2.Bundle) -> str:
    """The bundle as pretty JSON, names in their own scripts (not ``\\u`` escapes)."""
    return str(bundle.serialize(pretty=True, ensure_ascii=False))
