"""Notifications of new correlations (issue 8) on one node holding every body, on SQLite and
PostgreSQL: who is told of a new link and who is not, what the alert says of a match the
officer may not read, no flood on a rebuild, the alert and its link in one transaction,
reading and marking read (audited), another officer's notification refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.actions import Action
from ozara.core.correlation import Subject, SubjectType
from ozara.core.parties import Party
from ozara.services import correlation as corr
from ozara.services import notifications as svc
from ozara.services import records as rec
from ozara.services.requests import AccessDenied
from ozara.store import correlations as links_store
from ozara.store import notifications as store
from ozara.store import tables as t
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_correlation import ident, request
from tests.services.test_request_services import act
from tests.store.test_records_repository import record_document

KAZ, KAZ_HEAD, KAZ_LIAISON = "kaz-mvd.officer", "kaz-mvd.head", "kaz-mvd.liaison"
RUS, RUS_FSB, BLR = "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer"
KAZ_MVD = {KAZ, KAZ_HEAD, KAZ_LIAISON}
RUS_MVD = {RUS, "rus-mvd.head", "rus-mvd.liaison"}
RUS_FSB_ALL = {RUS_FSB, "rus-fsb.head", "rus-fsb.liaison"}
SECRET_TITLE = "Courier of the Almaty drop accounts"
SECRET_MAIL = "drop.courier@mail.example"


def record(  # noqa: PLR0917
    node: Engine,
    clock: Clock,
    who: str,
    identifiers: list[dict[str, str]],
    share_with: tuple[Party, ...] = (),
    purposes: tuple[str, ...] = ("investigation", "detection"),
    title: str = "A record",
) -> Subject:
    doc = record_document(
        kind="crime", title=title, persons=[], identifiers=identifiers,
        handling={"purposes": list(purposes), "confidentiality": "official_use"},
    )  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        rid = rec.create_record(uow, doc, who, clock.now)
    if share_with:
        with SqlUnitOfWork(node) as uow:
            rec.share_record(uow, rid, share_with, who, clock.now)
    return Subject(SubjectType.RECORD, rid)


def work(node: Engine, clock: Clock) -> int:
    return corr.run_pending(node, clock.advance(seconds=1))


def rows(node: Engine) -> list[store.StoredNotification]:
    with node.connect() as conn:
        found = conn.execute(select(t.correlation_notifications.c.officer_id).distinct()).scalars()
        return [n for o in found for n in store.of_officer(conn, o, limit=1000, offset=0)]


def told(node: Engine) -> set[tuple[str, str, str]]:
    """(officer, their case, the other subject) of every notification."""
    return {(n.officer_id, str(n.subject), str(n.other)) for n in rows(node)}


def page(node: Engine, clock: Clock, who: str = KAZ) -> svc.NotificationPage:
    with SqlUnitOfWork(node) as uow:
        return svc.list_for(uow, who, clock.now)


def unread(node: Engine, who: str = KAZ) -> int:
    with node.connect() as conn:
        return svc.unread_count(conn, who)


def audited(node: Engine, action: str) -> list[dict[str, Any]]:
    with node.connect() as conn:
        found = conn.execute(
            select(t.audit_log.c.actor_id, t.audit_log.c.object_id, t.audit_log.c.details)
            .where(t.audit_log.c.action == action)
            .order_by(t.audit_log.c.id)
        ).all()
    return [{"actor": r.actor_id, "object": r.object_id, "details": r.details} for r in found]


def test_the_providing_body_of_a_new_record_is_told_of_a_match_in_a_shared_record(
    node: Engine, clock: Clock
) -> None:
    theirs = record(node, clock, RUS, [ident("email", "a@example.ru")],
                    share_with=(Party.KAZAKHSTAN,), title=SECRET_TITLE)  # fmt: skip
    ours = record(node, clock, KAZ, [ident("email", "A@example.ru")])
    work(node, clock)
    # KAZ-MVD's staff, about its own new record; once each, although KAZ-MVD is concerned by
    # both sides (its own record; the Russian one it received).
    assert told(node) == {(o, str(ours), str(theirs)) for o in KAZ_MVD}
    # RUS-MVD provided the other record but does not hold the Kazakh one: the match is not
    # its to know of. RUS-FSB, Belarus and the auditor have no case here at all.
    assert unread(node, RUS) == unread(node, RUS_FSB) == unread(node, BLR) == 0
    [alert] = [n for n in rows(node) if n.officer_id == KAZ]
    assert (alert.other_body, alert.read_at) == ("RUS-MVD", None)
    assert alert.created_at == clock.now  # in the job's transaction, with the link
    assert unread(node) == 1


def test_an_alert_about_a_match_the_officer_may_not_read_names_only_the_body(
    node: Engine, clock: Clock
) -> None:
    record(node, clock, RUS, [ident("email", SECRET_MAIL)], share_with=(Party.KAZAKHSTAN,),
           purposes=("training",), title=SECRET_TITLE)  # fmt: skip
    ours = record(node, clock, KAZ, [ident("email", SECRET_MAIL)], title="Our own case")
    work(node, clock)
    shown = page(node, clock)
    [view] = shown.items
    assert (view.subject, view.subject_label) == (ours, "Our own case")
    assert (view.other_type, view.other_body, view.read) == (SubjectType.RECORD, "RUS-MVD", False)
    text = repr(view)
    assert SECRET_TITLE not in text and SECRET_MAIL not in text and "training" not in text
    assert (shown.total, shown.unread) == (1, 1)
    # The list is audited with what it showed; the count is not.
    [entry] = audited(node, "notification:listed")
    assert entry["actor"] == KAZ
    assert entry["details"]["shown"] == [
        {"id": view.id, "subject": str(ours), "other_body": "RUS-MVD"}
    ]


def test_a_record_the_party_does_not_hold_notifies_nobody(node: Engine, clock: Clock) -> None:
    record(node, clock, RUS, [ident("email", SECRET_MAIL)], title=SECRET_TITLE)
    record(node, clock, KAZ, [ident("email", SECRET_MAIL)])
    work(node, clock)
    with node.connect() as conn:
        links = conn.execute(select(func.count()).select_from(t.correlations)).scalar_one()
    assert links == 1 and told(node) == set()  # neither side may know of the other


def test_both_sides_are_told_when_each_holds_the_other(node: Engine, clock: Clock) -> None:
    theirs = record(node, clock, RUS, [ident("domain", "evil.example")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    work(node, clock)
    ours = record(node, clock, KAZ, [ident("url", "https://pay.evil.example/x")],
                  share_with=(Party.RUSSIA,))  # fmt: skip
    work(node, clock)
    # The Kazakh record, shared with Russia, is the case of every Russian body hosted here
    # (the recipients) as well as KAZ-MVD's; each officer is told once, of the record that
    # has just arrived, RUS-MVD's staff too (the Russian record is also their case).
    assert told(node) == {(o, str(ours), str(theirs)) for o in KAZ_MVD | RUS_MVD | RUS_FSB_ALL}
    [alert] = [n for n in rows(node) if n.officer_id == RUS_FSB]
    assert alert.other_body == "RUS-MVD"
    with SqlUnitOfWork(node) as uow:
        rec.share_record(uow, theirs.id, [Party.BELARUS], RUS, clock.now)
    assert unread(node, BLR) == 0  # shared after the link was found: not a new link


def test_a_draft_request_is_the_requesting_bodys_alone_until_it_is_sent(
    node: Engine, clock: Clock
) -> None:
    mine = record(node, clock, KAZ, [ident("email", "boss@fraud.example")])
    draft = request(node, clock, "Переписка с boss@fraud.example")
    work(node, clock)
    # KAZ-MVD's staff are told once per pair: the request (just stored) and the record are
    # both its cases.
    assert told(node) == {(o, str(draft), str(mine)) for o in KAZ_MVD}
    assert unread(node, RUS) == 0  # addressed to RUS-MVD, but still a draft
    act(node, clock, draft.id, KAZ_HEAD, Action.SIGN)
    act(node, clock, draft.id, KAZ, Action.SEND)
    # Sent: a new match of the request is RUS-MVD's to know of too, but only where it may
    # see the other side: a Kazakh record not shared with Russia is not.
    theirs = record(node, clock, RUS, [ident("email", "boss@fraud.example")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    work(node, clock)
    new = told(node) - {(o, str(draft), str(mine)) for o in KAZ_MVD}
    assert new == (
        {(o, str(theirs), str(draft)) for o in RUS_MVD}  # its record ~ the request it got
        | {(o, str(theirs), str(draft)) for o in KAZ_MVD}  # the record it received
        | {(o, str(theirs), str(mine)) for o in KAZ_MVD}
    )


def test_a_rerun_or_a_rebuild_adds_no_notification(node: Engine, clock: Clock) -> None:
    record(node, clock, RUS, [ident("ip_range", "10.1.0.0/16"), ident("email", "x@example.ru")],
           share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    ours = record(node, clock, KAZ, [ident("ip", "10.1.2.3"), ident("email", "x@example.ru")])
    work(node, clock)
    before = rows(node)
    assert len(before) == 3  # one per officer, although two kinds of match link the pair
    with SqlUnitOfWork(node) as uow:
        assert svc.mark_all_read(uow, KAZ, clock.now) == 1
    with SqlUnitOfWork(node) as uow:
        corr.enqueue(uow, "record", ours.id, clock.now)
        uow.commit()
    work(node, clock)
    assert corr.rebuild(node, clock.advance(minutes=5)) == 2
    after = rows(node)
    assert [(n.id, n.created_at) for n in after] == [(n.id, n.created_at) for n in before]
    assert unread(node) == 0  # what was read stays read


def test_a_revoked_record_takes_its_alerts_with_its_links(node: Engine, clock: Clock) -> None:
    theirs = record(node, clock, RUS, [ident("email", "r@example.ru")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    record(node, clock, KAZ, [ident("email", "r@example.ru")])
    work(node, clock)
    assert unread(node) == 1
    with SqlUnitOfWork(node) as uow:
        rec.revoke_record(uow, theirs.id, "Withdrawn: wrong attribution", RUS, clock.now)
    work(node, clock)
    assert rows(node) == [] and unread(node) == 0


def test_a_changed_record_that_no_longer_matches_loses_its_alert(
    node: Engine, clock: Clock
) -> None:
    record(node, clock, RUS, [ident("email", "c@example.ru")], share_with=(Party.KAZAKHSTAN,))
    ours = record(node, clock, KAZ, [ident("email", "c@example.ru")])
    work(node, clock)
    assert unread(node) == 1
    doc = record_document(kind="crime", persons=[], identifiers=[ident("email", "d@example.ru")])
    with SqlUnitOfWork(node) as uow:
        rec.update_record(uow, ours.id, doc, KAZ, clock.now)
    work(node, clock)
    assert unread(node) == 0 and rows(node) == []


def test_a_job_rolled_back_leaves_neither_link_nor_alert(
    node: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(node, clock, RUS, [ident("email", "j@example.ru")], share_with=(Party.KAZAKHSTAN,))
    record(node, clock, KAZ, [ident("email", "j@example.ru")])

    def crash(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(links_store, "finish_jobs", crash)  # after the links and alerts
    work(node, clock)
    with node.connect() as conn:
        links = conn.execute(select(func.count()).select_from(t.correlations)).scalar_one()
    assert links == 0 and rows(node) == []
    monkeypatch.undo()
    work(node, clock)
    assert unread(node) == 1


def test_marking_read_one_or_all_and_another_officers_is_refused(
    node: Engine, clock: Clock
) -> None:
    for n in range(3):
        record(node, clock, RUS, [ident("email", f"m{n}@example.ru")],
               share_with=(Party.KAZAKHSTAN,))  # fmt: skip
        record(node, clock, KAZ, [ident("email", f"m{n}@example.ru")])
    work(node, clock)
    newest, *_ = page(node, clock).items
    assert unread(node) == 3 and unread(node, KAZ_HEAD) == 3
    [head_alert] = [n for n in rows(node) if n.officer_id == KAZ_HEAD and n.subject ==
                    newest.subject]  # fmt: skip
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.mark_read(uow, KAZ, head_alert.id, clock.now)  # a colleague's: not theirs
    with SqlUnitOfWork(node) as uow, pytest.raises(NotFound):
        svc.mark_read(uow, KAZ, 10**6, clock.now)
    with SqlUnitOfWork(node) as uow:
        assert svc.mark_read(uow, KAZ, newest.id, clock.now) == newest.subject
    assert unread(node) == 2 and unread(node, KAZ_HEAD) == 3  # per officer
    shown = page(node, clock)
    assert [v.read for v in shown.items] == [True, False, False]
    assert (shown.total, shown.unread) == (3, 2)
    with SqlUnitOfWork(node) as uow:
        assert svc.mark_all_read(uow, KAZ, clock.now) == 2
    with SqlUnitOfWork(node) as uow:
        assert svc.mark_all_read(uow, KAZ, clock.now) == 0
    assert unread(node) == 0
    assert [e["object"] for e in audited(node, "notification:read")] == [str(newest.id)]
    assert [e["details"] for e in audited(node, "notification:read_all")] == [{"count": 2}]


def test_pages_are_newest_first(node: Engine, clock: Clock) -> None:
    subjects = []
    for n in range(4):
        record(node, clock, RUS, [ident("email", f"p{n}@example.ru")],
               share_with=(Party.KAZAKHSTAN,))  # fmt: skip
        subjects.append(record(node, clock, KAZ, [ident("email", f"p{n}@example.ru")]))
        work(node, clock)
    with SqlUnitOfWork(node) as uow:
        first = svc.list_for(uow, KAZ, clock.now, limit=3)
    with SqlUnitOfWork(node) as uow:
        second = svc.list_for(uow, KAZ, clock.now, limit=3, offset=3)
    assert [v.subject for v in (*first.items, *second.items)] == subjects[::-1]
    assert first.total == second.total == 4


@pytest.mark.parametrize("who", ["auditor", "csto.secretariat"])
def test_no_body_no_notifications(node: Engine, clock: Clock, who: str) -> None:
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.list_for(uow, who, clock.now)
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.mark_all_read(uow, who, clock.now)


def test_an_email_address_is_checked_and_queues_the_alerts_for_mail(
    node: Engine, clock: Clock
) -> None:
    with SqlUnitOfWork(node) as uow, pytest.raises(ValueError, match="not an e-mail"):
        svc.set_email(uow, KAZ, "two@at@signs", clock.now)
    with SqlUnitOfWork(node) as uow:
        svc.set_email(uow, KAZ, " kaz.officer@mvd.example.kz ", clock.now, by="admin")
    record(node, clock, RUS, [ident("email", "q@example.ru")], share_with=(Party.KAZAKHSTAN,))
    record(node, clock, KAZ, [ident("email", "q@example.ru")])
    work(node, clock)
    with node.connect() as conn:
        assert store.email_of(conn, KAZ) == "kaz.officer@mvd.example.kz"
        due = store.mail_due(conn, clock.now)
    assert [(b.officer_id, b.email, len(b.ids)) for b in due] == [
        (KAZ, "kaz.officer@mvd.example.kz", 1)
    ]  # the head and the liaison have no address: the web inbox only
    [entry] = audited(node, "officer:email_set")
    assert (entry["actor"], entry["object"]) == ("admin", KAZ)
