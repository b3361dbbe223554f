"""A STIX 2.1 bundle (Ozara's own, MISP's or OpenCTI's) back to record documents.

- Each ``report`` and ``grouping`` becomes one record, with the objects it refers to.
- The objects no report or grouping refers to (loose indicators, observables, observed
  data, identities) become one more record, of the importing officer's kind
  (``modus_operandi`` unless told otherwise): a bundle of indicators describes a method of
  committing IT crimes more often than one crime.
- Handling: ``x_ozara_handling`` when the bundle has it, else the importing officer's
  purposes with the confidentiality and onward sharing the TLP marking means (the stricter
  of it and the officer's level). A marking or a statement that means a state secret sets
  the level to that secret, so that ``parse_record`` refuses the record (Art. 10 para 3).
- Every object that maps to nothing (a file hash, a malware, a YARA pattern, an identity
  of a class that is not a person ...) is listed in :attr:`StixImport.unmapped` with the
  reason; nothing is dropped silently.

The documents are not validated here: the bulk import runs ``parse_record`` on each and
reports the violations with the STIX object they came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import stix2
from stix2patterns.pattern import Pattern

from ozara.core.identifiers import IdentifierKind, ip
from ozara.core.records import Confidentiality, state_secret_stamp
from ozara.interop.stix import (
    HANDLING_FOR_TLP,
    PHONE_TYPE,
    TLP1_IDS,
    TLP2_IDS,
    TLP_FOR,
    TLP_ORDER,
    WALLET_TYPE,
)

#: A bundle larger than this is split before import.
MAX_OBJECTS = 100_000
_CONTAINERS = ("report", "grouping")
_KNOWN_TLP = {v: k for k, v in TLP1_IDS.items()} | {v: k for k, v in TLP2_IDS.items()}
_LEVELS = [c.value for c in Confidentiality]
_VALUE_TYPES: dict[str, IdentifierKind] = {
    "domain-name": IdentifierKind.DOMAIN,
    "hostname": IdentifierKind.DOMAIN,  # OpenCTI's custom observable
    "email-addr": IdentifierKind.EMAIL,
    "url": IdentifierKind.URL,
    PHONE_TYPE: IdentifierKind.PHONE,
    WALLET_TYPE: IdentifierKind.WALLET,
}


class StixFormatError(ValueError):
    """The file is not a STIX bundle at all (as opposed to objects that do not map)."""


@dataclass(frozen=True, slots=True)
class ImportDefaults:
    """What the importing officer says for what a bundle (or a CSV cell) leaves out."""

    purposes: tuple[str, ...] = ()
    confidentiality: str | None = None
    onward_sharing: bool = False
    #: The kind of a record the file does not say (STIX: ``modus_operandi`` when ``None``).
    kind: str | None = None
    crime_category: str | None = None
    legal_qualification: str = ""


@dataclass(frozen=True, slots=True)
class Unmapped:
    object_id: str
    object_type: str
    reason: str


@dataclass(frozen=True, slots=True)
class StixRecord:
    #: The report or grouping (or the bundle, for the loose objects) it came from.
    source: str
    document: dict[str, Any]
    #: A field of the document (``identifiers[3]``, ``persons[0]``) → its STIX object.
    origins: dict[str, str] = field(default_factory=dict)

    def locate(self, path: str) -> str:
        """A field of the document, with the STIX object it came from when known."""
        head = re.match(r"^(identifiers\[\d+\]|persons\[\d+\])", path)
        origin = self.origins.get(head.group(1)) if head else None
        return f"{path} ({origin})" if origin else path


@dataclass(slots=True)
class StixImport:
    records: list[StixRecord]
    unmapped: list[Unmapped]


# --- identifiers ------------------------------------------------------------------------


def _ip_kind(value: str) -> IdentifierKind:
    return IdentifierKind.IP_RANGE if "/" in value else IdentifierKind.IP


def _host_kind(value: str) -> IdentifierKind:
    try:
        ip(value)
    except ValueError:
        return IdentifierKind.DOMAIN
    return IdentifierKind.IP


def sco_identifier(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, value) of a cyber-observable object, or ``None`` when it is no identifier."""
    kind = obj.get("type")
    if kind in ("ipv4-addr", "ipv6-addr") and isinstance(obj.get("value"), str):
        return _ip_kind(obj["value"]).value, obj["value"]
    if kind in _VALUE_TYPES and isinstance(obj.get("value"), str):
        return _VALUE_TYPES[kind].value, obj["value"]
    if kind == "user-account":
        login = obj.get("account_login") or obj.get("user_id")
        service = obj.get("account_type")
        if isinstance(login, str) and isinstance(service, str) and login and service:
            return IdentifierKind.HANDLE.value, f"{service}:{login}"
    return None


def _literal(text: str) -> str:
    inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
    return re.sub(r"\\(.)", r"\1", inner)


def pattern_identifiers(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The identifiers a STIX pattern compares with ``=``, and the comparisons that map to
    none (``file:hashes.MD5``, ``LIKE`` ...). ``ValueError`` if the pattern does not parse."""
    try:
        comparisons: dict[str, list[tuple[list[Any], str, str]]] = (
            Pattern(text).inspect().comparisons
        )
    except Exception as exc:  # the pattern library raises its own parse errors
        raise ValueError(f"not a STIX pattern: {exc}") from None
    found: list[tuple[str, str]] = []
    left: list[str] = []
    for kind, items in comparisons.items():
        account: dict[str, str] = {}
        for path_parts, op, raw in items:
            path = ".".join(str(p) for p in path_parts)
            value = _literal(raw)
            if op != "=":
                left.append(f"{kind}:{path} {op}")
            elif kind in ("ipv4-addr", "ipv6-addr") and path == "value":
                found.append((_ip_kind(value).value, value))
            elif kind in _VALUE_TYPES and path == "value":
                found.append((_VALUE_TYPES[kind].value, value))
            elif kind == "user-account" and path in ("account_type", "account_login", "user_id"):
                account[path] = value
            elif kind == "email-message" and re.fullmatch(r"(from|sender|to|cc|bcc)_refs?", path):
                left.append(f"{kind}:{path}")
            elif kind == "email-message" and path.endswith(".value"):
                found.append((IdentifierKind.EMAIL.value, value))
            elif kind == "network-traffic" and path in ("dst_ref.value", "src_ref.value"):
                found.append((_host_kind(value).value, value))
            elif not (kind == "network-traffic" and path.endswith("_ref.type")):
                left.append(f"{kind}:{path}")
        login = account.get("account_login") or account.get("user_id")
        if login and account.get("account_type"):
            found.append((IdentifierKind.HANDLE.value, f"{account['account_type']}:{login}"))
        elif account:
            left.append("user-account without account_type (the service)")
    return found, left


# --- markings ---------------------------------------------------------------------------


def _secret_level(stamp: str) -> str:
    text = stamp.lower()
    if "особой" in text or "аса" in text:
        return "special_importance"
    if "совершенно" in text or "сов." in text or "top" in text or "өте" in text:
        return "top_secret"
    return "secret"


@dataclass(slots=True)
class _Marks:
    tlp: str | None = None
    secret: str | None = None

    def add_tlp(self, level: str) -> None:
        if self.tlp is None or TLP_ORDER.index(level) > TLP_ORDER.index(self.tlp):
            self.tlp = level


def _tlp_of(marking: Mapping[str, Any]) -> str | None:
    definition = marking.get("definition")
    if marking.get("definition_type") == "tlp" and isinstance(definition, Mapping):
        return {"white": "clear"}.get(str(definition.get("tlp")), str(definition.get("tlp")))
    for ext in (marking.get("extensions") or {}).values():
        if isinstance(ext, Mapping) and "tlp_2_0" in ext:
            return str(ext["tlp_2_0"]).lower()
    name = str(marking.get("name") or "")
    if str(marking.get("definition_type", "")).lower() == "tlp" and isinstance(definition, Mapping):
        name = str(definition.get("TLP") or definition.get("tlp") or name)  # OpenCTI
    if name.upper().startswith("TLP:"):
        level = name[4:].strip().lower()
        return "clear" if level == "white" else level
    return None


def _read_markings(
    refs: Iterable[str], index: Mapping[str, Mapping[str, Any]], unmapped: dict[str, Unmapped]
) -> _Marks:
    marks = _Marks()
    for ref in refs:
        marking = index.get(ref)
        level = _KNOWN_TLP.get(ref) or (_tlp_of(marking) if marking else None)
        if level in TLP_ORDER:
            marks.add_tlp(level)
            continue
        if marking is None:
            unmapped[ref] = Unmapped(ref, "marking-definition", "not in the bundle")
            continue
        definition = marking.get("definition")
        texts = [str(marking.get("name") or "")]
        if isinstance(definition, Mapping):
            texts += [str(v) for v in definition.values()]
        stamp = next((s for t in texts if (s := state_secret_stamp(t))), None)
        if stamp:
            marks.secret = _secret_level(stamp)
        elif marking.get("definition_type") != "statement":
            unmapped[ref] = Unmapped(ref, "marking-definition", f"not understood: {texts[0]!r}")
    return marks


def _stricter(a: str | None, b: str | None) -> str | None:
    if a in _LEVELS and b in _LEVELS:
        return _LEVELS[max(_LEVELS.index(str(a)), _LEVELS.index(str(b)))]
    return a if a is not None else b


def _expected_tlp(result: Mapping[str, Any]) -> str | None:
    level, onward = result.get("confidentiality"), result.get("onward_sharing")
    if level in _LEVELS and isinstance(onward, bool):
        return TLP_FOR[Confidentiality(level), onward]
    return None


def handling(own: object, marks: _Marks, defaults: ImportDefaults) -> dict[str, Any]:
    """The handling of a record: the bundle's own (``x_ozara_handling``) or the officer's;
    a TLP marking stricter than what that handling exports as only tightens it (never
    loosens), and a state-secret marking sets that level whatever else is said."""
    result: dict[str, Any]
    if isinstance(own, Mapping):
        result = dict(own)
    else:
        result = {
            "purposes": list(defaults.purposes),
            "confidentiality": defaults.confidentiality,
            "onward_sharing": defaults.onward_sharing,
        }
    expected = _expected_tlp(result)
    if marks.tlp is not None and (
        expected is None or TLP_ORDER.index(marks.tlp) > TLP_ORDER.index(expected)
    ):
        level, onward = HANDLING_FOR_TLP[marks.tlp]
        result["confidentiality"] = _stricter(result.get("confidentiality"), level.value)
        result["onward_sharing"] = result.get("onward_sharing", False) is True and onward
    if marks.secret:
        result["confidentiality"] = marks.secret
    return result


# --- the bundle -------------------------------------------------------------------------


def load_bundle(data: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(data, Mapping):
        bundle = dict(data)
    else:
        try:
            bundle = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StixFormatError(f"not a JSON file: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise StixFormatError('not a STIX bundle (a JSON object with "type": "bundle")')
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        raise StixFormatError('"objects" is not a list')
    if len(objects) > MAX_OBJECTS:
        raise StixFormatError(f"more than {MAX_OBJECTS} objects; split the bundle")
    return bundle


def records_from_stix(
    data: str | bytes | Mapping[str, Any], defaults: ImportDefaults
) -> StixImport:
    """The record documents of a bundle, and every object that maps to none."""
    bundle = load_bundle(data)
    unmapped: dict[str, Unmapped] = {}
    index: dict[str, dict[str, Any]] = {}
    for position, obj in enumerate(bundle.get("objects", [])):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            key = f"objects[{position}]"
            unmapped[key] = Unmapped(key, "?", "not a STIX object (no id)")
            continue
        try:
            stix2.parse(obj, allow_custom=True)
        except Exception as exc:  # stix2 raises many kinds; each is a reason to report
            # A marking is read whatever its form (OpenCTI's "TLP" type is not STIX's):
            # dropping one could drop a state-secret stamp.
            if obj.get("type") != "marking-definition":
                unmapped[obj["id"]] = Unmapped(obj["id"], str(obj.get("type")), f"invalid: {exc}")
                continue
        index[obj["id"]] = obj
    builder = _Builder(index, unmapped, defaults)
    containers = [o for o in index.values() if o.get("type") in _CONTAINERS]
    records = [builder.record(c, list(c.get("object_refs") or [])) for c in containers]
    creators = {o.get("created_by_ref") for o in index.values()}
    loose = [
        oid
        for oid, obj in index.items()
        if oid not in builder.seen
        and obj.get("type") not in (*_CONTAINERS, "marking-definition", "relationship")
        and not (obj.get("type") == "identity" and oid in creators)
    ]
    if loose:
        title = f"Indicators from STIX bundle {bundle.get('id', '')}".strip()
        header = {
            "id": str(bundle.get("id") or "bundle"),
            "type": "bundle",
            "name": title,
            "description": f"{len(loose)} object(s) not in a report, imported from STIX.",
        }
        record = builder.record(header, loose)
        if record.document["identifiers"] or record.document["persons"]:
            records.append(record)
    for oid, obj in index.items():
        kind = obj.get("type")
        if oid in builder.used or kind in _CONTAINERS or kind == "marking-definition":
            continue
        if kind == "identity" and oid in creators:
            reason = "the producer of the objects (created_by_ref), not a person involved"
        elif kind == "relationship":
            reason = "relationships are kept only between a person and an identifier"
        else:
            reason = builder.reasons.get(oid, f"STIX type {kind!r} has no counterpart in a record")
        unmapped.setdefault(oid, Unmapped(oid, str(kind), reason))
    return StixImport(records, list(unmapped.values()))


def _marking_refs(obj: Mapping[str, Any]) -> list[str]:
    """The markings of an object, whole or in part (granular markings count: a state
    secret in one property is a state secret in the record)."""
    refs = [str(r) for r in obj.get("object_marking_refs") or []]
    for granular in obj.get("granular_markings") or []:
        if isinstance(granular, Mapping) and granular.get("marking_ref"):
            refs.append(str(granular["marking_ref"]))
    return refs


class _Builder:
    def __init__(
        self,
        index: dict[str, dict[str, Any]],
        unmapped: dict[str, Unmapped],
        defaults: ImportDefaults,
    ) -> None:
        self.index = index
        self.unmapped = unmapped
        self.defaults = defaults
        self.used: set[str] = set()
        self.reasons: dict[str, str] = {}
        #: Everything a report, a grouping, an observed data or a person led to.
        self.seen: set[str] = set()
        #: identity id → (relationship id, the other end)
        self.links: dict[str, list[tuple[str, str]]] = {}
        for rel in index.values():
            if rel.get("type") == "relationship":
                a, b = str(rel.get("source_ref")), str(rel.get("target_ref"))
                for person, other in ((a, b), (b, a)):
                    if person.startswith("identity--"):
                        self.links.setdefault(person, []).append((str(rel["id"]), other))

    def identifiers(self, oid: str) -> list[tuple[str, str]]:
        """The identifiers of one object (an observable, an indicator, observed data)."""
        obj = self.index.get(oid)
        if obj is None:
            return []
        kind = obj.get("type")
        if kind == "indicator":
            if obj.get("pattern_type", "stix") != "stix":
                self.reasons[oid] = f"pattern type {obj.get('pattern_type')!r} is not mapped"
                return []
            try:
                found, left = pattern_identifiers(str(obj.get("pattern", "")))
            except ValueError as exc:
                self.reasons[oid] = str(exc)
                return []
            if left and found:
                self.unmapped[oid] = Unmapped(oid, "indicator", f"partly mapped: {left}")
            elif left:
                self.reasons[oid] = f"no identifier in the pattern: {', '.join(left)}"
            return found
        if kind == "observed-data":
            self.seen.update(obj.get("object_refs") or [])
            found = [i for ref in obj.get("object_refs") or [] for i in self._sco(ref)]
            embedded = obj.get("objects")
            if isinstance(embedded, Mapping):  # STIX 2.0 style, still exported
                for sco in embedded.values():
                    if isinstance(sco, Mapping) and (ident := sco_identifier(sco)):
                        found.append(ident)
            if not found:
                self.reasons[oid] = "observed data with no identifier"
            return found
        return self._sco(oid)

    def _sco(self, oid: str) -> list[tuple[str, str]]:
        obj = self.index.get(oid)
        ident = sco_identifier(obj) if obj else None
        if ident is None:
            return []
        self.used.add(oid)
        return [ident]

    def person(self, oid: str) -> dict[str, Any] | None:
        """A person of the record, with the identifiers linked to it by relationships."""
        obj = self.index[oid]
        identity_class = obj.get("identity_class")
        if identity_class not in ("individual", "organization"):
            self.reasons[oid] = f"an identity of class {identity_class!r} is not a person"
            return None
        extra = obj.get("x_ozara_person")
        person: dict[str, Any] = dict(extra) if isinstance(extra, Mapping) else {}
        names = [str(obj.get("name", ""))] + [
            n for n in person.get("names") or [] if n != obj.get("name")
        ]
        person["names"] = names
        person.setdefault("kind", "natural" if identity_class == "individual" else "legal")
        roles = obj.get("roles")
        if "role" not in person and isinstance(roles, list) and roles:
            person["role"] = ", ".join(str(r) for r in roles)
        found: list[tuple[str, str]] = []
        for rel, other in self.links.get(oid, []):
            self.seen.update((rel, other))
            ids = self.identifiers(other)
            if ids:
                self.used.update((rel, other))
                found += ids
        person["identifiers"] = [{"kind": k, "value": v} for k, v in dict.fromkeys(found)]
        return person

    def record(self, container: Mapping[str, Any], refs: list[str]) -> StixRecord:
        cid = str(container["id"])
        own = container.get("x_ozara_record")
        meta: dict[str, Any] = dict(own) if isinstance(own, Mapping) else {}
        origins: dict[str, str] = {}
        persons: list[dict[str, Any]] = []
        personal: set[tuple[str, str]] = set()
        marking_refs: list[str] = _marking_refs(container)
        self.seen.update(refs)
        for ref in refs:
            obj = self.index.get(ref)
            if obj is None:
                self.unmapped.setdefault(ref, Unmapped(ref, ref.partition("--")[0], "missing"))
            elif obj.get("type") == "identity" and (person := self.person(ref)):
                personal.update((i["kind"], i["value"]) for i in person["identifiers"])
                origins[f"persons[{len(persons)}]"] = ref
                persons.append(person)
                self.used.add(ref)
                marking_refs += _marking_refs(obj)
        identifiers: dict[tuple[str, str], str] = {}
        for ref in refs:
            obj = self.index.get(ref)
            if obj is None or obj.get("type") == "identity":
                continue
            found = self.identifiers(ref)
            if found:
                self.used.add(ref)
                marking_refs += _marking_refs(obj)
            for ident in found:
                if ident not in personal:
                    identifiers.setdefault(ident, ref)
        for position, ref in enumerate(identifiers.values()):
            origins[f"identifiers[{position}]"] = ref
        marks = _read_markings(dict.fromkeys(marking_refs), self.index, self.unmapped)
        defaults = self.defaults
        references = [
            str(r.get("external_id"))
            for r in container.get("external_references") or []
            if isinstance(r, Mapping) and r.get("external_id")
        ]
        document: dict[str, Any] = {
            "kind": meta.get("kind", defaults.kind or "modus_operandi"),
            "title": container.get("name") or f"STIX {container.get('type')} {cid}",
            "summary": container.get("description")
            or f"{container.get('name') or ''} (imported from STIX {cid})".strip(),
            "handling": handling(container.get("x_ozara_handling"), marks, defaults),
            "crime_category": meta.get("crime_category", defaults.crime_category),
            "legal_qualification": meta.get("legal_qualification", defaults.legal_qualification),
            "persons": persons,
            "identifiers": [{"kind": k, "value": v} for k, v in identifiers],
            "reference": meta.get("reference", references[0] if references else cid),
        }
        return StixRecord(cid, document, origins)
