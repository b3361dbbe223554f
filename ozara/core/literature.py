"""The library of exchanged scientific and technical literature (Art. 5 para 6).

A competent body adds a document (an article, a manual, a methodology, a report) with its
metadata and its file, and shares it with the Parties it chooses; their bodies find it by
its words and read it; the body that added it may withdraw it. Literature is not case
information: it carries no persons and no handling conditions, so purpose limitation
(Art. 10 para 2) does not apply to it. Reads are audited all the same (by the services).

State secrets are refused as for records (Art. 10 para 3: they travel only under the CSTO
agreement of 18 June 2004): a ``marking`` of a state-secret level, or a stamp in the title,
the abstract or a keyword (``ozara.core.records.state_secret_stamp``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ozara.core.parties import Officer, Party
from ozara.core.records import STATE_SECRET_LEVELS, state_secret_stamp
from ozara.core.requests import unknown_keys
from ozara.core.rules import Decision, ProtocolError, Violation, violation

MAX_TITLE = 500
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 50
MAX_KEYWORDS = 50
MAX_WORD = 200
#: The first year a document of the library may bear: older works are history, not the
#: exchange of experience the Protocol means.
FIRST_YEAR = 1950
#: ISO 639-1 (or 639-2) language code, lower case: ``ru``, ``kk``, ``en``, ``hy``, ``be``.
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_SHA256 = re.compile(r"[0-9a-f]{64}")

FIELDS = frozenset(
    {"title", "authors", "language", "year", "kind", "keywords", "abstract", "marking"}
)


class LiteratureKind(enum.StrEnum):
    ARTICLE = "article"
    MANUAL = "manual"
    METHODOLOGY = "methodology"
    REPORT = "report"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class LiteratureMeta:
    """What a document of the library says about itself."""

    title: str
    authors: tuple[str, ...]
    language: str
    year: int
    kind: LiteratureKind
    keywords: tuple[str, ...]
    abstract: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "authors": list(self.authors), "language": self.language,
            "year": self.year, "kind": self.kind.value, "keywords": list(self.keywords),
            "abstract": self.abstract,
        }  # fmt: skip

    def search_text(self) -> str:
        """The words searched: title, authors, keywords and abstract."""
        return "\n".join([self.title, *self.authors, *self.keywords, self.abstract])


@dataclass(frozen=True, slots=True)
class FileInfo:
    """The document's file as listed: its hash is what travels and is checked."""

    filename: str
    media_type: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"filename": self.filename, "media_type": self.media_type, "size": self.size,
                "sha256": self.sha256}  # fmt: skip


def parse_literature(data: object, *, this_year: int) -> LiteratureMeta:
    """The metadata from its JSON form, or ``ProtocolError`` listing every fault."""
    if not isinstance(data, Mapping):
        raise ProtocolError([violation("$", "input.type", "a document is a JSON object")])
    problems: list[Violation] = []
    unknown_keys(data, FIELDS, "", problems)
    title = _text(data.get("title"), "title", MAX_TITLE, problems)
    abstract = _text(data.get("abstract"), "abstract", MAX_ABSTRACT, problems)
    authors = _words(data, "authors", MAX_AUTHORS, problems, required=True)
    keywords = _words(data, "keywords", MAX_KEYWORDS, problems, required=False)
    language = str(data.get("language") or "").strip().lower()
    if not _LANGUAGE.fullmatch(language):
        problems.append(violation("language", "art5.literature_required", "an ISO 639 code"))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(violation("year", "art5.literature_required", "the year, a number"))
        year = 0
    elif not FIRST_YEAR <= year <= this_year + 1:
        detail = f"{year} is not between {FIRST_YEAR} and {this_year + 1}"
        problems.append(violation("year", "input.type", detail))
    try:
        kind = LiteratureKind(str(data.get("kind") or "").strip().lower())
    except ValueError:
        known = ", ".join(k.value for k in LiteratureKind)
        problems.append(violation("kind", "art5.literature_required", f"one of {known}"))
        kind = LiteratureKind.OTHER
    marking = str(data.get("marking") or "").strip().lower()
    if marking in STATE_SECRET_LEVELS:
        problems.append(violation("marking", "art10.state_secret", f"marked {marking!r}"))
    texts = [("title", title), ("abstract", abstract)]
    texts += [(f"keywords[{i}]", k) for i, k in enumerate(keywords)]
    for path, text in texts:
        if stamp := state_secret_stamp(text):
            problems.append(violation(path, "art10.state_secret", f"marked {stamp!r}"))
    if problems:
        raise ProtocolError(problems)
    return LiteratureMeta(title, authors, language, year, kind, keywords, abstract)


def _text(value: object, name: str, limit: int, problems: list[Violation]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(violation(name, "art5.literature_required"))
        return ""
    if len(value) > limit:
        problems.append(violation(name, "input.type", f"at most {limit} characters"))
    return value.strip()


def _words(
    data: Mapping[str, Any], name: str, limit: int, problems: list[Violation], *, required: bool
) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > limit:
        problems.append(violation(name, "input.type", f"a list of at most {limit}"))
        return ()
    out: list[str] = []
    for i, raw in enumerate(value):
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_WORD:
            problems.append(violation(f"{name}[{i}]", "input.type", f"1 to {MAX_WORD} characters"))
        elif raw.strip() not in out:
            out.append(raw.strip())
    if required and not value:
        problems.append(violation(name, "art5.literature_required", "at least one"))
    return tuple(out)


def parse_file(data: Mapping[str, Any]) -> FileInfo:
    """A file as listed in a document between nodes (``FileInfo.to_dict``)."""
    sha256, size = str(data.get("sha256", "")), data.get("size")
    filename, media_type = data.get("filename"), data.get("media_type")
    if (
        not _SHA256.fullmatch(sha256)
        or not isinstance(size, int)
        or size < 0
        or not isinstance(filename, str)
        or not filename.strip()
        or not isinstance(media_type, str)
        or not media_type
    ):
        raise ProtocolError([violation("file", "input.type", "filename, media type, size, sha256")])
    return FileInfo(filename, media_type, size, sha256)


def load_literature(data: Mapping[str, Any]) -> LiteratureMeta:
    """The metadata back from its stored JSON form (written by ``to_dict``)."""
    return LiteratureMeta(
        data["title"], tuple(data["authors"]), data["language"], int(data["year"]),
        LiteratureKind(data["kind"]), tuple(data["keywords"]), data["abstract"],
    )  # fmt: skip


# -- who may do what -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    """Who a document of the library belongs to and who it was shared with."""

    document_id: str
    owner_body: str
    owner_party: Party
    recipients: frozenset[Party]
    withdrawn_at: datetime | None = None

    def withdrawn(self, now: datetime) -> bool:
        return self.withdrawn_at is not None and self.withdrawn_at <= now


_READ_RULES = ("art5.literature_not_shared", "art5.literature_withdrawn")


def may_read(actor: Officer, party: Party | None, holding: Holding, now: datetime) -> Decision:
    """A body of the owner's Party always (national law, not the Protocol); a body of a
    Party it was shared with while it is not withdrawn; nobody else."""
    if actor.body_id is None or party is None:
        return _deny(_READ_RULES, "actor", "art5.literature_not_shared", "no competent body")
    if party is holding.owner_party:
        return Decision(True, _READ_RULES)
    if holding.withdrawn(now):
        return _deny(_READ_RULES, "document", "art5.literature_withdrawn", holding.document_id)
    if party not in holding.recipients:
        detail = f"{holding.document_id} was not shared with {party.value}"
        return _deny(_READ_RULES, "document", "art5.literature_not_shared", detail)
    return Decision(True, _READ_RULES)


def may_change(actor: Officer, holding: Holding, now: datetime) -> Decision:
    """Share or withdraw: the body that added the document, while it is not withdrawn."""
    rules = ("art5.literature_owner", "art5.literature_withdrawn")
    if actor.body_id != holding.owner_body:
        detail = f"{holding.document_id} belongs to {holding.owner_body}"
        return _deny(rules, "actor", "art5.literature_owner", detail)
    if holding.withdrawn(now):
        return _deny(rules, "document", "art5.literature_withdrawn", holding.document_id)
    return Decision(True, rules)


def _deny(rules: tuple[str, ...], where: str, rule: str, detail: str) -> Decision:
    return Decision(False, rules, (violation(where, rule, detail),))


__all__ = [
    "FileInfo", "Holding", "LiteratureKind", "LiteratureMeta", "load_literature",
    "may_change", "may_read", "parse_file", "parse_literature",
]  # fmt: skip
