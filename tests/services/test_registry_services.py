"""Treaty notifications and designations recorded on a node (Art. 4, 16, 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from ozara.core.parties import CompetentBody, Party
from ozara.core.rules import ProtocolError
from ozara.core.treaty import NotificationKind, TreatyNotification
from ozara.services import registry as reg
from ozara.services.requests import AccessDenied
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_request_services import create


def withdrawal(received: date, effective: date) -> TreatyNotification:
    return TreatyNotification(Party.BELARUS, NotificationKind.WITHDRAWAL, received, effective)


def test_only_the_secretariat_records_notifications(node: Engine, clock: Clock) -> None:
    notice = withdrawal(date(2026, 2, 1), date(2026, 8, 1))
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        reg.record_notification(uow, notice, "kaz-mvd.head", clock.now)
    with SqlUnitOfWork(node) as uow:
        assert uow.registry.treaty().withdrawn_from == {}


def test_withdrawal_under_six_months_is_refused_art18(node: Engine, clock: Clock) -> None:
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError) as err:
        reg.record_notification(
            uow, withdrawal(date(2026, 2, 1), date(2026, 7, 31)), "csto.secretariat", clock.now
        )
    assert err.value.violations[0].article == "Art. 18"


def test_withdrawal_unbinds_the_party_and_flags_its_open_requests(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock, requested_body="BLR-MVD")
    with SqlUnitOfWork(node) as uow:
        status = reg.record_notification(
            uow, withdrawal(date(2026, 2, 1), date(2026, 8, 1)), "csto.secretariat", clock.now
        )
    assert status.is_bound(Party.BELARUS, date(2026, 7, 31))
    assert not status.is_bound(Party.BELARUS, date(2026, 8, 1))
    with SqlUnitOfWork(node) as uow:
        report = reg.treaty_report(uow, date(2026, 9, 1))
        assert [(r, p) for r, _, p in report.flagged] == [(rid, Party.BELARUS)]
        belarus = next(p for p in report.parties if p.party is Party.BELARUS)
        assert (belarus.bound, belarus.withdrawal_on) == (False, date(2026, 8, 1))
        assert [a["action"] for a in uow.audit.for_object("BLR")] == ["treaty:withdrawal"]


def test_a_second_ratification_of_a_party_is_refused(node: Engine, clock: Clock) -> None:
    notice = TreatyNotification(Party.RUSSIA, NotificationKind.RATIFICATION, date(2026, 1, 1))
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError):
        reg.record_notification(uow, notice, "csto.secretariat", clock.now)


def test_a_new_designation_becomes_routable(node: Engine, clock: Clock) -> None:
    body = CompetentBody("KAZ-KNB", Party.KAZAKHSTAN, "КНБ", "National Security Committee",
                         "Asia/Almaty", datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        reg.designate(uow, body, "csto.secretariat", clock.now)
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError):
        reg.designate(uow, body, "csto.secretariat", clock.now)
    rid = create(
        node, clock, who="rus-mvd.officer", requesting_body="RUS-MVD", requested_body="KAZ-KNB"
    )
    assert rid == "RUS-MVD-2026-00001"
    with SqlUnitOfWork(node) as uow:
        assert uow.registry.registry().get("KAZ-KNB") == body
