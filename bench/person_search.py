"""Person search over 1,000,000 persons on PostgreSQL against a plain pg_trgm query (issue 5).

The persons are synthetic: the names of the six Parties from the name evaluation's
generator (``tests/core/test_names.py``: common surnames, given names and patronymics in the
national script, four orders), half of them with the Latin of a passport beside the
national form and a fifth in Latin only (``transliterate``). Generated names that could be
the person of an evaluation pair (their surname's and given name's keys both in one
evaluation name) are skipped, as the evaluation's own pool does; the 96 evaluation
targets are then planted among the million. Two persons a record; the searching Party
(Kazakhstan) sees its own records and those provided to it: a tenth of the others are
not, and one in a hundred is revoked.

Each of the 390 evaluation queries (``tests/core/data/names_eval.csv``) is run through
:func:`ozara.store.search.search_persons` and through the baseline: ``names_text %
query ORDER BY similarity(names_text, query) DESC LIMIT 10`` over a GIN trigram index on the
same persons (all their names in one text), with the same visibility filter. Both run once
to warm the database's cache, then once timed, with the name matcher's Python caches
emptied first (a name not seen before costs the most to score).

Alone: ``python -m bench.person_search --persons 100000``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from ozara.core import names as core_names
from ozara.core.names import blocking_keys, keys, transliterate
from ozara.store import db
from ozara.store.search import BY_PARTS, BY_TYPOS, search_persons
from tests.core.test_names import COUNTRIES, Pair, _arrange, _people, _people_of, load_eval
from tests.pg import private_server

from .report import pct

HEADING = "## Person search across scripts (PostgreSQL)"
PARTY = "KAZ"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: Country of the name lists → the Party and body owning its records.
OWNERS = {
    "RU": ("RUS", "RUS-MVD"),
    "KZ": ("KAZ", "KAZ-MVD"),
    "KG": ("KGZ", "KGZ-MVD"),
    "TJ": ("TJK", "TJK-MVD"),
    "AM": ("ARM", "ARM-POLICE"),
    "BY": ("BLR", "BLR-MVD"),
}
BASELINE = """
SELECT b.record_id, b.person_index
FROM bench_trgm b JOIN records r ON r.id = b.record_id
WHERE b.names_text % :q
  AND (r.owner_party = :party OR EXISTS (SELECT 1 FROM record_recipients rr
       WHERE rr.record_id = r.id AND rr.party = :party))
  AND (r.revoked_at IS NULL OR r.revoked_at > :now)
ORDER BY similarity(b.names_text, :q) DESC, b.record_id, b.person_index
LIMIT 10
"""


@dataclass
class Variant:
    name: str
    ms: list[float] = field(default_factory=list)
    hits: int = 0  # the pair's target among the first ten
    firsts: int = 0  # the first result is the pair's person
    by_kind: dict[str, list[bool]] = field(default_factory=dict)


@dataclass
class Result:
    persons: int
    records: int
    distinct_names: int
    visible: int
    load_s: dict[str, float]
    pairs: int
    ozara: Variant
    baseline: Variant


# --- The persons --------------------------------------------------------------------


def _excluder() -> Any:
    """Whether a generated (surname, given name) could be an evaluation person: both
    their keys in one evaluation name (the pool's rule, across scripts)."""
    owners: dict[str, set[int]] = {}
    for n, name in enumerate({s for p in load_eval() for s in (p.query, p.target)}):
        for key in keys(name):
            owners.setdefault(key, set()).add(n)
    memo: dict[tuple[str, str], bool] = {}

    def excluded(surname: str, given: str) -> bool:
        if (surname, given) not in memo:
            found = [
                set().union(*(owners.get(k, set()) for k in keys(w))) for w in (surname, given) if w
            ]
            memo[surname, given] = bool(set.intersection(*found)) if found else False
        return memo[surname, given]

    return excluded


def generate(total: int) -> Iterator[tuple[str, tuple[str, ...]]]:
    """``total`` persons, ``(country, names)``, an equal share per country."""
    excluded = _excluder()
    for c, country in enumerate(COUNTRIES):
        share = total // len(COUNTRIES) + (c < total % len(COUNTRIES))
        i = made = 0
        while made < share:
            person, style = _people(country, i)
            i += 1
            if excluded(person.surname, person.given):
                continue
            national = _arrange(person, style)
            form = i % 10
            if form < 5:
                yield country, (national,)
            else:
                latin = transliterate(national)
                yield country, ((national, latin) if form < 8 else (latin,))
            made += 1


def _blocks(name: str) -> str:
    return " ".join(sorted(blocking_keys(name)))


def _copy(raw: Any, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass
class Data:
    """The rows to COPY, and what the report says about them."""

    records: list[tuple[Any, ...]]
    recipients: list[tuple[Any, ...]]
    #: (record id, person index, names, blocks)
    persons: list[tuple[str, int, tuple[str, ...], str]]
    distinct_names: int
    visible: int
    target_ids: dict[str, str]  # evaluation target → its record


def build(total: int, seconds: dict[str, float]) -> Data:
    """The records and persons, the targets planted; blocking keys on every core."""
    clock = time.perf_counter()
    people = list(generate(total))
    targets = sorted({p.target: p.country for p in load_eval()}.items())
    seconds["generating the names"] = time.perf_counter() - clock
    clock = time.perf_counter()
    distinct = sorted({n for _, names in people for n in names} | {t for t, _ in targets})
    with multiprocessing.get_context("fork").Pool() as pool:
        keys_of = dict(zip(distinct, pool.map(_blocks, distinct, chunksize=5000), strict=True))
    seconds["blocking keys"] = time.perf_counter() - clock
    data = Data([], [], [], len(distinct), 0, {t: f"EVAL-{n}" for n, (t, _) in enumerate(targets)})
    groups = [(f"P-{n // 2}", people[n : n + 2]) for n in range(0, len(people), 2)]
    groups += [(f"EVAL-{n}", [(c, (t,))]) for n, (t, c) in enumerate(targets)]
    for number, (record_id, group) in enumerate(groups):
        party, body = OWNERS[group[0][0]]
        planted = record_id.startswith("EVAL")
        revoked = NOW - timedelta(hours=1) if number % 100 == 50 and not planted else None
        shared = party != PARTY and (planted or number % 10 != 9)
        data.visible += len(group) * ((party == PARTY or shared) and revoked is None)
        names = [n for _, ns in group for n in ns]
        data.records.append(
            (record_id, body, party, "person", f"Record {record_id}", "official_use", False,
             "{}", 1, "\n".join([f"Record {record_id}", *names]), NOW, NOW, revoked)
        )  # fmt: skip
        if shared:
            data.recipients.append((record_id, PARTY, body, NOW))
        for i, (_, ns) in enumerate(group):
            blocks = " ".join(sorted({k for n in ns for k in keys_of[n].split()}))
            data.persons.append((record_id, i, ns, blocks))
    return data


def copy_in(engine: Engine, data: Data, seconds: dict[str, float]) -> None:
    """COPY the rows with Ozara's secondary indexes dropped, then build them again from
    their own definitions (migration 0009), and the baseline's trigram index."""
    clock = time.perf_counter()
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # no FK trigger per row
            indexes = cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('records', 'record_persons', 'record_recipients') AND indexname NOT LIKE 'pk_%'"
            ).fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute(
                "CREATE TABLE bench_trgm (record_id varchar(64), person_index integer, "
                "names_text text NOT NULL, PRIMARY KEY (record_id, person_index))"
            )
        _copy(driver, "records", "id, owner_body, owner_party, kind, title, confidentiality, "
              "onward_sharing, content, version, search_text, created_at, updated_at, revoked_at",
              iter(data.records))  # fmt: skip
        _copy(driver, "record_recipients", "record_id, party, shared_by, shared_at",
              iter(data.recipients))  # fmt: skip
        persons = ((r, i, json.dumps(ns, ensure_ascii=False), b) for r, i, ns, b in data.persons)
        _copy(driver, "record_persons", "record_id, person_index, names, blocks", persons)
        _copy(driver, "bench_trgm", "record_id, person_index, names_text",
              ((r, i, " ".join(ns)) for r, i, ns, _ in data.persons))  # fmt: skip
        with driver.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
        driver.commit()
        seconds["COPY"] = time.perf_counter() - clock
        clock = time.perf_counter()
        with driver.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _, definition in indexes:
                cursor.execute(definition)
            driver.commit()
            seconds["Ozara's indexes"] = time.perf_counter() - clock
            clock = time.perf_counter()
            cursor.execute("CREATE EXTENSION pg_trgm")
            cursor.execute(
                "CREATE INDEX bench_trgm_names ON bench_trgm USING gin (names_text gin_trgm_ops)"
            )
            driver.commit()
            seconds["the baseline's trigram index"] = time.perf_counter() - clock
    finally:
        raw.close()
    clock = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    seconds["VACUUM ANALYZE"] = time.perf_counter() - clock


# --- The queries --------------------------------------------------------------------


def _clear_caches() -> None:
    core_names._parse.cache_clear()
    core_names._key_similarity.cache_clear()
    core_names._part.cache_clear()


def measure(
    engine: Engine, pairs: tuple[Pair, ...], target_of: dict[str, str]
) -> tuple[Variant, Variant]:
    """Warm the cache with one pass of each, then time one pass of each."""
    person = _people_of(pairs)
    record_person = {record: person[name] for name, record in target_of.items()}
    ozara, baseline = Variant("Ozara"), Variant("pg_trgm")
    params = {"party": PARTY, "now": NOW}
    with engine.connect() as conn:
        for timed in (False, True):
            _clear_caches()
            for pair in pairs:
                clock = time.perf_counter()
                found = [
                    h.record_id
                    for h in search_persons(conn, pair.query, party=PARTY, now=NOW, k=10)
                ]
                elapsed = (time.perf_counter() - clock) * 1000
                if timed:
                    _score(ozara, pair, found=found, elapsed=elapsed, target_of=target_of,
                           record_person=record_person, person=person)  # fmt: skip
            for pair in pairs:
                clock = time.perf_counter()
                rows = conn.execute(text(BASELINE), {"q": pair.query, **params}).all()
                elapsed = (time.perf_counter() - clock) * 1000
                if timed:
                    found = [row.record_id for row in rows]
                    _score(baseline, pair, found=found, elapsed=elapsed, target_of=target_of,
                           record_person=record_person, person=person)  # fmt: skip
            conn.rollback()
    return ozara, baseline


def _score(
    variant: Variant,
    pair: Pair,
    *,
    found: list[str],
    elapsed: float,
    target_of: dict[str, str],
    record_person: dict[str, str],
    person: dict[str, str],
) -> None:
    variant.ms.append(elapsed)
    hit = target_of[pair.target] in found
    variant.hits += hit
    variant.firsts += bool(found) and record_person.get(found[0]) == person[pair.query]
    variant.by_kind.setdefault(pair.kind, []).append(hit)


def bench(url: str, total: int) -> Result:
    admin = db.make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE bench_persons"))
    admin.dispose()
    engine = db.make_engine(f"{url.rsplit('/', 1)[0]}/bench_persons")
    seconds: dict[str, float] = {}
    try:
        db.upgrade(engine)
        print(f"  generating {total:,} persons...", file=sys.stderr, flush=True)
        data = build(total, seconds)
        print(f"  loading {len(data.persons):,} persons...", file=sys.stderr, flush=True)
        copy_in(engine, data, seconds)
        print(f"  loaded in {sum(seconds.values()):.0f} s; querying...", file=sys.stderr)
        pairs = load_eval()
        ozara, baseline = measure(engine, pairs, data.target_ids)
    finally:
        engine.dispose()
    return Result(
        len(data.persons), len(data.records), data.distinct_names, data.visible, seconds,
        len(pairs), ozara, baseline,
    )  # fmt: skip


# --- The report ---------------------------------------------------------------------


def section(r: Result) -> list[str]:
    def row(v: Variant) -> str:
        return (
            f"| {v.name} | {statistics.median(v.ms):.1f} | {pct(v.ms, 0.99):.1f} | "
            f"{max(v.ms):.1f} | {v.hits / r.pairs:.3f} | {v.firsts / r.pairs:.3f} |"
        )

    o, b = r.ozara, r.baseline
    gain = (o.hits - b.hits) / r.pairs * 100
    p50 = statistics.median(o.ms)
    kinds = sorted(o.by_kind)
    load = ", ".join(f"{name} {s:.0f} s" for name, s in r.load_s.items())
    return [
        HEADING,
        "",
        f"{r.persons:,} synthetic persons ({r.distinct_names:,} distinct names) of the six "
        f"Parties in {r.records:,} records, two a record: names from the name evaluation's "
        "generator in the national script (Cyrillic of five alphabets, Armenian), half with the "
        "passport's Latin beside it, a fifth in Latin only; the evaluation's 96 targets planted "
        "among them. The searching Party (KAZ) sees "
        f"{r.visible:,} of the persons (its own records and those provided to it, not revoked). "
        f"Queries: the {r.pairs} pairs of `tests/core/data/names_eval.csv` (other scripts, "
        "transliterations, orders, patronymic forms, typos). Baseline in the same run: pg_trgm, "
        "`names_text % query ORDER BY similarity(names_text, query) DESC LIMIT 10` with a GIN "
        "trigram index on the same persons (all their names in one text; the default "
        "`pg_trgm.similarity_threshold` of 0.3) and the same visibility filter. Ozara: a GIN "
        "index on the persons' blocking keys, candidates sharing keys with two parts of the "
        f"query ranked in the database, at most {BY_PARTS + BY_TYPOS} of them scored in Python "
        "(`ozara/store/search.py`). Each variant runs once to warm the database cache, then "
        "once timed, the name matcher's Python caches emptied first; one connection, one query "
        "at a time.",
        "",
        "| variant | p50 ms | p99 ms | max ms | recall@10 | recall@1 |",
        "|---|---|---|---|---|---|",
        row(o),
        row(b),
        "",
        "recall@10 by kind of variation (Ozara / pg_trgm): "
        + ", ".join(
            f"{k} {sum(o.by_kind[k]) / len(o.by_kind[k]):.2f} / "
            f"{sum(b.by_kind[k]) / len(b.by_kind[k]):.2f}"
            for k in kinds
        )
        + ".",
        "",
        f"Load time: {sum(r.load_s.values()):.0f} s ({load}).",
        "",
        f"Ozara: p50 {p50:.1f} ms (target: under 50 ms, {'met' if p50 < 50 else 'not met'}); "
        f"p50 {p50 / statistics.median(b.ms):.2f}x the baseline's; recall@10 "
        f"{o.hits / r.pairs:.3f} against {b.hits / r.pairs:.3f}, {gain:+.1f} points (target: "
        f"at least +10, {'met' if gain >= 10 else 'not met'}).",
        "",
    ]


def run_person_search(args: argparse.Namespace) -> list[str]:
    """``python -m bench --only person_search``: 1,000,000 persons (``--persons``)."""
    with private_server(durable=True) as url:
        return section(bench(url, getattr(args, "persons", 1_000_000)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.person_search")
    parser.add_argument("--persons", type=int, default=100_000)
    options = parser.parse_args()
    print("\n".join(run_person_search(options)))
