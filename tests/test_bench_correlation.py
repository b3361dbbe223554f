"""The correlation bench (bench/correlation.py) at a tiny scale: the store it bulk-loads is
what the engine itself would have written, and a run finds every planted match and times
every record. The figures themselves belong in docs/benchmarks.md, not here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from bench.correlation import HEADING, bench, section, seq_scans
from bench.correlation_data import NOW, load, stored_content
from ozara.core.correlation import Subject, SubjectType
from ozara.core.identifiers import normalize
from ozara.services import correlation
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store.record_rows import identifier_rows, person_rows
from ozara.store.records import RecordRepository

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_server: str) -> Iterator[str]:
    """The name of a database the test may create; dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    yield name
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _engine(server: str, name: str) -> Engine:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return db.make_engine(server.rsplit("/", 1)[0] + f"/{name}")


def _rows(engine: Engine, sql: str, key: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(sql), {"key": key}))


def test_the_loaded_store_is_what_the_engine_writes(postgres_server: str, database: str) -> None:
    engine = _engine(postgres_server, database)
    try:
        init_node(engine, NOW, demo_officers())
        loaded = load(engine, 60)
        assert (loaded.records, loaded.identifiers) == (30, 300)
        for r in range(4):
            for i in stored_content(r, loaded.people[2 * r : 2 * r + 2]).all_identifiers():
                assert normalize(i.kind, i.value) == i.value
        terms = "SELECT kind, value, field, ip_first, ip_last FROM correlation_terms "
        terms += "WHERE subject = :key"
        for r in (0, 7):  # a record with a range, one with a URL
            rid = f"S-{r}"
            before = _rows(engine, terms, f"record:{rid}")
            assert {row[0] for row in before} >= {"ip", "domain", "wallet", "email", "phone"}
            with engine.connect() as conn:
                stored = RecordRepository(conn).get(rid)
                identifiers = conn.execute(
                    text("SELECT record_id, kind, value, ip_first, ip_last "
                         "FROM record_identifiers WHERE record_id = :id"), {"id": rid},
                ).mappings().all()  # fmt: skip
                persons = conn.execute(
                    text("SELECT record_id, person_index, names, birth_date, blocks "
                         "FROM record_persons WHERE record_id = :id ORDER BY person_index"),
                    {"id": rid},
                ).mappings().all()  # fmt: skip
                # What the worker writes for this record now, from its stored content.
                correlation.process(conn, Subject(SubjectType.RECORD, rid), NOW)
                after = sorted(
                    tuple(r) for r in conn.execute(text(terms), {"key": f"record:{rid}"})
                )
                conn.rollback()
            assert before == after
            assert sorted(map(dict, identifiers), key=str) == sorted(
                identifier_rows(rid, stored.content), key=str
            )
            assert list(map(dict, persons)) == person_rows(rid, stored.content)
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT count(*) FROM correlation_jobs WHERE done_at IS NULL")
            ).scalar_one() == 0  # fmt: skip
        # The scan counter the report shows does see a scan of the store.
        scans = seq_scans(engine)
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM correlation_terms WHERE field LIKE 'x%'"))
        assert seq_scans(engine)["correlation_terms"] > scans["correlation_terms"]
    finally:
        engine.dispose()


def test_a_tiny_run_finds_every_planted_match_and_times_every_record(
    postgres_server: str, database: str
) -> None:
    result = bench(postgres_server, persons=200, batch=40, live=20, poll=0.05, database=database)
    for kind in ("person", "identifier", "in_range", "subdomain"):
        assert result.recall[kind] and all(result.recall[kind]), kind
    assert all(result.naive_recall["identifier"])
    assert not any(result.naive_recall["in_range"] + result.naive_recall["subdomain"])
    assert sum(result.links_by_category["nothing"]) == 0
    assert result.links >= sum(len(v) for v in result.recall.values())
    assert len(result.delays_ms) == 20 and min(result.delays_ms) > 0
    report = section(result)
    assert report[0] == HEADING and any("p99" in line for line in report)
