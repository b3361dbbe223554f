"""The compose form of a record of information (Art. 5 para 1) and its labels.

The form is flat (``page.form()`` keeps one value per name), so checkboxes have names of
their own (``purpose.investigation``, ``party.RUS``) and a person's fields are prefixed
with its slot (``p0.names``). Lists are typed one per line: names in every script,
``kind: value`` identifiers, ``kind: number, COUNTRY`` identity documents. The document
built here is the record's JSON form (``ozara.core.records.parse_record``), so the core
checks it and every violation comes back to the field it belongs to, with its article.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from ozara.core.identifiers import IdentifierKind
from ozara.core.parties import Party
from ozara.core.records import Confidentiality, DocumentKind, PersonKind, Purpose, RecordKind
from ozara.core.requests import CrimeCategory
from ozara.core.rules import RULES, ProtocolError, Violation, article_in
from ozara.federation.records import FederatedRecordPeers
from ozara.federation.requests import FederatedPeers
from ozara.services.records import RecordPeers

from . import i18n
from .i18n import N_, UTC
from .page import Forbidden, Page, WebConfig

KINDS: dict[str, str] = {
    RecordKind.CRIME: N_("Crime being prepared or committed"),
    RecordKind.PERSON: N_("Person involved in a crime"),
    RecordKind.COUNTERMEASURE: N_("Forms and methods of countering IT crime"),
    RecordKind.MODUS_OPERANDI: N_("New method of committing IT crime"),
    RecordKind.LAW: N_("National law, adopted or planned"),
    RecordKind.TREATY: N_("International treaty"),
}
PURPOSES: dict[str, str] = {
    Purpose.PREVENTION: N_("prevention"),
    Purpose.DETECTION: N_("detection"),
    Purpose.SUPPRESSION: N_("suppression"),
    Purpose.SOLVING: N_("solving"),
    Purpose.INVESTIGATION: N_("investigation"),
    Purpose.ANALYSIS: N_("analysis"),
    Purpose.TRAINING: N_("training (Art. 5 para 4)"),
    Purpose.RESEARCH: N_("research (Art. 5 para 6)"),
}
LEVELS: dict[str, str] = {
    Confidentiality.OPEN: N_("open"),
    Confidentiality.OFFICIAL_USE: N_("for official use"),
    Confidentiality.CONFIDENTIAL: N_("confidential"),
}
PERSON_KINDS: dict[str, str] = {
    PersonKind.NATURAL: N_("natural person"),
    PersonKind.LEGAL: N_("legal person"),
}
DOCUMENT_KINDS: dict[str, str] = {
    DocumentKind.PASSPORT: N_("passport"),
    DocumentKind.ID_CARD: N_("identity card"),
    DocumentKind.RESIDENCE_PERMIT: N_("residence permit"),
    DocumentKind.TAX_NUMBER: N_("tax or identification number"),
    DocumentKind.REGISTRATION: N_("state registration"),
    DocumentKind.OTHER: N_("other document"),
}
IDENTIFIER_KINDS: dict[str, str] = {
    IdentifierKind.EMAIL: N_("e-mail"),
    IdentifierKind.PHONE: N_("telephone"),
    IdentifierKind.IP: N_("IP address"),
    IdentifierKind.IP_RANGE: N_("IP range"),
    IdentifierKind.DOMAIN: N_("domain"),
    IdentifierKind.URL: N_("URL"),
    IdentifierKind.WALLET: N_("wallet"),
    IdentifierKind.HANDLE: N_("account handle"),
}
CONSENT_STATES: dict[str, str] = {
    "requested": N_("waiting for an answer"),
    "granted": N_("granted"),
    "refused": N_("refused"),
}
#: Person slots on a new form; ``?persons=N`` asks for more (up to ``MAX_SLOTS``).
SLOTS = 2
MAX_SLOTS = 12
PERSON_FIELDS = ("kind", "names", "birth_date", "citizenship", "documents", "identifiers", "role")
_INDEX = re.compile(r"\[(\d+)\]")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _identifier(line: str) -> dict[str, str]:
    kind, sep, value = line.partition(":")
    if not sep:
        return {"kind": "", "value": line}
    return {"kind": kind.strip().lower(), "value": value.strip()}


def _document(line: str) -> dict[str, str]:
    kind, sep, rest = line.partition(":")
    if not sep:
        kind, rest = "other", line
    number, comma, country = rest.rpartition(",")
    if not comma or not re.fullmatch(r"\s*[A-Za-z]{3}\s*", country):
        number, country = rest, ""
    return {"kind": kind.strip().lower(), "number": number.strip(), "country": country.strip()}


def slots(form: dict[str, Any], wanted: str | None = None) -> int:
    """How many person slots the form shows: one more than those filled, at least
    ``SLOTS``, or as many as ``?persons=`` asks (up to ``MAX_SLOTS``)."""
    used = [int(m[1]) + 2 for k in form if (m := re.match(r"p(\d+)\.(?!kind$)", k)) and form[k]]
    asked = int(wanted) if wanted and wanted.isdigit() else 0
    return min(MAX_SLOTS, max(SLOTS, asked, *used))


def document_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The record's JSON form that the compose form describes."""
    persons = []
    for n in range(MAX_SLOTS):
        fields = {f: form.get(f"p{n}.{f}", "").strip() for f in PERSON_FIELDS if f != "kind"}
        if not any(fields.values()):
            continue
        persons.append({
            "kind": form.get(f"p{n}.kind") or PersonKind.NATURAL.value,
            "names": _lines(fields["names"]),
            "birth_date": fields["birth_date"] or None,
            "citizenship": [c for c in re.split(r"[\s,;]+", fields["citizenship"]) if c],
            "documents": [_document(line) for line in _lines(fields["documents"])],
            "identifiers": [_identifier(line) for line in _lines(fields["identifiers"])],
            "role": fields["role"],
        })  # fmt: skip
    return {
        "kind": form.get("kind", ""),
        "title": form.get("title", "").strip(),
        "summary": form.get("summary", "").strip(),
        "reference": form.get("reference", "").strip(),
        "crime_category": form.get("crime_category") or None,
        "legal_qualification": form.get("legal_qualification", "").strip(),
        "handling": {
            "purposes": [p.value for p in Purpose if form.get(f"purpose.{p.value}") == "1"],
            "confidentiality": form.get("confidentiality", ""),
            "onward_sharing": form.get("onward_sharing") == "1",
        },
        "persons": persons,
        "identifiers": [_identifier(line) for line in _lines(form.get("identifiers", ""))],
    }


def form_from_document(doc: dict[str, Any]) -> dict[str, str]:
    """The compose form filled from a record's JSON form (to update it)."""
    handling = doc.get("handling") or {}
    form: dict[str, str] = {
        "kind": doc.get("kind") or "",
        "title": doc.get("title") or "",
        "summary": doc.get("summary") or "",
        "reference": doc.get("reference") or "",
        "crime_category": doc.get("crime_category") or "",
        "legal_qualification": doc.get("legal_qualification") or "",
        "confidentiality": handling.get("confidentiality") or "",
        "onward_sharing": "1" if handling.get("onward_sharing") else "",
        "identifiers": "\n".join(f"{i['kind']}: {i['value']}" for i in doc.get("identifiers", [])),
    }
    for purpose in handling.get("purposes", []):
        form[f"purpose.{purpose}"] = "1"
    for n, p in enumerate(doc.get("persons", [])):
        docs = [f"{d['kind']}: {d['number']}" + (f", {d['country']}" if d.get("country") else "")
                for d in p.get("documents", [])]  # fmt: skip
        form |= {
            f"p{n}.kind": p.get("kind") or "",
            f"p{n}.names": "\n".join(p.get("names", [])),
            f"p{n}.birth_date": p.get("birth_date") or "",
            f"p{n}.citizenship": ", ".join(p.get("citizenship", [])),
            f"p{n}.documents": "\n".join(docs),
            f"p{n}.identifiers": "\n".join(
                f"{i['kind']}: {i['value']}" for i in p.get("identifiers", [])
            ),
            f"p{n}.role": p.get("role") or "",
        }
    return form


def form_field(v: Violation) -> str:
    """The form field a violation belongs to: ``persons[1].names[0]`` → ``p1.names``,
    ``handling.purposes[2]`` → ``purposes``, ``identifiers[3]`` → ``identifiers``."""
    path = v.field
    if path.startswith("handling"):
        name = path.removeprefix("handling").lstrip(".").split("[")[0]
        return name or "purposes"
    if path.startswith("persons"):
        match = re.match(r"persons\[(\d+)\]\.?(\w*)", path)
        if match is None:
            return "p0.names"
        slot, name = match.groups()
        return f"p{slot}.{name if name in PERSON_FIELDS else 'names'}"
    return path.split(".")[0].split("[")[0] or "title"


def explain(v: Violation, lang: str) -> str:
    """The broken rule in ``lang`` with its article; the core's detail as it gave it."""
    rule = RULES[v.rule]
    detail = v.message.removeprefix(rule.text_en).removeprefix(": ")
    text = rule.text(lang) + (f": {detail}" if detail else "")
    if not v.article.startswith("Art."):
        return text  # a format rule ("—"), not one of the Protocol's
    return f"{text} ({article_in(v.article, lang)})"


def line_of(v: Violation) -> int | None:
    """The line (from 1) of a list field a violation names, if it names one."""
    found = _INDEX.findall(v.field.removeprefix("persons").lstrip("[0123456789]"))
    return int(found[0]) + 1 if found else None


def parties() -> list[str]:
    return [p.value for p in Party]


def categories() -> list[str]:
    return [c.value for c in CrimeCategory]


def labels(page: Page) -> dict[str, Any]:
    """The label functions every records template uses."""
    t = page._
    return {
        "kind_label": lambda k: t(KINDS.get(k) or k),
        "purpose_label": lambda p: t(PURPOSES.get(p) or p),
        "level_label": lambda c: t(LEVELS.get(c) or c),
        "person_kind_label": lambda k: t(PERSON_KINDS.get(k) or k),
        "document_label": lambda k: t(DOCUMENT_KINDS.get(k) or k),
        "identifier_label": lambda k: t(IDENTIFIER_KINDS.get(k) or k),
        "consent_label": lambda s: t(CONSENT_STATES.get(s) or s),
        "when": lambda d: i18n.local_time(d, UTC, page.lang) if d else "—",
    }


def denial(page: Page, error: ProtocolError) -> list[str]:
    return [explain(v, page.lang) for v in error.violations]


#: Refusals about who may touch the record, not about what the form says: a 403.
_ACCESS_RULES = frozenset({"art10.not_shared", "art10.owner", "art10.revoked"})


def forbid_if_access(page: Page, error: ProtocolError) -> None:
    """Raise ``Forbidden`` (403, with the article) where the refusal is about access."""
    if all(v.rule in _ACCESS_RULES for v in error.violations):
        raise Forbidden("; ".join(denial(page, error))) from None


def officer_id(page: Page) -> str:
    assert page.session is not None
    return page.session.officer.id


def until_of(text: str) -> datetime | None:
    """A consent's last day (``YYYY-MM-DD``) as the end of that day, UTC."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def record_peers(config: WebConfig) -> RecordPeers | None:
    """The federation adapter for records, made from the one for requests (the same node
    keys and trust list); ``None`` on a node outside a federation."""
    peers = config.peers
    if isinstance(peers, FederatedPeers):
        return FederatedRecordPeers(peers.keys, peers.trust)
    return None
