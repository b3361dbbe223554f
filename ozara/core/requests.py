"""The request of Art. 6: its content and the checks on it.

Parsing collects every violation at once, each naming its field, rule and article, so
that an officer fixes a draft in one pass instead of one error at a time.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ozara.core.parties import Registry
from ozara.core.rules import ProtocolError, Violation, violation
from ozara.core.treaty import TreatyStatus


class CrimeCategory(enum.StrEnum):
    """Art. 3: crimes committed using IT against ..."""

    CONSTITUTIONAL_ORDER = "a"  # the foundations of the constitutional order and state security
    PEACE_AND_SECURITY = "b"  # peace and the security of mankind
    IT_CRIME = "c"  # crimes qualified as IT crimes


class AssistanceKind(enum.StrEnum):
    OPERATIONAL_SEARCH_MEASURE = "operational_search_measure"
    PROCEDURAL_ACTION = "procedural_action"


@dataclass(frozen=True, slots=True)
class AssistanceItem:
    kind: AssistanceKind
    description: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    size: int
    sha256: str
    media_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class RequestContent:
    """Everything Art. 6 para 2 requires a request to state, plus Art. 3's category."""

    requesting_body: str
    requested_body: str
    purpose: str
    justification: str
    substance: str
    assistance_items: tuple[AssistanceItem, ...]
    assistance_text: str
    execution_terms: str
    crime_category: CrimeCategory
    legal_qualification: str
    other_information: str = ""
    urgent: bool = False
    #: Art. 6 para 4: the operational information that makes the matter urgent.
    urgent_grounds: str = ""
    #: Art. 7 para 2: a term agreed under a mutual-assistance treaty, in days.
    agreed_term_days: int | None = None
    attachments: tuple[Attachment, ...] = ()
    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "requesting_body": self.requesting_body,
            "requested_body": self.requested_body,
            "purpose": self.purpose,
            "justification": self.justification,
            "substance": self.substance,
            "assistance": {
                "items": [
                    {"kind": i.kind.value, "description": i.description}
                    for i in self.assistance_items
                ],
                "text": self.assistance_text,
            },
            "execution_terms": self.execution_terms,
            "other_information": self.other_information,
            "crime_category": self.crime_category.value,
            "legal_qualification": self.legal_qualification,
            "urgent": self.urgent,
            "urgent_grounds": self.urgent_grounds,
            "agreed_term_days": self.agreed_term_days,
            "attachments": [
                {
                    "filename": a.filename,
                    "size": a.size,
                    "sha256": a.sha256,
                    "media_type": a.media_type,
                }
                for a in self.attachments
            ],
            "reference": self.reference,
        }


_REQUIRED_TEXT = (
    "requesting_body",
    "requested_body",
    "purpose",
    "justification",
    "substance",
    "execution_terms",
    "legal_qualification",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Longest agreed term accepted; a longer one is almost surely a typing error.
MAX_AGREED_TERM_DAYS = 366


@dataclass(slots=True)
class _Reader:
    data: Mapping[str, Any]
    problems: list[Violation] = field(default_factory=list)

    def text(self, name: str, required: bool, rule: str = "art6.required") -> str:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(violation(name, rule))
            return ""
        if not isinstance(value, str):
            self.problems.append(violation(name, "input.type", "expected text"))
            return ""
        if "\x00" in value:  # no officer types it, and PostgreSQL cannot store it
            self.problems.append(violation(name, "input.type", "a NUL character is not text"))
            return ""
        return value.strip()


def parse_request(data: object) -> RequestContent:
    """Build a request from its JSON form, or raise ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "a request is a JSON object")])
    r = _Reader(data)
    unknown_keys(data, TOP_LEVEL_FIELDS, "", r.problems)
    texts = {name: r.text(name, required=True) for name in _REQUIRED_TEXT}
    other = r.text("other_information", required=False)
    reference = r.text("reference", required=False)

    category: CrimeCategory | None = None
    raw_category = data.get("crime_category")
    if raw_category is None or raw_category == "":
        r.problems.append(violation("crime_category", "art3.category"))
    else:
        try:
            category = CrimeCategory(str(raw_category).lower())
        except ValueError:
            r.problems.append(violation("crime_category", "art3.category", f"got {raw_category!r}"))
    missing_qualification = [
        p for p in r.problems if p.field == "legal_qualification" and p.rule == "art6.required"
    ]
    if missing_qualification:
        # Reported under Art. 3, which is why the field is needed, not only Art. 6; a
        # value of the wrong type keeps its own message.
        r.problems.remove(missing_qualification[0])
        r.problems.append(violation("legal_qualification", "art3.qualification"))

    items, assistance_text = _parse_assistance(data.get("assistance"), r.problems)

    urgent = data.get("urgent", False)
    if not isinstance(urgent, bool):
        r.problems.append(violation("urgent", "input.type", "expected true or false"))
        urgent = False
    urgent_grounds = r.text("urgent_grounds", required=urgent, rule="art6.urgent")

    agreed = _whole_number(data.get("agreed_term_days"))
    if agreed is not None and (
        isinstance(agreed, bool)
        or not isinstance(agreed, int)
        or not 1 <= agreed <= MAX_AGREED_TERM_DAYS
    ):
        r.problems.append(
            violation(
                "agreed_term_days",
                "art7.execution_term",
                f"an agreed term is a whole number of days from 1 to {MAX_AGREED_TERM_DAYS}",
            )
        )
        agreed = None

    attachments = _parse_attachments(data.get("attachments", []), r.problems)
    if texts["requesting_body"] and texts["requesting_body"] == texts["requested_body"]:
        r.problems.append(violation("requested_body", "art4.distinct_parties"))

    if r.problems:
        raise ProtocolError(r.problems)
    assert category is not None
    return RequestContent(
        requesting_body=texts["requesting_body"],
        requested_body=texts["requested_body"],
        purpose=texts["purpose"],
        justification=texts["justification"],
        substance=texts["substance"],
        assistance_items=items,
        assistance_text=assistance_text,
        execution_terms=texts["execution_terms"],
        crime_category=category,
        legal_qualification=texts["legal_qualification"],
        other_information=other,
        urgent=urgent,
        urgent_grounds=urgent_grounds,
        agreed_term_days=agreed,
        attachments=attachments,
        reference=reference,
    )


#: The fields of a request document; any other key is refused (a typo would be lost).
TOP_LEVEL_FIELDS = frozenset({
    "requesting_body", "requested_body", "purpose", "justification", "substance",
    "assistance", "execution_terms", "other_information", "crime_category",
    "legal_qualification", "urgent", "urgent_grounds", "agreed_term_days", "attachments",
    "reference",
})  # fmt: skip
ASSISTANCE_FIELDS = frozenset({"items", "text"})
ITEM_FIELDS = frozenset({"kind", "description"})
ATTACHMENT_FIELDS = frozenset({"filename", "size", "sha256", "media_type"})


def unknown_keys(
    data: Mapping[str, Any], known: frozenset[str], prefix: str, problems: list[Violation]
) -> None:
    for key in data:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
        problems.append(violation(f"{prefix}{key}", "input.unknown_field", hint))


def _whole_number(value: object) -> object:
    """JSON does not tell 30 from 30.0; like JSON Schema, a whole decimal is an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _parse_assistance(
    raw: object, problems: list[Violation]
) -> tuple[tuple[AssistanceItem, ...], str]:
    if not isinstance(raw, Mapping):
        problems.append(
            violation("assistance", "art6.required", "the content of the assistance sought")
        )
        return (), ""
    unknown_keys(raw, ASSISTANCE_FIELDS, "assistance.", problems)
    text = raw.get("text", "")
    if not isinstance(text, str):
        problems.append(violation("assistance.text", "input.type", "expected text"))
        text = ""
    raw_items = raw.get("items", [])
    if not isinstance(raw_items, list):
        problems.append(violation("assistance.items", "input.type", "expected a list"))
        raw_items = []
    items: list[AssistanceItem] = []
    for n, item in enumerate(raw_items):
        where = f"assistance.items[{n}]"
        if not isinstance(item, Mapping):
            problems.append(violation(where, "input.type", "expected an object"))
            continue
        unknown_keys(item, ITEM_FIELDS, f"{where}.", problems)
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            problems.append(violation(f"{where}.description", "art6.required"))
            continue
        try:
            kind = AssistanceKind(str(item.get("kind")))
        except ValueError:
            problems.append(
                violation(f"{where}.kind", "art6.assistance_item", f"got {item.get('kind')!r}")
            )
            continue
        items.append(AssistanceItem(kind, description.strip()))
    if not items and not text.strip():
        problems.append(
            violation(
                "assistance",
                "art6.required",
                "at least one item or a text describing the assistance",
            )
        )
    return tuple(items), text.strip()


def _parse_attachments(raw: object, problems: list[Violation]) -> tuple[Attachment, ...]:
    if not isinstance(raw, list):
        problems.append(violation("attachments", "input.type", "expected a list"))
        return ()
    out: list[Attachment] = []
    for n, a in enumerate(raw):
        where = f"attachments[{n}]"
        if not isinstance(a, Mapping):
            problems.append(violation(where, "input.type", "expected an object"))
            continue
        unknown_keys(a, ATTACHMENT_FIELDS, f"{where}.", problems)
        name, size, digest = a.get("filename"), _whole_number(a.get("size")), a.get("sha256")
        media = a.get("media_type", "application/octet-stream")
        if not isinstance(name, str) or not name.strip():
            problems.append(violation(f"{where}.filename", "art6.attachment"))
        elif isinstance(size, bool) or not isinstance(size, int) or size < 0:
            problems.append(violation(f"{where}.size", "art6.attachment"))
        elif not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
            problems.append(
                violation(f"{where}.sha256", "art6.attachment", "64 hexadecimal characters")
            )
        elif not isinstance(media, str):
            problems.append(violation(f"{where}.media_type", "input.type", "expected text"))
        else:
            if any(o.sha256 == digest.lower() for o in out):
                problems.append(
                    violation(f"{where}.sha256", "art6.attachment", "the same file twice")
                )
                continue
            out.append(Attachment(name.strip(), size, digest.lower(), media))
    return tuple(out)


def content_from_stored(data: Mapping[str, Any]) -> RequestContent:
    """Rebuild a request stored by this node, without validating it again.

    It was validated when it came in, under the rules of that day; a later, stricter
    rule must not make old cases unreadable.
    """
    assistance = data.get("assistance") or {}
    return RequestContent(
        requesting_body=data["requesting_body"],
        requested_body=data["requested_body"],
        purpose=data.get("purpose", ""),
        justification=data.get("justification", ""),
        substance=data.get("substance", ""),
        assistance_items=tuple(
            AssistanceItem(AssistanceKind(i["kind"]), i["description"])
            for i in assistance.get("items", [])
        ),
        assistance_text=assistance.get("text", ""),
        execution_terms=data.get("execution_terms", ""),
        crime_category=CrimeCategory(data["crime_category"]),
        legal_qualification=data.get("legal_qualification", ""),
        other_information=data.get("other_information", ""),
        urgent=bool(data.get("urgent", False)),
        urgent_grounds=data.get("urgent_grounds", ""),
        agreed_term_days=data.get("agreed_term_days"),
        attachments=tuple(
            Attachment(a["filename"], a["size"], a["sha256"], a.get("media_type", ""))
            for a in data.get("attachments", [])
        ),
        reference=data.get("reference", ""),
    )


def check_parties(
    content: RequestContent, registry: Registry, treaty: TreatyStatus, at: datetime
) -> list[Violation]:
    """The checks that need the registry and the treaty status at a moment (Art. 4, 16)."""
    problems: list[Violation] = []
    bodies = {}
    for name in ("requesting_body", "requested_body"):
        body_id = getattr(content, name)
        body = registry.get(body_id)
        if body is None:
            problems.append(violation(name, "art4.designated", f"unknown body {body_id!r}"))
        elif not body.is_designated(at):
            problems.append(
                violation(name, "art4.designated", f"{body_id!r} is not designated on {at.date()}")
            )
        else:
            bodies[name] = body
    if len(bodies) == 2:
        requesting, requested = bodies["requesting_body"], bodies["requested_body"]
        if requesting.party is requested.party:
            problems.append(violation("requested_body", "art4.distinct_parties"))
        else:
            local_day = at.astimezone(requesting.zone).date()
            problems.extend(
                treaty.check_pair(requesting.party, requested.party, local_day).violations
            )
    return problems
