"""Bulk import of records: CSV rows or the records of a STIX bundle, one at a time.

Each record is checked with ``parse_record`` (every violation at once) and then handed to
``create``, which stores it in one transaction of its own: a record is stored whole or
not at all, and a rejected record never stops the others. The report lists the records
stored and, for each rejected one, its row, the field (the CSV column, or the STIX
object), the rule, the article and the message. docs/interop.md describes the CSV layout.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from ozara.core.identifiers import IdentifierKind
from ozara.core.records import RECORD_FIELDS, parse_record
from ozara.core.rules import ProtocolError, Violation, violation
from ozara.interop.stix_import import ImportDefaults, Unmapped, records_from_stix

Create = Callable[[dict[str, Any]], str]
Progress = Callable[[int, int], None]

#: The columns of the CSV layout, in the template's order; any subset, in any order.
IDENTIFIER_COLUMNS = tuple(k.value for k in IdentifierKind)
PERSON_COLUMNS = (
    "person_kind",
    "person_names",
    "person_birth_date",
    "person_citizenship",
    "person_documents",
    "person_role",
)
COLUMNS = (
    "kind",
    "title",
    "summary",
    "crime_category",
    "legal_qualification",
    "reference",
    "purposes",
    "confidentiality",
    "onward_sharing",
    *IDENTIFIER_COLUMNS,
    *PERSON_COLUMNS,
)
MAX_ROWS = 100_000
_YES = {"yes", "y", "true", "1", "да", "д", "иә", "ия"}
_NO = {"no", "n", "false", "0", "нет", "н", "жоқ", ""}
#: Several values in one cell: one a line (Alt+Enter in Excel) or separated by "|".
_MANY = re.compile(r"\s*[\r\n|]+\s*")
_WORDS = re.compile(r"[\s,;|]+")


class CsvFormatError(ValueError):
    """The file cannot be read as the CSV layout at all (encoding, header)."""


@dataclass(frozen=True, slots=True)
class Pending:
    """One record to import: its row (CSV row as a spreadsheet numbers it, or the record's
    position in a bundle), where it came from, and the faults found while reading it."""

    row: int
    source: str
    document: dict[str, Any]
    problems: tuple[Violation, ...] = ()
    locate: Callable[[str], str] = str


@dataclass(frozen=True, slots=True)
class Accepted:
    row: int
    source: str
    record_id: str


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row: int
    source: str
    field: str
    rule: str
    article: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "source": self.source,
            "field": self.field,
            "rule": self.rule,
            "article": self.article,
            "message": self.message,
        }


@dataclass(slots=True)
class ImportReport:
    total: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    #: STIX objects that map to no part of a record.
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "accepted": [
                {"row": a.row, "source": a.source, "record_id": a.record_id} for a in self.accepted
            ],
            "rejected": [r.as_dict() for r in self.rejected],
            "unmapped": [
                {"object_id": u.object_id, "type": u.object_type, "reason": u.reason}
                for u in self.unmapped
            ],
        }


class ImportInterrupted(Exception):
    """Something other than a record's own fault stopped the import (the database, access);
    the records stored before it stay stored and are in ``report``."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"import stopped after {len(report.accepted)} record(s)")
        self.report = report


def import_items(
    items: Sequence[Pending],
    create: Create,
    progress: Progress | None = None,
    unmapped: Sequence[Unmapped] = (),
) -> ImportReport:
    """Check and store each record; collect the rejected ones; call ``progress(done, total)``
    after each."""
    report = ImportReport(total=len(items), unmapped=list(unmapped))
    for done, item in enumerate(items, 1):
        problems = list(item.problems)
        try:
            parse_record(item.document)
        except ProtocolError as exc:
            problems += exc.violations
        if not problems:
            try:
                record_id = create(item.document)
            except ProtocolError as exc:
                problems += exc.violations
            except Exception as exc:
                raise ImportInterrupted(report) from exc
            else:
                report.accepted.append(Accepted(item.row, item.source, record_id))
        report.rejected += [
            RejectedRow(item.row, item.source, item.locate(v.field), v.rule, v.article, v.message)
            for v in problems
        ]
        if progress is not None:
            progress(done, len(items))
    return report


# --- CSV --------------------------------------------------------------------------------


def decode(data: bytes | str) -> str:
    """UTF-8, with or without the byte-order mark Excel writes."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFormatError(
            "not UTF-8 text; in Excel, save as 'CSV UTF-8 (comma delimited)'"
        ) from None


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_items(data: bytes | str, defaults: ImportDefaults | None = None) -> list[Pending]:
    """The records of a CSV file, one a row; ``defaults`` fill the empty handling cells."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvFormatError("the file is empty; the first row names the columns") from None
    except csv.Error as exc:
        raise CsvFormatError(f"row 1: {exc}") from None
    unknown = [h for h in header if h not in COLUMNS and h]
    if unknown:
        raise CsvFormatError(
            f"row 1: unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}"
        )
    if "title" not in header:
        raise CsvFormatError("row 1: the first row names the columns, and 'title' is one")
    items: list[Pending] = []
    try:
        for number, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(items) >= MAX_ROWS:
                raise CsvFormatError(f"more than {MAX_ROWS} rows; split the file")
            row = {h: c for h, c in zip(header, cells, strict=False) if h}
            items.append(_row(number, row, defaults or ImportDefaults()))
    except csv.Error as exc:
        raise CsvFormatError(f"row {reader.line_num}: {exc}") from None
    return items


def _row(number: int, row: Mapping[str, str], defaults: ImportDefaults) -> Pending:
    problems: list[Violation] = []

    def cell(name: str) -> str:
        return row.get(name, "").strip()

    document: dict[str, Any] = {
        name: cell(name) or None
        for name in ("kind", "title", "summary", "crime_category", "reference")
    }
    document["kind"] = document["kind"] or defaults.kind
    document["crime_category"] = document["crime_category"] or defaults.crime_category
    document["legal_qualification"] = cell("legal_qualification") or defaults.legal_qualification
    onward_text = cell("onward_sharing").lower()
    if onward_text in _YES:
        onward = True
    elif onward_text in _NO:
        onward = defaults.onward_sharing if not onward_text else False
    else:
        problems.append(
            violation("onward_sharing", "input.type", f"yes or no, got {onward_text!r}")
        )
        onward = False
    purposes = [p for p in _WORDS.split(cell("purposes")) if p] or list(defaults.purposes)
    document["handling"] = {
        "purposes": purposes,
        "confidentiality": cell("confidentiality") or defaults.confidentiality,
        "onward_sharing": onward,
    }
    columns: list[str] = []
    identifiers: list[dict[str, str]] = []
    for kind in IDENTIFIER_COLUMNS:
        for value in _values(cell(kind)):
            identifiers.append({"kind": kind, "value": value})
            columns.append(kind)
    document["identifiers"] = identifiers
    document["persons"] = [_person(cell, problems)] if any(cell(c) for c in PERSON_COLUMNS) else []
    document = {k: v for k, v in document.items() if k in RECORD_FIELDS and v is not None}

    def locate(path: str) -> str:
        return _column(path, columns)

    return Pending(number, f"row {number}", document, tuple(problems), locate)


def _values(text: str) -> list[str]:
    return [v for v in _MANY.split(text) if v]


def _person(cell: Callable[[str], str], problems: list[Violation]) -> dict[str, Any]:
    documents: list[dict[str, str]] = []
    for entry in _values(cell("person_documents")):
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) == 2:
            documents.append({"kind": parts[0], "number": parts[1]})
        elif len(parts) == 3:
            documents.append({"kind": parts[0], "country": parts[1], "number": parts[2]})
        else:
            problems.append(
                violation("person_documents", "input.type", f"kind:country:number, got {entry!r}")
            )
    person: dict[str, Any] = {
        "kind": cell("person_kind") or "natural",
        "names": _values(cell("person_names")),
        "citizenship": [c for c in _WORDS.split(cell("person_citizenship")) if c],
        "documents": documents,
        "role": cell("person_role"),
    }
    if cell("person_birth_date"):
        person["birth_date"] = cell("person_birth_date")
    return person


_PERSON_FIELD = re.compile(r"^persons\[0\]\.?([a-z_]*)")


def _column(path: str, identifier_columns: Sequence[str]) -> str:
    """The CSV column a field of the record document came from."""
    if match := re.match(r"^identifiers\[(\d+)\]", path):
        index = int(match.group(1))
        return identifier_columns[index] if index < len(identifier_columns) else "identifiers"
    if match := _PERSON_FIELD.match(path):
        name = match.group(1)
        return f"person_{name}" if f"person_{name}" in PERSON_COLUMNS else "person_names"
    if path.startswith("persons"):
        return "person_names"
    if path.startswith("handling."):
        return path.removeprefix("handling.").partition("[")[0]
    if path == "handling":
        return "purposes"
    return path.partition("[")[0]


def import_csv(
    data: bytes | str,
    create: Create,
    *,
    defaults: ImportDefaults | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    return import_items(csv_items(data, defaults), create, progress)


# --- STIX -------------------------------------------------------------------------------


def stix_items(
    data: bytes | str | Mapping[str, Any], defaults: ImportDefaults
) -> tuple[list[Pending], list[Unmapped]]:
    """The records of a STIX bundle (row = position in the bundle), and what maps to none."""
    found = records_from_stix(data, defaults)
    items = [
        Pending(n, r.source, r.document, locate=r.locate) for n, r in enumerate(found.records, 1)
    ]
    return items, found.unmapped


def import_stix(
    data: bytes | str | Mapping[str, Any],
    create: Create,
    *,
    defaults: ImportDefaults,
    progress: Progress | None = None,
) -> ImportReport:
    items, unmapped = stix_items(data, defaults)
    return import_items(items, create, progress, unmapped)


# --- a file of either format ----------------------------------------------------------

FORMATS = ("csv", "stix")


def detect_format(filename: str, data: bytes | str) -> str:
    """``csv`` or ``stix``: by the file's extension, else by its first character."""
    suffix = filename.lower().rpartition(".")[2] if "." in filename else ""
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix in ("json", "stix"):
        return "stix"
    text = data[:64].decode("utf-8", "replace") if isinstance(data, bytes) else data[:64]
    return "stix" if text.lstrip("\ufeff \t\r\n").startswith("{") else "csv"


def run_import(
    data: bytes | str,
    filename: str,
    create: Create,
    *,
    format: str | None = None,
    defaults: ImportDefaults | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file or a STIX bundle (``format``, else :func:`detect_format`).
    ``ValueError`` (``CsvFormatError``, ``StixFormatError``) when the file cannot be read
    at all; a record's faults are in the report."""
    chosen = format or detect_format(filename, data)
    if chosen not in FORMATS:
        raise ValueError(f"unknown format {chosen!r}; one of: {', '.join(FORMATS)}")
    if chosen == "csv":
        return import_csv(data, create, defaults=defaults, progress=progress)
    return import_stix(data, create, defaults=defaults or ImportDefaults(), progress=progress)


# --- the report of rejected rows --------------------------------------------------------

REPORT_COLUMNS = ("row", "source", "field", "rule", "article", "message")


def write_rejected(report: ImportReport, out: IO[str]) -> None:
    """The rejected rows as CSV (UTF-8; the caller opens ``out`` with ``utf-8-sig`` for
    Excel), then the STIX objects that map to nothing, with rule ``stix.unmapped``."""
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for r in report.rejected:
        writer.writerow([r.row, r.source, r.field, r.rule, r.article, r.message])
    for u in report.unmapped:
        writer.writerow(["", u.object_id, u.object_type, "stix.unmapped", "", u.reason])
