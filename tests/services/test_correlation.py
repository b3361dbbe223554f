"""Automatic correlation (issue 8) end to end on one node holding every body, on SQLite and
PostgreSQL: records and requests queued, the worker run, and what an officer sees of each
link under a purpose (Art. 10)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.actions import Action
from ozara.core.correlation import MatchKind, Subject, SubjectType
from ozara.core.lifecycle import Command
from ozara.core.parties import Party
from ozara.core.records import Purpose
from ozara.core.rules import ProtocolError
from ozara.services import correlation as corr
from ozara.services import records as rec
from ozara.services import requests as req
from ozara.store import correlations as store
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_request_services import document as request_document
from tests.store.test_records_repository import record_document

KAZ, RUS = "kaz-mvd.officer", "rus-mvd.officer"
INVESTIGATION = Purpose.INVESTIGATION


def person(*names: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "natural", "names": list(names), **extra}


def ident(kind: str, value: str) -> dict[str, str]:
    return {"kind": kind, "value": value}


def record(  # noqa: PLR0917
    node: Engine,
    clock: Clock,
    who: str,
    persons: list[dict[str, Any]] | None = None,
    identifiers: list[dict[str, str]] | None = None,
    share_with: tuple[Party, ...] = (),
    purposes: tuple[str, ...] = ("investigation", "detection"),
) -> Subject:
    """A record created by ``who``'s body, shared, and queued as the hooks will queue it."""
    doc = record_document(
        kind="person" if persons else "crime",
        persons=persons or [],
        identifiers=identifiers or [],
        handling={"purposes": list(purposes), "confidentiality": "official_use"},
    )
    with SqlUnitOfWork(node) as uow:
        rid = rec.create_record(uow, doc, who, clock.now)
    if share_with:
        with SqlUnitOfWork(node) as uow:
            rec.share_record(uow, rid, share_with, who, clock.now)
    return Subject(SubjectType.RECORD, rid)  # queued by create_record itself


def request(node: Engine, clock: Clock, substance: str) -> Subject:
    with SqlUnitOfWork(node) as uow:
        rid = req.create_request(uow, request_document(substance=substance), KAZ, clock.now)
    return Subject(SubjectType.REQUEST, rid)  # queued by create_request itself


def queue(node: Engine, clock: Clock, subject: Subject) -> None:
    with SqlUnitOfWork(node) as uow:
        corr.enqueue(uow, subject.type, subject.id, clock.now)
        uow.commit()


def work(node: Engine, clock: Clock) -> int:
    return corr.run_pending(node, clock.advance(seconds=1))


def links(
    node: Engine, clock: Clock, subject: Subject, who: str = KAZ, purpose: Purpose = INVESTIGATION
) -> list[corr.LinkView]:
    with SqlUnitOfWork(node) as uow:
        return corr.links_for(uow, who, subject, purpose, clock.now)


def count(node: Engine) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.correlations)).scalar_one())


def test_a_kazakh_cyrillic_name_correlates_with_a_latin_person_shared_by_another_party(
    node: Engine, clock: Clock
) -> None:
    theirs = record(
        node, clock, RUS, [person("Kairat Nurlanovich Akhmetov")], share_with=(Party.KAZAKHSTAN,)
    )
    assert work(node, clock) == 1
    ours = record(node, clock, KAZ, [person("Қайрат Нұрланұлы Ахметов")])
    assert work(node, clock) == 1
    [link] = links(node, clock, ours)
    assert link.readable and link.other == str(theirs) and link.kinds == ("person",)
    [evidence] = link.evidence
    assert evidence.kind is MatchKind.PERSON
    assert (evidence.value_a, evidence.value_b) == (
        "Қайрат Нұрланұлы Ахметов",
        "Kairat Nurlanovich Akhmetov",
    )
    assert evidence.field_a == "persons[0].names" and evidence.score >= 0.85
    assert link.ask_body == "RUS-MVD" and link.title
    # Russia does not hold the Kazakh record: it does not learn that it exists ...
    assert links(node, clock, theirs, who=RUS) == []
    # ... until it is shared with it; then the one stored link shows from that side too.
    with SqlUnitOfWork(node) as uow:
        rec.share_record(uow, ours.id, [Party.RUSSIA], KAZ, clock.now)
    [back] = links(node, clock, theirs, who=RUS)
    assert back.other == str(ours) and back.evidence[0].value_a == "Kairat Nurlanovich Akhmetov"
    assert count(node) == 1


def test_a_request_naming_an_email_phone_and_address_correlates_with_a_shared_record(
    node: Engine, clock: Clock
) -> None:
    shared = record(
        node, clock, RUS,
        identifiers=[ident("email", "drop@evil.example.ru"), ident("phone", "+7 916 123 45 67"),
                     ident("ip_range", "198.51.100.0/24")],
        share_with=(Party.KAZAKHSTAN,),
    )  # fmt: skip
    subject = request(
        node, clock,
        "Письма приходили с DROP@Evil.Example.ru, звонили с +7 (916) 123-45-67; "
        "вход в кабинет с 198.51.100.23.",
    )  # fmt: skip
    assert work(node, clock) == 2
    [link] = links(node, clock, subject)
    assert link.readable and link.other == str(shared)
    assert link.kinds == ("identifier", "in_range")
    got = {(e.kind, e.field_a, e.value_a, e.value_b) for e in link.evidence}
    assert got == {
        (MatchKind.IDENTIFIER, "substance", "drop@evil.example.ru", "drop@evil.example.ru"),
        (MatchKind.IDENTIFIER, "substance", "+79161234567", "+79161234567"),
        (MatchKind.IN_RANGE, "substance", "198.51.100.23", "198.51.100.0/24"),
    }


def test_an_address_inside_a_shared_range_correlates_either_way_round(
    node: Engine, clock: Clock
) -> None:
    address = record(node, clock, KAZ, identifiers=[ident("ip", "203.0.113.77")])
    work(node, clock)
    shared = record(
        node, clock, RUS, identifiers=[ident("ip_range", "203.0.113.0/25")],
        share_with=(Party.KAZAKHSTAN,),
    )  # fmt: skip
    work(node, clock)
    [link] = links(node, clock, address)
    assert link.other == str(shared) and link.kinds == ("in_range",)
    assert (link.evidence[0].value_a, link.evidence[0].value_b) == (
        "203.0.113.77",
        "203.0.113.0/25",
    )
    outside = record(node, clock, KAZ, identifiers=[ident("ip", "203.0.113.200")])
    work(node, clock)
    assert links(node, clock, outside) == []


@pytest.mark.parametrize("parent_first", [True, False])
def test_a_sub_domain_correlates_with_its_parent(
    node: Engine, clock: Clock, parent_first: bool
) -> None:
    def parent() -> Subject:
        return record(node, clock, RUS, identifiers=[ident("domain", "Example.KZ")],
                      share_with=(Party.KAZAKHSTAN,))  # fmt: skip

    def child() -> Subject:
        return record(
            node, clock, KAZ, identifiers=[ident("url", "https://login.bank.example.kz/x")]
        )

    first = parent() if parent_first else child()
    work(node, clock)
    second = child() if parent_first else parent()
    work(node, clock)
    ours = second if parent_first else first
    [link] = links(node, clock, ours)
    assert link.kinds == ("subdomain",)
    assert {(e.value_a, e.value_b) for e in link.evidence} == {
        ("login.bank.example.kz", "example.kz")
    }


def test_a_wallet_and_an_account_handle_correlate(node: Engine, clock: Clock) -> None:
    wallet = "0x52908400098527886E0F7030069857D2E4169EE7"
    shared = record(
        node, clock, RUS,
        identifiers=[ident("wallet", wallet.lower()), ident("handle", "telegram:@Fast_Cash")],
        share_with=(Party.KAZAKHSTAN,),
    )  # fmt: skip
    work(node, clock)
    ours = record(node, clock, KAZ, [person("Петров Пётр", identifiers=[
        ident("wallet", wallet), ident("handle", "Telegram:fast_cash"),
    ])])  # fmt: skip
    work(node, clock)
    [link] = links(node, clock, ours)
    assert link.other == str(shared)
    assert {(e.field_a, e.value_b) for e in link.evidence} == {
        ("persons[0].identifiers", wallet.lower()),
        ("persons[0].identifiers", "telegram:fast_cash"),
    }


def test_a_match_the_officer_may_not_read_reveals_nothing_but_its_existence(
    node: Engine, clock: Clock
) -> None:
    hidden = record(
        node, clock, RUS, [person("Kairat Akhmetov")],
        identifiers=[ident("email", "secret.drop@mail.example")],
        share_with=(Party.KAZAKHSTAN,), purposes=("training",),
    )  # fmt: skip
    # A Russian record never shared with Kazakhstan: not even its existence is shown.
    record(node, clock, RUS, identifiers=[ident("email", "secret.drop@mail.example")])
    work(node, clock)
    ours = record(
        node, clock, KAZ, [person("Қайрат Ахметов")],
        identifiers=[ident("email", "secret.drop@mail.example")],
    )  # fmt: skip
    work(node, clock)
    assert count(node) == 4  # the links exist (the two Russian records too): shown per officer
    [link] = links(node, clock, ours)
    assert link == corr.LinkView(str(hidden), False, "RUS-MVD", may_ask_consent=True)
    assert (link.kinds, link.evidence, link.title, link.score, link.found_at) == (
        (), (), "", None, None,
    )  # fmt: skip
    text = repr(link)
    assert "secret.drop" not in text and "Kairat" not in text and "Phishing" not in text
    # Under a permitted purpose the same link is shown in full.
    [full] = links(node, clock, ours, purpose=Purpose.TRAINING)
    assert full.readable and full.kinds == ("identifier", "person")
    with SqlUnitOfWork(node) as uow:
        viewed = [a for a in uow.audit.for_object(ours.id) if a["action"] == "correlation:viewed"]
    assert viewed[0]["details"]["hidden"] == [str(hidden)]


def test_the_subject_itself_must_be_readable(node: Engine, clock: Clock) -> None:
    theirs = record(node, clock, RUS, purposes=("training",), share_with=(Party.KAZAKHSTAN,))
    with pytest.raises(ProtocolError):
        links(node, clock, theirs)


def test_a_revoked_record_loses_its_correlations(node: Engine, clock: Clock) -> None:
    theirs = record(node, clock, RUS, identifiers=[ident("email", "a@example.ru")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    ours = record(node, clock, KAZ, identifiers=[ident("email", "A@example.ru")])
    work(node, clock)
    assert [v.other for v in links(node, clock, ours)] == [str(theirs)]
    with SqlUnitOfWork(node) as uow:
        rec.revoke_record(uow, theirs.id, "Withdrawn: wrong attribution", RUS, clock.now)
    queue(node, clock, theirs)  # the hook in revoke_record will do this
    work(node, clock)
    assert links(node, clock, ours) == [] and count(node) == 0
    with node.connect() as conn:
        held = conn.execute(select(func.count()).select_from(t.correlation_terms).where(
            t.correlation_terms.c.subject == str(theirs))).scalar_one()  # fmt: skip
    assert held == 0  # nothing of it is left to match


def test_a_job_that_raises_stays_queued_and_is_done_later(
    node: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = record(node, clock, RUS, identifiers=[ident("email", "a@example.ru")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    work(node, clock)
    ours = record(node, clock, KAZ, identifiers=[ident("email", "a@example.ru")])
    real = store.write_links

    def crash(*_a: Any, **_k: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "write_links", crash)
    assert work(node, clock) == 0
    with node.connect() as conn:
        [job] = store.pending_jobs(conn, 10)
        terms = conn.execute(select(func.count()).select_from(t.correlation_terms).where(
            t.correlation_terms.c.subject == str(ours))).scalar_one()  # fmt: skip
    assert (job.subject, job.attempts) == (ours, 1) and terms == 0  # rolled back
    assert count(node) == 0
    monkeypatch.setattr(store, "write_links", real)
    assert work(node, clock) == 1
    assert [v.other for v in links(node, clock, ours)] == [str(theirs)]
    with node.connect() as conn:
        assert store.pending_jobs(conn, 10) == []
        assert store.queue_counts(conn) == (0, 0)


def test_running_twice_or_rebuilding_does_not_duplicate_links(node: Engine, clock: Clock) -> None:
    theirs = record(node, clock, RUS, [person("Kairat Akhmetov")],
                    identifiers=[ident("ip_range", "10.1.0.0/16")],
                    share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    ours = record(node, clock, KAZ, [person("Ахметов Кайрат")],
                  identifiers=[ident("ip", "10.1.2.3")])  # fmt: skip
    work(node, clock)
    before = links(node, clock, ours)
    assert count(node) == 2 and before[0].other == str(theirs)
    queue(node, clock, ours)
    queue(node, clock, theirs)
    queue(node, clock, ours)
    assert work(node, clock) == 2  # three jobs, two subjects
    seen: list[tuple[int, int]] = []
    assert corr.rebuild(node, clock.advance(minutes=1), lambda d, n: seen.append((d, n))) == 2
    assert seen == [(1, 2), (2, 2)]
    assert count(node) == 2
    assert links(node, clock, ours) == before  # found_at kept: nothing was new


def test_the_cli_runs_the_queue_rebuilds_and_shows_hidden_links_as_such(
    node: Engine, clock: Clock
) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from ozara.cli.correlate import correlate_app  # noqa: PLC0415

    hidden = record(node, clock, RUS, identifiers=[ident("email", "z@example.ru")],
                    share_with=(Party.KAZAKHSTAN,), purposes=("training",))  # fmt: skip
    ours = record(node, clock, KAZ, identifiers=[ident("email", "z@example.ru")])
    url = ["--database", node.url.render_as_string(hide_password=False)]
    runner = CliRunner()
    ran = runner.invoke(correlate_app, ["run", *url])
    assert ran.exit_code == 0 and "2 subject(s) correlated; 0 job(s) waiting" in ran.output
    built = runner.invoke(correlate_app, ["rebuild", *url])
    assert built.exit_code == 0 and "2 subject(s) correlated" in built.output
    args = ["show", str(ours), "--as", KAZ, "--purpose", "investigation", *url]
    shown = runner.invoke(correlate_app, args)
    assert shown.exit_code == 0
    assert shown.output.strip() == f"{hidden}  a match exists: ask RUS-MVD; consent may be asked"
    assert "z@example.ru" not in shown.output
    full = runner.invoke(correlate_app, [*args[:5], "training", *url, "--json"])
    assert '"value": "z@example.ru"' in full.output


def test_the_serve_worker_drains_the_queue_until_stopped(node: Engine, clock: Clock) -> None:
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    from ozara.cli.correlate import correlate_forever  # noqa: PLC0415

    record(node, clock, KAZ, identifiers=[ident("email", "w@example.kz")])
    record(node, clock, KAZ, identifiers=[ident("email", "w@example.kz")])
    stop = threading.Event()
    worker = threading.Thread(target=correlate_forever, args=(node, None, None, stop, 0.05))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while count(node) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive() and count(node) == 1


def test_requests_correlate_with_each_other_and_another_partys_case_stays_unseen(
    node: Engine, clock: Clock
) -> None:
    first = request(node, clock, "Вход с 192.0.2.44, почта boss@fraud.example")
    second = request(node, clock, "Переводы на кошелёк; переписка с boss@fraud.example")
    with SqlUnitOfWork(node) as uow:
        doc = request_document(
            requesting_body="RUS-MVD", requested_body="ARM-POLICE",
            substance="Почта boss@fraud.example, сеть 192.0.2.0/24",
        )  # fmt: skip
        russian = Subject(SubjectType.REQUEST, req.create_request(uow, doc, RUS, clock.now))
    queue(node, clock, russian)
    assert work(node, clock) == 3
    assert count(node) == 4  # first-second, first-russian (e-mail; address in range), ...
    [link] = links(node, clock, first)  # the Russian case is not Kazakhstan's to know of
    assert link.other == str(second) and link.readable and link.title == second.id
    assert link.evidence[0].value_b == "boss@fraud.example"
    # The Kazakh requests are addressed to RUS-MVD but still drafts: not its case yet
    # (core/access.can_view), so it learns nothing of them ...
    assert links(node, clock, russian, who=RUS) == []
    # ... and Armenia's officer may not even ask: the Russian request is a draft, not yet
    # the case of the body it is addressed to.
    with pytest.raises(req.AccessDenied):
        links(node, clock, russian, who="arm-police.officer")


def test_once_sent_the_requested_body_sees_the_requests_correlations_as_its_party_may(
    node: Engine, clock: Clock
) -> None:
    """A draft is the requesting body's alone (core/access.can_view, Art. 6 para 3); sent,
    it is the requested body's case too, and its matches are shown to that body under
    Art. 10 like any other: its own records in full, a record of the requesting Party
    shared for another purpose as a match to ask about, one never shared not at all."""
    mail = [ident("email", "boss@fraud.example")]
    russian = record(node, clock, RUS, identifiers=mail)
    for_training = record(node, clock, KAZ, identifiers=mail, share_with=(Party.RUSSIA,),
                          purposes=("training",))  # fmt: skip
    kazakh_only = record(node, clock, KAZ, identifiers=mail)
    case = request(node, clock, "Письма с boss@fraud.example")
    work(node, clock)
    with pytest.raises(req.AccessDenied):
        links(node, clock, case, who=RUS)
    for who, action in (("kaz-mvd.head", Action.SIGN), (KAZ, Action.SEND)):
        with SqlUnitOfWork(node) as uow:
            req.act(uow, case.id, Command(action), who, clock.now)
    seen = links(node, clock, case, who=RUS)
    assert [(v.other, v.readable) for v in seen] == [
        (str(russian), True), (str(for_training), False),
    ]  # fmt: skip
    assert seen[0].evidence[0].value_b == "boss@fraud.example"
    assert seen[1] == corr.LinkView(str(for_training), False, "KAZ-MVD", may_ask_consent=True)
    # The requesting body sees its own two; the Russian record was never shared with it.
    assert {v.other for v in links(node, clock, case)} == {str(for_training), str(kazakh_only)}
    # Forwarded within Russia, the new holder reads the matches; the first addressee too.
    with SqlUnitOfWork(node) as uow:
        req.act(uow, case.id, Command(Action.RECEIVE), "rus-mvd.liaison", clock.now)
    with SqlUnitOfWork(node) as uow:
        req.act(uow, case.id, Command(Action.FORWARD, target_body="RUS-FSB"), RUS, clock.now)
    fsb = links(node, clock, case, who="rus-fsb.officer")
    assert [(v.other, v.readable) for v in fsb] == [
        (str(russian), True), (str(for_training), False),
    ]  # fmt: skip
    assert [v.other for v in links(node, clock, case, who=RUS)] == [str(russian), str(for_training)]


def test_a_url_on_a_common_host_links_by_the_full_url_never_by_the_host(
    node: Engine, clock: Clock
) -> None:
    channel = record(node, clock, RUS, identifiers=[ident("url", "https://t.me/somechannel")],
                     share_with=(Party.KAZAKHSTAN,))  # fmt: skip
    record(node, clock, KAZ, identifiers=[ident("url", "https://t.me/otherchannel"),
                                          ident("url", "https://www.instagram.com/")])  # fmt: skip
    record(node, clock, KAZ, identifiers=[ident("domain", "t.me"), ident("ip", "8.8.8.8")])
    assert work(node, clock) == 3 and count(node) == 0  # the same host links nothing
    case = request(node, clock, "Канал https://t.me/somechannel, DNS 8.8.8.8, www.instagram.com")
    work(node, clock)
    [link] = links(node, clock, case)
    assert link.other == str(channel) and link.kinds == ("identifier",)
    assert [(e.value_a, e.value_b) for e in link.evidence] == [
        ("https://t.me/somechannel", "https://t.me/somechannel")
    ]
    assert count(node) == 1


def test_a_value_held_by_too_many_subjects_links_nothing_new_and_says_so(
    node: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(store, "TOO_COMMON", 2)
    host = [ident("domain", "cdn.unlisted-provider.example")]
    for _ in range(3):
        record(node, clock, KAZ, identifiers=host)
    work(node, clock)
    assert count(node) == 3  # 1-2, then 3 with 1 and 2: never more than two others
    wallet = "0x52908400098527886e0f7030069857d2e4169ee7"
    mine = record(node, clock, KAZ, identifiers=[*host, ident("wallet", wallet)])
    other = record(node, clock, KAZ, identifiers=[ident("wallet", wallet)])
    caplog.set_level("INFO", logger="ozara.services.correlation")
    work(node, clock)
    # Held by three others: the domain links nothing; the wallet still does.
    assert [(v.other, v.kinds) for v in links(node, clock, mine)] == [(str(other), ("identifier",))]
    assert "too common" in caplog.text and "cdn.unlisted-provider.example" in caplog.text
    with node.begin() as conn:
        outcome = corr.correlate(conn, mine, clock.now)
    assert outcome == corr.Outcome(0, (("domain", "cdn.unlisted-provider.example"),))
