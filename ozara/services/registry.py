"""The registry of competent bodies (Art. 4) and treaty status (Art. 16–18) on a node.

Designations and treaty notifications reach a node through the CSTO Secretariat; here
they are recorded by an officer with the ``secretariat`` role, each in one transaction
with its audit row. The ``apply_*`` variants never commit: the federation (``ozara.federation``)
uses them to record a change together with its broadcast, or to apply a received one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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


class Change(enum.StrEnum):
    """What applying a designation or a notification did to the registry."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def apply_notification(
    uow: SqlUnitOfWork,
    notification: TreatyNotification,
    actor_id: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Change:
    """Add a notification (Art. 16, 18) with its audit row; never commits, checks no role.

    An identical notification already recorded is ``UNCHANGED`` (nothing written), so a
    broadcast applied twice changes nothing; another ratification of a notified Party is a
    ``ProtocolError``.
    """
    check_withdrawal(notification)
    known = uow.registry.notifications()
    if notification in known:
        return Change.UNCHANGED
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
            **(details or {}),
        },
    )
    return Change.ADDED


def record_notification(
    uow: SqlUnitOfWork, notification: TreatyNotification, actor_id: str, now: datetime
) -> TreatyStatus:
    """Record a notification of completed procedures or of withdrawal (Art. 16, 18)."""
    _secretariat(uow, actor_id)
    apply_notification(uow, notification, actor_id, now)
    status = uow.registry.treaty()
    uow.commit()
    return status


def apply_designation(
    uow: SqlUnitOfWork,
    body: CompetentBody,
    actor_id: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Change:
    """Add a competent body, or change a known one (Art. 4); never commits, checks no role.

    The same body with the same particulars is ``UNCHANGED`` (nothing written).
    """
    known = uow.registry.registry().get(body.id)
    if known == body:
        return Change.UNCHANGED
    if known is not None and known.party is not body.party:
        raise ProtocolError(
            [violation("party", "art4.designated", f"{body.id!r} belongs to another Party")]
        )
    if known is None:
        uow.registry.add_body(body)
    else:
        uow.registry.update_body(body)
    change = Change.ADDED if known is None else Change.CHANGED
    uow.audit.record(
        require_utc(now),
        actor_id=actor_id,
        body_id=body.id,
        action="registry:designated" if known is None else "registry:changed",
        object_type="body",
        object_id=body.id,
        details={
            "party": body.party.value,
            "from": body.designated_from.isoformat(),
            "until": None if body.designated_until is None else body.designated_until.isoformat(),
            **(details or {}),
        },
    )
    return change


def check_secretariat(uow: SqlUnitOfWork, actor_id: str) -> None:
    """Raise ``AccessDenied`` unless the officer holds the ``secretariat`` role."""
    _secretariat(uow, actor_id)


def designate(uow: SqlUnitOfWork, body: CompetentBody, actor_id: str, now: datetime) -> None:
    """Record a new competent body designated by its Party (Art. 4)."""
    _secretariat(uow, actor_id)
    if uow.registry.registry().get(body.id) is not None:
        raise ProtocolError([violation("id", "art4.designated", f"{body.id!r} is already known")])
    apply_designation(uow, body, actor_id, now)
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
