"""Notifications of new correlations across nodes (issue 8): a record received from another
node is correlated on the receiving node, and the bodies it was given to there are told."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ozara.core.correlation import Subject, SubjectType
from ozara.core.parties import Party
from ozara.services import correlation as corr
from ozara.services import records as svc
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.federation.test_records_federation import (  # noqa: F401 -- ``w`` is a fixture
    RUS,
    World,
    create,
    share,
    w,
)
from tests.services.test_correlation import ident
from tests.store.test_records_repository import record_document


def told(engine: Engine) -> set[tuple[str, str, str, str]]:
    n = t.correlation_notifications.c
    with engine.connect() as conn:
        rows = conn.execute(select(n.officer_id, n.subject, n.other, n.other_body)).all()
    return {(r.officer_id, r.subject, r.other, r.other_body) for r in rows}


def test_a_received_record_is_announced_to_the_recipient_bodies_of_the_receiving_node(
    w: World,  # noqa: F811
) -> None:
    doc = record_document(kind="crime", identifiers=[ident("email", "ivan@example.kz")], persons=[])
    with SqlUnitOfWork(w.rus.engine) as uow:
        ours = Subject(SubjectType.RECORD, svc.create_record(uow, doc, RUS, w.clock.now))
    corr.run_pending(w.rus.engine, w.clock.advance(seconds=1))
    rid = create(w, kind="crime", persons=[], identifiers=[ident("email", "Ivan@Example.KZ")])
    share(w, w.kaz, rid, Party.RUSSIA)
    w.exchange()
    for node in (w.kaz, w.rus):
        corr.run_pending(node.engine, w.clock.advance(seconds=1))
    received = str(Subject(SubjectType.RECORD, rid))
    # On the Russian node: the bodies of Russia, to whom the record was given; told of the
    # record that arrived, the match being in RUS-MVD's own record. KAZ-MVD, the provider,
    # may not know of the Russian record (not shared with Kazakhstan): not told.
    russians = {f"{b}.{r}" for b in ("rus-mvd", "rus-fsb") for r in ("officer", "head", "liaison")}
    assert told(w.rus.engine) == {(o, received, str(ours), "RUS-MVD") for o in russians}
    assert told(w.kaz.engine) == set()  # the Kazakh node holds no match
