"""Information exchange use cases (Art. 5 para 1) under purpose limitation (Art. 10),
against real databases (SQLite and PostgreSQL). One node holds every body here; the
federation's tests are in tests/federation/test_records_federation.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.parties import Officer, Party
from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.services import records as svc
from ozara.services.requests import AccessDenied
from ozara.store import tables as t
from ozara.store.records import StoredConsent, StoredRecord
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.store.test_records_repository import record_document

KAZ, RUS, FSB, BLR, ARM = (
    "kaz-mvd.officer", "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer",
    "arm-police.officer",
)  # fmt: skip
INVESTIGATION, TRAINING = Purpose.INVESTIGATION, Purpose.TRAINING


def rules(exc: pytest.ExceptionInfo[ProtocolError]) -> list[str]:
    return [v.rule for v in exc.value.violations]


def create(node: Engine, clock: Clock, who: str = KAZ, **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.create_record(uow, record_document(**overrides), who, clock.now)


def share(node: Engine, clock: Clock, rid: str, *parties: Party, who: str = KAZ) -> None:
    with SqlUnitOfWork(node) as uow:
        svc.share_record(uow, rid, parties, who, clock.now)


def read(node: Engine, clock: Clock, rid: str, who: str, purpose: Purpose, **kw: Any) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.read_record(uow, rid, who, purpose, clock.now, **kw)


def denied(node: Engine, clock: Clock, rid: str, who: str, purpose: Purpose) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        read(node, clock, rid, who, purpose)
    return rules(exc)


def audit(node: Engine, object_id: str) -> list[dict[str, Any]]:
    with SqlUnitOfWork(node) as uow:
        return uow.audit.for_object(object_id)


def actions(node: Engine, object_id: str) -> list[str]:
    return [a["action"] for a in audit(node, object_id)]


def count(node: Engine, table: Any) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def ask(node: Engine, clock: Clock, rid: str, who: str = RUS, purpose: Purpose = TRAINING) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.ask_consent(uow, rid, purpose, "A CSTO course on phishing", who, clock.now)


def answer(node: Engine, clock: Clock, cid: str, grant: bool, who: str = KAZ, **kw: Any) -> None:
    with SqlUnitOfWork(node) as uow:
        svc.answer_consent(uow, cid, grant, "Decided", who, clock.now, **kw)


def test_a_record_is_created_as_its_body_own_and_shared_with_nobody(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    assert uuid.UUID(rid).version == 4
    with SqlUnitOfWork(node) as uow:
        stored = uow.records.get(rid)
    assert stored.holding.owner_body == "KAZ-MVD" and stored.holding.recipients == frozenset()
    [entry] = audit(node, rid)
    assert (entry["action"], entry["actor_id"], entry["body_id"]) == (
        "record:created",
        KAZ,
        "KAZ-MVD",
    )
    assert entry["object_type"] == "record"
    assert entry["details"]["purposes"] == ["detection", "investigation"]
    assert denied(node, clock, rid, RUS, INVESTIGATION) == ["art10.not_shared"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "СЕКРЕТНО\nФишинговая группа"},
        {"summary": "Report marked TOP SECRET by the service"},
        {"handling": {"purposes": ["investigation"], "confidentiality": "top_secret"}},
    ],
)
def test_a_state_secret_marking_is_refused_and_nothing_stored(
    node: Engine, clock: Clock, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ProtocolError) as exc:
        create(node, clock, **overrides)
    assert "art10.state_secret" in rules(exc)
    assert exc.value.violations[0].article == "Art. 10 para 3"
    assert count(node, t.records) == count(node, t.record_persons) == 0


def test_officers_of_no_body_are_refused(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    with pytest.raises(AccessDenied), SqlUnitOfWork(node) as uow:
        svc.create_record(uow, record_document(), "auditor", clock.now)
    with pytest.raises(AccessDenied), SqlUnitOfWork(node) as uow:
        svc.list_records(uow, "csto.secretariat", clock.now)
    with pytest.raises(AccessDenied):
        read(node, clock, rid, "auditor", INVESTIGATION)
    # The refused read is in the audit trail all the same.
    assert actions(node, rid) == ["record:created", "record:read_denied"]
    with pytest.raises(NotFound):
        read(node, clock, "no-such-record", KAZ, INVESTIGATION)


def test_every_read_is_audited_with_its_purpose_and_case(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    # The provider states a purpose too, and may use its own record for any.
    own = read(node, clock, rid, KAZ, TRAINING, case="KZ-2026-0117")
    assert own.may_change and own.may_revoke and own.may_share
    view = read(node, clock, rid, RUS, INVESTIGATION, case="RU-12/2026")
    assert view.content.title == "Phishing operator behind fake bank pages"
    assert [r.party for r in view.recipients] == [Party.RUSSIA]
    assert not (view.may_change or view.may_revoke or view.may_share)
    reads = [a for a in audit(node, rid) if a["action"].startswith("record:read")]
    assert [(a["actor_id"], a["details"]["purpose"], a["details"]["case"]) for a in reads] == [
        (KAZ, "training", "KZ-2026-0117"),
        (RUS, "investigation", "RU-12/2026"),
    ]
    assert reads[1]["body_id"] == "RUS-MVD" and reads[1]["details"]["version"] == 1
    assert reads[1]["details"]["articles"] == ["Art. 10 para 2"]


def test_a_purpose_not_permitted_is_refused_and_the_refusal_kept(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    with pytest.raises(ProtocolError) as exc:
        read(node, clock, rid, RUS, TRAINING, case="course")
    [v] = exc.value.violations
    assert (v.rule, v.article) == ("art10.purpose", "Art. 10 para 2")
    assert "detection, investigation" in v.message
    [refusal] = [a for a in audit(node, rid) if a["action"] == "record:read_denied"]
    assert refusal["details"]["rule"] == "art10.purpose"
    assert refusal["details"]["purpose"] == "training" and refusal["details"]["case"] == "course"
    assert refusal["actor_id"] == RUS


def test_a_record_not_shared_with_the_party_cannot_be_read(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    assert denied(node, clock, rid, BLR, INVESTIGATION) == ["art10.not_shared"]
    # Shared with a Party, so with each of its bodies.
    assert read(node, clock, rid, FSB, INVESTIGATION).id == rid
    with SqlUnitOfWork(node) as uow:
        assert [r.id for r in svc.list_records(uow, BLR, clock.now)] == []
        with pytest.raises(ProtocolError) as exc:
            svc.ask_consent(uow, rid, TRAINING, "why not", BLR, clock.now)
    assert rules(exc) == ["art10.not_shared"]


def test_without_consent_denied_granted_allowed_refused_still_denied(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA, Party.BELARUS)
    cid = ask(node, clock, rid)
    assert ask(node, clock, rid) == cid  # asked once while unanswered
    assert denied(node, clock, rid, RUS, TRAINING) == ["art10.purpose"]  # asked, not answered
    with SqlUnitOfWork(node) as uow:
        [mine] = svc.list_consents(uow, RUS)
        [theirs] = svc.list_consents(uow, KAZ, pending_only=True)
    assert mine.consent.id == theirs.consent.id == cid
    assert theirs.to_answer and not mine.to_answer
    assert theirs.record_title == "Phishing operator behind fake bank pages"
    # Only the provider answers.
    with pytest.raises(ProtocolError) as exc:
        answer(node, clock, cid, True, who=RUS)
    assert rules(exc) == ["art10.owner"]
    answer(node, clock, cid, True, valid_until=clock.now + timedelta(days=7))
    view = read(node, clock, rid, RUS, TRAINING)
    assert [c.id for c in view.consents] == [cid]
    [granted_read] = [a for a in audit(node, rid) if a["action"] == "record:read"]
    assert granted_read["details"]["by_consent"] is True
    # The consent is the asking body's, for that purpose, while it lasts.
    assert denied(node, clock, rid, FSB, TRAINING) == ["art10.purpose"]
    assert denied(node, clock, rid, RUS, Purpose.RESEARCH) == ["art10.purpose"]
    clock.advance(days=8)
    assert denied(node, clock, rid, RUS, TRAINING) == ["art10.purpose"]
    # Answered once only; a consent asked by another body is refused, and stays denied.
    with pytest.raises(ProtocolError):
        answer(node, clock, cid, False)
    refused = ask(node, clock, rid, who=BLR)
    answer(node, clock, refused, False)
    assert denied(node, clock, rid, BLR, TRAINING) == ["art10.purpose"]
    with SqlUnitOfWork(node) as uow:
        assert svc.list_consents(uow, KAZ, pending_only=True) == []
    assert actions(node, refused) == ["record_consent:asked", "record_consent:refused"]
    assert actions(node, cid)[-1] == "record_consent:granted"


def test_consent_is_not_asked_for_a_permitted_purpose_nor_by_the_provider(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    for who, purpose in ((RUS, INVESTIGATION), (KAZ, TRAINING)):
        with pytest.raises(ProtocolError), SqlUnitOfWork(node) as uow:
            svc.ask_consent(uow, rid, purpose, "because", who, clock.now)
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.ask_consent(uow, rid, TRAINING, "   ", RUS, clock.now)
    assert rules(exc) == ["art5.record_required"]  # a justification must be given
    assert count(node, t.record_consents) == 0


def test_a_revoked_record_cannot_be_read_changed_or_shared(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.revoke_record(uow, rid, "wrong person", RUS, clock.now)
    assert rules(exc) == ["art10.owner"]
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.revoke_record(uow, rid, "", KAZ, clock.now)  # the reasons are stated
    assert rules(exc) == ["art5.record_required"]
    with SqlUnitOfWork(node) as uow:
        svc.revoke_record(uow, rid, "The person was misidentified", KAZ, clock.now)
    assert denied(node, clock, rid, RUS, INVESTIGATION) == ["art10.revoked"]
    with pytest.raises(ProtocolError) as exc:
        ask(node, clock, rid)
    assert rules(exc) == ["art10.revoked"]
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.update_record(uow, rid, record_document(title="New"), KAZ, clock.now)
    assert rules(exc) == ["art10.revoked"]
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, rid, Party.BELARUS)
    assert rules(exc) == ["art10.revoked"]
    # The provider still reads its own record; the list marks it revoked.
    assert read(node, clock, rid, KAZ, INVESTIGATION).revocation_reason
    with SqlUnitOfWork(node) as uow:
        [summary] = svc.list_records(uow, RUS, clock.now)
    assert summary.revoked and not summary.own
    assert actions(node, rid)[:3] == ["record:created", "record:shared", "record:revoked"]


def test_only_the_provider_updates_and_the_index_follows(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    share(node, clock, rid, Party.RUSSIA)
    domain = [{"kind": "domain", "value": "kaspi-bonus.example"}]
    doc = record_document(title="Phishing operator, second address", identifiers=domain)
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.update_record(uow, rid, doc, RUS, clock.now)
    assert rules(exc) == ["art10.owner"]
    with pytest.raises(ProtocolError) as exc, SqlUnitOfWork(node) as uow:
        svc.update_record(uow, rid, record_document(title="СОВЕРШЕННО СЕКРЕТНО"), KAZ, clock.now)
    assert rules(exc) == ["art10.state_secret"]
    clock.advance(hours=1)
    with SqlUnitOfWork(node) as uow:
        assert svc.update_record(uow, rid, doc, KAZ, clock.now) == 2
    view = read(node, clock, rid, RUS, INVESTIGATION)
    assert view.version == 2 and view.content.title == "Phishing operator, second address"
    with node.connect() as conn:
        values = conn.execute(select(t.record_identifiers.c.value)).scalars().all()
    assert sorted(values) == ["ivan@example.kz", "kaspi-bonus.example"]  # the old IPs gone
    [update] = [a for a in audit(node, rid) if a["action"] == "record:updated"]
    assert update["details"]["version"] == 2


def test_onward_sharing_only_where_the_provider_allowed_it(node: Engine, clock: Clock) -> None:
    closed = create(node, clock)
    share(node, clock, closed, Party.RUSSIA)
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, closed, Party.BELARUS, who=RUS)
    assert rules(exc) == ["art10.onward"]
    assert denied(node, clock, closed, BLR, INVESTIGATION) == ["art10.not_shared"]
    handling = {"purposes": ["investigation"], "confidentiality": "confidential",
                "onward_sharing": True}  # fmt: skip
    open_ = create(node, clock, handling=handling)
    share(node, clock, open_, Party.RUSSIA)
    with pytest.raises(ProtocolError) as exc:  # never back to the provider's Party
        share(node, clock, open_, Party.KAZAKHSTAN, who=RUS)
    assert rules(exc) == ["art4.distinct_parties"]
    with pytest.raises(ProtocolError):  # nor by a Party that never received it
        share(node, clock, open_, Party.ARMENIA, who=BLR)
    clock.advance(hours=1)
    share(node, clock, open_, Party.BELARUS, who=RUS)
    view = read(node, clock, open_, BLR, INVESTIGATION)
    assert view.holding.owner_body == "KAZ-MVD"  # the original owner is kept
    assert [(r.party, r.shared_by) for r in view.recipients] == [
        (Party.RUSSIA, "KAZ-MVD"), (Party.BELARUS, "RUS-MVD"),
    ]  # fmt: skip
    [onward] = [a for a in audit(node, open_) if a["actor_id"] == RUS]
    assert onward["action"] == "record:shared" and onward["details"]["onward"] is True


def test_sharing_checks_the_parties(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, rid)
    assert rules(exc) == ["art5.record_required"]
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, rid, Party.KAZAKHSTAN)
    assert rules(exc) == ["art4.distinct_parties"]
    share(node, clock, rid, Party.RUSSIA)
    share(node, clock, rid, Party.RUSSIA)  # already there: nothing happens
    assert actions(node, rid) == ["record:created", "record:shared"]


class RecordingPeers:
    """Stands in for the federation: notes what would be sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def shared(self, uow: SqlUnitOfWork, *, record: StoredRecord, parties: frozenset[Party],
               actor: Officer, now: datetime) -> None:  # fmt: skip
        self.calls.append(("shared", record.id, sorted(parties)))

    def updated(self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer,
                now: datetime) -> None:  # fmt: skip
        self.calls.append(("updated", record.id, record.version))

    def revoked(self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer,
                now: datetime) -> None:  # fmt: skip
        self.calls.append(("revoked", record.id, record.holding.revoked_at))

    def consent_asked(self, uow: SqlUnitOfWork, *, record: StoredRecord,
                      consent: StoredConsent, actor: Officer, now: datetime) -> None:  # fmt: skip
        self.calls.append(("asked", consent.id, consent.purpose))

    def consent_answered(
        self, uow: SqlUnitOfWork, *, record: StoredRecord, consent: StoredConsent,
        actor: Officer, now: datetime,
    ) -> None:  # fmt: skip
        self.calls.append(("answered", consent.id, consent.state))


def test_peers_are_told_of_each_change(node: Engine, clock: Clock) -> None:
    peers = RecordingPeers()
    rid = create(node, clock)
    with SqlUnitOfWork(node) as uow:  # not shared yet: nobody to tell
        svc.update_record(uow, rid, record_document(title="v2"), KAZ, clock.now, peers)
    with SqlUnitOfWork(node) as uow:
        svc.share_record(uow, rid, [Party.RUSSIA], KAZ, clock.now, peers)
    with SqlUnitOfWork(node) as uow:
        svc.update_record(uow, rid, record_document(title="v3"), KAZ, clock.now, peers)
    with SqlUnitOfWork(node) as uow:
        cid = svc.ask_consent(uow, rid, TRAINING, "course", RUS, clock.now, peers)
    with SqlUnitOfWork(node) as uow:
        svc.answer_consent(uow, cid, False, "Not for courses", KAZ, clock.now, peers)
    with SqlUnitOfWork(node) as uow:
        svc.revoke_record(uow, rid, "Superseded", KAZ, clock.now, peers)
    assert [c[0] for c in peers.calls] == ["shared", "updated", "asked", "answered", "revoked"]
    assert peers.calls[0][2] == [Party.RUSSIA] and peers.calls[1][2] == 3


def test_a_failing_peer_rolls_the_change_back(node: Engine, clock: Clock) -> None:
    class Unreachable(RecordingPeers):
        def shared(self, uow: SqlUnitOfWork, **kw: Any) -> None:  # type: ignore[override]
            raise RuntimeError("no node serves this Party")

    rid = create(node, clock)
    with pytest.raises(RuntimeError), SqlUnitOfWork(node) as uow:
        svc.share_record(uow, rid, [Party.RUSSIA], KAZ, clock.now, Unreachable())
    assert count(node, t.record_recipients) == 0
    assert actions(node, rid) == ["record:created"]


def test_listing_shows_metadata_and_title_only(node: Engine, clock: Clock) -> None:
    first = create(node, clock)
    clock.advance(minutes=5)
    second = create(node, clock, kind="law", persons=[], crime_category=None,
                    legal_qualification="", title="Amendments to the Criminal Code")  # fmt: skip
    share(node, clock, second, Party.RUSSIA)
    with SqlUnitOfWork(node) as uow:
        kaz = svc.list_records(uow, KAZ, clock.now)
        rus = svc.list_records(uow, RUS, clock.now)
        laws = svc.list_records(uow, KAZ, clock.now, kind="law")
        paged = svc.list_records(uow, KAZ, clock.now, limit=1, offset=1)
    assert [r.id for r in kaz] == [second, first] and all(r.own for r in kaz)
    assert [(r.id, r.title, r.own) for r in rus] == [
        (second, "Amendments to the Criminal Code", False)
    ]
    assert [r.id for r in laws] == [second] and [r.id for r in paged] == [first]
    assert not hasattr(rus[0], "content")
    # Listing shows no content, so it is not a read: no audit row.
    assert "record:read" not in actions(node, second)
