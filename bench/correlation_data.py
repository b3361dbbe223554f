"""The store and the new records of the correlation bench (``bench/correlation.py``).

The store: the persons of the person search bench's generator (``bench.person_search.generate``,
two a record, the records of the six Parties' bodies), each person with an e-mail, an E.164
telephone and an account handle, each record with an IPv4 address, a domain, a wallet and
either a /24 range (even records) or a URL on a sub-domain of its domain (odd ones): ten
identifiers a record, five per person. Every value is made in normal form from the record's
number, so a new record can name a stored one's, and is unique across the store.

The rows are what storing the records would have written, built by the same functions:
``records`` from ``RecordContent.to_dict`` and ``record_rows.search_text``, the persons'
blocking keys as ``record_rows.blocks_of`` joins them, ``record_rows.identifier_rows``, and the
correlation terms from ``core.correlation.record_extract`` through
``store.correlations.term_rows``; each record's correlation job is there, done. Forked
workers build them on every core as COPY text, which the loading process only streams to the
server, with the secondary indexes and the big tables' primary keys dropped; those are built
again afterwards from their own definitions, then VACUUM ANALYZE.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import multiprocessing
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from ozara.core.correlation import Subject, SubjectType, record_extract
from ozara.core.identifiers import Identifier, IdentifierKind
from ozara.core.names import transliterate
from ozara.core.records import (
    Confidentiality,
    Handling,
    Person,
    PersonKind,
    Purpose,
    RecordContent,
    RecordKind,
)
from ozara.core.requests import CrimeCategory
from ozara.store.correlations import term_rows
from ozara.store.record_rows import identifier_rows, search_text

from .person_search import OWNERS, _blocks, generate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: The tables the load fills, and whose indexes it drops and builds again.
TABLES = ("records", "record_persons", "record_identifiers", "correlation_terms",
          "correlation_jobs")  # fmt: skip
#: Primary keys dropped too: nothing references them, and a B-tree is built faster at once.
DROPPED_KEYS = ("record_identifiers", "correlation_terms")
CHUNK = 20_000

PROVIDERS = ("mail.ru", "gmail.com", "yandex.ru", "inbox.kz", "tut.by", "list.ru")
HANDLES = ("telegram", "vk", "instagram")
WORDS = ("bank", "pay", "login", "bonus", "crypto", "shop", "market", "invest")
TLDS = ("kz", "ru", "by", "am", "kg", "tj", "com", "net")
#: E.164 prefix and the digits after it, per country: 11 or 12 digits, as the Parties'.
PHONES = {"RU": ("+79", 9), "KZ": ("+7701", 7), "KG": ("+996", 9), "TJ": ("+992", 9),
          "AM": ("+374", 8), "BY": ("+37529", 7)}  # fmt: skip
HANDLING = Handling(frozenset({Purpose.INVESTIGATION, Purpose.DETECTION}),
                    Confidentiality.OFFICIAL_USE)  # fmt: skip
_SPREAD = 2654435761  # a prime: k * _SPREAD mod m visits every residue once


def _id(kind: IdentifierKind, value: str) -> Identifier:
    return Identifier(kind, value)


def email_of(k: int) -> str:
    return f"user{k}@{PROVIDERS[k % len(PROVIDERS)]}"


def phone_of(country: str, k: int) -> str:
    prefix, digits = PHONES[country]
    return f"{prefix}{k:0{digits}d}"


def handle_of(k: int) -> str:
    return f"{HANDLES[k % len(HANDLES)]}:u{k}"


def address_of(r: int) -> str:
    """A unicast IPv4 address in 1.0.0.0–223.255.255.255, a different one for each record."""
    return str(ipaddress.IPv4Address(2**24 + (r * _SPREAD) % (223 * 2**24)))


def range_of(r: int) -> str:
    """The /24 of an even record (a different one for each) in 1.0.0.0–222.255.255.0."""
    return f"{ipaddress.IPv4Address((2**16 + (r // 2 * _SPREAD) % (222 * 2**16)) << 8)}/24"


def domain_of(r: int) -> str:
    return f"{WORDS[r % len(WORDS)]}{r}.{TLDS[r // len(WORDS) % len(TLDS)]}"


def wallet_of(r: int, salt: str = "w") -> str:
    return "0x" + hashlib.sha1(f"{salt}{r}".encode()).hexdigest()


def person_identifiers(country: str, k: int) -> tuple[Identifier, ...]:
    return (_id(IdentifierKind.EMAIL, email_of(k)), _id(IdentifierKind.PHONE, phone_of(country, k)),
            _id(IdentifierKind.HANDLE, handle_of(k)))  # fmt: skip


def record_identifiers(r: int) -> tuple[Identifier, ...]:
    last = (_id(IdentifierKind.IP_RANGE, range_of(r)) if r % 2 == 0
            else _id(IdentifierKind.URL, f"https://secure.{domain_of(r)}/login"))  # fmt: skip
    return (_id(IdentifierKind.IP, address_of(r)), _id(IdentifierKind.DOMAIN, domain_of(r)),
            _id(IdentifierKind.WALLET, wallet_of(r)), last)  # fmt: skip


def stored_content(r: int, group: Sequence[tuple[str, tuple[str, ...]]]) -> RecordContent:
    persons = tuple(
        Person(PersonKind.NATURAL, names, identifiers=person_identifiers(country, 2 * r + j))
        for j, (country, names) in enumerate(group)
    )
    return RecordContent(
        RecordKind.PERSON, f"Record S-{r}", "Persons and the infrastructure they used.",
        HANDLING, CrimeCategory.IT_CRIME, "Art. 273 of the Criminal Code", persons,
        record_identifiers(r), f"S-{r}",
    )  # fmt: skip


# --- The load -------------------------------------------------------------------------


@dataclass
class Store:
    people: list[tuple[str, tuple[str, ...]]]
    records: int
    identifiers: int
    terms: int
    seconds: dict[str, float]


#: What the forked workers building the rows read (inherited, never pickled).
_SHARED: dict[str, Any] = {}


def _field(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return (str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t"))  # fmt: skip


def _rows(start: int) -> dict[str, bytes]:
    """The rows of records ``start`` to ``start + CHUNK``, per table, as COPY text: built in
    the workers, so that the loading process only streams them to the server."""
    people: list[tuple[str, tuple[str, ...]]] = _SHARED["people"]
    keys_of: dict[str, str] = _SHARED["keys_of"]
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    for r in range(start, min(start + CHUNK, (len(people) + 1) // 2)):
        group = people[2 * r : 2 * r + 2]
        party, body = OWNERS[group[0][0]]
        content = stored_content(r, group)
        rid = f"S-{r}"
        out["records"].append((
            rid, body, party, content.kind.value, content.title, HANDLING.confidentiality.value,
            False, json.dumps(content.to_dict(), ensure_ascii=False), 1, search_text(content),
            NOW, NOW,
        ))  # fmt: skip
        for i, (_, names) in enumerate(group):
            blocks = " ".join(sorted({k for n in names for k in keys_of[n].split()}))
            out["record_persons"].append((rid, i, json.dumps(names, ensure_ascii=False), blocks))
        out["record_identifiers"] += [tuple(row.values()) for row in identifier_rows(rid, content)]
        subject = Subject(SubjectType.RECORD, rid)
        terms = term_rows(subject, record_extract(content).terms)
        out["correlation_terms"] += [tuple(row.values()) for row in terms]
        out["correlation_jobs"].append(("record", rid, NOW, 0, NOW))
    return {
        table: "".join("\t".join(map(_field, row)) + "\n" for row in rows).encode()
        for table, rows in out.items()
    }


COLUMNS = {
    "records": "id, owner_body, owner_party, kind, title, confidentiality, onward_sharing, "
    "content, version, search_text, created_at, updated_at",
    "record_persons": "record_id, person_index, names, blocks",
    "record_identifiers": "record_id, kind, value, ip_first, ip_last",
    "correlation_terms": "subject, kind, value, field, ip_first, ip_last",
    "correlation_jobs": "subject_type, subject_id, enqueued_at, attempts, done_at",
}


def load(engine: Engine, persons: int, progress: Any = None) -> Store:
    """Fill an initialized node's database with the store; the seconds of each step."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    people = list(generate(persons))
    seconds["generating the names"] = time.perf_counter() - clock
    clock = time.perf_counter()
    distinct = sorted({n for _, names in people for n in names})
    with multiprocessing.get_context("fork").Pool() as pool:
        keys_of = dict(zip(distinct, pool.map(_blocks, distinct, chunksize=5000), strict=True))
    seconds["blocking keys"] = time.perf_counter() - clock
    clock = time.perf_counter()
    counts = dict.fromkeys(TABLES, 0)
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # no FK trigger per row
            names = ", ".join(f"'{name}'" for name in TABLES)
            indexes = cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                f"({names}) AND indexname NOT LIKE 'pk_%'"
            ).fetchall()
            keys = cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'p' AND conrelid::regclass::text = ANY(%s)",
                (list(DROPPED_KEYS),),
            ).fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            for table, name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        records = (len(people) + 1) // 2
        _SHARED.update(people=people, keys_of=keys_of)
        with multiprocessing.get_context("fork").Pool() as pool:
            for n, chunk in enumerate(pool.imap(_rows, range(0, records, CHUNK)), 1):
                for table in TABLES:
                    with (
                        driver.cursor() as cursor,
                        cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy,
                    ):
                        copy.write(chunk[table])
                    counts[table] += chunk[table].count(b"\n")
                if progress is not None:
                    progress(min(n * CHUNK, records), records)
        _SHARED.clear()
        with driver.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
        driver.commit()
        seconds["building the rows and COPY"] = time.perf_counter() - clock
        clock = time.perf_counter()
        with driver.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for table, name, definition in keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            for _, definition in indexes:
                cursor.execute(definition)
        driver.commit()
        seconds["indexes"] = time.perf_counter() - clock
    finally:
        raw.close()
    clock = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    seconds["VACUUM ANALYZE"] = time.perf_counter() - clock
    return Store(people, counts["records"], counts["record_identifiers"],
                 counts["correlation_terms"], seconds)  # fmt: skip


# --- The new records ------------------------------------------------------------------

#: Twenty in a cycle: what each new record carries besides its own fresh identifiers.
MIX = (
    ("person",) * 6
    + ("identifier",) * 4
    + ("in_range",) * 3
    + ("subdomain",) * 2
    + ("nothing",) * 5
)


@dataclass(frozen=True)
class NewRecord:
    category: str
    actor: str
    document: dict[str, Any]
    #: The link that must be found: (kind of match, stored record id); none for "nothing".
    expect: tuple[str, str] | None


def _national(people: list[tuple[str, tuple[str, ...]]], k: int) -> int:
    """The first person from ``k`` on written in the national script only."""
    while True:
        names = people[k % len(people)][1]
        if len(names) == 1 and transliterate(names[0]) != names[0]:
            return k % len(people)
        k += 1


def new_records(people: list[tuple[str, tuple[str, ...]]], start: int,
                count: int) -> Iterator[NewRecord]:  # fmt: skip
    """``count`` new records, numbered from ``start`` (so two runs plant different ones)."""
    stored = (len(people) + 1) // 2
    officers = [f"{body.lower()}.officer" for _, body in OWNERS.values()]
    for n in range(start, start + count):
        category = MIX[n % len(MIX)]
        r = n * 7919 % stored
        fresh = [
            {"kind": "email", "value": f"new{n}@example.org"},
            {"kind": "phone", "value": f"+7705{n:07d}"},
            {"kind": "wallet", "value": wallet_of(n, "new")},
            {"kind": "ip", "value": str(ipaddress.IPv4Address(0xC6120000 + n % 2**17))},
        ]
        persons: list[dict[str, Any]] = []
        expect: tuple[str, str] | None = None
        if category == "person":
            k = _national(people, n * 7919)
            persons.append({"kind": "natural", "names": [transliterate(people[k][1][0])]})
            expect = ("person", f"S-{k // 2}")
        elif category == "identifier":
            shared = [("email", email_of(2 * r)), ("phone", phone_of(people[2 * r][0], 2 * r)),
                      ("wallet", wallet_of(r)), ("handle", handle_of(2 * r))][n % 4]  # fmt: skip
            fresh.append({"kind": shared[0], "value": shared[1]})
            expect = ("identifier", f"S-{r}")
        elif category == "in_range":
            r -= r % 2  # an even record: it has a range
            network = ipaddress.ip_network(range_of(r))
            fresh.append({"kind": "ip", "value": str(network[1 + n % 254])})
            expect = ("in_range", f"S-{r}")
        elif category == "subdomain":
            fresh.append({"kind": "domain", "value": f"mail.{domain_of(r)}"})
            expect = ("subdomain", f"S-{r}")
        document = {
            "kind": "person" if persons else "crime",
            "title": f"New record {n}", "summary": "Received from a competent body.",
            "crime_category": "c", "legal_qualification": "Art. 273 of the Criminal Code",
            "handling": HANDLING.to_dict(), "persons": persons, "identifiers": fresh,
            "reference": f"N-{n}",
        }  # fmt: skip
        yield NewRecord(category, officers[n % len(officers)], document, expect)
