"""The records' repository against real databases (SQLite and PostgreSQL): content round
trips, index rows follow the content, recipients, holdings, visibility, consents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ozara.core.disclosure import ConsentState
from ozara.core.parties import Party
from ozara.core.records import Confidentiality, Purpose, RecordContent, parse_record
from ozara.store import tables as t
from ozara.store.records import Recipient, StoredConsent
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock


def record_document(**overrides: Any) -> dict[str, Any]:
    """A record of a person involved in a phishing campaign, as a Kazakh body writes it."""
    doc: dict[str, Any] = {
        "kind": "person",
        "title": "Phishing operator behind fake bank pages",
        "summary": "Runs pages imitating Kazakh banks and moves the funds abroad",
        "handling": {
            "purposes": ["investigation", "detection"],
            "confidentiality": "official_use",
            "onward_sharing": False,
        },
        "crime_category": "c",
        "legal_qualification": "Criminal Code of Kazakhstan, Art. 190",
        "persons": [
            {
                "kind": "natural",
                "names": ["Иванов Иван", "Ivanov Ivan"],
                "birth_date": "1990-04-01",
                "citizenship": ["KAZ"],
                "identifiers": [{"kind": "email", "value": "Ivan@Example.KZ"}],
            }
        ],
        "identifiers": [
            {"kind": "ip", "value": "203.0.113.7"},
            {"kind": "ip_range", "value": "198.51.100.0/24"},
        ],
        "reference": "2026-0117",
    }
    doc.update(overrides)
    return doc


def content(**overrides: Any) -> RecordContent:
    return parse_record(record_document(**overrides))


def add(node: Engine, clock: Clock, record_id: str = "r1", **overrides: Any) -> None:
    with SqlUnitOfWork(node) as uow:
        uow.records.add(
            record_id, content(**overrides), owner_body="KAZ-MVD",
            owner_party=Party.KAZAKHSTAN, now=clock.now,
        )  # fmt: skip
        uow.commit()


def index_rows(node: Engine, record_id: str) -> tuple[list[Any], list[Any]]:
    with node.connect() as conn:
        persons = conn.execute(
            select(t.record_persons).where(t.record_persons.c.record_id == record_id)
        ).all()
        identifiers = conn.execute(
            select(t.record_identifiers.c.kind, t.record_identifiers.c.value,
                   t.record_identifiers.c.ip_first, t.record_identifiers.c.ip_last)
            .where(t.record_identifiers.c.record_id == record_id)
            .order_by(t.record_identifiers.c.value)
        ).all()  # fmt: skip
    return list(persons), list(identifiers)


def test_a_record_round_trips_with_its_index_rows(node: Engine, clock: Clock) -> None:
    add(node, clock)
    with SqlUnitOfWork(node) as uow:
        stored = uow.records.get("r1")
    assert stored.content == content()
    assert stored.version == 1 and stored.received_from is None
    assert stored.created_at == stored.updated_at == clock.now
    h = stored.holding
    assert (h.owner_body, h.owner_party, h.recipients, h.revoked_at) == (
        "KAZ-MVD", Party.KAZAKHSTAN, frozenset(), None,
    )  # fmt: skip
    assert h.handling.purposes == {Purpose.INVESTIGATION, Purpose.DETECTION}
    assert h.handling.confidentiality is Confidentiality.OFFICIAL_USE
    persons, identifiers = index_rows(node, "r1")
    assert [p.names for p in persons] == [["Иванов Иван", "Ivanov Ivan"]]
    assert persons[0].blocks  # the blocking keys search reads
    assert [(i.kind, i.value) for i in identifiers] == [
        ("ip_range", "198.51.100.0/24"), ("ip", "203.0.113.7"), ("email", "ivan@example.kz"),
    ]  # fmt: skip
    ip_range = identifiers[0]
    assert ip_range.ip_first < ip_range.ip_last
    assert identifiers[2].ip_first is None
    with node.connect() as conn:
        text = conn.execute(select(t.records.c.search_text)).scalar_one()
    assert "Ivanov Ivan" in text and "203.0.113.7" in text


def test_replacing_the_content_rewrites_the_index(node: Engine, clock: Clock) -> None:
    add(node, clock)
    clock.advance(hours=1)
    new = content(
        title="Phishing operator, new address",
        identifiers=[{"kind": "domain", "value": "bank-kz.example"}],
        persons=[{"kind": "natural", "names": ["Петров Пётр"]}],
        handling={"purposes": ["analysis"], "confidentiality": "open", "onward_sharing": True},
    )
    with SqlUnitOfWork(node) as uow:
        uow.records.replace("r1", new, version=2, now=clock.now)
        uow.commit()
    with SqlUnitOfWork(node) as uow:
        stored = uow.records.get("r1")
    assert stored.version == 2 and stored.content == new
    assert stored.updated_at == clock.now and stored.created_at < clock.now
    assert stored.holding.handling.onward_sharing
    persons, identifiers = index_rows(node, "r1")
    assert [p.names for p in persons] == [["Петров Пётр"]]
    assert [(i.kind, i.value) for i in identifiers] == [("domain", "bank-kz.example")]
    with node.connect() as conn:
        row = conn.execute(select(t.records.c.title, t.records.c.onward_sharing)).one()
    assert tuple(row) == ("Phishing operator, new address", True)


def test_unknown_records_are_not_found(node: Engine, clock: Clock) -> None:
    with SqlUnitOfWork(node) as uow:
        with pytest.raises(NotFound):
            uow.records.get("nope")
        with pytest.raises(NotFound):
            uow.records.replace("nope", content(), version=2, now=clock.now)
        with pytest.raises(NotFound):
            uow.records.revoke("nope", at=clock.now, reason="x")
        assert uow.records.holdings(["nope"]) == {}
        assert not uow.records.exists("nope")


def test_recipients_are_added_once_each(node: Engine, clock: Clock) -> None:
    add(node, clock)
    first = [Recipient(Party.RUSSIA, "KAZ-MVD", clock.now)]
    later = clock.now + timedelta(hours=1)
    with SqlUnitOfWork(node) as uow:
        assert uow.records.add_recipients("r1", first) == first
        again = [
            Recipient(Party.RUSSIA, "RUS-MVD", later),
            Recipient(Party.ARMENIA, "RUS-MVD", later),
        ]
        assert uow.records.add_recipients("r1", again) == [again[1]]
        uow.commit()
    with SqlUnitOfWork(node) as uow:
        stored = uow.records.get("r1")
    # The first body that shared it with a Party is kept.
    assert stored.recipients == (first[0], again[1])
    assert stored.holding.recipients == {Party.RUSSIA, Party.ARMENIA}


def test_revocation_and_holdings(node: Engine, clock: Clock) -> None:
    add(node, clock, "r1")
    add(node, clock, "r2")
    with SqlUnitOfWork(node) as uow:
        uow.records.add_recipients("r2", [Recipient(Party.RUSSIA, "KAZ-MVD", clock.now)])
        uow.records.revoke("r1", at=clock.now, reason="The person was misidentified")
        uow.commit()
    with SqlUnitOfWork(node) as uow:
        held = uow.records.holdings(["r1", "r2", "r1", "unknown"])
        stored = uow.records.get("r1")
    assert set(held) == {"r1", "r2"}
    assert held["r1"].is_revoked(clock.now) and not held["r2"].is_revoked(clock.now)
    assert held["r2"].recipients == {Party.RUSSIA} and held["r1"].recipients == frozenset()
    assert held["r2"].handling == stored.holding.handling
    assert stored.revocation_reason == "The person was misidentified"


def test_a_party_sees_its_own_records_and_those_shared_with_it(node: Engine, clock: Clock) -> None:
    add(node, clock, "r1")
    clock.advance(minutes=1)
    add(node, clock, "r2", kind="law", persons=[], crime_category=None, legal_qualification="")
    with SqlUnitOfWork(node) as uow:
        uow.records.add_recipients("r2", [Recipient(Party.RUSSIA, "KAZ-MVD", clock.now)])
        kaz = uow.records.visible_to(Party.KAZAKHSTAN)
        rus = uow.records.visible_to(Party.RUSSIA)
        arm = uow.records.visible_to(Party.ARMENIA)
        laws = uow.records.visible_to(Party.KAZAKHSTAN, kind="law")
        page = uow.records.visible_to(Party.KAZAKHSTAN, limit=1, offset=1)
    assert [r.id for r in kaz] == ["r2", "r1"]  # most recently changed first
    assert [r.id for r in rus] == ["r2"]
    assert arm == []
    assert [r.id for r in laws] == ["r2"]
    assert [r.id for r in page] == ["r1"]
    assert kaz[1].title == "Phishing operator behind fake bank pages"
    assert kaz[1].owner_party is Party.KAZAKHSTAN


def test_consents_are_asked_answered_once_and_found(node: Engine, clock: Clock) -> None:
    add(node, clock, "r1")
    add(node, clock, "r2")
    asked = StoredConsent(
        id="c1", record_id="r1", body_id="RUS-MVD", purpose=Purpose.TRAINING,
        justification="Case study for a CSTO course", state=ConsentState.REQUESTED,
        asked_by="rus-mvd.officer@RUS-MVD-NODE", asked_at=clock.now,
    )  # fmt: skip
    other = StoredConsent(
        id="c2", record_id="r2", body_id="BLR-MVD", purpose=Purpose.RESEARCH,
        justification="Research", state=ConsentState.REQUESTED, asked_by="blr-mvd.officer",
        asked_at=clock.now,
    )  # fmt: skip
    until = clock.now + timedelta(days=30)
    with SqlUnitOfWork(node) as uow:
        uow.records.add_consent(asked)
        uow.records.add_consent(other)
        assert uow.records.consent("c1") == asked
        assert [c.state for c in uow.records.consents_for("RUS-MVD", ["r1", "r2"])] == [
            ConsentState.REQUESTED
        ]
        uow.records.answer_consent(
            "c1", state=ConsentState.GRANTED, answered_by="kaz-mvd.head", at=clock.now,
            reason="For the course only", valid_until=until,
        )  # fmt: skip
        with pytest.raises(NotFound):  # answered once only
            uow.records.answer_consent(
                "c1", state=ConsentState.REFUSED, answered_by="kaz-mvd.head", at=clock.now,
                reason="changed my mind",
            )  # fmt: skip
        with pytest.raises(NotFound):
            uow.records.consent("c9")
        uow.commit()
    with SqlUnitOfWork(node) as uow:
        answered = uow.records.consent("c1")
        [granted] = uow.records.consents_for("RUS-MVD", ["r1"])
        assert uow.records.consents_for("RUS-MVD", ["r2"]) == []
        assert uow.records.consents_for("RUS-MVD", []) == []
        by_rus = uow.records.consents(involving_body="RUS-MVD")
        to_kaz = uow.records.consents(involving_body="KAZ-MVD")
        pending = uow.records.consents(involving_body="KAZ-MVD", state=ConsentState.REQUESTED)
        of_r1 = uow.records.consents(record_id="r1")
    assert answered.state is ConsentState.GRANTED and answered.valid_until == until
    assert (
        answered.answered_by == "kaz-mvd.head" and answered.answer_reason == "For the course only"
    )
    assert granted.covers("r1", "RUS-MVD", Purpose.TRAINING, clock.now)
    assert not granted.covers("r1", "RUS-MVD", Purpose.TRAINING, until)
    assert [c.id for c in by_rus] == ["c1"]
    assert [c.id for c in to_kaz] == ["c1", "c2"]  # both records are the Kazakh body's
    assert [c.id for c in pending] == ["c2"]
    assert [c.id for c in of_r1] == ["c1"]
