"""The library of exchanged literature (Art. 5 para 6) through the use cases, on SQLite and
PostgreSQL: add, share, search (full text in Russian, Kazakh and English), read with the
file, withdraw; each refusal with its rule, nothing stored, reads audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.parties import Party
from ozara.core.rules import ProtocolError
from ozara.services import literature as svc
from ozara.services.requests import AccessDenied
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock

#: The owner (RUS-MVD), another body of its Party, a body it shares with, one it does not.
OWN, FSB, KAZ, BLR = "rus-mvd.officer", "rus-fsb.officer", "kaz-mvd.officer", "blr-mvd.officer"
PDF = b"%PDF-1.7 methodology of phishing kit attribution"


def meta(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "Методика атрибуции фишинговых наборов",
        "authors": ["А. Сейткали", "I. Petrov"],
        "language": "ru",
        "year": 2025,
        "kind": "methodology",
        "keywords": ["фишинг", "phishing kits", "атрибуция"],
        "abstract": "How to attribute phishing kits sold in Telegram channels to their authors.",
    }
    doc.update(overrides)
    return doc


def add(node: Engine, clock: Clock, who: str = OWN, **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.add_literature(uow, meta(**overrides), "kit.pdf", "application/pdf", PDF,
                                  who, clock.now)  # fmt: skip


def share(node: Engine, clock: Clock, doc: str, parties: list[Party], who: str = OWN) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.share_literature(uow, doc, parties, who, clock.now)


def search(node: Engine, clock: Clock, query: str, who: str) -> list[str]:
    with SqlUnitOfWork(node) as uow:
        return [r.id for r in svc.search_literature(uow, query, who, clock.now)]


def read(node: Engine, clock: Clock, doc: str, who: str) -> svc.LiteratureView:
    with SqlUnitOfWork(node) as uow:
        return svc.read_literature(uow, doc, who, clock.now, file=True)


def rules(exc: pytest.ExceptionInfo[ProtocolError]) -> list[str]:
    return [v.rule for v in exc.value.violations]


def count(node: Engine, table: Any) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def trail(node: Engine, doc: str) -> list[tuple[str, str]]:
    with SqlUnitOfWork(node) as uow:
        return [(a["action"], a["actor_id"]) for a in uow.audit.for_object(doc)]


def test_add_share_search_read_withdraw(node: Engine, clock: Clock) -> None:
    doc = add(node, clock)
    assert search(node, clock, "фишинговые наборы", KAZ) == []  # not shared yet
    assert search(node, clock, "фишинг", FSB) == [doc]  # own Party: national law
    assert share(node, clock, doc, [Party.KAZAKHSTAN]) == [Party.KAZAKHSTAN]
    assert share(node, clock, doc, [Party.KAZAKHSTAN]) == []  # once
    assert search(node, clock, "Telegram channels", KAZ) == [doc]
    assert search(node, clock, "атрибуция", KAZ) == [doc]
    assert search(node, clock, "Petrov", KAZ) == [doc]
    assert search(node, clock, "ransomware", KAZ) == []
    assert search(node, clock, "фишинг", BLR) == []  # not shared with Belarus
    view = read(node, clock, doc, KAZ)
    assert view.content == PDF and view.stored.meta.year == 2025
    assert view.stored.file.sha256 == view.stored.file.sha256.lower() and not view.may_withdraw
    with SqlUnitOfWork(node) as uow:
        [row] = svc.list_literature(uow, KAZ, clock.now)
    assert (row.id, row.kind, row.withdrawn) == (doc, "methodology", False)
    clock.advance(hours=1)
    with SqlUnitOfWork(node) as uow:
        svc.withdraw_literature(uow, doc, "superseded by the 2026 edition", OWN, clock.now)
    with pytest.raises(ProtocolError) as exc:
        read(node, clock, doc, KAZ)
    assert rules(exc) == ["art5.literature_withdrawn"]
    assert search(node, clock, "фишинг", KAZ) == []
    with SqlUnitOfWork(node) as uow:
        [row] = svc.list_literature(uow, KAZ, clock.now)  # still listed, marked
    assert row.withdrawn
    assert read(node, clock, doc, OWN).content == PDF  # the owner keeps it
    actions = [a for a, _ in trail(node, doc)]
    assert actions[:3] == ["literature:added", "literature:shared", "literature:read"]
    assert actions[3:] == ["literature:withdrawn", "literature:read_denied", "literature:read"]
    with SqlUnitOfWork(node) as uow:
        searches = [a["details"] for a in uow.audit.for_object("KAZ")]
    assert {"query": "Telegram channels", "hits": [doc]} in searches


def test_denials_change_nothing(node: Engine, clock: Clock) -> None:
    doc = add(node, clock)
    share(node, clock, doc, [Party.KAZAKHSTAN])
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, doc, [Party.BELARUS], who=KAZ)  # not the owner
    assert rules(exc) == ["art5.literature_owner"]
    with pytest.raises(ProtocolError) as exc:
        share(node, clock, doc, [Party.BELARUS], who=FSB)  # same Party, another body
    assert rules(exc) == ["art5.literature_owner"]
    with pytest.raises(ProtocolError) as exc:
        read(node, clock, doc, BLR)
    assert rules(exc) == ["art5.literature_not_shared"]
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError) as exc:
        svc.withdraw_literature(uow, doc, "", OWN, clock.now)
    assert rules(exc) == ["art5.literature_required"]
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.search_literature(uow, "фишинг", "auditor", clock.now)
    assert count(node, t.literature_recipients) == 1
    assert trail(node, doc)[-1] == ("literature:read_denied", BLR)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"marking": "top_secret"}, "marking"),
        ({"title": "СОВЕРШЕННО СЕКРЕТНО\nМетодика"}, "title"),
        ({"abstract": "Гриф: секретно"}, "abstract"),
        ({"keywords": ["ҚҰПИЯ"]}, "keywords[0]"),
    ],
)
def test_state_secrets_are_refused(
    node: Engine, clock: Clock, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ProtocolError) as exc:
        add(node, clock, **overrides)
    assert [(v.field, v.rule, v.article) for v in exc.value.violations] == [
        (field, "art10.state_secret", "Art. 10 para 3")
    ]
    assert count(node, t.literature) == count(node, t.literature_files) == 0


def test_every_fault_of_the_metadata_is_named(node: Engine, clock: Clock) -> None:
    with pytest.raises(ProtocolError) as exc:
        add(node, clock, title="", authors=[], language="russian", year=1800, kind="novel")
    assert sorted((v.field, v.rule) for v in exc.value.violations) == [
        ("authors", "art5.literature_required"), ("kind", "art5.literature_required"),
        ("language", "art5.literature_required"), ("title", "art5.literature_required"),
        ("year", "input.type"),
    ]  # fmt: skip
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError) as exc:
        svc.add_literature(uow, meta(), "empty.pdf", "application/pdf", b"", OWN, clock.now)
    assert rules(exc) == ["art5.literature_required"]
    assert "Art. 5 para 6" in str(exc.value)


def test_the_file_is_encrypted_at_rest(node: Engine, clock: Clock) -> None:
    at_rest.attach(node, at_rest.Keyring.generate())
    try:
        doc = add(node, clock)
        with node.connect() as conn:
            stored = conn.execute(select(t.literature_files.c.content)).scalar_one()
        assert at_rest.is_encrypted(stored) and PDF not in stored
        assert read(node, clock, doc, OWN).content == PDF
    finally:
        at_rest.attach(node, None)
