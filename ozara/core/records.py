"""Records of information exchanged under Art. 5 para 1, with their handling conditions.

A record is what one competent body tells others outside a request: a crime being
prepared or committed, the persons involved, methods of countering or of committing IT
crimes, national laws and treaties. It always travels with its handling conditions
(Art. 10): the purposes it may be used for, its confidentiality level, and whether the
receiving Party may pass it on. Parsing collects every violation at once, as for requests.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from ozara.core.identifiers import Identifier, identifier
from ozara.core.requests import CrimeCategory, unknown_keys
from ozara.core.rules import ProtocolError, Violation, violation

_E = TypeVar("_E", bound=enum.StrEnum)


class RecordKind(enum.StrEnum):
    """The six subjects of information exchange of Art. 5 para 1."""

    CRIME = "crime"  # crimes being prepared or committed
    PERSON = "person"  # persons involved in them, natural or legal
    COUNTERMEASURE = "countermeasure"  # forms and methods of prevention ... investigation
    MODUS_OPERANDI = "modus_operandi"  # new forms and methods of committing IT crimes
    LAW = "law"  # national laws adopted or planned
    TREATY = "treaty"  # international treaties in the field


class Purpose(enum.StrEnum):
    """What received information may be used for (Art. 10 para 2); the first five are the
    activities Art. 5 para 1 names, the others the Protocol's other forms of cooperation."""

    PREVENTION = "prevention"
    DETECTION = "detection"
    SUPPRESSION = "suppression"
    SOLVING = "solving"
    INVESTIGATION = "investigation"
    ANALYSIS = "analysis"
    TRAINING = "training"  # Art. 5 para 4
    RESEARCH = "research"  # Art. 5 para 6


class Confidentiality(enum.StrEnum):
    """Levels below a state secret; each Party's law defines them (Art. 10 para 1)."""

    OPEN = "open"
    OFFICIAL_USE = "official_use"  # для служебного пользования
    CONFIDENTIAL = "confidential"


#: Markings of a state secret: refused, never stored (Art. 10 para 3).
STATE_SECRET_LEVELS = frozenset({"secret", "top_secret", "special_importance"})

#: A stamp on a line of its own, in the six Parties' usual wordings, or in capitals
#: anywhere. A phrase like "trade secret" in running text is not a stamp.
_STAMP_WORDS = (
    r"совершенно\s+секретно|сов\.\s*секретно|особой\s+важности|секретно|"
    r"top\s+secret|secret|өте\s+құпия|аса\s+маңызды|құпия"
)
_STAMP_LINE = re.compile(
    rf"^\s*(гриф\s*[:\-–—]?\s*)?[«\"']?({_STAMP_WORDS})[»\"']?\s*[.!]?\s*$", re.I | re.M
)
_STAMP_CAPITALS = re.compile(
    r"(?<!\w)(СОВЕРШЕННО СЕКРЕТНО|СЕКРЕТНО|ОСОБОЙ ВАЖНОСТИ|TOP SECRET|ӨТЕ ҚҰПИЯ|ҚҰПИЯ)(?!\w)"
)


def state_secret_stamp(text: str) -> str | None:
    """The state-secret stamp found in ``text``, or ``None``."""
    match = _STAMP_LINE.search(text) or _STAMP_CAPITALS.search(text)
    return match.group(0).strip() if match else None


class PersonKind(enum.StrEnum):
    NATURAL = "natural"
    LEGAL = "legal"


class DocumentKind(enum.StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"
    #: A personal or a business identification number (ИИН/БИН, УНП, ИНН ...).
    TAX_NUMBER = "tax_number"
    REGISTRATION = "registration"  # a legal person's state registration
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class IdentityDocument:
    kind: DocumentKind
    number: str
    #: ISO 3166-1 alpha-3 code of the issuing state.
    country: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "number": self.number, "country": self.country}


@dataclass(frozen=True, slots=True)
class Person:
    kind: PersonKind
    #: The name as written in the original script first, then transliterations and aliases.
    names: tuple[str, ...]
    birth_date: date | None = None
    citizenship: tuple[str, ...] = ()
    documents: tuple[IdentityDocument, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    role: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "names": list(self.names),
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "citizenship": list(self.citizenship),
            "documents": [d.to_dict() for d in self.documents],
            "identifiers": [i.to_dict() for i in self.identifiers],
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class Handling:
    """The conditions a record travels under (Art. 10)."""

    purposes: frozenset[Purpose]
    confidentiality: Confidentiality
    #: May a receiving Party pass the record to a third Party? Never without this.
    onward_sharing: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "purposes": sorted(p.value for p in self.purposes),
            "confidentiality": self.confidentiality.value,
            "onward_sharing": self.onward_sharing,
        }


@dataclass(frozen=True, slots=True)
class RecordContent:
    kind: RecordKind
    title: str
    summary: str
    handling: Handling
    crime_category: CrimeCategory | None = None
    legal_qualification: str = ""
    persons: tuple[Person, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    #: The providing body's own reference (case or file number).
    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "title": self.title,
            "summary": self.summary,
            "handling": self.handling.to_dict(),
            "crime_category": self.crime_category.value if self.crime_category else None,
            "legal_qualification": self.legal_qualification,
            "persons": [p.to_dict() for p in self.persons],
            "identifiers": [i.to_dict() for i in self.identifiers],
            "reference": self.reference,
        }

    def all_identifiers(self) -> tuple[Identifier, ...]:
        """The record's own identifiers and its persons', each once, in order."""
        seen: dict[Identifier, None] = dict.fromkeys(self.identifiers)
        for person in self.persons:
            seen.update(dict.fromkeys(person.identifiers))
        return tuple(seen)

    def names(self) -> tuple[str, ...]:
        return tuple(name for person in self.persons for name in person.names)


#: Kinds that concern a crime, and so name its Art. 3 category and qualification.
KINDS_ABOUT_A_CRIME = frozenset({RecordKind.CRIME, RecordKind.PERSON, RecordKind.MODUS_OPERANDI})

RECORD_FIELDS = frozenset({
    "kind", "title", "summary", "handling", "crime_category", "legal_qualification",
    "persons", "identifiers", "reference",
})  # fmt: skip
HANDLING_FIELDS = frozenset({"purposes", "confidentiality", "onward_sharing"})
PERSON_FIELDS = frozenset({
    "kind", "names", "birth_date", "citizenship", "documents", "identifiers", "role",
})  # fmt: skip
DOCUMENT_FIELDS = frozenset({"kind", "number", "country"})
IDENTIFIER_FIELDS = frozenset({"kind", "value"})
_COUNTRY = re.compile(r"^[A-Z]{3}$")
#: Longest text accepted in a record field; a summary is a page, not a file.
MAX_TEXT = 20_000
MAX_PERSONS = 500
MAX_IDENTIFIERS = 5_000


@dataclass(slots=True)
class _Reader:
    problems: list[Violation] = field(default_factory=list)

    def text(self, data: Mapping[str, Any], name: str, path: str, required: bool) -> str:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(violation(path, "art5.record_required"))
            return ""
        if not isinstance(value, str):
            self.problems.append(violation(path, "input.type", "expected text"))
            return ""
        if len(value) > MAX_TEXT:
            self.problems.append(violation(path, "input.type", f"at most {MAX_TEXT} characters"))
            return ""
        if "\x00" in value:  # no officer types it, and PostgreSQL cannot store it
            self.problems.append(violation(path, "input.type", "a NUL character is not text"))
            return ""
        return value.strip()

    def unknown(self, data: Mapping[str, Any], known: frozenset[str], prefix: str) -> None:
        unknown_keys(data, known, prefix, self.problems)

    def items(self, data: Mapping[str, Any], name: str, path: str, limit: int) -> list[Any]:
        value = data.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(violation(path, "input.type", "expected a list"))
            return []
        if len(value) > limit:
            self.problems.append(violation(path, "input.type", f"at most {limit} entries"))
            return []
        return value

    def enum(self, kind: type[_E], value: object, path: str, rule: str = "input.type") -> _E | None:
        try:
            return kind(str(value).strip().lower()) if value is not None else kind("")
        except ValueError:
            known = ", ".join(k.value for k in kind)
            self.problems.append(violation(path, rule, f"got {value!r}; one of: {known}"))
            return None


def parse_record(data: object) -> RecordContent:
    """Build a record from its JSON form, or raise ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "a record is a JSON object")])
    r = _Reader()
    r.unknown(data, RECORD_FIELDS, "")
    kind = r.enum(RecordKind, data.get("kind"), "kind", "art5.record_kind")
    title = r.text(data, "title", "title", required=True)
    summary = r.text(data, "summary", "summary", required=True)
    reference = r.text(data, "reference", "reference", required=False)
    about_crime = kind in KINDS_ABOUT_A_CRIME
    category = _category(data.get("crime_category"), about_crime, r)
    qualification = r.text(data, "legal_qualification", "legal_qualification", required=False)
    if about_crime and not qualification and "legal_qualification" not in _fields(r):
        r.problems.append(violation("legal_qualification", "art3.qualification"))
    handling = _handling(data.get("handling"), r)
    persons = tuple(
        p
        for i, raw in enumerate(r.items(data, "persons", "persons", MAX_PERSONS))
        if (p := _person(raw, f"persons[{i}]", r)) is not None
    )
    if kind is RecordKind.PERSON and not persons and "persons" not in _fields(r):
        r.problems.append(violation("persons", "art5.person", "a record of this kind names one"))
    identifiers = _identifiers(data, "identifiers", "", r)
    for path, text in (("title", title), ("summary", summary)):
        if stamp := state_secret_stamp(text):
            r.problems.append(violation(path, "art10.state_secret", f"marked {stamp!r}"))
    if r.problems:
        raise ProtocolError(r.problems)
    assert kind is not None and handling is not None
    return RecordContent(
        kind=kind,
        title=title,
        summary=summary,
        handling=handling,
        crime_category=category,
        legal_qualification=qualification,
        persons=persons,
        identifiers=identifiers,
        reference=reference,
    )


def _fields(r: _Reader) -> set[str]:
    return {p.field.partition("[")[0] for p in r.problems}


def _category(raw: object, required: bool, r: _Reader) -> CrimeCategory | None:
    if raw is None or raw == "":
        if required:
            r.problems.append(violation("crime_category", "art3.category"))
        return None
    try:
        return CrimeCategory(str(raw).lower())
    except ValueError:
        r.problems.append(violation("crime_category", "art3.category", f"got {raw!r}"))
        return None


def _handling(raw: object, r: _Reader) -> Handling | None:
    if not isinstance(raw, Mapping):
        r.problems.append(violation("handling", "art10.purposes", "handling conditions"))
        return None
    r.unknown(raw, HANDLING_FIELDS, "handling.")
    purposes: set[Purpose] = set()
    raw_purposes = raw.get("purposes")
    if not isinstance(raw_purposes, list) or not raw_purposes:
        r.problems.append(violation("handling.purposes", "art10.purposes"))
    else:
        for i, value in enumerate(raw_purposes):
            purpose = r.enum(Purpose, value, f"handling.purposes[{i}]", "art10.purposes")
            if purpose is not None:
                purposes.add(purpose)
    level: Confidentiality | None = None
    raw_level = str(raw.get("confidentiality") or "").strip().lower()
    if raw_level in STATE_SECRET_LEVELS:
        r.problems.append(
            violation("handling.confidentiality", "art10.state_secret", f"marked {raw_level!r}")
        )
    else:
        level = r.enum(
            Confidentiality, raw_level, "handling.confidentiality", "art10.confidentiality"
        )
    onward = raw.get("onward_sharing", False)
    if not isinstance(onward, bool):
        r.problems.append(violation("handling.onward_sharing", "input.type", "true or false"))
        onward = False
    if level is None or not purposes:
        return None
    return Handling(frozenset(purposes), level, onward)


def _person(raw: object, path: str, r: _Reader) -> Person | None:
    if not isinstance(raw, Mapping):
        r.problems.append(violation(path, "input.type", "a person is a JSON object"))
        return None
    before = len(r.problems)
    r.unknown(raw, PERSON_FIELDS, f"{path}.")
    kind = r.enum(PersonKind, raw.get("kind") or "natural", f"{path}.kind")
    names: list[str] = []
    for i, name in enumerate(r.items(raw, "names", f"{path}.names", 50)):
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            r.problems.append(violation(f"{path}.names[{i}]", "art5.person", "1–300 characters"))
        elif name.strip() not in names:
            names.append(" ".join(name.split()))
    if not names and f"{path}.names" not in {p.field for p in r.problems}:
        r.problems.append(violation(f"{path}.names", "art5.person"))
    birth = _birth_date(raw.get("birth_date"), f"{path}.birth_date", r)
    citizenship: list[str] = []
    for i, code in enumerate(r.items(raw, "citizenship", f"{path}.citizenship", 10)):
        if not isinstance(code, str) or not _COUNTRY.match(code.strip().upper()):
            r.problems.append(
                violation(f"{path}.citizenship[{i}]", "input.type", "ISO 3166-1 alpha-3 (KAZ)")
            )
        else:
            citizenship.append(code.strip().upper())
    documents = tuple(
        d
        for i, doc in enumerate(r.items(raw, "documents", f"{path}.documents", 50))
        if (d := _document(doc, f"{path}.documents[{i}]", r)) is not None
    )
    identifiers = _identifiers(raw, "identifiers", f"{path}.", r)
    role = r.text(raw, "role", f"{path}.role", required=False)
    if len(r.problems) > before or kind is None:
        return None
    return Person(kind, tuple(names), birth, tuple(citizenship), documents, identifiers, role)


def _birth_date(raw: object, path: str, r: _Reader) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError
        return date.fromisoformat(raw.strip())
    except ValueError:
        r.problems.append(violation(path, "input.type", "a date as YYYY-MM-DD"))
        return None


def _document(raw: object, path: str, r: _Reader) -> IdentityDocument | None:
    if not isinstance(raw, Mapping):
        r.problems.append(violation(path, "input.type", "a document is a JSON object"))
        return None
    r.unknown(raw, DOCUMENT_FIELDS, f"{path}.")
    kind = r.enum(DocumentKind, raw.get("kind") or "other", f"{path}.kind")
    number = r.text(raw, "number", f"{path}.number", required=True)
    country = r.text(raw, "country", f"{path}.country", required=False).upper()
    if country and not _COUNTRY.match(country):
        r.problems.append(violation(f"{path}.country", "input.type", "ISO 3166-1 alpha-3"))
        return None
    if kind is None or not number:
        return None
    # Numbers are compared without spaces and dashes: "N 12 34-56" is "N123456".
    return IdentityDocument(kind, re.sub(r"[\s\-]", "", number).upper(), country)


def _identifiers(
    data: Mapping[str, Any], name: str, prefix: str, r: _Reader
) -> tuple[Identifier, ...]:
    found: dict[Identifier, None] = {}
    for i, raw in enumerate(r.items(data, name, f"{prefix}{name}", MAX_IDENTIFIERS)):
        path = f"{prefix}{name}[{i}]"
        if not isinstance(raw, Mapping):
            r.problems.append(violation(path, "input.type", "an identifier is {kind, value}"))
            continue
        r.unknown(raw, IDENTIFIER_FIELDS, f"{path}.")
        try:
            found[identifier(str(raw.get("kind", "")), str(raw.get("value") or ""))] = None
        except ValueError as exc:
            r.problems.append(violation(path, "art5.identifier", str(exc)))
    return tuple(found)


def load_record(data: Mapping[str, Any]) -> RecordContent:
    """A stored or received record (already checked once) back as ``RecordContent``."""
    return parse_record(data)
