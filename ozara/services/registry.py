"""The registry of competent bodies (Art. 4) and treaty status (Art. 16–18) on a node.

Designations and treaty notifications reach a node through the CSTO Secretariat; here
they are recorded by an officer with the ``secretariat`` role, each in one transaction
with its audit row. (Broadcasting them between nodes is the federation's job.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ozara.core.deadlines import require_utc
from ozara.core.parties import CompetentBody, Party, Role
from ozara.core.rules import ProtocolError, violation
from ozara.core.treaty import NotificationKind, TreatyNotification, TreatyStatus, check_withdrawal
from ozara.services.requests import AccessDenied
from ozara.store.uow import SqlUnitOfWork


def _secretariat(uow: SqlUnitOfWork, actor_id: str) -> None:
    officer = uow.registry.officer(actor_id)
    if not officer.has(Role.SECRETARIAT):
        raise AccessDenied(
            f"{actor_id} may not record designations or treaty notifications: "
            "they come through the CSTO Secretariat (Art. 4, 16, 18)"
        )


def record_notification(
    uow: SqlUnitOfWork, notification: TreatyNotification, actor_id: str, now: datetime
) -> TreatyStatus:
    """Record a notification of completed procedures or of withdrawal (Art. 16, 18)."""
    _secretariat(uow, actor_id)
    check_withdrawal(notification)
    known = uow.registry.notifications()
    if notification.kind is NotificationKind.RATIFICATION and any(
        n.party is notification.party and n.kind is NotificationKind.RATIFICATION for n in known
    ):
        raise ProtocolError(
            [violation("party", "art16.in_force", f"{notification.party.name_en} has notified")]
        )
    uow.registry.add_notification(notification)
    uow.audit.record(
        require_utc(now),
        actor_id=actor_id,
        body_id=None,
        action=f"treaty:{notification.kind.value}",
        object_type="party",
        object_id=notification.party.value,
        details={
            "received_on": notification.received_on.isoformat(),
            "effective_on": notification.effective_on.isoformat()
            if notification.effective_on
            else None,
        },
    )
    status = uow.registry.treaty()
    uow.commit()
    return status


def designate(uow: SqlUnitOfWork, body: CompetentBody, actor_id: str, now: datetime) -> None:
    """Record a new competent body designated by its Party (Art. 4)."""
    _secretariat(uow, actor_id)
    if uow.registry.registry().get(body.id) is not None:
        raise ProtocolError([violation("id", "art4.designated", f"{body.id!r} is already known")])
    uow.registry.add_body(body)
    uow.audit.record(
        require_utc(now),
        actor_id=actor_id,
        body_id=body.id,
        action="registry:designated",
        object_type="body",
        object_id=body.id,
        details={"party": body.party.value, "from": body.designated_from.isoformat()},
    )
    uow.commit()


@dataclass(frozen=True, slots=True)
class PartyStatus:
    party: Party
    in_force_from: date | None
    withdrawal_on: date | None
    bound: bool


@dataclass(frozen=True, slots=True)
class TreatyReport:
    parties: list[PartyStatus]
    #: Open requests with a Party that has given notice of withdrawal (Art. 18).
    flagged: list[tuple[str, str, Party]]


def treaty_report(uow: SqlUnitOfWork, on: date) -> TreatyReport:
    status = uow.registry.treaty()
    parties = [
        PartyStatus(p, status.in_force_from.get(p), status.withdrawn_from.get(p),
                    status.is_bound(p, on))
        for p in Party
    ]  # fmt: skip
    withdrawing = set(status.withdrawn_from)
    flagged: list[tuple[str, str, Party]] = []
    if withdrawing:
        registry = uow.registry.registry()
        for rid, state, src, dst in uow.requests.open_parties_view():
            for body_id in (src, dst):
                body = registry.get(body_id)
                if body is not None and body.party in withdrawing:
                    flagged.append((rid, state, body.party))
                    break
    return TreatyReport(parties, flagged)
